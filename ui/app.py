"""The desktop app: wires the headless core to the window, launcher, tray, hotkeys and history.

Everything the user sees appears at once; the assistant is built and its models load on background
threads, publishing progress. Events reach the widgets through the one ``CoreBridge``."""

from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QSignalBlocker, QTimer, Signal
from PySide6.QtWidgets import QApplication

from assistant import bootstrap
from assistant.bus import EventBus
from assistant.config import Config, ListenConfig, config_path
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import (
    AwaitingQuestion,
    BargedIn,
    ErrorOccurred,
    ListeningStarted,
    ListeningStopped,
    ModelLoading,
    ModelProgress,
    ModelReady,
    ScreenCaptured,
    SpeakingStarted,
    SpeechEnded,
    SpeechIgnored,
    SpeechStarted,
    TurnEnded,
    WakeDetected,
)
from assistant.history import HistoryError, HistoryRecorder, HistoryStore, restore_conversation
from ui.bridge import CoreBridge
from ui.history_panel import HistoryPanel
from ui.hotkeys import GlobalHotkeys
from ui.launcher import LauncherWindow
from ui.main_window import MainWindow
from ui.screen_grab import ScreenGrabber
from ui.tray import TrayIcon
from ui.widgets import listen_texts

log = logging.getLogger(__name__)

ROLE_NAMES = {"stt": "speech recognition", "llm": "language model", "tts": "voice", "ocr": "text recognizer",
              "vision": "vision model"}
# A change in these sections rebuilds the assistant.
MODEL_SECTIONS = ("stt", "vad", "llm", "tts", "models", "cloud", "audio", "screen")


class DesktopApp(QObject):
    """The controller. Widgets emit what the user wants; the core's events come back through the bridge."""

    assistant_built = Signal(object, object, object)  # (assistant | None, sink | None, [AssistantError])

    def __init__(self, config: Config, *, config_error: AssistantError | None = None,
                 history: HistoryStore | None = None, adapters: bootstrap.Adapters | None = None) -> None:
        super().__init__()
        self.config = config
        self.adapters = adapters or bootstrap.adapters()  # audio and the screen capture (tests pass fakes)
        self.bus = EventBus()
        self.assistant = None
        self.sink = None
        self.mic = None
        self.listener = None  # the listener this app started last
        # What the listener the app started is for, while it runs: "one-shot" (a question), "continuous", or
        # "wake" (always listening: only speech that starts with the wake phrase is answered). None: none runs.
        self.listen_mode: str | None = None
        self.muted = False
        self.always_listening = False  # the user's choice (tray); kept across turns, mutes and rebuilds
        self.mic_lost = False  # the microphone went away; the listener reopens it when it is back
        self.voice_ready = False
        self.chat_ready = False
        self.open_turn: int | None = None
        self.attachment = None  # a capture the next question is about (memory only, never written to disk)
        self.picker = None  # the region picker while it is open
        self.speaking = False
        self.mic_live = False
        self._ready_roles: set[str] = set()
        self._generation = 0  # which build of the assistant the events and results belong to

        history_problem = ""
        if history is None:
            try:
                history = HistoryStore()
            except HistoryError as exc:
                history_problem = exc.message
        self.history = history
        self.recorder = (HistoryRecorder(history, self.bus, enabled=lambda: self.config.privacy.save_history)
                         if history is not None else None)
        # Subscribed after the recorder: the bus delivers in order, so a turn is in the history store before the
        # GUI hears that it ended (and the history panel, refreshed then, lists it).
        self.bridge = CoreBridge(self.bus, self)

        self.history_panel = HistoryPanel(history, history_problem)
        self.window = MainWindow(self.history_panel)
        self.launcher = LauncherWindow()
        self.tray = TrayIcon(self)
        self.grabber = ScreenGrabber([self.window, self.launcher], self.adapters.capture, self)
        self.grabber.capturing.connect(self.tray.set_capturing)
        self.hotkeys: GlobalHotkeys | None = None
        self.level_timer = QTimer(self, interval=33)  # ~30 Hz, only while the microphone is open
        self.level_timer.timeout.connect(self._poll_level)
        # Always listening: running while a question is taken without the wake phrase (after the phrase alone,
        # or after a reply); when it runs out the indicator goes back to "say the phrase".
        self.awake_timer = QTimer(self, singleShot=True)
        self.awake_timer.timeout.connect(self._refresh_state)
        self.listen_state = "off"  # the listening indicator's mode (ui.widgets.LISTEN_MODES)
        self.tray.set_wake_phrase(config.listen.wake_phrase)

        self.bridge.event.connect(self._on_event)
        self.assistant_built.connect(self._on_assistant_built)
        self._connect_widgets()
        if config_error is not None:
            self.window.show_error(f"{config_error.message}. Using the default settings until it is fixed "
                                   "(your file is left as it is).", config_error.code)

    # --- start and stop ----------------------------------------------------------------------------

    def start(self, *, show_window: bool = True, hotkeys: bool = True) -> None:
        if show_window and not self.config.ui.start_hidden:
            self.window.show()
        # Shown even when no tray is there yet: the icon is embedded once a tray appears (a panel that
        # starts after the app at login).
        self.tray.show()
        if hotkeys:
            self._start_hotkeys()
        self._build_assistant()

    def _start_hotkeys(self) -> None:
        if self.hotkeys is not None:
            self.hotkeys.stop()
        self.hotkeys = GlobalHotkeys(self.config.ui.toggle_hotkey, self.config.ui.push_to_talk_hotkey, self,
                                     screen=self.config.ui.screen_hotkey, mute=self.config.ui.mute_hotkey)
        self.hotkeys.toggled.connect(self.toggle_launcher)
        self.hotkeys.mute_pressed.connect(self.toggle_mute)
        self.hotkeys.screen_pressed.connect(lambda: self.ask_about_screen("screen"))
        self.hotkeys.talk_pressed.connect(self.push_to_talk_pressed)
        self.hotkeys.talk_released.connect(self.push_to_talk_released)
        if not self.hotkeys.start():
            log.warning("%s", self.hotkeys.problem)

    def _build_assistant(self) -> None:
        """Build on a worker thread: importing the model libraries alone takes seconds."""
        self._generation += 1
        generation, config = self._generation, self.config
        self.window.set_model_status("Preparing models…", None, busy=True)
        threading.Thread(target=self._build_worker, args=(generation, config), name="build-assistant",
                         daemon=True).start()

    def _build_worker(self, generation: int, config: Config) -> None:
        problems: list[AssistantError] = []
        sink = None
        try:
            sink = self.adapters.audio.speaker(config.audio.output_device or None)
        except AssistantError as exc:
            reason = exc.message.split(". Connect one")[0]  # the CLI's advice (--out) does not apply here
            problems.append(AssistantError(exc.code, f"{reason}. Replies are shown as text only: connect a "
                                           "speaker and choose it in Settings → Audio."))
        assistant = None
        try:
            assistant = bootstrap.build_assistant(config, sink=sink, bus=self.bus)
        except AssistantError as exc:
            problems.append(exc)
            try:  # without speech recognition the assistant still answers typed questions
                assistant = bootstrap.build_assistant(config, listen=False, sink=sink, bus=self.bus)
            except AssistantError as again:
                if again.message != exc.message:
                    problems.append(again)
        if assistant is not None:
            assistant.start()
        self.assistant_built.emit((generation, assistant), sink, problems)

    def _on_assistant_built(self, built, sink, problems: list[AssistantError]) -> None:
        generation, assistant = built
        if generation != self._generation:  # settings changed meanwhile; a newer build is coming
            if assistant is not None:
                threading.Thread(target=assistant.shutdown, daemon=True).start()
            return
        self.assistant, self.sink = assistant, sink
        for problem in problems:
            self.window.show_error(problem.message, problem.code)
        if assistant is None:
            self.window.set_model_status("No language model: open Settings to choose one.", busy=False)
            self.window.set_state("error", "Unavailable")
            return
        # The core captures on its LLM thread ("what's on my screen?"); the grabber has the GUI thread hide our
        # windows around the shot and hands the image (or the error) back to that thread.
        assistant.set_screen_capture(self.grabber.capture_for_core)
        if self.attachment is not None:  # attached while the assistant was being (re)built
            assistant.attach(self.attachment)
        self.voice_ready = assistant.stt_stage is not None
        self.window.mic_button.setEnabled(self.voice_ready)
        if self.recorder is not None and self.recorder.current_conversation is not None:
            restore_conversation(assistant.conversation, self.history, self.recorder.current_conversation)
        self._resume_always_listening()  # switched on while the models were loading, or before a rebuild
        self._refresh_state()

    def shutdown(self) -> None:
        """Stop everything; called once, when the app quits."""
        self.level_timer.stop()
        if self.hotkeys is not None:
            self.hotkeys.stop()
        if self.assistant is not None:
            self.assistant.stop_listening()
            self.assistant.shutdown()
        self.bridge.close()
        if self.recorder is not None:
            self.recorder.close()
        if self.history is not None:
            self.history.close()
        self.tray.hide()

    def quit(self) -> None:
        self.window.quitting = True
        self.launcher.hide()
        QApplication.instance().quit()

    # --- what the user does ------------------------------------------------------------------------

    def _connect_widgets(self) -> None:
        w, launcher, tray = self.window, self.launcher, self.tray
        w.ask_requested.connect(lambda text: self.ask(text, source=w))
        launcher.ask_requested.connect(lambda text: self.ask(text, source=launcher))
        w.stop_requested.connect(self.interrupt)
        w.settings_requested.connect(self.open_settings)
        w.new_conversation_requested.connect(self.new_conversation)
        w.mic_button.toggled_listening.connect(self.toggle_listening)
        w.mic_button.hold_started.connect(self.push_to_talk_pressed)
        w.mic_button.hold_released.connect(self.push_to_talk_released)
        w.hidden_to_tray.connect(self._on_window_closed)
        launcher.hidden.connect(self._on_launcher_hidden)
        launcher.screen_requested.connect(lambda: self.ask_about_screen("screen", listen=False))
        launcher.region_requested.connect(self.pick_region)
        launcher.attachment_dropped.connect(lambda: self.attach(None))
        w.attachment_dropped.connect(lambda: self.attach(None))
        tray.show_requested.connect(self.show_window)
        tray.listen_requested.connect(lambda: self.start_listening(one_shot=True))
        tray.mute_toggled.connect(self.set_muted)
        tray.always_listening_toggled.connect(self.set_always_listening)
        tray.settings_requested.connect(self.open_settings)
        tray.quit_requested.connect(self.quit)
        self.history_panel.conversation_opened.connect(self.open_conversation)
        self.history_panel.conversation_deleted.connect(self._on_conversation_deleted)

    def handle_command(self, command: str) -> None:
        """A command from a second start or `assistant toggle` (over the local socket)."""
        if command == "toggle":
            self.toggle_launcher()
        elif command == "settings":
            self.show_window()
            self.open_settings()
        elif command == "listen":
            self.launcher.popup()
            self.start_listening(one_shot=True)
        elif command == "quit":
            self.quit()
        else:
            self.show_window()

    def show_window(self) -> None:
        self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    def toggle_launcher(self) -> None:
        if self.launcher.isVisible():
            self.launcher.hide()
            return
        self.grabber.remember_active_window()  # "this window" means the user's, not the launcher
        self.launcher.popup()
        if self.config.ui.launcher_listens and not self.muted:
            # After the popup is on screen: opening an audio device can take a moment.
            QTimer.singleShot(0, lambda: self.start_listening(one_shot=True))

    # --- questions about the screen ----------------------------------------------------------------

    def ask_about_screen(self, target: str = "screen", *, listen: bool = True) -> None:
        """The screen hotkey and the launcher's Screen button: capture now (our windows step aside), attach the
        capture to the next question, open the launcher showing it and (``listen``) start listening."""
        if self._picking():
            return
        if not self.launcher.isVisible():
            self.grabber.remember_active_window()
        # The launcher stays hidden after the shot: _captured pops it up (centred, focused) with the attachment.
        self.grabber.grab(target, lambda image, error: self._captured(image, error, listen),
                          keep_hidden=(self.launcher,))

    def pick_region(self) -> None:
        """The launcher's Region button: freeze every screen behind an overlay and let the user drag over the part
        to ask about."""
        if self._picking():
            return
        from ui.region_picker import RegionPicker

        def show_picker(image, error) -> None:
            if error is not None:
                self.launcher.popup()
                self._report(error.message, error.code)
                return
            self.picker = RegionPicker(image)
            self.picker.picked.connect(self._region_picked)
            self.picker.cancelled.connect(self._region_cancelled)
            self.picker.show()
            self.picker.raise_()
            self.picker.activateWindow()

        self.grabber.grab("all", show_picker, keep_hidden=(self.launcher,))

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
        self.launcher.popup()

    def _captured(self, image, error, listen: bool) -> None:
        if error is not None:
            self.launcher.popup()
            self._report(error.message, error.code)
            return
        log.info("screen attached: %s, %dx%d in %.0f ms", image.source, image.width, image.height, image.capture_ms)
        if self.window.banner_code.startswith("screen-"):
            self.window.clear_error()  # an earlier capture's failure is over
        self.attach(image)
        self.launcher.popup()
        if listen and self.config.ui.launcher_listens and not self.muted:
            QTimer.singleShot(0, lambda: self.start_listening(one_shot=True))

    def attach(self, image) -> None:
        """The next question, typed or spoken, is about ``image`` (None: about nothing). Kept in memory only:
        dropping it or asking the question lets it go."""
        self.attachment = image
        if self.assistant is not None:
            self.assistant.attach(image)
        self.launcher.show_attachment(image)
        self.window.show_attachment(image)

    def _sync_attachment(self) -> None:
        """After the core took the attachment for a question (typed or spoken), the chips go too."""
        if self.attachment is None or self.assistant is None or self.assistant.attachment is self.attachment:
            return
        self.attachment = self.assistant.attachment
        self.launcher.show_attachment(self.attachment)
        self.window.show_attachment(self.attachment)

    def _on_launcher_hidden(self) -> None:
        if self.grabber.busy:
            return  # stepped aside for a capture: the user did not close it
        if self.listen_mode != "wake":
            self.stop_listening()  # always listening goes on; a question the launcher was listening for ends

    def _on_window_closed(self) -> None:
        if not self.tray.available():  # no tray to come back from: closing the window quits
            self.quit()

    def ask(self, text: str, source=None) -> int | None:
        if self.assistant is None or not self.chat_ready:
            (source or self.window).setToolTip("The language model is still loading.")
            return None
        try:
            turn_id = self.assistant.ask(text, speak=self.sink is not None)
        except AssistantError as exc:
            self.window.show_error(exc.message, exc.code)
            return None
        self._sync_attachment()  # the question took it
        log.info("turn %d asked (%d characters)", turn_id, len(text))
        self.open_turn = turn_id
        self.awake_timer.stop()  # a turn started: the window for a question without the phrase is used
        self.window.accept_question(turn_id, text)
        if source is self.launcher:
            self.launcher.accept_question(turn_id, text)
        self._refresh_state()
        return turn_id

    def interrupt(self) -> None:
        if self.assistant is not None:
            self.assistant.interrupt()

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
        if self.muted:
            self._report("The microphone is muted: unmute it from the tray menu.", "mic-muted")
            return False
        if self.assistant is None or not self.voice_ready:
            self._report("Speech recognition is not ready yet (or not available): type your question meanwhile.",
                         "voice-not-ready")
            return False
        mode = "wake" if wake else "one-shot" if one_shot else "continuous"
        if mode == self.listen_mode and self.assistant.listening and not restart:
            return True
        try:
            mic = self.adapters.audio.microphone(self.config.audio.input_device)
            listener = self.assistant.listen(mic, wake=wake)
        except AssistantError as exc:
            self._report(exc.message, exc.code)
            return False
        self.mic, self.listener, self.listen_mode = mic, listener, mode
        log.info("listening (%s)", mode)
        self.window.clear_error("mic-muted")
        self.window.clear_error("voice-not-ready")
        self._refresh_state()
        return True

    def _report(self, message: str, code: str) -> None:
        """Show a problem in the window, and in the launcher when that is where the user is."""
        self.window.show_error(message, code)
        if self.launcher.isVisible():
            self.launcher.show_message(message)

    def stop_listening(self, *, answer: bool = False) -> None:
        """Stop the listener; always listening (when on) resumes once it has stopped, unless muted or switched
        off (see ``_on_listening_stopped``)."""
        self.listen_mode = None
        self.mic_lost = False
        if self.assistant is not None:
            self.assistant.stop_listening(answer=answer)

    def push_to_talk_pressed(self) -> None:
        if self.open_turn is not None:
            self.interrupt()  # talking over the answer: the user wants to say something else
        self.start_listening(one_shot=True)

    def push_to_talk_released(self) -> None:
        self.stop_listening(answer=True)

    def set_muted(self, muted: bool) -> None:
        """Mute: nothing is heard until unmuted; always listening (when on) resumes then."""
        self.muted = muted
        _set_checked(self.tray.mute_action, muted)
        if muted:
            self.awake_timer.stop()
            self.stop_listening()
        else:
            self._resume_always_listening()
        self._refresh_state()

    def toggle_mute(self) -> None:
        """The mute hotkey."""
        self.set_muted(not self.muted)

    def set_always_listening(self, on: bool) -> None:
        """The tray's Always listening: listen all day for the wake phrase, across turns, until switched off.
        Muted, it starts when unmuted; while the models load, once speech recognition is there."""
        self.always_listening = on
        _set_checked(self.tray.always_action, on)
        if on:
            self._resume_always_listening()
        else:
            self.awake_timer.stop()
            if self.listen_mode == "wake" or self.listen_mode is None:
                self.stop_listening()
        self._refresh_state()

    def _resume_always_listening(self) -> None:
        """Start the wake-phrase listener when always listening is on and nothing holds it back."""
        if not self.always_listening or self.muted or self.assistant is None:
            return  # muted: it resumes on unmute; no assistant yet: once one is built
        if self.assistant.listening and self.listen_mode is not None:
            return  # already on, or a question is being listened for: it resumes when that is over
        if not self.start_listening(wake=True):  # no speech recognition, no microphone: _report said why
            self.always_listening = False
            _set_checked(self.tray.always_action, False)

    def _on_listening_stopped(self) -> None:
        self._set_mic_live(False)
        if self.assistant is None or self.assistant.listening:
            return  # a listener replaced by another, or one reopening a lost microphone
        ended_by_itself, self.listen_mode = self.listen_mode is not None, None
        error = getattr(self.listener, "error", None) if ended_by_itself else None
        if error is not None and self.always_listening and not self.muted:
            # It could not open the microphone: trying again at once would fail the same way.
            self.always_listening = False
            _set_checked(self.tray.always_action, False)
            self.tray.notify("Always listening is off", error.message)
            return
        self._resume_always_listening()  # after a question listened for without the phrase

    def new_conversation(self) -> None:
        if self.assistant is not None:
            self.assistant.conversation.clear()
        if self.recorder is not None:
            self.recorder.start_new_conversation()
        self.history_panel.refresh()

    def open_conversation(self, conversation_id: int) -> None:
        if self.history is None:
            return
        try:
            turns = self.history.turns(conversation_id)
        except HistoryError as exc:
            self.window.show_error(exc.message, exc.code)
            return
        self.window.conversation.clear()
        for turn in turns:
            status = {"interrupted": "Stopped", "error": turn.error or "Failed"}.get(turn.outcome, "")
            self.window.conversation.add_past_turn(turn.question, turn.answer, status)
        if self.recorder is not None:
            self.recorder.continue_conversation(conversation_id)
        if self.assistant is not None:
            restore_conversation(self.assistant.conversation, self.history, conversation_id)

    def _on_conversation_deleted(self, conversation_id: int) -> None:
        if self.recorder is not None and self.recorder.current_conversation == conversation_id:
            self.window.conversation.clear()
            self.new_conversation()

    def open_settings(self):
        from ui.settings_dialog import SettingsDialog

        problem = self.hotkeys.problem if self.hotkeys is not None else None
        dialog = SettingsDialog(self.config, self.window, path=config_path(), hotkey_problem=problem)
        dialog.saved.connect(self.apply_settings)
        dialog.show()
        return dialog

    def apply_settings(self, config: Config) -> None:
        old, self.config = self.config, config
        keys = ("toggle_hotkey", "push_to_talk_hotkey", "screen_hotkey", "mute_hotkey")
        if any(getattr(old.ui, k) != getattr(config.ui, k) for k in keys):
            self._start_hotkeys()
        self.tray.set_wake_phrase(config.listen.wake_phrase)
        if any(getattr(old, s) != getattr(config, s) for s in MODEL_SECTIONS):
            previous = self.assistant
            self.assistant, self.sink = None, None
            self.chat_ready = self.voice_ready = False
            self._ready_roles.clear()
            self.listen_mode = None  # always listening (when on) resumes on the new assistant
            if previous is not None:
                previous.stop_listening()
                threading.Thread(target=previous.shutdown, daemon=True).start()
            self._build_assistant()
        elif old.listen != config.listen and self.assistant is not None:
            self._retune_listening(config.listen)
        self._refresh_state()

    def _retune_listening(self, listen: ListenConfig) -> None:
        """A [listen] change needs no model: the running assistant takes the new phrase, sensitivity, follow-up
        window and switches, and the wake-phrase listener (when on) restarts with them."""
        unchanged = listen.wake_model == self.assistant.config.listen.wake_model
        spotter = self.assistant.spotter if unchanged else bootstrap.wake_spotter(self.config)
        self.assistant.set_listen_config(listen, bootstrap.debug_recorder(self.config), spotter)
        self.awake_timer.stop()
        if self.listen_mode == "wake":
            self.start_listening(wake=True, restart=True)

    # --- what the core does ------------------------------------------------------------------------

    def _on_event(self, event) -> None:
        self.window.apply_event(event)
        self.launcher.apply_event(event)
        if isinstance(event, ModelLoading):
            self.window.set_model_status(f"Loading the {ROLE_NAMES.get(event.role, event.role)}…", None, busy=True)
        elif isinstance(event, ModelProgress):
            self.window.set_model_status(event.message, event.fraction, busy=True)
        elif isinstance(event, ModelReady):
            self._ready_roles.add(event.role)
            if event.role == "llm":
                self.chat_ready = True
            self._update_model_status(event.device)
        elif isinstance(event, ListeningStarted):
            log.info("listening on %s", event.source)
            self.mic_lost = False
            self._set_mic_live(True)
            self.window.clear_error("input-device-lost")
        elif isinstance(event, ListeningStopped):
            self._on_listening_stopped()
        elif isinstance(event, SpeechStarted):
            self.window.clear_error("no-speech")
        elif isinstance(event, WakeDetected):
            log.info("wake phrase heard (likeness %.2f)", event.score)
            # The question usually follows at once (a turn starts); AwaitingQuestion says how long it may take.
            self._awake_for(self.WAKE_SHOWN_S)
        elif isinstance(event, AwaitingQuestion):
            self._awake_for(event.seconds)
        elif isinstance(event, SpeechIgnored):
            log.debug("speech ignored (%s, %.1f s)", event.reason, event.duration)
        elif isinstance(event, BargedIn):
            log.info("barged in on turn %d", event.turn_id)
            self.awake_timer.stop()
        elif isinstance(event, SpeechEnded):
            self.open_turn = event.turn_id
            self.awake_timer.stop()  # a turn started
            if self.listen_mode == "one-shot":
                self.stop_listening()
        elif isinstance(event, SpeakingStarted):
            self.speaking = True
        elif isinstance(event, ScreenCaptured):
            self._sync_attachment()  # a spoken question took it
        elif isinstance(event, TurnEnded):
            self._sync_attachment()
            if event.turn_id == self.open_turn:
                self.open_turn = None
                self.speaking = False
            self.history_panel.refresh()
        elif isinstance(event, ErrorOccurred) and event.turn_id is None and event.code == "input-device-lost":
            self.mic_lost = True
            self.tray.notify("Microphone lost", event.message)
        elif isinstance(event, ErrorOccurred) and event.code.startswith("screen-"):
            self._report(event.message, event.code)  # the core's capture failed: say so where the user looks
        self._refresh_state()

    def _update_model_status(self, device: str) -> None:
        # A model can be ready before the built assistant reaches the GUI thread: expect all three until then.
        expected = {s.role for s in self.assistant.stages} if self.assistant is not None else {"llm", "stt", "tts"}
        if expected <= self._ready_roles:
            if self.window.model_status.text() != f"Ready · models on {device}":
                log.info("models ready on %s", device)
            self.window.set_model_status(f"Ready · models on {device}", busy=False)
        else:
            waiting = ", ".join(ROLE_NAMES.get(r, r) for r in sorted(expected - self._ready_roles))
            self.window.set_model_status(f"Loading the {waiting}…", None, busy=True)

    WAKE_SHOWN_S = 8.0  # "ask now" after the wake phrase, until a turn starts or AwaitingQuestion says otherwise

    def _awake_for(self, seconds: float) -> None:
        if seconds > 0:
            self.awake_timer.start(round(seconds * 1000))
        else:
            self.awake_timer.stop()

    def _set_mic_live(self, live: bool) -> None:
        self.mic_live = live
        if live:
            self.level_timer.start()
        else:
            self.level_timer.stop()
            self.window.level.set_rms(0.0)
            self.launcher.level.set_rms(0.0)

    def _poll_level(self) -> None:
        rms = float(getattr(self.mic, "level", 0.0)) if self.mic is not None else 0.0
        self.window.level.set_rms(rms)
        if self.launcher.isVisible():
            self.launcher.level.set_rms(rms)

    def _listening_indicator(self) -> tuple[str, str]:
        """What the microphone is doing, for the indicators: (a mode of ui.widgets.LISTEN_MODES, detail)."""
        if self.muted:
            return "muted", ""
        if self.listen_mode == "wake" or (self.always_listening and self.listen_mode is None):
            if self.listen_mode != "wake" or not self.mic_live:
                if self.mic_lost:
                    return "starting", "Microphone lost: reconnecting…"
                if self.assistant is None:
                    return "starting", "Waiting for speech recognition…"
                return "starting", "Opening the microphone…"
            if self.awake_timer.isActive() and self.open_turn is None:
                return "awake", ""
            return "waiting", ""
        return ("listening" if self.mic_live else "off"), ""

    def _refresh_state(self) -> None:
        self.window.set_chat_ready(self.chat_ready)
        mode, detail = self._listening_indicator()
        if self.assistant is None or not self.chat_ready:
            state = "loading"
        elif self.speaking:
            state = "speaking"
        elif self.open_turn is not None:
            state = "thinking"
        elif self.mic_live and mode in ("listening", "awake"):
            state = "listening"  # not while waiting for the wake phrase: nothing said is answered yet
        elif self.muted:
            state = "muted"
        else:
            state = "idle"
        self.window.set_state(state)
        self.launcher.state.set_state(state)
        phrase = self.config.listen.wake_phrase
        label, tooltip = listen_texts(mode, phrase, detail)
        if mode == "waiting" and self.open_turn is not None and self.config.listen.barge_in:
            tooltip += ", or talk over the reply to interrupt it"
        self.window.set_listen_mode(mode, label, tooltip, phrase)
        self.launcher.set_listen_mode(mode, label, tooltip)
        self.tray.set_listen(mode, tooltip)
        self.listen_state = mode
        self.state = state


def _set_checked(action, checked: bool) -> None:
    """Tick a menu action to match the app without emitting its toggled signal back into the app."""
    with QSignalBlocker(action):
        action.setChecked(checked)
