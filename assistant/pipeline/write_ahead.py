"""Writing the reply ahead: during the user's end-of-turn silence, the LLM stage starts the reply to the words heard
so far (or, off or on a cloud model, prefills their prompt), so that the turn, if it ends with those words, answers
sooner. Everything here runs on the LLM stage's thread, except ``drop`` (any thread)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from assistant.contracts.errors import AssistantError
from assistant.contracts.ports import LanguageModel
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage
from assistant.pipeline.conversation import Conversation
from assistant.pipeline.sentences import SentenceSplitter

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prefill:
    """The words heard before the end-of-turn silence ran out: the next question, if the user stays silent.
    ``key`` is their candidate's (``SpeechSegment.key``)."""
    text: str
    key: tuple = ()
    language: str = ""  # the language the words were heard in (TurnRequest.language)


@dataclass(frozen=True, slots=True)
class Settle:
    """Asks the LLM stage to drop any reply written ahead and to say so on ``done``."""

    done: threading.Event


class Draft:
    """A reply written ahead of its turn, during the user's end-of-turn silence: its stream, suspended between
    the LLM stage's visits, and the text it has produced so far."""

    def __init__(self, key: tuple, messages: list[ChatMessage], token: CancelToken, stream: Iterator[str]) -> None:
        self.key, self.messages, self.token, self.stream = key, messages, token, stream
        self.deltas: list[str] = []
        self.ended = False  # the model finished the reply
        self.failed = False

    def adopt(self, token: CancelToken) -> Iterator[str]:
        """The reply, as the turn of ``token``'s: what was written, then the rest as the model writes it."""
        self.token.follow(token)
        yield from self.deltas
        if not self.ended:
            yield from self.stream

    def discard(self) -> None:
        self.token.cancel()
        self.stream.close()  # the generation stops within a token and its thread is joined


class WriteAhead:
    """The LLM stage's reply written ahead (at most one ``Draft``). ``busy()`` says whether a message waits in the
    stage's inbox: the draft then yields to it."""

    def __init__(self, llm: LanguageModel, conversation: Conversation, busy: Callable[[], bool]) -> None:
        self.llm, self.conversation, self.busy = llm, conversation, busy
        # Write the reply ahead, during the end-of-turn silence (a local model; off: prefill the prompt only)
        self.enabled = True
        self._draft: Draft | None = None
        self._abandoned: tuple | None = None  # the candidate whose pause ended in speech (its draft is not wanted)
        self.drafts_taken = 0  # turns whose reply was begun during the end-of-turn silence

    def cancel(self) -> None:
        """Any thread: a draft parked at its next token must not keep the generation thread alive."""
        draft = self._draft
        if draft is not None:
            draft.token.cancel()

    def drop(self, key: tuple) -> None:
        """The user spoke again in the pause of candidate ``key``: its reply is not wanted (any thread)."""
        self._abandoned = key
        draft = self._draft
        if draft is not None and draft.key == key:
            draft.token.cancel()

    def begin(self, request: Prefill) -> None:
        """The words so far: write their reply ahead, or prefill their prompt."""
        if self._writes_ahead():
            self._write_ahead(request)
        else:
            self._prefill(request.text, request.language)

    def _writes_ahead(self) -> bool:
        # Not on a cloud model: a reply the user may never ask for would be sent out and paid for.
        return self.enabled and self.llm.runs_locally


    def _write_ahead(self, request: Prefill) -> None:
        """Start the reply to the words heard so far while the end-of-turn silence runs: if the turn ends with
        them, it goes on from there (``take``). It stops at its first spoken piece, or when anything else
        comes in: the stage serves its inbox, and the model writes on meanwhile."""
        self.discard()
        if self.busy() or request.key == self._abandoned:
            return  # a turn is already waiting, or the user spoke again
        messages = self.conversation.messages_for(request.text, self.llm.count_tokens, request.language)
        token = CancelToken(0)
        draft = self._draft = Draft(request.key, messages, token, self.llm.stream(messages, cancel=token))
        if request.key == self._abandoned:  # spoke again while the draft was being set up
            token.cancel()
        splitter = SentenceSplitter()
        try:
            for delta in draft.stream:
                draft.deltas.append(delta)
                if splitter.feed(delta):
                    token.hold()  # the first piece is written: the rest waits to know that the turn ends here
                    return
                if token.cancelled or self.busy():
                    return
            draft.ended = not token.cancelled
        except AssistantError as exc:  # the turn, if it comes, writes its reply itself and meets the error there
            log.warning("writing the reply ahead of the turn failed: %s", exc.message)
            draft.failed = True

    def take(self, messages: list[ChatMessage], token: CancelToken) -> Iterator[str] | None:
        """The reply written ahead for exactly ``messages``, continued as the turn of ``token``; else None (and
        any draft is discarded)."""
        draft, self._draft = self._draft, None
        if draft is None:
            return None
        if draft.failed or draft.token.cancelled or draft.messages != messages:
            draft.discard()
            return None
        self.drafts_taken += 1
        return draft.adopt(token)

    def discard(self) -> None:
        draft, self._draft = self._draft, None
        if draft is not None:
            draft.discard()

    def _prefill(self, text: str, language: str = "") -> None:
        """Run the question's prompt through the model while the end-of-turn silence runs, so that the turn, if
        it ends with these words, starts from its first token (a local model only; the reply is the same)."""
        self.discard()
        if self.busy():
            return  # a turn is already waiting: it prefills its own prompt
        try:
            self.llm.prefill(self.conversation.messages_for(text, self.llm.count_tokens, language))
        except Exception as exc:  # only time is lost: the turn prefills its prompt itself
            log.warning("prefilling the prompt ahead of the turn failed: %s", exc)
