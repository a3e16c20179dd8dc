"""The desktop app: wires the headless core to the window, launcher, tray, hotkeys and history.

Everything the user sees appears at once; the assistant is built and its models load on background
threads, publishing progress. Events reach the widgets through the one ``CoreBridge``.

This is the controller that connects the parts, each in a module of its own: ``assistant_builder`` (building
the assistant off the GUI thread), ``listening`` (the listening modes, mute, the level the voice visual shows),
``screen_flow`` (captures, the region picker, the attachment), ``conversation_history`` (the store, the
recorder, the panel), ``memory_panel`` (what the assistant remembers) and ``indicators`` (the app's state and the
model events, shown on the widgets)."""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

from assistant import bootstrap
from assistant.bus import EventBus
from assistant.config import Config, config_path
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import SpeakingStarted, SpeechEnded, SpeechStarted, TurnEnded
from assistant.history import HistoryStore
from ui import theme
from ui.assistant_builder import AssistantBuilder
from ui.bridge import CoreBridge
from ui.conversation_history import ConversationHistory
from ui.desktop_actions import QtDesktopActions
from ui.hotkeys import GlobalHotkeys
from ui.i18n import error_text
from ui.indicators import AppState, Indicators
from ui.launcher import LauncherWindow
from ui.listening import ListeningModes
from ui.main_window import MainWindow
from ui.memory_panel import MemoryPanel
from ui.notifications import Notices
from ui.screen_flow import ScreenFlow
from ui.screen_grab import ScreenGrabber
from ui.timers_panel import TimerAlerts, TimersPanel, timer_service
from ui.tray import TrayIcon

log = logging.getLogger(__name__)

# A change in these sections rebuilds the assistant.
MODEL_SECTIONS = ("stt", "vad", "llm", "tts", "models", "cloud", "audio", "screen")


class DesktopApp(QObject):
    """The controller. Widgets emit what the user wants; the core's events come back through the bridge."""

    def __init__(self, config: Config, *, config_error: AssistantError | None = None,
                 history: HistoryStore | None = None, adapters: bootstrap.Adapters | None = None) -> None:
        super().__init__()
        self.config = config
        self.config_error = config_error  # the settings file did not load: the defaults are in use
        self.adapters = adapters or bootstrap.adapters()  # audio and the screen capture (tests pass fakes)
        self.bus = EventBus()
        self.assistant = None
        self.sink = None
        self.open_turn: int | None = None
        self._mcp_changed = False  # Settings wrote a new server list to mcp.json
        self.speaking = False

        # Before the bridge: the recorder must hear a turn end before the GUI does (see ConversationHistory).
        self.conversations = ConversationHistory(self, self.bus, history)
        self.history, self.recorder = self.conversations.store, self.conversations.recorder
        self.history_panel = self.conversations.panel
        self.bridge = CoreBridge(self.bus, self)
        theme.apply(QApplication.instance(), config.ui.theme)  # before the widgets: they are drawn in it

        self.timers_panel = TimersPanel()
        self.memory_panel = MemoryPanel()  # the assistant's memory, once it is built
        self.window = MainWindow(self.history_panel, timers_panel=self.timers_panel, memory_panel=self.memory_panel)
        self.launcher = LauncherWindow()
        self.tray = TrayIcon(self)
        # A timer that rings: the desktop's notification (the tray's message where there is none), and a chime
        # when the assistant will not say it.
        self.timer_alerts = TimerAlerts(bootstrap.notifier(), self._show_alert, lambda: self.sink,
                                        self._speaks_aloud, self)
        # A problem, or the microphone lost or back, while the user is away from the windows: a notification too.
        self.notices = Notices(bootstrap.notifier(), self.window, self.launcher, self.tray, self)
        self.grabber = ScreenGrabber([self.window, self.launcher], self.adapters.capture, self)
        self.grabber.capturing.connect(self.tray.set_capturing)
        self.grabber.capturing.connect(self.launcher.set_instant)  # out of the shot at once, not fading
        self.hotkeys: GlobalHotkeys | None = None
        self.first_run_dialog = None  # the first-run setup, once opened
        self.indicators = Indicators(self.window, self.launcher, self.tray)
        self.listening = ListeningModes(self)
        self.screen = ScreenFlow(self)
        self.builder = AssistantBuilder(self.bus, self.adapters, self, history=self.history)
        self.tray.set_wake_phrase(config.listen.wake_phrase)

        self.bridge.event.connect(self._on_event)
        self.builder.built.connect(self._on_assistant_built)
        self._connect_widgets()
        if config_error is not None:
            self.window.show_error(config_error.message, config_error.code, self.tr(
                "Using the default settings until it is fixed (your file is left as it is)."))

    # --- the parts' state, as the tray, the tests and the parts read it -------------------------------------

    @property
    def muted(self) -> bool:
        return self.listening.muted

    @property
    def always_listening(self) -> bool:
        return self.listening.always_listening

    @property
    def listen_mode(self) -> str | None:
        return self.listening.listen_mode

    @property
    def mic_live(self) -> bool:
        return self.listening.mic_live

    @property
    def voice_ready(self) -> bool:
        return self.listening.voice_ready

    @property
    def awake_timer(self) -> QTimer:
        return self.listening.awake_timer

    @property
    def attachment(self):
        return self.screen.attachment

    @property
    def picker(self):
        return self.screen.picker

    @property
    def chat_ready(self) -> bool:
        return self.indicators.chat_ready

    @property
    def state(self) -> str:
        return self.indicators.state

    @property
    def listen_state(self) -> str:
        return self.indicators.listen_state

    # --- start and stop ----------------------------------------------------------------------------

    def start(self, *, show_window: bool = True, hotkeys: bool = True) -> None:
        if show_window and not self.config.ui.start_hidden:
            self.window.show()
        # Shown even when no tray is there yet: the icon is embedded once a tray appears (a panel that
        # starts after the app at login).
        self.tray.show()
        if hotkeys:
            self._start_hotkeys()
        if self.config.listen.always_listening:
            self.set_always_listening(True)  # it starts once the speech models are there
        self._build_assistant()
        # A settings file that does not load is no first run: the setup would write the defaults over it.
        if self.window.isVisible() and not self.config.ui.first_run_done and self.config_error is None:
            self.open_first_run()

    def _start_hotkeys(self) -> None:
        if self.hotkeys is not None:
            self.hotkeys.stop()
        ui = self.config.ui
        self.hotkeys = GlobalHotkeys(ui.toggle_hotkey, ui.push_to_talk_hotkey, self, screen=ui.screen_hotkey,
                                     mute=ui.mute_hotkey)
        self.hotkeys.toggled.connect(self.toggle_launcher)
        self.hotkeys.mute_pressed.connect(self.listening.toggle_mute)
        self.hotkeys.screen_pressed.connect(lambda: self.screen.ask_about_screen("screen"))
        self.hotkeys.talk_pressed.connect(self.listening.push_to_talk_pressed)
        self.hotkeys.talk_released.connect(self.listening.push_to_talk_released)
        if not self.hotkeys.start():
            log.warning("%s", self.hotkeys.problem)

    def _build_assistant(self) -> None:
        self.window.set_model_status(self.tr("Preparing models…"), None, busy=True)
        self.builder.build(self.config)

    def _on_assistant_built(self, built, sink, problems: list[AssistantError]) -> None:
        generation, assistant = built
        if not self.builder.is_current(generation):  # settings changed meanwhile; a newer build is coming
            if assistant is not None:
                self.builder.discard(assistant)
            return
        self.assistant, self.sink = assistant, sink
        for problem, note in problems:
            self.report(problem.message, problem.code, note)
        if assistant is None:
            self.window.set_model_status(self.tr("No language model: open Settings to choose one."), busy=False)
            self.window.set_state("error", self.tr("Unavailable"))
            self.memory_panel.set_memory(None, self.tr("Memory comes with the assistant: choose a language model in "
                                                       "Settings → Models."))
            return
        # The core captures on its LLM thread ("what's on my screen?"); the grabber has the GUI thread hide our
        # windows around the shot and hands the image (or the error) back to that thread.
        assistant.set_screen_capture(self.grabber.capture_for_core)
        self.screen.assistant_changed(assistant)
        self.conversations.assistant_changed(assistant)
        self.listening.assistant_changed(assistant)
        self.timers_panel.set_service(timer_service(assistant))
        self.memory_panel.set_memory(assistant.memory)
        if assistant.desktop_actions is not None and not isinstance(assistant.desktop_actions, QtDesktopActions):
            assistant.set_desktop_actions(QtDesktopActions(assistant.desktop_actions))  # Qt's clipboard
        self.window.mic_button.setEnabled(self.voice_ready)
        self.refresh_state()

    def shutdown(self) -> None:
        """Stop everything; called once, when the app quits."""
        self.listening.stop()
        if self.hotkeys is not None:
            self.hotkeys.stop()
        if self.assistant is not None:
            self.assistant.stop_listening()
            self.assistant.shutdown()
        self.bridge.close()
        self.conversations.close()
        self.tray.hide()

    def quit(self) -> None:
        self.window.quitting = True
        self.launcher.hide()
        QApplication.instance().quit()

    # --- what the user does ------------------------------------------------------------------------

    def _connect_widgets(self) -> None:
        w, launcher, tray, listening, screen = self.window, self.launcher, self.tray, self.listening, self.screen
        w.ask_requested.connect(lambda text: self.ask(text, source=w))
        launcher.ask_requested.connect(lambda text: self.ask(text, source=launcher))
        w.stop_requested.connect(self.interrupt)
        w.tool_answered.connect(self.answer_tool)
        w.settings_requested.connect(self.open_settings)
        w.new_conversation_requested.connect(self.new_conversation)
        w.mic_button.toggled_listening.connect(listening.toggle_listening)
        w.mic_button.hold_started.connect(listening.push_to_talk_pressed)
        w.mic_button.hold_released.connect(listening.push_to_talk_released)
        w.hidden_to_tray.connect(self._on_window_closed)
        launcher.hidden.connect(self._on_launcher_hidden)
        launcher.screen_requested.connect(lambda: screen.ask_about_screen("screen", listen=False))
        launcher.region_requested.connect(screen.pick_region)
        launcher.attachment_dropped.connect(lambda: screen.attach(None))
        w.attachment_dropped.connect(lambda: screen.attach(None))
        tray.show_requested.connect(self.show_window)
        tray.listen_requested.connect(lambda: self.start_listening(one_shot=True))
        tray.mute_toggled.connect(self.set_muted)
        tray.always_listening_toggled.connect(self.set_always_listening)
        tray.settings_requested.connect(self.open_settings)
        tray.quit_requested.connect(self.quit)
        self.conversations.connect_panel()
        self.memory_panel.forgot_everything.connect(self._forgot_everything)

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

    def _on_launcher_hidden(self) -> None:
        if self.grabber.busy:
            return  # stepped aside for a capture: the user did not close it
        self.listening.on_launcher_hidden()

    def _on_window_closed(self) -> None:
        if not self.tray.available():  # no tray to come back from: closing the window quits
            self.quit()

    def ask(self, text: str, source=None) -> int | None:
        if self.assistant is None or not self.chat_ready:
            (source or self.window).setToolTip(self.tr("The language model is still loading."))
            return None
        try:
            turn_id = self.assistant.ask(text, speak=self.sink is not None)
        except AssistantError as exc:
            self.window.show_error(exc.message, exc.code)
            return None
        self.screen.sync_attachment()  # the question took it
        log.info("turn %d asked (%d characters)", turn_id, len(text))
        self.open_turn = turn_id
        self.awake_timer.stop()  # a turn started: the window for a question without the phrase is used
        self.window.accept_question(turn_id, text)
        if source is self.launcher:
            self.launcher.accept_question(turn_id, text)
        self.refresh_state()
        return turn_id

    def answer_tool(self, allow: bool) -> int | None:
        """The Yes or No clicked on a tool call waiting for the user: its outcome is said as a turn of its own."""
        if self.assistant is None:
            return None
        turn_id = self.assistant.confirm_tool(allow, speak=self.sink is not None)
        if turn_id is not None:
            self.open_turn = turn_id
            self.window.accept_question(turn_id, self.tr("Yes") if allow else self.tr("No"))
            self.refresh_state()
        return turn_id

    def interrupt(self) -> None:
        if self.assistant is not None:
            self.assistant.interrupt()

    # The parts' commands, for the tray, the hotkeys, the instance socket and the tests.

    def start_listening(self, *, one_shot: bool = True, wake: bool = False, restart: bool = False) -> bool:
        return self.listening.start_listening(one_shot=one_shot, wake=wake, restart=restart)

    def stop_listening(self, *, answer: bool = False) -> None:
        self.listening.stop_listening(answer=answer)

    def set_muted(self, muted: bool) -> None:
        self.listening.set_muted(muted)

    def set_always_listening(self, on: bool) -> None:
        self.listening.set_always_listening(on)

    def ask_about_screen(self, target: str = "screen", *, listen: bool = True) -> None:
        self.screen.ask_about_screen(target, listen=listen)

    def attach(self, image) -> None:
        self.screen.attach(image)

    def new_conversation(self) -> None:
        self.conversations.new_conversation()

    def open_conversation(self, conversation_id: int) -> None:
        self.conversations.open_conversation(conversation_id)

    def _forgot_everything(self, _counts) -> None:
        """Every past conversation went with the facts, the one on screen too: start afresh, as New chat does."""
        self.window.conversation.clear()
        self.new_conversation()  # clears the assistant's context and lists the (now empty) history

    def report(self, message: str, code: str, note: str = "") -> None:
        """Show a problem in the window, and in the launcher when that is where the user is, or as a notification
        when they see neither (``message``: the core's; ``note``: the UI's own words, see ``ui.i18n.error_text``)."""
        self.window.show_error(message, code, note)
        if self.launcher.isVisible():
            self.launcher.show_message(error_text(code, message, note))
        self.notices.error(code, message, note)  # where the user sees neither

    # --- settings --------------------------------------------------------------------------------------

    def open_settings(self):
        from ui.settings_dialog import SettingsDialog

        problem = self.hotkeys.problem if self.hotkeys is not None else None
        dialog = SettingsDialog(self.config, self.window, path=config_path(), hotkey_problem=problem)
        dialog.mcp_saved.connect(self._mcp_servers_changed)
        dialog.saved.connect(self.apply_settings)
        dialog.first_run_requested.connect(self.open_first_run)
        dialog.show()
        return dialog

    def open_first_run(self):
        """The first-run setup (at the first start, and from Settings → Interface). Not modal: the app works on."""
        from ui.first_run import FirstRunDialog

        if self.first_run_dialog is not None:
            if self.first_run_dialog.isVisible():
                self.first_run_dialog.raise_()
                self.first_run_dialog.activateWindow()
                return self.first_run_dialog
            self.first_run_dialog.deleteLater()
        problem = self.hotkeys.problem if self.hotkeys is not None else None
        dialog = FirstRunDialog(self.config, self.window, path=config_path(), audio=self.adapters.audio,
                                hotkey_problem=problem)
        dialog.saved.connect(self.apply_settings)
        dialog.cloud_setup_requested.connect(self._set_up_cloud)
        dialog.show()
        self.first_run_dialog = dialog
        log.info("first-run setup opened")
        return dialog

    def _set_up_cloud(self) -> None:
        """The setup asked for a cloud model with no endpoint set: Settings, on the page where it is entered."""
        dialog = self.open_settings()
        dialog.show_page("cloud")
        dialog.policy_combo.setCurrentIndex(dialog.policy_combo.findData("auto"))

    def _mcp_servers_changed(self, _path) -> None:
        self._mcp_changed = True  # the servers start again with the assistant (apply_settings follows)

    def apply_settings(self, config: Config) -> None:
        old, self.config = self.config, config
        # The MCP servers and the tools as a whole are built with the assistant; the rest of [tools] applies live.
        mcp_changed, self._mcp_changed = self._mcp_changed, False
        rebuild_tools = mcp_changed or (old.tools.enabled, old.tools.mcp) != (config.tools.enabled, config.tools.mcp)
        # Another embedding model is loaded with a new assistant (its vectors are made again); the privacy switch and
        # the facts per prompt apply live.
        rebuild_memory = old.memory.embedding_model != config.memory.embedding_model
        keys = ("toggle_hotkey", "push_to_talk_hotkey", "screen_hotkey", "mute_hotkey")
        if any(getattr(old.ui, k) != getattr(config.ui, k) for k in keys):
            self._start_hotkeys()
        self.tray.set_wake_phrase(config.listen.wake_phrase)
        if old.ui.theme != config.ui.theme:
            theme.apply(QApplication.instance(), config.ui.theme)
        if rebuild_tools or rebuild_memory or any(getattr(old, s) != getattr(config, s) for s in MODEL_SECTIONS):
            previous = self.assistant
            self.assistant, self.sink = None, None
            self.indicators.reset_models()
            self.listening.assistant_changed(None)
            self.memory_panel.set_memory(None)
            if previous is not None:
                previous.stop_listening()
                self.builder.discard(previous)
            self._build_assistant()
        else:
            if old.listen != config.listen and self.assistant is not None:
                self.listening.retune(config.listen)
            if old.tools != config.tools and self.assistant is not None:
                self.assistant.set_tools_config(config.tools)
            if old.memory != config.memory and self.assistant is not None:
                self.assistant.set_memory_config(config.memory)
                self.memory_panel.refresh()  # "Memory is off…" shown, or gone
        if old.listen.always_listening != config.listen.always_listening:
            self.set_always_listening(config.listen.always_listening)
        self.refresh_state()

    # --- what the core does ------------------------------------------------------------------------

    def _on_event(self, event) -> None:
        self.window.apply_event(event)
        self.launcher.apply_event(event)
        stages = {s.role for s in self.assistant.stages} if self.assistant is not None else None
        self.indicators.model_event(event, stages)
        if isinstance(event, SpeechEnded):
            self.open_turn = event.turn_id  # before the listener hears it: a one-shot question stops there
        self.listening.on_event(event)
        self.screen.on_event(event)
        self.timers_panel.on_event(event)
        self.memory_panel.on_event(event)
        self.timer_alerts.on_event(event)
        self.notices.on_event(event)
        if isinstance(event, SpeechStarted):
            self.window.clear_error("no-speech")
        elif isinstance(event, SpeakingStarted):
            self.speaking = True
        elif isinstance(event, TurnEnded):
            if event.turn_id == self.open_turn:
                self.open_turn = None
                self.speaking = False
            self.conversations.turn_ended()
        self.refresh_state()

    def _speaks_aloud(self) -> bool:
        """Whether the assistant will say a timer's announcement: a voice, a speaker, and not muted."""
        return (self.assistant is not None and self.sink is not None and self.assistant.tts_stage is not None
                and not self.muted)

    def _show_alert(self, title: str, body: str) -> None:
        """A timer's notification where the desktop has no notification service: the tray's message, or the
        window's banner without a tray."""
        if not self.tray.show_message(title, body):
            self.window.show_error("", note=self.tr("{title}: {body}").format(title=title, body=body))

    def refresh_state(self) -> None:
        """Redraw the indicators from the state of the app and its parts."""
        listening = self.listening
        self.indicators.show(AppState(
            muted=listening.muted, listen_mode=listening.listen_mode, always_listening=listening.always_listening,
            mic_live=listening.mic_live, mic_lost=listening.mic_lost, has_assistant=self.assistant is not None,
            chat_ready=self.indicators.chat_ready, awake=listening.awake_timer.isActive(), open_turn=self.open_turn,
            speaking=self.speaking, wake_phrase=self.config.listen.wake_phrase,
            barge_in=self.config.listen.barge_in))
