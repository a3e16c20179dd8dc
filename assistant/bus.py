"""A thread-safe publish/subscribe bus for events."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from assistant.contracts.events import Event

log = logging.getLogger(__name__)

Subscriber = Callable[[Event], None]


class EventBus:
    """Delivers each event synchronously, on the publishing thread, to every subscriber.

    A subscriber that raises is logged and skipped: one broken listener must not break a turn.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: tuple[Subscriber, ...] = ()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        with self._lock:
            self._subscribers = (*self._subscribers, callback)

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = tuple(s for s in self._subscribers if s is not callback)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for callback in self._subscribers:  # a snapshot: the tuple is replaced, never mutated
            try:
                callback(event)
            except Exception:
                log.exception("event subscriber %r failed on %s", callback, event.kind)
