"""Questions about the screen: capture (our windows step aside), the region picker, and the attached capture.

A capture is attached to the next question, typed or spoken, and shown as a chip in the launcher and the
window; it stays in memory only and goes when the question takes it or the user drops it."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer

from assistant.contracts.errors import Category, category_of
from assistant.contracts.events import ErrorOccurred, ScreenCaptured, TurnEnded

log = logging.getLogger(__name__)


class ScreenFlow(QObject):
    """The screen hotkey, the launcher's Screen and Region buttons, and the attachment they leave."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.app = app
        self.attachment = None  # a capture the next question is about (memory only, never written to disk)
        self.picker = None  # the region picker while it is open

    def ask_about_screen(self, target: str = "screen", *, listen: bool = True) -> None:
        """The screen hotkey and the launcher's Screen button: capture now (our windows step aside), attach the
        capture to the next question, open the launcher showing it and (``listen``) start listening."""
        if self._picking():
            return
        app = self.app
        if not app.launcher.isVisible():
            app.grabber.remember_active_window()
        # The launcher stays hidden after the shot: _captured pops it up (centred, focused) with the attachment.
        app.grabber.grab(target, lambda image, error: self._captured(image, error, listen),
                         keep_hidden=(app.launcher,))

    def pick_region(self) -> None:
        """The launcher's Region button: freeze every screen behind an overlay and let the user drag over the part
        to ask about."""
        if self._picking():
            return
        from ui.region_picker import RegionPicker

        def show_picker(image, error) -> None:
            if error is not None:
                self.app.launcher.popup()
                self.app.report(error.message, error.code)
                return
            self.picker = RegionPicker(image)
            self.picker.picked.connect(self._region_picked)
            self.picker.cancelled.connect(self._region_cancelled)
            self.picker.show()
            self.picker.raise_()
            self.picker.activateWindow()

        self.app.grabber.grab("all", show_picker, keep_hidden=(self.app.launcher,))

    def attach(self, image) -> None:
        """The next question, typed or spoken, is about ``image`` (None: about nothing). Kept in memory only:
        dropping it or asking the question lets it go."""
        self.attachment = image
        if self.app.assistant is not None:
            self.app.assistant.attach(image)
        self.app.launcher.show_attachment(image)
        self.app.window.show_attachment(image)

    def sync_attachment(self) -> None:
        """After the core took the attachment for a question (typed or spoken), the chips go too."""
        assistant = self.app.assistant
        if self.attachment is None or assistant is None or assistant.attachment is self.attachment:
            return
        self.attachment = assistant.attachment
        self.app.launcher.show_attachment(self.attachment)
        self.app.window.show_attachment(self.attachment)

    def assistant_changed(self, assistant) -> None:
        if self.attachment is not None:  # attached while the assistant was being (re)built
            assistant.attach(self.attachment)

    def on_event(self, event) -> None:
        if isinstance(event, ScreenCaptured | TurnEnded):
            self.sync_attachment()  # a question took it
        elif isinstance(event, ErrorOccurred) and category_of(event.code) is Category.SCREEN:
            self.app.report(event.message, event.code)  # the core's capture failed: say so where the user looks

    def _picking(self) -> bool:
        if self.picker is None:
            return False
        self.picker.raise_()  # one picker at a time, and never captured by another shot
        self.picker.activateWindow()
        return True

    def _region_picked(self, region) -> None:
        self.picker = None  # the frozen screen goes with it
        self._captured(region, None, True)

    def _region_cancelled(self) -> None:
        self.picker = None
        self.app.launcher.popup()

    def _captured(self, image, error, listen: bool) -> None:
        app = self.app
        if error is not None:
            app.launcher.popup()
            app.report(error.message, error.code)
            return
        log.info("screen attached: %s, %dx%d in %.0f ms", image.source, image.width, image.height, image.capture_ms)
        if category_of(app.window.banner_code) is Category.SCREEN:
            app.window.clear_error()  # an earlier capture's failure is over
        self.attach(image)
        app.launcher.popup()
        if listen and app.config.ui.launcher_listens and not app.muted:
            QTimer.singleShot(0, lambda: app.start_listening(one_shot=True))
