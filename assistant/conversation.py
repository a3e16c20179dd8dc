"""The running conversation, trimmed to the model's token budget (oldest exchanges go first)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from assistant.errors import InputError
from assistant.types import ChatMessage, Role

TokenCounter = Callable[[Sequence[ChatMessage]], int]


class Conversation:
    def __init__(self, system_prompt: str, context_tokens: int, reply_tokens: int) -> None:
        self.system_prompt = system_prompt
        self.budget = max(1, context_tokens - reply_tokens)  # leave room for the reply itself
        self._history: list[ChatMessage] = []
        self._lock = threading.Lock()

    @property
    def history(self) -> list[ChatMessage]:
        with self._lock:
            return list(self._history)

    def messages_for(self, user_text: str, count_tokens: TokenCounter) -> list[ChatMessage]:
        """System prompt, as much recent history as fits, and the new question."""
        system = [ChatMessage(Role.SYSTEM, self.system_prompt)] if self.system_prompt else []
        question = ChatMessage(Role.USER, user_text)
        history = self.history
        while True:
            messages = [*system, *history, question]
            if count_tokens(messages) <= self.budget:
                return messages
            if not history:
                raise InputError("question-too-long", "the question is too long for the language model's "
                                 "context; shorten it or raise llm.context_tokens.")
            history = history[2:]  # drop the oldest exchange (a question and its answer)

    def add_exchange(self, user_text: str, reply: str, interrupted: bool = False, private: bool = False) -> None:
        """Remember an exchange; an interrupted reply is kept as far as it got, marked as cut off. A
        ``private`` exchange (about the screen) is never sent to the cloud by the router."""
        if not reply.strip():
            return
        if interrupted:
            reply = reply.rstrip() + " [interrupted by the user]"
        with self._lock:
            self._history += [ChatMessage(Role.USER, user_text, private=private),
                              ChatMessage(Role.ASSISTANT, reply, private=private)]

    def clear(self) -> None:
        with self._lock:
            self._history.clear()
