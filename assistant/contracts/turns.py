"""Cancellation: interruption is a turn id that moved on (the turns themselves: ``assistant.pipeline.turns``)."""

from __future__ import annotations

import threading
import time


class CancelToken:
    """Set when the turn it belongs to is interrupted or superseded. Also holds the turn's text generation for a
    moment: while the first spoken piece is synthesized, speech gets the CPU cores (first sound comes sooner,
    and the model, faster than speech, stays ahead)."""

    __slots__ = ("_event", "_leader", "_released", "turn_id")

    def __init__(self, turn_id: int) -> None:
        self.turn_id = turn_id
        self._event = threading.Event()
        self._released = threading.Event()
        self._released.set()
        self._leader: CancelToken | None = None

    def cancel(self) -> None:
        self._event.set()
        self._released.set()  # nothing waits on a cancelled turn

    def hold(self) -> None:
        """Ask the turn's text generation to wait at its next token until ``release``."""
        self._released.clear()
        if self.cancelled:  # cancel() set both before the clear: undo it (after the clear, cancel() does)
            self._released.set()

    def release(self) -> None:
        self._released.set()

    def follow(self, leader: CancelToken) -> None:
        """Be cancelled and held with ``leader`` from now on, and release this token's own hold: a reply written
        ahead of its turn (during the user's end-of-turn silence) goes on as that turn's."""
        self._leader = leader
        self._released.set()

    @property
    def held(self) -> bool:
        return not self._released.is_set() or (self._leader is not None and self._leader.held)

    def wait_released(self, timeout: float) -> bool:
        """Block while held (at most ``timeout`` seconds: a hold that is never released costs only that); True
        when released (or never held), False when the timeout ran out first."""
        deadline = time.monotonic() + timeout
        released = self._released.wait(timeout)
        if self._leader is not None:
            released = self._leader.wait_released(max(0.0, deadline - time.monotonic())) and released
        return released

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self._leader is not None and self._leader.cancelled)

    def wait(self, timeout: float | None = None) -> bool:
        return self._event.wait(timeout)

