"""From the app's state and the core's model events to what the indicators show.

The window, the launcher and the tray show one overall state (loading, idle, listening, thinking, speaking,
muted), one listening mode (``ui.widgets.LISTEN_MODES``) and the models' loading status. The mapping lives
here, apart from the widgets that draw it and the controller that keeps the state."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from assistant.contracts.events import ModelLoading, ModelProgress, ModelReady
from ui.i18n import said
from ui.widgets import listen_texts

log = logging.getLogger(__name__)

# The models' names in the status line (translated where shown).
ROLE_NAMES = {"stt": QT_TRANSLATE_NOOP("Indicators", "speech recognition"),
              "llm": QT_TRANSLATE_NOOP("Indicators", "language model"), "tts": QT_TRANSLATE_NOOP("Indicators", "voice"),
              "ocr": QT_TRANSLATE_NOOP("Indicators", "text recognizer"),
              "vision": QT_TRANSLATE_NOOP("Indicators", "vision model")}
ALL_ROLES = frozenset({"llm", "stt", "tts"})


@dataclass(frozen=True, slots=True)
class AppState:
    """What the indicators depend on, read from the app at one moment."""

    muted: bool
    listen_mode: str | None  # the listener the app started: "one-shot", "continuous", "wake" or None
    always_listening: bool
    mic_live: bool
    mic_lost: bool
    has_assistant: bool
    chat_ready: bool
    awake: bool  # a question is taken without the wake phrase now
    open_turn: int | None
    speaking: bool
    wake_phrase: str
    barge_in: bool


def role_name(role: str) -> str:
    """A model's name in the interface's language ("speech recognition" for stt)."""
    return QCoreApplication.translate("Indicators", ROLE_NAMES[role]) if role in ROLE_NAMES else role


def _loading(what: str) -> str:
    return QCoreApplication.translate("Indicators", "Loading the {models}…").format(models=what)


def listening_indicator(s: AppState) -> tuple[str, str]:
    """What the microphone is doing: (a mode of ui.widgets.LISTEN_MODES, detail)."""
    if s.muted:
        return "muted", ""
    if s.listen_mode == "wake" or (s.always_listening and s.listen_mode is None):
        if s.listen_mode != "wake" or not s.mic_live:
            if s.mic_lost:
                return "starting", QCoreApplication.translate("Indicators", "Microphone lost: reconnecting…")
            if not s.has_assistant:
                return "starting", QCoreApplication.translate("Indicators", "Waiting for speech recognition…")
            return "starting", QCoreApplication.translate("Indicators", "Opening the microphone…")
        if s.awake and s.open_turn is None:
            return "awake", ""
        return "waiting", ""
    return ("listening" if s.mic_live else "off"), ""


def overall_state(s: AppState, mode: str) -> str:
    """The one state the window, launcher and tray show, given the listening ``mode``."""
    if not s.has_assistant or not s.chat_ready:
        return "loading"
    if s.speaking:
        return "speaking"
    if s.open_turn is not None:
        return "thinking"
    if s.mic_live and mode in ("listening", "awake"):
        return "listening"  # not while waiting for the wake phrase: nothing said is answered yet
    if s.muted:
        return "muted"
    return "idle"


class Indicators:
    """Shows the app's state on the window, the launcher and the tray, and the models' loading status."""

    def __init__(self, window, launcher, tray) -> None:
        self.window, self.launcher, self.tray = window, launcher, tray
        self.ready_roles: set[str] = set()
        self.chat_ready = False
        self.state = "loading"
        self.listen_state = "off"  # the listening indicator's mode (ui.widgets.LISTEN_MODES)

    def reset_models(self) -> None:
        """A new assistant is being built: its models load again."""
        self.ready_roles.clear()
        self.chat_ready = False

    def model_event(self, event, expected: set[str] | None) -> None:
        """``expected``: the roles of the built assistant's stages; None while it is still being built."""
        if isinstance(event, ModelLoading):
            self.window.set_model_status(_loading(role_name(event.role)), None, busy=True)
        elif isinstance(event, ModelProgress):
            self.window.set_model_status(said(event.message), event.fraction, busy=True)
        elif isinstance(event, ModelReady):
            self.ready_roles.add(event.role)
            if event.role == "llm":
                self.chat_ready = True
            self._model_status(event.device, expected)

    def _model_status(self, device: str, expected: set[str] | None) -> None:
        # A model can be ready before the built assistant reaches the GUI thread: expect all three until then.
        expected = set(ALL_ROLES) if expected is None else expected
        if expected <= self.ready_roles:
            ready = QCoreApplication.translate("Indicators", "Ready · models on {device}").format(device=device)
            if self.window.model_status.text() != ready:
                log.info("models ready on %s", device)
            self.window.set_model_status(ready, busy=False)
        else:
            waiting = QCoreApplication.translate("Indicators", ", ").join(
                role_name(r) for r in sorted(expected - self.ready_roles))
            self.window.set_model_status(_loading(waiting), None, busy=True)

    def show(self, s: AppState) -> None:
        self.window.set_chat_ready(s.chat_ready)
        mode, detail = listening_indicator(s)
        state = overall_state(s, mode)
        self.window.set_state(state)
        self.launcher.state.set_state(state)
        label, tooltip = listen_texts(mode, s.wake_phrase, detail)
        if mode == "waiting" and s.open_turn is not None and s.barge_in:
            tooltip += QCoreApplication.translate("Indicators", ", or talk over the reply to interrupt it")
        self.window.set_listen_mode(mode, label, tooltip, s.wake_phrase)
        self.launcher.set_listen_mode(mode, label, tooltip)
        for visual in (self.window.voice, self.launcher.voice):
            visual.set_state(state, mode, label, tooltip)
        self.tray.set_listen(mode, tooltip)
        self.listen_state, self.state = mode, state
