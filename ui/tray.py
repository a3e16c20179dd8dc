"""The tray icon: whether the microphone is live or muted (or the screen being captured), and the app's menu."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.widgets import capture_icon, mic_icon


class TrayIcon(QObject):
    """Show, Listen, Mute, Always listening, Settings, Quit. Clicking the icon shows the window."""

    # A capture takes a few milliseconds (150 with our windows stepping aside): keep the camera up a moment
    # longer, or the indicator would flash by unseen.
    CAPTURE_SHOWN_MS = 1000

    show_requested = Signal()
    listen_requested = Signal()
    mute_toggled = Signal(bool)
    always_listening_toggled = Signal(bool)
    settings_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.icon = QSystemTrayIcon(mic_icon(False), parent)
        self.menu = QMenu()
        self.show_action = QAction("Show window", self.menu)
        self.listen_action = QAction("Listen", self.menu)
        self.mute_action = QAction("Mute microphone", self.menu, checkable=True)
        self.always_action = QAction("Always listening", self.menu, checkable=True)
        self.settings_action = QAction("Settings…", self.menu)
        self.quit_action = QAction("Quit", self.menu)
        self.show_action.triggered.connect(self.show_requested)
        self.listen_action.triggered.connect(self.listen_requested)
        self.mute_action.toggled.connect(self.mute_toggled)
        self.always_action.toggled.connect(self.always_listening_toggled)
        self.settings_action.triggered.connect(self.settings_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        for action in (self.show_action, self.listen_action, self.mute_action, self.always_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.settings_action)
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self._mic: tuple[bool, bool] | None = None
        self.capturing = False
        self._capture_off = QTimer(self, singleShot=True, interval=self.CAPTURE_SHOWN_MS)
        self._capture_off.timeout.connect(self._end_capture_look)
        self._tray_watch = QTimer(self, interval=1000)  # runs only while there is no tray
        self._tray_watch.timeout.connect(self._check_tray)
        self.set_mic(live=False, muted=False)

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        self.icon.show()
        if not self.available():
            self._tray_watch.start()

    def _check_tray(self) -> None:
        # A panel that starts after the app (at login) is not always noticed by Qt: once a tray is there,
        # show the icon again so it is embedded.
        if self.available():
            self._tray_watch.stop()
            self.icon.hide()
            self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def set_mic(self, *, live: bool, muted: bool) -> None:
        if self._mic == (live, muted):
            return  # called for every event; the icon is drawn anew each time it changes
        self._mic = (live, muted)
        self.listen_action.setEnabled(not muted)
        if self.capturing:
            return  # the camera stays up; the microphone is drawn when the capture is over
        self.icon.setIcon(mic_icon(live and not muted, muted=muted))
        state = "muted" if muted else ("listening" if live else "ready")
        self.icon.setToolTip(f"Voice Assistant: microphone {state}")

    def set_capturing(self, capturing: bool) -> None:
        """The capture indicator: a red camera while the screen is being captured, and a moment after."""
        if capturing:
            self._capture_off.stop()
            self.capturing = True
            self.icon.setIcon(capture_icon())
            self.icon.setToolTip("Voice Assistant: capturing the screen")
        elif self.capturing:
            self._capture_off.start()

    def _end_capture_look(self) -> None:
        self.capturing = False
        live, muted = self._mic or (False, False)
        self._mic = None  # redraw the microphone
        self.set_mic(live=live, muted=muted)

    def notify(self, title: str, message: str) -> None:
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 5000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()
