"""The running conversation, trimmed to the model's token budget (oldest exchanges go first)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.contracts.errors import InputError
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.languages import reply_instruction

TokenCounter = Callable[[Sequence[ChatMessage]], int]

# Ends a reply the user cut off. Not a bracketed note: a small model copies "[interrupted by the user]" into
# its own later replies, and the voice then reads it out.
CUT_OFF = "…"


@dataclass(frozen=True, slots=True)
class _Exchange:
    turn_id: int
    question: ChatMessage
    reply: ChatMessage
    spoken: bool


class Conversation:
    """The exchanges so far, and the prompt for the next question (as much history as fits the context)."""

    _MAX_PENDING_CUTS = 16  # cuts for turns whose reply is not in yet; bounded in case one never comes

    def __init__(self, system_prompt: str, context_tokens: int, reply_tokens: int) -> None:
        self.system_prompt = system_prompt
        self.budget = max(1, context_tokens - reply_tokens)  # leave room for the reply itself
        self._exchanges: list[_Exchange] = []
        self._cuts: OrderedDict[int, str] = OrderedDict()  # turn id -> what was heard, reply not added yet
        self._lock = threading.Lock()
        # What the memory knows that matters to a question (a note put just before it; "" for none). Set by the
        # assistant when memory is on. The note is private: never sent to the cloud.
        self.notes: Callable[[str], str] | None = None

    @property
    def history(self) -> list[ChatMessage]:
        with self._lock:
            return [m for e in self._exchanges for m in (e.question, e.reply)]

    def messages_for(self, user_text: str, count_tokens: TokenCounter, language: str = "") -> list[ChatMessage]:
        """System prompt, as much recent history as fits, and the new question; asked in ``language`` (a
        Whisper code) other than English, a line that says to reply in it."""
        system = [ChatMessage(Role.SYSTEM, self.system_prompt)] if self.system_prompt else []
        question = ChatMessage(Role.USER, user_text)
        note = self.notes(user_text) if self.notes is not None else ""
        # After the history, not in the system prompt: the prompt's start stays the same from turn to turn.
        notes = [ChatMessage(Role.SYSTEM, note, private=True)] if note else []
        reply_in = reply_instruction(language)
        if reply_in:
            notes.append(ChatMessage(Role.SYSTEM, reply_in))
        history = self.history
        while True:
            messages = [*system, *history, *notes, question]
            if count_tokens(messages) <= self.budget:
                return messages
            if not history:
                raise InputError("question-too-long", "the question is too long for the language model's "
                                 "context; shorten it or raise llm.context_tokens.")
            history = history[2:]  # drop the oldest exchange (a question and its answer)

    def add_exchange(self, user_text: str, reply: str, interrupted: bool = False, private: bool = False, *,
                     turn_id: int = 0, spoken: bool = False) -> None:
        """Remember an exchange; an interrupted reply is kept as far as it got, marked as cut off. A ``spoken``
        reply that was cut off (``cut_short``) is kept as far as the user heard it. A ``private`` exchange
        (about the screen) is never sent to the cloud by the router."""
        with self._lock:
            heard = self._cuts.pop(turn_id, None) if turn_id else None
            if spoken and heard is not None:
                reply, interrupted = heard, True
            if not reply.strip():
                return
            if interrupted:
                reply = reply.rstrip() + CUT_OFF
            self._exchanges.append(_Exchange(turn_id, ChatMessage(Role.USER, user_text, private=private),
                                             ChatMessage(Role.ASSISTANT, reply, private=private), spoken))

    def cut_short(self, turn_id: int, heard: str) -> None:
        """The user interrupted the spoken reply of ``turn_id`` having heard ``heard``: only that is remembered
        of it (nothing, when nothing was heard), whether the reply is already in or is still being written.
        Generation runs ahead of speech: the rest was never heard, and the model must not take it as said."""
        with self._lock:
            for i, exchange in enumerate(self._exchanges):
                if exchange.turn_id == turn_id and turn_id:
                    if not exchange.spoken:
                        return
                    if heard.strip():
                        reply = ChatMessage(Role.ASSISTANT, heard.rstrip() + CUT_OFF, private=exchange.reply.private)
                        self._exchanges[i] = _Exchange(turn_id, exchange.question, reply, True)
                    else:
                        del self._exchanges[i]
                    return
            self._cuts[turn_id] = heard
            while len(self._cuts) > self._MAX_PENDING_CUTS:
                self._cuts.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()
            self._cuts.clear()
