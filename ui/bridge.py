"""The one crossing from the core's threads into Qt."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from assistant.bus import EventBus


class CoreBridge(QObject):
    """Re-emits every bus event as a Qt signal, delivered queued on the GUI thread.

    The bus calls subscribers on core threads; emitting a signal from there is thread-safe, and the
    queued connection makes the slots run on the thread that owns the receiver (the GUI thread)."""

    event_received = Signal(object)  # emitted on core threads
    event = Signal(object)  # the same events, on the GUI thread

    def __init__(self, bus: EventBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.event_received.connect(self.event, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = bus.subscribe(self.event_received.emit)

    def close(self) -> None:
        self._unsubscribe()
