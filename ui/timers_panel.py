"""Timers in the window, and what happens when one rings.

``TimersPanel``: the pending timers (with the time left), alarms and reminders, each with a Cancel button; shown
in the main window only while there is one, and redrawn once a second only while it is visible.
``TimerAlerts``: on ``TimerFired``, a desktop notification (the freedesktop service, through the adapter the app
gets from ``assistant.bootstrap``), the tray icon's message where there is none, and a short chime when the
assistant will not say it (muted, or no voice).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import numpy as np
from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from assistant.contracts.events import TimerFired, TimersChanged
from assistant.contracts.tools import ToolError
from assistant.tools.timers import say_when
from ui.theme import set_role

log = logging.getLogger(__name__)

ICONS = {"timer": "⏱", "alarm": "⏰", "reminder": "🔔"}
TITLES = {"timer": QT_TRANSLATE_NOOP("TimerAlerts", "Timer"), "alarm": QT_TRANSLATE_NOOP("TimerAlerts", "Alarm"),
          "reminder": QT_TRANSLATE_NOOP("TimerAlerts", "Reminder")}  # translated where shown


def timer_service(assistant):
    """The assistant's timer service, or None (tools off, or an assistant without timers)."""
    return getattr(assistant, "timers", None) if assistant is not None else None


def clock_left(seconds: float) -> str:
    """ "4:12", "1:04:12": a timer's time left as a clock shows it."""
    total = max(0, int(seconds + 0.999))  # 4:12.3 left shows 4:13 until it is 4:12: it never shows 0:00 early
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class _Row(QWidget):
    cancel_requested = Signal(int)

    def __init__(self, timer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.timer_id = timer_id
        self.text = QLabel()
        self.left = QLabel()
        set_role(self.left, "title")
        self.cancel = QPushButton(self.tr("Cancel"))
        self.cancel.setToolTip(self.tr("Cancel it"))
        self.cancel.clicked.connect(lambda: self.cancel_requested.emit(self.timer_id))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.left)
        layout.addWidget(self.cancel)


class TimersPanel(QFrame):
    """The pending timers, alarms and reminders of the assistant's timer service (None: the panel stays hidden).

    Reads the service on the GUI thread (a SQLite query of a few rows); a cancel is published by the service
    as ``TimersChanged``, which redraws the list (``on_event``)."""

    TICK_MS = 1000

    def __init__(self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(parent)
        self.setObjectName("timersPanel")
        self.clock = clock
        self.service = None
        self.rows: dict[int, _Row] = {}
        self.items: list = []
        self.title = QLabel(self.tr("Timers"))
        set_role(self.title, "title")
        self.status = QLabel()
        self.status.setWordWrap(True)
        set_role(self.status, "error")
        self.status.hide()
        self._list = QVBoxLayout()
        self._list.setContentsMargins(0, 0, 0, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.title)
        layout.addLayout(self._list)
        layout.addWidget(self.status)
        self.tick = QTimer(self, interval=self.TICK_MS)
        self.tick.timeout.connect(self._redraw)
        self.hide()

    def set_service(self, service) -> None:
        """The timer service to show (the assistant's ``timers``), or None."""
        self.service = service
        self.refresh()

    def on_event(self, event) -> None:
        if isinstance(event, (TimersChanged, TimerFired)):
            self.refresh()

    def refresh(self) -> None:
        """Read the pending items again, rebuild the rows, and show the panel when there is one."""
        items = []
        if self.service is not None:
            try:
                items = self.service.pending()
                self.status.hide()
            except ToolError as exc:  # the file is damaged or locked: said once in the banner, not here
                log.info("timers: %s", exc.message)
        self.items = items
        for timer_id in [t for t in self.rows if t not in {i.id for i in items}]:
            row = self.rows.pop(timer_id)
            self._list.removeWidget(row)
            row.deleteLater()
        for index, info in enumerate(items):
            row = self.rows.get(info.id)
            if row is None:
                row = self.rows[info.id] = _Row(info.id, self)
                row.cancel_requested.connect(self.cancel)
            self._list.insertWidget(index, row)  # soonest first, as the service lists them
        self.setVisible(bool(items))
        self._redraw()

    def cancel(self, timer_id: int) -> None:
        try:
            self.service.cancel(timer_id)
        except ToolError as exc:  # rang, or was cancelled elsewhere (`assistant timers cancel`), meanwhile
            log.info("timers: %s", exc.message)
        self.refresh()

    def _redraw(self) -> None:
        now = self.clock()
        for info in self.items:
            row = self.rows[info.id]
            row.text.setText(f"{ICONS.get(info.kind, '')} {self._name(info)}")
            if info.kind == "timer":
                row.left.setText(clock_left(info.remaining(now)))
                row.left.setToolTip(self.tr("left"))
            else:
                row.left.setText(self._at(info.due, now))
                row.left.setToolTip(datetime.fromtimestamp(info.due).strftime("%c"))

    def _name(self, info) -> str:
        if info.kind == "timer":
            return info.label.capitalize() if info.label else self.service.describe(info).capitalize()
        if info.kind == "alarm":
            return self.tr("Alarm: {label}").format(label=info.label) if info.label else self.tr("Alarm")
        return info.label.capitalize() if info.label else self.tr("Reminder")

    def _at(self, due: float, now: float) -> str:
        return say_when(due, now, twelve_hour=self.service.twelve_hour)

    # Redrawn once a second only while the panel is on screen.
    def showEvent(self, event) -> None:
        self.tick.start()
        self._redraw()
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.tick.stop()
        super().hideEvent(event)


def chime(rate: int = 24000) -> np.ndarray:
    """A short two-note chime (0.5 s, float32 mono): heard when a timer rings and nothing will be said."""
    notes = []
    for freq in (880.0, 1318.5):
        t = np.arange(int(rate * 0.22)) / rate
        envelope = np.minimum(1.0, t / 0.01) * np.exp(-t * 9.0)
        notes.append(0.35 * envelope * np.sin(2 * np.pi * freq * t))
        notes.append(np.zeros(int(rate * 0.03)))
    return np.concatenate(notes).astype(np.float32)


class TimerAlerts(QObject):
    """What the front-end does when a timer, alarm or reminder rings (the assistant says the announcement).

    ``notify(title, body, sound=...) -> bool``: the desktop's notifications (run off the GUI thread: a D-Bus call
    may take a moment); ``fallback(title, body)``: shown when that returns False (the tray icon's message);
    ``sink()``: the speaker for the chime (None: the system beep); ``speaks()``: whether the assistant will say
    the announcement (when not, the chime is played)."""

    fell_back = Signal(str, str)  # a notification the desktop did not take, to show on the GUI thread

    def __init__(self, notify: Callable[..., bool] | None, fallback: Callable[[str, str], None],
                 sink: Callable[[], object | None], speaks: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notify, self.sink, self.speaks = notify, sink, speaks
        self.fell_back.connect(fallback, Qt.ConnectionType.QueuedConnection)
        self.shown: list[tuple[str, str]] = []  # what was sent, for the tests and the log
        self._threads: list[threading.Thread] = []

    def on_event(self, event) -> None:
        if not isinstance(event, TimerFired):
            return
        title = QCoreApplication.translate("TimerAlerts", TITLES.get(event.kind, TITLES["timer"]))
        if event.missed:
            title = self.tr("{title} (missed)").format(title=title)
        body = event.announcement or title
        silent = not self.speaks()
        self.shown.append((title, body))
        if self.notify is None:
            self.fell_back.emit(title, body)
        else:
            thread = threading.Thread(target=self._notify, args=(title, body, silent), name="notify", daemon=True)
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
            thread.start()
        if silent and not event.missed:
            self.play_chime()

    def _notify(self, title: str, body: str, sound: bool) -> None:
        try:
            taken = self.notify(title, body, sound=sound)
        except Exception:  # an adapter's bug must not lose the alert
            log.exception("the desktop notification failed")
            taken = False
        if not taken:
            self.fell_back.emit(title, body)

    def play_chime(self) -> None:
        sink = self.sink()
        if sink is None:
            QApplication.beep()
            return
        try:
            sink.play(chime(), 24000)
        except Exception as exc:  # a speaker that went away: the notification is still there
            log.warning("cannot play the timer chime: %s", exc)
            QApplication.beep()

    def wait(self, timeout: float = 10.0) -> None:
        """Wait for the notifications on their way (the app's shutdown and the tests)."""
        for thread in list(self._threads):
            thread.join(timeout)
