"""The main window: conversation, text box, microphone, voice visual, state, listening indicator, stop, history,
memory."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from assistant.contracts.events import (
    ErrorOccurred,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    ScreenCaptured,
    SpeechEnded,
    ToolCalled,
    ToolConfirmationRequested,
    ToolFinished,
    TranscriptFinal,
    TurnEnded,
    TurnInterrupted,
)
from ui import theme
from ui.conversation_view import ConversationView
from ui.i18n import error_text
from ui.launcher import AttachmentChip, source_name
from ui.theme import set_role
from ui.voice_visual import VoiceVisual
from ui.widgets import ListenIndicator, StateBadge, listen_icon

OUTCOME_TEXT = {"interrupted": QT_TRANSLATE_NOOP("MainWindow", "Stopped"),
                "no-speech": QT_TRANSLATE_NOOP("MainWindow", "No speech heard"),
                "error": QT_TRANSLATE_NOOP("MainWindow", "Failed")}  # translated where shown


class MicButton(QToolButton):
    """Click to toggle listening; press and hold to talk (released: the question is answered)."""

    toggled_listening = Signal()
    hold_started = Signal()
    hold_released = Signal()
    HOLD_MS = 350

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setIconSize(QSize(26, 26))
        self.setAccessibleName(self.tr("Microphone"))
        self.setAutoRaise(False)
        self.mode, self._phrase = "", ""
        self.set_mode("off")
        theme.notifier().changed.connect(self._redraw_icon)
        self._timer = QTimer(self, singleShot=True, interval=self.HOLD_MS)
        self._timer.timeout.connect(self._on_hold)
        self._holding = False

    def set_live(self, live: bool) -> None:
        self.set_mode("listening" if live else "off")

    def set_mode(self, mode: str, phrase: str = "") -> None:
        """The icon and tooltip of a listening mode (``ui.widgets.LISTEN_MODES``)."""
        if (mode, phrase) == (self.mode, self._phrase):
            return
        self.mode, self._phrase = mode, phrase
        self.setIcon(listen_icon(mode))
        tips = {
            "listening": self.tr("Listening: click to stop"),
            "waiting": self.tr("Always listening for “{phrase}”: click to ask without it, or hold to talk").format(
                phrase=phrase),
            "awake": self.tr("Listening for your question: just ask (click to ask at once, or hold to talk)"),
            "starting": self.tr("Always listening is starting: click to talk, or hold to talk"),
            "muted": self.tr("Muted: unmute from the tray menu or with the mute hotkey"),
        }
        self.setToolTip(tips.get(mode) or self.tr("Click to talk, or hold to talk"))
        self.setAccessibleDescription(self.toolTip())

    def _redraw_icon(self, _palette=None) -> None:
        self.setIcon(listen_icon(self.mode))  # in the new theme's colours

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._holding = False
            self._timer.start()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            if self._timer.isActive():
                self._timer.stop()
                self.toggled_listening.emit()
            elif self._holding:
                self._holding = False
                self.hold_released.emit()
        super().mouseReleaseEvent(event)

    def _on_hold(self) -> None:
        self._holding = True
        self.hold_started.emit()


class MainWindow(QMainWindow):
    """Widgets only: what the user does goes out as signals, what the core does comes in through
    ``apply_event`` and the setters. Closing hides the window; the app lives on in the tray."""

    ask_requested = Signal(str)
    stop_requested = Signal()
    settings_requested = Signal()
    new_conversation_requested = Signal()
    hidden_to_tray = Signal()
    attachment_dropped = Signal()
    tool_answered = Signal(bool)  # Yes (True) or No on a tool call waiting for the user

    def __init__(self, history_panel: QWidget | None = None, parent: QWidget | None = None, *,
                 timers_panel: QWidget | None = None, memory_panel: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Voice Assistant"))
        self.resize(760, 640)
        self.quitting = False

        self.state = StateBadge()
        self.listen_indicator = ListenIndicator()  # mic off / say the wake phrase / ask now / muted
        self.model_status = QLabel(self.tr("Starting…"))
        set_role(self.model_status, "status")
        self.model_progress = QProgressBar()
        self.model_progress.setMaximumWidth(160)
        self.model_progress.setTextVisible(False)
        self.model_progress.setMaximumHeight(10)  # a thin bar beside the status words
        self.model_progress.hide()
        self.history_button = QPushButton(self.tr("History"))
        self.history_button.setCheckable(True)
        self.memory_button = QPushButton(self.tr("Memory"))
        self.memory_button.setCheckable(True)
        self.memory_button.setToolTip(self.tr("What the assistant remembers about you"))
        self.memory_button.setAccessibleName(self.tr("Show or hide what the assistant remembers"))
        if memory_panel is None:
            self.memory_button.hide()
        self.new_button = QPushButton(self.tr("New chat"))
        self.settings_button = QPushButton(self.tr("Settings"))
        top = QHBoxLayout()
        top.addWidget(self.state)
        top.addWidget(self.listen_indicator)
        top.addWidget(self.model_status, 1)
        top.addWidget(self.model_progress)
        top.addWidget(self.new_button)
        top.addWidget(self.history_button)
        top.addWidget(self.memory_button)
        top.addWidget(self.settings_button)

        self.banner = QFrame()
        self.banner.setObjectName("banner")
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        banner_close = QToolButton(text="✕", autoRaise=True, toolTip=self.tr("Dismiss"))
        banner_close.clicked.connect(lambda: self.clear_error())
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(6, 2, 2, 2)
        banner_layout.addWidget(self.banner_text, 1)
        banner_layout.addWidget(banner_close, 0, Qt.AlignmentFlag.AlignTop)
        self.banner.hide()
        self.banner_code = ""

        self.conversation = ConversationView()
        self.splitter = QSplitter()
        if history_panel is not None:
            self.splitter.addWidget(history_panel)
            history_panel.hide()
            self.history_button.toggled.connect(history_panel.setVisible)
        self.splitter.addWidget(self.conversation)
        self.splitter.setStretchFactor(self.splitter.count() - 1, 1)
        self.memory_panel = memory_panel  # on the conversation's other side
        if memory_panel is not None:
            self.splitter.addWidget(memory_panel)
            memory_panel.hide()
            self.memory_button.toggled.connect(memory_panel.setVisible)

        self.voice = VoiceVisual()  # the microphone's level while listening, the reply's while speaking
        self.input = QLineEdit()
        self.input.setPlaceholderText(self.tr("Type a question and press Enter"))
        self.input.setAccessibleName(self.tr("Question"))
        self.send_button = QPushButton(self.tr("Send"))
        self.mic_button = MicButton()
        self.stop_button = QPushButton(self.tr("Stop"))
        self.stop_button.setToolTip(self.tr("Stop the answer (Esc)"))
        self.stop_button.setEnabled(False)
        self.chip = AttachmentChip()  # the capture the next question is about
        self.chip.dropped.connect(self.attachment_dropped)
        bottom = QHBoxLayout()
        bottom.addWidget(self.input, 1)
        bottom.addWidget(self.send_button)
        bottom.addWidget(self.mic_button)
        bottom.addWidget(self.stop_button)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        self.timers_panel = timers_panel  # the pending timers, under the banner: shown while there is one
        if timers_panel is not None:
            layout.addWidget(timers_panel)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.voice)
        layout.addWidget(self.chip)
        layout.addLayout(bottom)
        self.setCentralWidget(central)

        self.input.returnPressed.connect(self._submit)
        self.send_button.clicked.connect(self._submit)
        self.stop_button.clicked.connect(self.stop_requested)
        self.settings_button.clicked.connect(self.settings_requested)
        self.new_button.clicked.connect(self._new_conversation)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.stop_requested.emit)
        self.set_chat_ready(False)
        self.input.setFocus()  # typing goes to the question box as soon as the window is up

    # --- from the user -----------------------------------------------------------------------------

    def _submit(self) -> None:
        text = self.input.text().strip()
        if text and self.send_button.isEnabled():
            self.ask_requested.emit(text)

    def accept_question(self, turn_id: int, text: str) -> None:
        """The question became a turn: show it and clear the box (only now, so a refused one is kept)."""
        self.conversation.turn(turn_id).set_question(text)
        self.input.clear()

    def _new_conversation(self) -> None:
        self.conversation.clear()
        self.new_conversation_requested.emit()

    # --- from the core -----------------------------------------------------------------------------

    def show_attachment(self, image) -> None:
        """Show the capture the next question is about (None: nothing attached)."""
        self.chip.show_image(image)

    def set_chat_ready(self, ready: bool, reason: str = "") -> None:
        self.send_button.setEnabled(ready)
        self.input.setPlaceholderText(self.tr("Type a question and press Enter") if ready else
                                      (reason or self.tr("The language model is loading…")))

    def set_state(self, state: str, text: str | None = None) -> None:
        self.state.set_state(state, text)
        self.stop_button.setEnabled(state in ("thinking", "speaking"))

    def set_listen_mode(self, mode: str, text: str, tooltip: str, phrase: str = "") -> None:
        """What the microphone is doing: the indicator beside the state, and the microphone button."""
        self.listen_indicator.set_mode(mode, text, tooltip)
        self.mic_button.set_mode(mode, phrase)

    def set_model_status(self, text: str, fraction: float | None = None, busy: bool = False) -> None:
        self.model_status.setText(text)
        self.model_progress.setVisible(busy)
        if fraction is None:
            self.model_progress.setRange(0, 0)  # an indeterminate bar: the total is unknown
        else:
            self.model_progress.setRange(0, 1000)
            self.model_progress.setValue(int(fraction * 1000))

    def show_error(self, message: str, code: str = "", note: str = "") -> None:
        """Show a problem in the banner: the core's ``message`` and the UI's ``note`` on it (see
        ``ui.i18n.error_text``; a problem the UI words itself is a note without a message)."""
        text = error_text(code, message, note)
        self.banner_text.setText(text)
        self.banner_code = code
        self.banner.setVisible(bool(text))

    def clear_error(self, code: str | None = None) -> None:
        if code is None or self.banner_code == code:
            self.banner.hide()
            self.banner_code = ""

    def apply_event(self, event) -> None:
        view = self.conversation
        if isinstance(event, SpeechEnded):
            view.turn(event.turn_id).set_question("…")
        elif isinstance(event, TranscriptFinal):
            view.turn(event.turn_id).set_question(event.text)
        elif isinstance(event, ReplyDelta) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).append_reply(event.text)
            view.follow()
        elif isinstance(event, ReplyFinished) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).set_reply(event.text)
        elif isinstance(event, ScreenCaptured) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).add_capture(self.tr("📷 Captured {source} ({width}×{height})").format(
                source=source_name(event.source), width=event.width, height=event.height))
        elif isinstance(event, ReplyStarted) and event.backend == "announcement":
            view.turn(event.turn_id).set_question("⏰")  # said unasked: a timer, an alarm, a reminder
        elif isinstance(event, ToolCalled) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).add_tool_call(event.call_id, event.tool, event.arguments)
        elif isinstance(event, ToolFinished) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).finish_tool_call(event.call_id, event.ok, event.say)
        elif isinstance(event, ToolConfirmationRequested) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).ask_confirmation(event.prompt, self.tool_answered.emit)
            view.follow()
        elif isinstance(event, TurnInterrupted) and view.has_turn(event.turn_id):
            view.turn(event.turn_id).set_status(self.tr("Stopped"))
        elif isinstance(event, ErrorOccurred):
            if event.turn_id is not None and view.has_turn(event.turn_id):
                view.turn(event.turn_id).set_status(error_text(event.code, event.message), error=True)
            else:
                self.show_error(event.message, event.code)
        elif isinstance(event, TurnEnded) and view.has_turn(event.turn_id):
            widget = view.turn(event.turn_id)
            if event.outcome in OUTCOME_TEXT and not widget.status_label.isVisible():
                widget.set_status(QCoreApplication.translate("MainWindow", OUTCOME_TEXT[event.outcome]),
                                  error=event.outcome == "error")
            if event.outcome == "no-speech" and widget.question in ("", "…"):
                widget.set_question(self.tr("(nothing heard)"))
            widget.set_timings(event.timings_ms)
            view.follow()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.quitting:
            event.accept()
            return
        event.ignore()  # the app keeps running in the tray
        self.hide()
        self.hidden_to_tray.emit()

