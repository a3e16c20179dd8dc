"""The launcher: a compact always-on-top popup on the global hotkey, centred on the active screen."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QEasingCurve, QPropertyAnimation, Qt, Signal
from PySide6.QtGui import QCursor, QGuiApplication, QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QToolButton, QVBoxLayout, QWidget

from assistant.contracts.events import (
    ReplyDelta,
    ReplyFinished,
    ScreenCaptured,
    SpeechEnded,
    TranscriptFinal,
    TurnEnded,
)
from assistant.contracts.screen import ScreenImage
from ui import theme
from ui.theme import set_role
from ui.voice_visual import VoiceVisual
from ui.widgets import ListenIndicator, StateBadge, listen_icon

HINT = QT_TRANSLATE_NOOP("LauncherWindow", "Esc to close")  # translated where shown
FADE_MS = 130  # the launcher fades in and out this long
# The Qt platforms whose windows can be translucent (on X11 only with a compositor running: elsewhere the opacity
# simply has no effect). Wayland's and offscreen cannot: there setting it only logs a warning, so it appears and
# goes at once.
OPACITY_PLATFORMS = ("xcb", "windows", "cocoa")
# What a capture is of (ScreenImage.source: "screen", "all screens", "region", "window: <title>", "file: <name>").
SOURCES = {"screen": QT_TRANSLATE_NOOP("Capture", "screen"), "all screens": QT_TRANSLATE_NOOP("Capture", "all screens"),
           "region": QT_TRANSLATE_NOOP("Capture", "region"), "window": QT_TRANSLATE_NOOP("Capture", "window"),
           "file": QT_TRANSLATE_NOOP("Capture", "file")}


def source_name(source: str) -> str:
    """A capture's ``source`` in the interface's language (a window's title or a file's name as it is)."""
    kind, _, name = source.partition(": ")
    word = QCoreApplication.translate("Capture", SOURCES[kind]) if kind in SOURCES else kind
    return QCoreApplication.translate("Capture", "{kind}: {name}").format(kind=word, name=name) if name else word


class AttachmentChip(QFrame):
    """The capture the next question is about: a thumbnail, what it is, and × to take it back."""

    dropped = Signal()
    THUMB = 96  # pixels on the longer side

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("attachment")
        self.thumb = QLabel()
        self.text = QLabel()
        self.text.setToolTip(self.tr("Speak or type your question about it"))
        self.drop = QToolButton()
        self.drop.setText("×")
        self.drop.setAutoRaise(True)
        self.drop.setToolTip(self.tr("Do not ask about this capture"))
        self.drop.clicked.connect(self.dropped)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.thumb)
        row.addWidget(self.text, 1)
        row.addWidget(self.drop)
        self.hide()

    def show_image(self, image: ScreenImage | None) -> None:
        if image is None:
            self.thumb.clear()  # nothing of the capture is kept once it is dropped or asked about
            self.text.clear()
            self.hide()
            return
        small = image.downscaled(self.THUMB)
        qimage = QImage(small.pixels.tobytes(), small.width, small.height, 3 * small.width,
                        QImage.Format.Format_RGB888).copy()
        self.thumb.setPixmap(QPixmap.fromImage(qimage))
        self.text.setText(self.tr("Screen attached: {source}, {width}×{height}").format(
            source=source_name(image.source), width=image.width, height=image.height))
        self.show()


class LauncherWindow(QWidget):
    """Speak or type; the answer streams in below. Esc hides it (and stops listening)."""

    ask_requested = Signal(str)
    hidden = Signal()
    screen_requested = Signal()  # attach a capture of the screen
    region_requested = Signal()  # pick a region of the screen to attach
    attachment_dropped = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.FramelessWindowHint
                         | Qt.WindowType.WindowStaysOnTopHint)
        self.setWindowTitle(self.tr("Voice Assistant launcher"))
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating, False)
        self.setFixedWidth(560)
        frame = QFrame(self)
        frame.setObjectName("launcher")
        self.mic = QLabel()
        self._mic_mode = ""
        self.set_mic_mode("off")
        theme.notifier().changed.connect(self._redraw_icon)
        self.state = StateBadge()
        self.listen_indicator = ListenIndicator()
        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("Speak, or type and press Enter"))
        self.input.setFrame(False)
        self.input.setAccessibleName(self.tr("Question"))
        self.voice = VoiceVisual(size=40)
        self.question = QLabel()
        self.question.setWordWrap(True)
        set_role(self.question, "status")
        self.reply = QLabel()
        self.reply.setWordWrap(True)
        self.reply.setTextFormat(Qt.TextFormat.MarkdownText)
        self.reply.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reply.setMaximumHeight(320)
        self.hint = QLabel(_hint())
        set_role(self.hint, "hint")
        self.screen_button = QPushButton(self.tr("Screen"))
        self.screen_button.setToolTip(self.tr("Ask about what is on the screen (it is captured now)"))
        self.region_button = QPushButton(self.tr("Region"))
        self.region_button.setToolTip(self.tr("Drag over a part of the screen to ask about it"))
        for button in (self.screen_button, self.region_button):
            button.setFlat(True)
            set_role(button, "link")
        self.screen_button.clicked.connect(self.screen_requested)
        self.region_button.clicked.connect(self.region_requested)
        self.chip = AttachmentChip()
        self.chip.dropped.connect(self.attachment_dropped)
        self.chip_thumb, self.chip_text, self.chip_drop = self.chip.thumb, self.chip.text, self.chip.drop
        row = QHBoxLayout()
        row.addWidget(self.mic)
        row.addWidget(self.input, 1)
        row.addWidget(self.state)
        inner = QVBoxLayout(frame)
        inner.setContentsMargins(14, 12, 14, 10)
        inner.addLayout(row)
        inner.addWidget(self.voice)
        inner.addWidget(self.question)
        inner.addWidget(self.reply)
        inner.addWidget(self.chip)
        footer = QHBoxLayout()
        footer.addWidget(self.screen_button)
        footer.addWidget(self.region_button)
        footer.addStretch(1)
        footer.addWidget(self.listen_indicator)
        footer.addWidget(self.hint)
        inner.addLayout(footer)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(frame)
        self.question.hide()
        self.reply.hide()
        self._turn: int | None = None
        self.input.returnPressed.connect(self._submit)
        # A shortcut rather than keyPressEvent: the text box would see the Esc first.
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.hide)
        # Fading in and out (0: it appears and goes at once). While one fades out it counts as hidden already.
        self.fade_ms = FADE_MS if QGuiApplication.platformName() in OPACITY_PLATFORMS else 0
        self._fading_out = False
        self._instant = False  # a screen capture in progress: no fading
        self._fade = QPropertyAnimation(self, b"windowOpacity", self)
        self._fade.finished.connect(self._faded)

    def popup(self) -> None:
        """Show centred on the screen under the mouse pointer (the active screen), fading in, and take the focus.
        One fading out comes back from where it was."""
        self._fading_out = False
        screen = QGuiApplication.screenAt(QCursor.pos()) or QGuiApplication.primaryScreen()
        self.adjustSize()
        area = screen.availableGeometry()
        self.move(area.x() + (area.width() - self.width()) // 2, area.y() + area.height() // 3 - self.height() // 2)
        if not super().isVisible() and self._fades():
            self._set_opacity(0.0)
        self.show()
        self._fade_to(1.0)
        self.raise_()
        self.activateWindow()
        self.input.setFocus()

    def hide(self) -> None:
        """Fade out, then hide (``hidden`` is emitted then, once); at once where it does not fade, or when it is
        not on screen. ``isVisible()`` is False from the start of the fade."""
        if self._fading_out:
            return
        if super().isVisible() and self._fades():
            self._fading_out = True
            self._fade_to(0.0)
        else:
            self._fade.stop()
            super().hide()
            self._set_opacity(1.0)

    def isVisible(self) -> bool:
        """On screen and not on its way out: one fading out is closed already for the app (the toggle hotkey opens
        it again; messages and the level meter go to the window)."""
        return super().isVisible() and not self._fading_out

    def set_instant(self, instant: bool) -> None:
        """While the screen is captured: no fading, and a fade in progress ends now (the shot must not catch the
        launcher half gone; the grabber hides and shows it plainly)."""
        self._instant = instant
        if instant and self._fade.state() == QPropertyAnimation.State.Running:
            self._fade.stop()
            if self._fading_out:
                self._faded()
            else:
                self._set_opacity(1.0)

    def _fades(self) -> bool:
        return self.fade_ms > 0 and not self._instant

    def _fade_to(self, opacity: float) -> None:
        self._fade.stop()
        start = self.windowOpacity()
        if not self._fades() or start == opacity:
            self._set_opacity(opacity)
            if self._fading_out:
                self._faded()
            return
        # From where a reversed fade had got to, in the time the rest of the way takes.
        self._fade.setDuration(max(1, round(self.fade_ms * abs(opacity - start))))
        self._fade.setEasingCurve(QEasingCurve.Type.OutCubic if opacity > start else QEasingCurve.Type.InCubic)
        self._fade.setStartValue(start)
        self._fade.setEndValue(opacity)
        self._fade.start()

    def _faded(self) -> None:
        if self._fading_out:
            self._fading_out = False
            super().hide()  # hideEvent: ``hidden``
            self._set_opacity(1.0)  # a plain show() (the screen grabber's) brings it back opaque

    def _set_opacity(self, opacity: float) -> None:
        if self.windowOpacity() != opacity:  # unchanged: nothing asked of a platform that cannot do it
            self.setWindowOpacity(opacity)

    def show_message(self, text: str) -> None:
        """A problem the user must know about here, where they are looking (no microphone, ...)."""
        self.question.setText(text)
        set_role(self.question, "error")
        self.question.show()
        self.adjustSize()

    def show_attachment(self, image: ScreenImage | None) -> None:
        """Show what the next question will be about (None: nothing attached)."""
        self.chip.show_image(image)
        self.adjustSize()

    def set_live(self, live: bool) -> None:
        self.set_mic_mode("listening" if live else "off")

    def set_mic_mode(self, mode: str) -> None:
        if mode != self._mic_mode:
            self._mic_mode = mode
            self.mic.setPixmap(listen_icon(mode).pixmap(28, 28))

    def _redraw_icon(self, _palette=None) -> None:
        self.mic.setPixmap(listen_icon(self._mic_mode).pixmap(28, 28))  # in the new theme's colours

    def set_listen_mode(self, mode: str, text: str, tooltip: str) -> None:
        """What the microphone is doing: its icon, and the indicator in the footer."""
        self.set_mic_mode(mode)
        self.listen_indicator.set_mode(mode, text, tooltip)

    def _submit(self) -> None:
        if text := self.input.text().strip():
            self.ask_requested.emit(text)

    def accept_question(self, turn_id: int, text: str) -> None:
        self.input.clear()
        self._show_turn(turn_id, text)

    def _show_turn(self, turn_id: int, question: str) -> None:
        self._turn = turn_id
        self.hint.setText(_hint())
        set_role(self.question, "status")
        self.question.setText(question)
        self.question.setVisible(bool(question))
        self.reply.clear()
        self.reply.hide()
        self.adjustSize()

    def apply_event(self, event) -> None:
        if isinstance(event, SpeechEnded):
            self._show_turn(event.turn_id, "…")
        elif getattr(event, "turn_id", None) != self._turn:
            return
        elif isinstance(event, TranscriptFinal):
            self.question.setText(event.text)
        elif isinstance(event, ReplyDelta):
            self.reply.setText(self.reply.text() + event.text)
            self.reply.show()
            self.adjustSize()
        elif isinstance(event, ReplyFinished):
            self.reply.setText(event.text)
            self.reply.setVisible(bool(event.text))
            self.adjustSize()
        elif isinstance(event, ScreenCaptured):
            self.hint.setText(self.tr("📷 Captured {source} ({width}×{height})").format(
                source=source_name(event.source), width=event.width, height=event.height))
        elif isinstance(event, TurnEnded) and event.outcome == "no-speech":
            self.question.setText(self.tr("No speech heard: try again, a little closer to the microphone."))

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self.hidden.emit()


def _hint() -> str:
    return QCoreApplication.translate("LauncherWindow", HINT)
