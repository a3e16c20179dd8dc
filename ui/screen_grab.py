"""Screen captures taken for the user: the app's own windows step aside, the screen is captured, they return.

The core captures through ``capture_for_core`` (set with ``Assistant.set_screen_capture``); it runs on the LLM
stage's thread, so the request is handed to the GUI thread (which owns the windows) and the caller waits for
the result. The capture itself runs on a short-lived worker thread: on Wayland the desktop portal can take
seconds (it may even ask the user), and the GUI thread must never wait on it.

Captures stay in memory: nothing here writes an image anywhere.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

from assistant.contracts.errors import AssistantError
from assistant.contracts.ports import ScreenCapture
from assistant.contracts.screen import ScreenImage, WindowInfo
from assistant.contracts.turns import CancelToken

log = logging.getLogger(__name__)

# After hiding our windows, wait this long before capturing: without a compositor that keeps a copy of every
# window, the windows under ours repaint the uncovered area only when their applications get round to it, and
# an immediate capture would show stale pixels or a hole where ours were. Short enough to go unnoticed.
REPAINT_MS = 150
# How long the core waits for a capture: past the portal's own 60 s on Wayland (it may ask the user first);
# elsewhere a capture takes milliseconds, so only a stuck GUI thread can make it wait this long.
CORE_TIMEOUT_S = 70.0 if os.environ.get("WAYLAND_DISPLAY") else 15.0

Done = Callable[[ScreenImage | None, AssistantError | None], None]


class ScreenGrabber(QObject):
    """Captures the screen with the app's windows out of the way; says when a capture starts and ends."""

    capturing = Signal(bool)
    _requested = Signal(str, object, object)  # (target, reply box, cancel token), from the core's thread
    _taken = Signal(object, object, object)  # (done, image, error), from the capture thread

    def __init__(self, windows: list[QWidget], capture: ScreenCapture, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.windows = windows
        self.capture = capture  # the desktop's capture adapter (composed in assistant.bootstrap)
        self.remembered_window: WindowInfo | None = None  # the user's window before the launcher opened
        self._active = 0  # captures under way (one set of hidden windows serves them all)
        self._hidden: list[QWidget] = []
        self._keep_hidden: set[int] = set()
        self._focus: QWidget | None = None
        self._requested.connect(self._on_requested, Qt.ConnectionType.QueuedConnection)
        self._taken.connect(self._on_taken, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        """A capture is under way: our windows are hidden for it, not closed by the user."""
        return self._active > 0

    def _ours(self) -> set[int]:
        return {int(w.internalWinId()) for w in self.windows if w.internalWinId()}

    def _users_window(self) -> WindowInfo | None:
        """The active window unless it is one of ours (then None)."""
        window = self.capture.active_window()
        return None if window is None or window.handle in self._ours() else window

    def remember_active_window(self) -> None:
        """Call before showing the launcher: afterwards the active window is the launcher itself."""
        window = self._users_window()
        if window is not None:
            self.remembered_window = window

    def grab(self, target: str, done: Done, *, region: tuple[int, int, int, int] | None = None,
             keep_hidden: Iterable[QWidget] = (), cancel: CancelToken | None = None) -> None:
        """Capture ``target`` without blocking the GUI thread; ``done(image, error)`` is called on it afterwards,
        once our windows are back (those in ``keep_hidden`` stay hidden: the caller shows them its own way).
        ``cancel`` ends a wait for the desktop portal (an interrupted turn)."""
        window = None
        if target == "window":
            # "this window" is the user's: the active one now, or the one active before our launcher opened.
            window = self._users_window() or self.remembered_window
            if window is None:
                target = "screen"
        if self._active == 0:
            self._hidden = [w for w in self.windows if w.isVisible() and not w.isMinimized()]
            self._focus = QApplication.activeWindow()
            self.capturing.emit(True)
        self._active += 1
        self._keep_hidden.update(id(w) for w in keep_hidden)
        covering = [w for w in self._hidden if w.isVisible()]
        for w in covering:
            w.hide()

        def take() -> None:  # on a worker thread
            image, error = None, None
            try:
                image = self.capture.capture(target, window=window, region=region, cancel=cancel)
            except AssistantError as exc:
                error = exc
            except Exception as exc:  # a platform failure we did not foresee: still a coded, visible error
                log.exception("capture failed")
                error = AssistantError("screen-capture-failed", f"capturing the screen failed: {exc}")
            self._taken.emit(done, image, error)

        QTimer.singleShot(REPAINT_MS if covering else 0,
                          lambda: threading.Thread(target=take, name="screen-capture", daemon=True).start())

    def _on_taken(self, done: Done, image: ScreenImage | None, error: AssistantError | None) -> None:
        self._active -= 1
        if self._active == 0:
            back = [w for w in self._hidden if id(w) not in self._keep_hidden]
            for w in back:
                w.show()
            if self._focus in back:
                self._focus.raise_()
                self._focus.activateWindow()
            self._hidden, self._focus = [], None
            self._keep_hidden.clear()
            self.capturing.emit(False)
        done(image, error)

    def capture_for_core(self, target: str, timeout_s: float = CORE_TIMEOUT_S, *,
                         cancel: CancelToken | None = None) -> ScreenImage:
        """The core's capture: called on the LLM stage's thread, it waits while the GUI thread takes the shot and
        re-raises the capture's error here (``cancel``: the turn's token, which an interrupt cancels)."""
        if threading.current_thread() is threading.main_thread():  # never wait for ourselves
            raise AssistantError("screen-capture-failed", "the screen capture was requested on the GUI thread.")
        box: dict = {"done": threading.Event()}
        self._requested.emit(target, box, cancel)
        if not box["done"].wait(timeout_s):
            raise AssistantError("screen-capture-failed", "the screen capture did not finish in time.")
        if box["error"] is not None:
            raise box["error"]
        return box["image"]

    def _on_requested(self, target: str, box: dict, cancel: CancelToken | None) -> None:
        def done(image, error) -> None:
            box["image"], box["error"] = image, error
            box["done"].set()

        self.grab(target, done, cancel=cancel)
