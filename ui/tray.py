"""The tray icon: what the microphone is doing (off, listening, always listening for the wake phrase, awake,
muted) or the screen being captured, and the app's menu."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from ui.widgets import capture_icon, listen_icon, listen_texts


class TrayIcon(QObject):
    """What the microphone does (a disabled line), Show, Listen, Mute, Always listening, Settings, Quit. Clicking
    the icon shows the window."""

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
        self.icon = QSystemTrayIcon(listen_icon("off"), parent)
        self.menu = QMenu()
        self.status_action = QAction(self.tr("Mic off"), self.menu, enabled=False)  # the listening mode, in words
        self.show_action = QAction(self.tr("Show window"), self.menu)
        self.listen_action = QAction(self.tr("Listen"), self.menu)
        self.mute_action = QAction(self.tr("Mute microphone"), self.menu, checkable=True)
        self.always_action = QAction(self.tr("Always listening"), self.menu, checkable=True)
        self.settings_action = QAction(self.tr("Settings…"), self.menu)
        self.quit_action = QAction(self.tr("Quit"), self.menu)
        self.show_action.triggered.connect(self.show_requested)
        self.listen_action.triggered.connect(self.listen_requested)
        self.mute_action.toggled.connect(self.mute_toggled)
        self.always_action.toggled.connect(self.always_listening_toggled)
        self.settings_action.triggered.connect(self.settings_requested)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.status_action)
        self.menu.addSeparator()
        for action in (self.show_action, self.listen_action, self.mute_action, self.always_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.settings_action)
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self._listen: tuple[str, str] | None = None  # (mode, tooltip) last drawn
        self.redraws = 0  # how often the microphone icon was drawn (only when the mode changes)
        self.capturing = False
        self._capture_off = QTimer(self, singleShot=True, interval=self.CAPTURE_SHOWN_MS)
        self._capture_off.timeout.connect(self._end_capture_look)
        self._tray_watch = QTimer(self, interval=1000)  # runs only while there is no tray
        self._tray_watch.timeout.connect(self._check_tray)
        self.set_listen("off", listen_texts("off", "")[1])

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

    def set_wake_phrase(self, phrase: str) -> None:
        self.always_action.setText(self.tr("Always listening (say “{phrase}”)").format(phrase=phrase))

    def set_listen(self, mode: str, tooltip: str) -> None:
        """Show a listening mode (``ui.widgets.LISTEN_MODES``) as the icon, ``tooltip`` as its tooltip and in
        the menu."""
        if self._listen == (mode, tooltip):
            return  # called for every event
        redraw = self._listen is None or self._listen[0] != mode
        self._listen = (mode, tooltip)
        self.listen_action.setEnabled(mode != "muted")
        self.status_action.setText(tooltip)
        if self.capturing:
            return  # the camera stays up; the microphone is drawn when the capture is over
        if redraw:  # the icon is drawn anew only when the mode changes
            self.redraws += 1
            self.icon.setIcon(listen_icon(mode))
        self.icon.setToolTip(self.tr("Voice Assistant: {state}").format(state=f"{tooltip[:1].lower()}{tooltip[1:]}"))

    @property
    def mode(self) -> str:
        return self._listen[0] if self._listen else "off"

    def set_capturing(self, capturing: bool) -> None:
        """The capture indicator: a red camera while the screen is being captured, and a moment after."""
        if capturing:
            self._capture_off.stop()
            self.capturing = True
            self.icon.setIcon(capture_icon())
            self.icon.setToolTip(self.tr("Voice Assistant: capturing the screen"))
        elif self.capturing:
            self._capture_off.start()

    def _end_capture_look(self) -> None:
        self.capturing = False
        mode, tooltip = self._listen or ("off", listen_texts("off", "")[1])
        self._listen = None  # redraw the microphone
        self.set_listen(mode, tooltip)

    def show_message(self, title: str, message: str, timeout_ms: int = 10000) -> bool:
        """A message from the tray icon (a timer that rang); False where the tray cannot show one."""
        if not (self.icon.isVisible() and QSystemTrayIcon.supportsMessages()):
            return False
        self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Information, timeout_ms)
        return True

    def notify(self, title: str, message: str) -> None:
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, message, QSystemTrayIcon.MessageIcon.Warning, 5000)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.show_requested.emit()
