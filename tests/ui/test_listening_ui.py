"""Always listening in the desktop app: the tray action, the listening indicator (window, launcher, tray), the
mute hotkey and the Listening settings (Qt offscreen).

The assistant runs on the real speech models (faster-whisper, Silero VAD) and hears a real, virtual microphone:
a private PulseAudio (testkit/pulse.py) into which the test plays synthesized speech. Only the language model is
scripted: what it answers does not matter here. The mute hotkey is pressed with xdotool on an Xvfb server, where
pynput hears it as it would on a desktop."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

from assistant.config import Config
from assistant.contracts.events import AwaitingQuestion, ListeningStarted, SpeechIgnored, TurnEnded, WakeDetected
from assistant.facade import Assistant
from assistant.history import HistoryStore
from testkit import tiny_wakeword
from testkit.fakes import ScriptedLLM
from testkit.helpers import delivered
from testkit.xdisplay import xdisplay  # noqa: F401  (the fixture)
from ui.app import DesktopApp

pytestmark = pytest.mark.timeout(300)

WAIT_MS = 20_000
RATE = 16_000  # what the virtual microphone's sink plays
WAKE_PHRASE = "Hey assistant."
_piper: list = []


def say(text: str) -> np.ndarray:
    """``text`` in the bundled Piper voice, 16 kHz, peak 0.5 (a user speaking into the room)."""
    from assistant.bootstrap import local_tts as create_tts
    from assistant.contracts.turns import CancelToken
    from audio.resample import resample

    if not _piper:
        _piper.append(create_tts(Config()))
        _piper[0].load()
    tts = _piper[0]
    audio = resample(np.concatenate(list(tts.synthesize(text, cancel=CancelToken(0)))), tts.sample_rate, RATE)
    return (audio * (0.5 / max(1e-6, float(np.abs(audio).max())))).astype(np.float32)


def pad(samples: np.ndarray, before_s: float, after_s: float) -> np.ndarray:
    return np.concatenate([np.zeros(int(before_s * RATE), np.float32), samples,
                           np.zeros(int(after_s * RATE), np.float32)])
HEAR_MS = 60_000  # speech played into the room, heard, transcribed and answered


@pytest.fixture
def desktop(tmp_path, qapp):
    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"))  # not started: built below
    yield app
    app.shutdown()
    app.launcher.hide()
    app.window.quitting = True
    app.window.close()


@pytest.fixture
def voice_desktop(desktop, qtbot, stt, vad, pulse):
    """The app with an assistant on the real speech models, handed over the way a finished build is; the
    microphone is the app's own (``bootstrap.adapters().audio.microphone``) on the virtual PulseAudio room. ``listened``
    records the keyword arguments of every ``assistant.listen`` call."""
    config = Config().replace("listen", follow_up_s=1.5)
    desktop.config = config
    assistant = Assistant(config, bus=desktop.bus, stt=stt, vad=vad,
                          llm=ScriptedLLM(pieces=("Paris.",), delay=0.0))
    assert assistant.wait_ready(120) == []
    desktop.listened = []
    listen = assistant.listen

    def spy(source, **kwargs):
        desktop.listened.append(kwargs)
        return listen(source, **kwargs)

    assistant.listen = spy
    desktop.builder.built.emit((desktop.builder.generation, assistant), None, [])
    qtbot.waitUntil(lambda: desktop.chat_ready and desktop.voice_ready, timeout=WAIT_MS)
    desktop.pulse = pulse
    return desktop


def always_on(desktop, qtbot) -> None:
    """Tick Always listening in the tray menu and wait until the microphone delivers."""
    desktop.tray.always_action.trigger()
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)


def play(desktop, samples) -> threading.Thread:
    """Play speech into the virtual room (the microphone hears it) on a thread of its own."""
    player = threading.Thread(target=desktop.pulse.play_into_mic, args=(pad(samples, 0.3, 0.5), RATE),
                              name="play-into-mic", daemon=True)
    player.start()
    return player


def indicators(desktop) -> tuple[str, str, str]:
    """What the window's indicator, the launcher's indicator and the tray icon show."""
    return desktop.window.listen_indicator.mode, desktop.launcher.listen_indicator.mode, desktop.tray.mode


def test_the_tray_action_listens_for_the_wake_phrase_across_turns(qtbot, voice_desktop):
    desktop = voice_desktop
    assert not desktop.tray.always_action.isChecked() and desktop.listen_state == "off"
    assert desktop.window.listen_indicator.text() == "Mic off"
    ended: list[TurnEnded] = []
    desktop.bridge.event.connect(lambda e: ended.append(e) if isinstance(e, TurnEnded) else None)

    always_on(desktop, qtbot)
    assert desktop.listened == [{"wake": True}]
    assert desktop.assistant.wake_listening and desktop.tray.always_action.isChecked()
    assert indicators(desktop) == ("waiting", "waiting", "waiting")
    assert desktop.window.listen_indicator.text() == "Say “hey assistant”"
    assert "say “hey assistant”" in desktop.tray.icon.toolTip()
    assert desktop.state == "idle"  # nothing said yet is answered: the badge does not claim "listening"

    player = play(desktop, say("Hey assistant, what is the capital of France?"))
    qtbot.waitUntil(lambda: any(e.outcome == "completed" for e in ended), timeout=HEAR_MS)
    player.join()
    question = desktop.window.conversation.turn(ended[0].turn_id)
    assert "capital of france" in question.question.lower() and question.reply == "Paris."
    # After the reply, the follow-up window: a question is taken without the phrase, and the indicator says so.
    qtbot.waitUntil(lambda: desktop.listen_state == "awake", timeout=WAIT_MS)
    assert indicators(desktop) == ("awake", "awake", "awake")
    assert desktop.state == "listening"
    # ... until it runs out (1.5 s): back to waiting for the phrase, on the same listener, kept across the turn.
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)
    assert desktop.assistant.wake_listening and desktop.listened == [{"wake": True}]

    desktop.tray.always_action.trigger()  # switched off: the listener stops
    qtbot.waitUntil(lambda: desktop.listen_state == "off" and not desktop.mic_live, timeout=WAIT_MS)
    assert not desktop.assistant.listening and not desktop.tray.always_action.isChecked()
    assert desktop.tray.icon.toolTip() == "Voice Assistant: microphone off"


def test_the_indicator_follows_events_published_from_a_worker_thread(qtbot, voice_desktop):
    desktop = voice_desktop
    always_on(desktop, qtbot)
    redraws = desktop.tray.redraws

    # Sound that is not for the assistant changes nothing: the tray icon is not drawn again for it.
    delivered(desktop, qtbot, [SpeechIgnored(reason="no-wake-phrase", duration=1.0) for _ in range(20)]
              + [ListeningStarted(source="microphone")])
    assert desktop.listen_state == "waiting" and desktop.tray.redraws == redraws

    delivered(desktop, qtbot, [WakeDetected(heard="Hey assistant", score=0.97, t_speech_start=0.0)])
    assert desktop.listen_state == "awake"
    assert indicators(desktop) == ("awake", "awake", "awake")
    assert desktop.window.listen_indicator.text() == "Ask now…"
    assert desktop.tray.icon.toolTip().startswith("Voice Assistant: listening: ask your question")
    assert desktop.tray.redraws == redraws + 1

    delivered(desktop, qtbot, [AwaitingQuestion(seconds=0.4, reason="wake")])  # the question may take 0.4 s
    assert desktop.listen_state == "awake"
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)  # it did not come
    assert indicators(desktop) == ("waiting", "waiting", "waiting")
    assert desktop.tray.redraws == redraws + 2

    desktop.tray.mute_action.trigger()  # muted: nothing is heard, and every indicator says so
    assert desktop.muted and desktop.listen_state == "muted"
    assert indicators(desktop) == ("muted", "muted", "muted")
    assert desktop.tray.icon.toolTip() == "Voice Assistant: microphone muted"
    assert not desktop.assistant.listening
    delivered(desktop, qtbot, [WakeDetected(heard="Hey assistant", score=0.97, t_speech_start=0.0)])  # late
    assert desktop.listen_state == "muted"

    desktop.tray.mute_action.trigger()  # unmuted: always listening resumes
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)
    assert desktop.listened == [{"wake": True}, {"wake": True}] and desktop.assistant.wake_listening


def test_the_phrase_alone_wakes_it_until_the_question_window_runs_out(qtbot, voice_desktop):
    desktop = voice_desktop
    always_on(desktop, qtbot)
    awaited: list[AwaitingQuestion] = []
    desktop.bridge.event.connect(lambda e: awaited.append(e) if isinstance(e, AwaitingQuestion) else None)
    player = play(desktop, say(WAKE_PHRASE))
    qtbot.waitUntil(lambda: desktop.listen_state == "awake", timeout=HEAR_MS)
    player.join()
    assert desktop.window.mic_button.toolTip().startswith("Listening for your question")
    qtbot.waitUntil(lambda: bool(awaited), timeout=WAIT_MS)
    assert awaited[0].reason == "wake"
    assert desktop.awake_timer.isActive() and desktop.open_turn is None


def test_a_click_on_the_microphone_asks_once_without_the_phrase_then_always_listening_resumes(qtbot,
                                                                                              voice_desktop):
    desktop = voice_desktop
    always_on(desktop, qtbot)
    with qtbot.waitSignal(desktop.window.mic_button.toggled_listening, timeout=WAIT_MS):
        qtbot.mouseClick(desktop.window.mic_button, Qt.MouseButton.LeftButton)
    assert desktop.listened == [{"wake": True}, {"wake": False}]  # one question, as one-shot listening always was
    assert desktop.listen_mode == "one-shot" and not desktop.assistant.wake_listening
    qtbot.waitUntil(lambda: desktop.listen_state == "listening", timeout=WAIT_MS)
    qtbot.mouseClick(desktop.window.mic_button, Qt.MouseButton.LeftButton)  # never mind
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)
    assert desktop.listened[-1] == {"wake": True} and desktop.assistant.wake_listening


def test_one_shot_listening_without_always_listening_stops_after_the_question(qtbot, voice_desktop):
    desktop = voice_desktop
    ended: list[TurnEnded] = []
    desktop.bridge.event.connect(lambda e: ended.append(e) if isinstance(e, TurnEnded) else None)
    assert desktop.start_listening(one_shot=True)
    assert desktop.listened == [{"wake": False}]
    qtbot.waitUntil(lambda: desktop.listen_state == "listening", timeout=WAIT_MS)
    assert desktop.window.listen_indicator.text() == "Listening"
    player = play(desktop, say("What is the capital of France?"))  # no phrase needed
    qtbot.waitUntil(lambda: bool(ended), timeout=HEAR_MS)
    player.join()
    qtbot.waitUntil(lambda: desktop.listen_state == "off", timeout=WAIT_MS)
    assert ended[0].outcome == "completed" and not desktop.assistant.listening
    assert desktop.listened == [{"wake": False}]  # nothing resumed: always listening is off


def test_changing_the_listening_settings_restarts_the_listener_without_reloading_models(qtbot, voice_desktop,
                                                                                         monkeypatch, tmp_path):
    desktop = voice_desktop
    always_on(desktop, qtbot)
    assistant = desktop.assistant
    rebuilt = []
    monkeypatch.setattr(desktop, "_build_assistant", lambda: rebuilt.append(True))
    new = desktop.config.replace("listen", wake_phrase="okay computer", follow_up_s=3.0, barge_in=False)
    desktop.apply_settings(new)
    assert rebuilt == [] and desktop.assistant is assistant  # no model was reloaded
    assert desktop.listened == [{"wake": True}, {"wake": True}]  # the wake listener restarted
    assert assistant.config.listen == new.listen and assistant.wake.phrase == "okay computer"
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)
    assert desktop.window.listen_indicator.text() == "Say “okay computer”"
    assert desktop.tray.always_action.text() == "Always listening (say “okay computer”)"

    desktop.apply_settings(new.replace("privacy", save_history=False))  # nothing about listening: no restart
    assert len(desktop.listened) == 2

    model = tiny_wakeword.build(tmp_path / "wakeword")  # a wake-word model: loaded by the listener, not a rebuild
    desktop.apply_settings(new.replace("listen", wake_model=str(model)))
    assert rebuilt == [] and desktop.assistant is assistant and len(desktop.listened) == 3
    assert assistant.spotter is not None
    qtbot.waitUntil(lambda: assistant.spotter.name == "openwakeword:loud", timeout=WAIT_MS)  # loaded
    spotter = assistant.spotter
    desktop.apply_settings(new.replace("listen", wake_model=str(model), follow_up_s=4.0))
    assert assistant.spotter is spotter  # the same model: kept
    desktop.apply_settings(new)
    assert assistant.spotter is None


def test_always_listening_on_a_missing_microphone_turns_itself_off_with_the_reason(qtbot, voice_desktop):
    desktop = voice_desktop
    desktop.config = desktop.config.replace("audio", input_device="No Such Microphone 1234")
    desktop.tray.always_action.trigger()
    qtbot.waitUntil(lambda: not desktop.tray.always_action.isChecked(), timeout=WAIT_MS)
    assert not desktop.always_listening and desktop.listen_state == "off"
    assert "No Such Microphone 1234" in desktop.window.banner_text.text()
    assert desktop.listened == [{"wake": True}]  # tried once, not again and again


def test_a_lost_microphone_is_reopened_and_always_listening_goes_on(qtbot, voice_desktop):
    desktop = voice_desktop
    always_on(desktop, qtbot)
    desktop.pulse.suspend_mic(True)  # the microphone stops delivering, as an unplugged one does
    try:
        qtbot.waitUntil(lambda: desktop.listen_state == "starting", timeout=WAIT_MS)
        assert desktop.window.listen_indicator.text() == "Microphone lost: reconnecting…"
        assert desktop.window.banner_code == "input-device-lost" and desktop.tray.always_action.isChecked()
    finally:
        desktop.pulse.suspend_mic(False)
    qtbot.waitUntil(lambda: desktop.listen_state == "waiting", timeout=WAIT_MS)
    assert desktop.listened == [{"wake": True}]  # the same listener reopened it
    assert desktop.window.banner_code == ""


def test_always_listening_waits_for_the_models_and_for_unmuting(qtbot, desktop):
    desktop.set_muted(True)
    desktop.tray.always_action.trigger()  # no assistant yet, and muted: it is remembered, not refused
    assert desktop.always_listening and desktop.listen_state == "muted"
    desktop.set_muted(False)
    assert desktop.listen_state == "starting"
    assert desktop.window.listen_indicator.text() == "Waiting for speech recognition…"
    assert desktop.window.banner_code == ""


# --- the mute hotkey -----------------------------------------------------------------------------------------


def test_the_mute_hotkey_toggles_mute_and_the_tray_action(qtbot, desktop, xdisplay, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DISPLAY", xdisplay.env["DISPLAY"])  # pynput listens on the X server; Qt stays offscreen
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.delenv("XDG_SESSION_TYPE", raising=False)
    desktop.config = desktop.config.replace("ui", mute_hotkey="<ctrl>+<alt>+m")
    desktop._start_hotkeys()
    assert desktop.hotkeys.problem is None
    assert desktop.hotkeys.mute_spec == "<ctrl>+<alt>+m"

    xdisplay.xdotool("key", "ctrl+alt+m", check=True)
    qtbot.waitUntil(lambda: desktop.muted, timeout=WAIT_MS)
    assert desktop.tray.mute_action.isChecked() and desktop.listen_state == "muted"
    assert desktop.tray.icon.toolTip() == "Voice Assistant: microphone muted"
    assert not desktop.tray.listen_action.isEnabled()

    xdisplay.xdotool("key", "ctrl+alt+m", check=True)
    qtbot.waitUntil(lambda: not desktop.muted, timeout=WAIT_MS)
    assert not desktop.tray.mute_action.isChecked() and desktop.listen_state == "off"

    desktop.tray.mute_action.trigger()  # the tray and the hotkey are one switch
    assert desktop.muted
    xdisplay.xdotool("key", "ctrl+alt+m", check=True)
    qtbot.waitUntil(lambda: not desktop.muted, timeout=WAIT_MS)
    assert not desktop.tray.mute_action.isChecked()

    listener = desktop.hotkeys._listener
    desktop.hotkeys.stop()
    xdisplay.xdotool("key", "shift", check=True)  # pynput's X record loop notices the stop on its next event
    qtbot.waitUntil(lambda: not listener.is_alive(), timeout=WAIT_MS)


def test_a_microphone_lost_and_back_while_in_the_tray_is_a_desktop_notification(qtbot, voice_desktop, xdisplay,  # noqa: F811
                                                                                  tmp_path, monkeypatch):
    """The real microphone going away and coming back, with the window hidden: dunst (a real notification server,
    on a private session bus) shows both."""
    from testkit.desktop_bus import Dunst, session_bus

    desktop = voice_desktop
    with session_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        dunst = Dunst(address, xdisplay.name, tmp_path / "dunst.log")
        try:
            desktop.tray.show()  # running in the tray, the window hidden
            always_on(desktop, qtbot)
            desktop.pulse.suspend_mic(True)
            try:
                qtbot.waitUntil(lambda: desktop.listening.mic_lost, timeout=WAIT_MS)
            finally:
                desktop.pulse.suspend_mic(False)
            qtbot.waitUntil(lambda: desktop.listen_state == "waiting" and not desktop.listening.mic_lost,
                            timeout=WAIT_MS)
            desktop.notices.wait()
            assert sorted(n["summary"] for n in dunst.shown()) == ["Microphone is back",
                                                                   "Microphone lost: reconnecting…"]
        finally:
            dunst.stop()
