"""The listening modes: a question (one-shot or push to talk), continuous, and always listening for the wake phrase.

Owns who holds the microphone and why, mute, the level the voice visual shows (the microphone's, or the reply's
while the assistant speaks) and the "ask now" window after the wake phrase.
The app calls it for what the user does and forwards the core's listening events; it asks the app to redraw
the indicators (``refresh_state``) and to report problems (``report``)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QSignalBlocker, QTimer

from assistant import bootstrap
from assistant.config import ListenConfig
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import (
    AwaitingQuestion,
    BargedIn,
    ErrorOccurred,
    ListeningStarted,
    ListeningStopped,
    SpeechEnded,
    SpeechIgnored,
    WakeDetected,
)
from ui.i18n import error_text

log = logging.getLogger(__name__)

WAKE_SHOWN_S = 8.0  # "ask now" after the wake phrase, until a turn starts or AwaitingQuestion says otherwise


class ListeningModes(QObject):
    """Starts, stops and resumes the app's listener; keeps mute and always listening across turns and rebuilds."""

    def __init__(self, app) -> None:
        super().__init__(app)
        self.app = app
        self.mic = None
        self.listener = None  # the listener this app started last
        # What the listener the app started is for, while it runs: "one-shot" (a question), "continuous", or
        # "wake" (always listening: only speech that starts with the wake phrase is answered). None: none runs.
        self.listen_mode: str | None = None
        self.muted = False
        self.stopped = False  # the app is quitting: nothing reopens the microphone
        self.always_listening = False  # the user's choice (tray); kept across turns, mutes and rebuilds
        self.mic_lost = False  # the microphone went away; the listener reopens it when it is back
        self.mic_live = False
        self.voice_ready = False
        # The voice visuals read the level on their own frames, only while on screen: nothing polls for a hidden one.
        app.window.voice.set_level_source(self.level)
        app.launcher.voice.set_level_source(self.level)
        # Always listening: running while a question is taken without the wake phrase (after the phrase alone,
        # or after a reply); when it runs out the indicator goes back to "say the phrase".
        self.awake_timer = QTimer(self, singleShot=True)
        self.awake_timer.timeout.connect(app.refresh_state)

    # --- what the user does ----------------------------------------------------------------------

    def toggle_listening(self) -> None:
        """The microphone button: stop listening for a question, or listen for one now (while always listening,
        that question needs no wake phrase; always listening resumes after it)."""
        if self.mic_live and self.listen_mode in ("one-shot", "continuous"):
            self.stop_listening()
        else:
            self.start_listening(one_shot=True)

    def start_listening(self, *, one_shot: bool = True, wake: bool = False, restart: bool = False) -> bool:
        """Open the microphone. ``one_shot``: stop again once a question was heard. ``wake``: always listening
        (``assistant.listen(mic, wake=True)``): runs across turns, answering only speech that starts with the
        wake phrase or comes within the follow-up window. A listener of another kind is replaced; one of the same
        kind is kept unless ``restart``."""
        app, assistant = self.app, self.app.assistant
        if self.muted:
            app.report("", "mic-muted", self.tr("The microphone is muted: unmute it from the tray menu."))
            return False
        if assistant is None or not self.voice_ready:
            app.report("", "voice-not-ready", self.tr("Speech recognition is not ready yet (or not available): type "
                                                      "your question meanwhile."))
            return False
        mode = "wake" if wake else "one-shot" if one_shot else "continuous"
        if mode == self.listen_mode and assistant.listening and not restart:
            return True
        try:
            mic = app.adapters.audio.microphone(app.config.audio.input_device)
            listener = assistant.listen(mic, wake=wake)
        except AssistantError as exc:
            app.report(exc.message, exc.code)
            return False
        self.mic, self.listener, self.listen_mode = mic, listener, mode
        log.info("listening (%s)", mode)
        app.window.clear_error("mic-muted")
        app.window.clear_error("voice-not-ready")
        app.refresh_state()
        return True

    def stop_listening(self, *, answer: bool = False) -> None:
        """Stop the listener; always listening (when on) resumes once it has stopped, unless muted or switched
        off (see ``_on_listening_stopped``)."""
        self.listen_mode = None
        self.mic_lost = False
        if self.app.assistant is not None:
            self.app.assistant.stop_listening(answer=answer)

    def push_to_talk_pressed(self) -> None:
        if self.app.open_turn is not None:
            self.app.interrupt()  # talking over the answer: the user wants to say something else
        self.start_listening(one_shot=True)

    def push_to_talk_released(self) -> None:
        self.stop_listening(answer=True)

    def set_muted(self, muted: bool) -> None:
        """Mute: nothing is heard until unmuted; always listening (when on) resumes then."""
        self.muted = muted
        _set_checked(self.app.tray.mute_action, muted)
        if muted:
            self.awake_timer.stop()
            self.stop_listening()
        else:
            self.resume_always_listening()
        self.app.refresh_state()

    def toggle_mute(self) -> None:
        """The mute hotkey."""
        self.set_muted(not self.muted)

    def set_always_listening(self, on: bool) -> None:
        """The tray's Always listening: listen all day for the wake phrase, across turns, until switched off.
        Muted, it starts when unmuted; while the models load, once speech recognition is there."""
        self.always_listening = on
        _set_checked(self.app.tray.always_action, on)
        if on:
            self.resume_always_listening()
        else:
            self.awake_timer.stop()
            if self.listen_mode == "wake" or self.listen_mode is None:
                self.stop_listening()
        self.app.refresh_state()

    def on_launcher_hidden(self) -> None:
        if self.listen_mode != "wake":
            self.stop_listening()  # always listening goes on; a question the launcher was listening for ends

    # --- the assistant -----------------------------------------------------------------------------

    def assistant_changed(self, assistant) -> None:
        """A new assistant (None: being rebuilt); always listening resumes on it."""
        self.voice_ready = assistant is not None and assistant.stt_stage is not None
        if assistant is None:
            self.listen_mode = None  # always listening (when on) resumes on the new assistant
        else:
            self.resume_always_listening()  # switched on while the models were loading, or before a rebuild

    def resume_always_listening(self) -> None:
        """Start the wake-phrase listener when always listening is on and nothing holds it back."""
        assistant = self.app.assistant
        if not self.always_listening or self.muted or assistant is None or self.stopped:
            return  # muted: it resumes on unmute; no assistant yet: once one is built
        if assistant.listening and self.listen_mode is not None:
            return  # already on, or a question is being listened for: it resumes when that is over
        if not self.start_listening(wake=True):  # no speech recognition, no microphone: report said why
            self.always_listening = False
            _set_checked(self.app.tray.always_action, False)

    def retune(self, listen: ListenConfig) -> None:
        """A [listen] change needs no model: the running assistant takes the new phrase, sensitivity, follow-up
        window and switches, and the wake-phrase listener (when on) restarts with them."""
        assistant, config = self.app.assistant, self.app.config
        unchanged = listen.wake_model == assistant.config.listen.wake_model
        spotter = assistant.spotter if unchanged else bootstrap.wake_spotter(config)
        assistant.set_listen_config(listen, bootstrap.debug_recorder(config), spotter)
        self.awake_timer.stop()
        if self.listen_mode == "wake":
            self.start_listening(wake=True, restart=True)

    def stop(self) -> None:
        """The app quits: always listening resumes no more."""
        self.stopped = True
        self.awake_timer.stop()

    # --- what the core says --------------------------------------------------------------------------

    def on_event(self, event) -> None:
        if isinstance(event, ListeningStarted):
            log.info("listening on %s", event.source)
            if self.mic_lost:
                self.app.notices.mic_back()
            self.mic_lost = False
            self._set_mic_live(True)
            self.app.window.clear_error("input-device-lost")
        elif isinstance(event, ListeningStopped):
            self._on_listening_stopped()
        elif isinstance(event, WakeDetected):
            log.info("wake phrase heard (likeness %.2f)", event.score)
            # The question usually follows at once (a turn starts); AwaitingQuestion says how long it may take.
            self._awake_for(WAKE_SHOWN_S)
        elif isinstance(event, AwaitingQuestion):
            self._awake_for(event.seconds)
        elif isinstance(event, SpeechIgnored):
            log.debug("speech ignored (%s, %.1f s)", event.reason, event.duration)
        elif isinstance(event, BargedIn):
            log.info("barged in on turn %d", event.turn_id)
            self.awake_timer.stop()
        elif isinstance(event, SpeechEnded):
            self.awake_timer.stop()  # a turn started
            if self.listen_mode == "one-shot":
                self.stop_listening()
        elif isinstance(event, ErrorOccurred) and event.turn_id is None and event.code == "input-device-lost":
            self.mic_lost = True
            self.app.notices.mic_lost(event.message)

    def _on_listening_stopped(self) -> None:
        self._set_mic_live(False)
        if self.app.assistant is None or self.app.assistant.listening:
            return  # a listener replaced by another, or one reopening a lost microphone
        ended_by_itself, self.listen_mode = self.listen_mode is not None, None
        error = getattr(self.listener, "error", None) if ended_by_itself else None
        if error is not None and self.always_listening and not self.muted:
            # It could not open the microphone: trying again at once would fail the same way.
            self.always_listening = False
            _set_checked(self.app.tray.always_action, False)
            self.app.tray.notify(self.tr("Always listening is off"), error_text(error.code, error.message))
            return
        self.resume_always_listening()  # after a question listened for without the phrase

    def _awake_for(self, seconds: float) -> None:
        if seconds > 0:
            self.awake_timer.start(round(seconds * 1000))
        else:
            self.awake_timer.stop()

    def _set_mic_live(self, live: bool) -> None:
        self.mic_live = live

    def level(self) -> float:
        """The RMS level (0..1) the voice visual shows now: the reply's while the assistant speaks (a sink without a
        ``level`` reads silent), the microphone's while it is open, else 0."""
        if self.app.speaking:
            return float(getattr(self.app.sink, "level", 0.0))
        if self.mic_live and self.mic is not None:
            return float(getattr(self.mic, "level", 0.0))
        return 0.0


def _set_checked(action, checked: bool) -> None:
    """Tick a menu action to match the app without emitting its toggled signal back into the app."""
    with QSignalBlocker(action):
        action.setChecked(checked)
