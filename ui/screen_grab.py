"""Screen captures taken for the user: the app's own windows step aside, the screen is captured, they return.

The core captures through ``capture_for_core`` (set with ``Assistant.set_screen_capture``); it runs on the LLM
stage's thread, so the work is handed to the GUI thread and the caller waits for the result.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from assistant import capture
from assistant.errors import AssistantError
from assistant.screen import ScreenImage

log = logging.getLogger(__name__)

# Long enough for the windows under ours to repaint the area we uncovered (no compositor keeps a copy of
# them), short enough to go unnoticed.
REPAINT_MS = 150


class ScreenGrabber(QObject):
    """Captures the screen with the app's windows out of the way; says when a capture starts and ends."""

    capturing = Signal(bool)
    _requested = Signal(str, object)  # (target, reply box) from another thread

    def __init__(self, windows: list[QWidget], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.windows = windows
        self.remembered_window: capture.WindowInfo | None = None  # the user's window before the launcher opened
        self._requested.connect(self._on_requested, Qt.ConnectionType.QueuedConnection)

    def remember_active_window(self) -> None:
        """Call before showing the launcher: afterwards the active window is the launcher itself."""
        self.remembered_window = capture.active_window()

    def grab(self, target: str, done: Callable[[ScreenImage | None, AssistantError | None], None],
             region: tuple[int, int, int, int] | None = None) -> None:
        """Capture ``target`` on the GUI thread without blocking it; ``done(image, error)`` is called after."""
        hidden = [w for w in self.windows if w.isVisible()]
        self.capturing.emit(True)
        for window in hidden:
            window.hide()

        def take() -> None:
            image, error = None, None
            try:
                window = self.remembered_window if target == "window" else None
                image = capture.capture(target, window=window, region=region)
            except AssistantError as exc:
                error = exc
            except Exception as exc:  # a platform failure we did not foresee: still a coded, visible error
                log.exception("capture failed")
                error = AssistantError("screen-capture-failed", f"capturing the screen failed: {exc}")
            for window in hidden:
                window.show()
            self.capturing.emit(False)
            done(image, error)

        QTimer.singleShot(REPAINT_MS if hidden else 0, take)

    def capture_for_core(self, target: str, timeout_s: float = 15.0) -> ScreenImage:
        """The core's capture: runs on a worker thread, waits for the GUI thread to take the shot."""
        box: dict = {"done": threading.Event()}
        self._requested.emit(target, box)
        if not box["done"].wait(timeout_s):
            raise AssistantError("screen-capture-failed", "the screen capture did not finish in time.")
        if box.get("error") is not None:
            raise box["error"]
        return box["image"]

    def _on_requested(self, target: str, box: dict) -> None:
        def done(image, error) -> None:
            box["image"], box["error"] = image, error
            box["done"].set()

        self.grab(target, done)
