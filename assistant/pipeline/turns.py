"""The turns: the one owner of which turns are open, their cancel tokens and their timings."""

from __future__ import annotations

import threading
import time

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError, NoSpeechError
from assistant.contracts.events import ErrorOccurred, TurnEnded
from assistant.contracts.turns import CancelToken
from assistant.timings import TurnTimings


class TurnTracker:
    """Hands out increasing turn ids, holds each open turn's cancel token and timings, and ends each turn exactly
    once. Beginning a turn or interrupting cancels the turns in progress. Thread-safe: every stage asks it."""

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self._lock = threading.Condition()
        self._current = 0
        self._tokens: dict[int, CancelToken] = {}
        self._open: dict[int, TurnTimings] = {}
        self._ended: dict[int, TurnEnded] = {}

    @property
    def current(self) -> int:
        return self._current

    def begin(self, origin: float) -> CancelToken:
        """Start a new turn (its timings count from ``origin``, monotonic), cancelling the ones in progress."""
        with self._lock:
            self._cancel_all_locked()
            self._current += 1
            token = self._tokens[self._current] = CancelToken(self._current)
            self._open[self._current] = TurnTimings(origin)
            return token

    def cancel_all(self) -> list[int]:
        """Cancel every turn in progress and make its id stale; returns the turns still open (to be ended)."""
        with self._lock:
            self._cancel_all_locked()
            self._current += 1  # anything still carrying the old id is now stale
            return list(self._open)

    def is_current(self, turn_id: int) -> bool:
        return turn_id == self._current

    def token(self, turn_id: int) -> CancelToken:
        with self._lock:
            token = self._tokens.get(turn_id)
            if token is None:  # an id that never began, or was already dropped: treat as cancelled
                token = CancelToken(turn_id)
                token.cancel()
            return token

    def _cancel_all_locked(self) -> None:
        for token in self._tokens.values():
            token.cancel()
        self._tokens.clear()

    def is_open(self, turn_id: int) -> bool:
        return turn_id in self._open

    def open_turns(self) -> list[int]:
        with self._lock:
            return list(self._open)

    def timings(self, turn_id: int) -> TurnTimings:
        return self._open.get(turn_id) or TurnTimings()  # a dummy for a turn that already ended

    def end(self, turn_id: int, outcome: str) -> None:
        with self._lock:
            timings = self._open.pop(turn_id, None)
            if timings is None:
                return
            event = TurnEnded(turn_id=turn_id, outcome=outcome, timings_ms=timings.as_ms())
            self._ended[turn_id] = event
            if len(self._ended) > 100:
                self._ended.pop(next(iter(self._ended)))
        self.bus.publish(event)
        with self._lock:
            self._lock.notify_all()

    def fail(self, turn_id: int, error: AssistantError) -> None:
        if self.is_open(turn_id):
            self.bus.publish(ErrorOccurred(code=error.code, message=error.message, turn_id=turn_id))
            self.end(turn_id, "no-speech" if isinstance(error, NoSpeechError) else "error")

    def wait_ended(self, turn_id: int, timeout: float | None = None) -> TurnEnded | None:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while turn_id not in self._ended:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._lock.wait(remaining)
            return self._ended[turn_id]
