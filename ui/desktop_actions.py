"""The desktop tools' port in the Qt app: the clipboard is Qt's (it works on X11, Wayland, macOS and Windows alike),
links, files and folders open through QDesktopServices; apps are found and started by the desktop adapter it wraps.

Tools run on the LLM stage's thread and Qt's clipboard belongs to the GUI thread: each call is handed to the GUI
thread and waited for (a few milliseconds; at most ``TIMEOUT_S``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication

from assistant.contracts.tools import DesktopActions, ToolError


class _OnGuiThread(QObject):
    call = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.call.connect(self._run)

    @Slot(object)
    def _run(self, job: Callable[[], None]) -> None:
        job()


class QtDesktopActions:
    """``DesktopActions`` through Qt, with ``apps`` (the desktop adapter) for finding and starting apps."""

    TIMEOUT_S = 5.0

    def __init__(self, apps: DesktopActions) -> None:
        self.apps = apps
        self._gui = _OnGuiThread()  # made on the GUI thread: its slot runs there

    def _on_gui(self, work: Callable[[], Any]) -> Any:
        if QThread.currentThread() is self._gui.thread():
            return work()
        done = threading.Event()
        box: dict[str, Any] = {}

        def job() -> None:
            try:
                box["value"] = work()
            except BaseException as exc:  # handed back to the calling thread
                box["error"] = exc
            finally:
                done.set()

        self._gui.call.emit(job)
        if not done.wait(self.TIMEOUT_S):
            raise ToolError("clipboard-unavailable", "the app did not answer in time (its window is busy).")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def open_url(self, url: str) -> None:
        if not self._on_gui(lambda: QDesktopServices.openUrl(QUrl(url))):
            raise ToolError("open-failed", f"could not open {url}: no program for it.")

    def open_path(self, path: str) -> None:
        if not self._on_gui(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(path))):
            raise ToolError("open-failed", f"could not open {path}: no program for it.")

    def find_app(self, name: str) -> str | None:
        return self.apps.find_app(name)

    def launch_app(self, name: str) -> str:
        return self.apps.launch_app(name)

    def clipboard_text(self) -> str:
        return self._on_gui(lambda: QGuiApplication.clipboard().text())

    def set_clipboard_text(self, text: str) -> None:
        self._on_gui(lambda: QGuiApplication.clipboard().setText(text))
