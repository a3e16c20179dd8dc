"""The voice visual (Qt offscreen, real widgets): its frames run only while it is on screen and something moves, it
paints the listening and speaking colours of the palette, the level sets its size, its words (and what a screen
reader reads) follow the state, and the app feeds it the microphone's level or the reply's."""

from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import pytest
from PySide6.QtGui import QColor

from assistant.config import Config
from assistant.contracts.events import ListeningStarted
from assistant.history import HistoryStore
from audio.sinks import RecordingSink, TeeSink
from ui import theme
from ui.app import DesktopApp
from ui.indicators import AppState, Indicators
from ui.launcher import LauncherWindow
from ui.main_window import MainWindow
from ui.tray import TrayIcon
from ui.voice_visual import FRAME_MS, QUIET_FRAME_MS, VoiceVisual, loudness, smoothed
from ui.widgets import listen_texts

WAIT_MS = 5_000
LOUD, QUIET = 0.5, 0.0  # RMS: -6 dBFS, silence

IDLE = AppState(muted=False, listen_mode=None, always_listening=False, mic_live=False, mic_lost=False,
                has_assistant=True, chat_ready=True, awake=False, open_turn=None, speaking=False,
                wake_phrase="hey assistant", barge_in=True)


class Level:
    """A level source the test turns up and down (what the microphone or the speaker reads)."""

    def __init__(self, rms: float = 0.0) -> None:
        self.rms = rms

    def __call__(self) -> float:
        return self.rms


@pytest.fixture
def visual(qtbot):
    v = VoiceVisual()
    qtbot.addWidget(v)
    v.resize(320, 64)
    return v


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    yield theme.apply(qapp, request.param)
    theme.apply(qapp, "light")


def shown(qtbot, widget) -> None:
    widget.show()
    qtbot.waitExposed(widget)


def pixels_of(visual: VoiceVisual, color: str, tolerance: int = 3) -> int:
    """How many of the orb's pixels are ``color`` (within ``tolerance`` per channel: antialiased edges are not)."""
    image = visual.orb.grab().toImage()
    want = QColor(color)
    count = 0
    for y in range(image.height()):
        for x in range(image.width()):
            c = image.pixelColor(x, y)
            if (abs(c.red() - want.red()) <= tolerance and abs(c.green() - want.green()) <= tolerance
                    and abs(c.blue() - want.blue()) <= tolerance):
                count += 1
    return count


def centre(visual: VoiceVisual) -> str:
    image = visual.orb.grab().toImage()
    return image.pixelColor(image.width() // 2, image.height() // 2).name()


def test_the_frames_run_only_while_shown_and_something_moves(qtbot, visual):
    visual.set_state("listening", "listening")
    assert not visual.timer.isActive()  # not on screen yet
    shown(qtbot, visual)
    assert visual.timer.isActive()
    visual.set_state("idle", "off")
    assert not visual.timer.isActive()  # nothing moves: not a frame
    visual.set_state("muted", "muted")
    assert not visual.timer.isActive()
    for state, mode in (("speaking", "off"), ("thinking", "off"), ("idle", "waiting"), ("listening", "awake")):
        visual.set_state(state, mode)
        assert visual.timer.isActive(), state
    visual.hide()
    assert not visual.timer.isActive()
    shown(qtbot, visual)
    assert visual.timer.isActive()


def test_waiting_for_the_phrase_in_a_quiet_room_looks_less_often(qtbot, visual):
    source = Level(QUIET)
    visual.set_level_source(source)
    visual.set_state("idle", "waiting", *listen_texts("waiting", "hey assistant"))
    shown(qtbot, visual)
    qtbot.waitUntil(lambda: visual.timer.interval() == QUIET_FRAME_MS, timeout=WAIT_MS)
    source.rms = LOUD  # someone speaks
    qtbot.waitUntil(lambda: visual.timer.interval() == FRAME_MS, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: visual.orb.level > 0.9, timeout=WAIT_MS)
    source.rms = QUIET
    qtbot.waitUntil(lambda: visual.timer.interval() == QUIET_FRAME_MS, timeout=WAIT_MS)
    visual.set_state("listening", "listening")  # a question: full speed at once
    assert visual.timer.interval() == FRAME_MS and visual.timer.isActive()


def test_the_windows_visual_stops_when_minimised_or_hidden_to_the_tray(qtbot):
    window = MainWindow()
    qtbot.addWidget(window)
    window.voice.set_state("speaking")
    shown(qtbot, window)
    assert window.voice.timer.isActive()
    window.showMinimized()
    assert not window.voice.timer.isActive()  # minimised: still "visible" to Qt, not on screen
    window.showNormal()
    assert window.voice.timer.isActive()
    window.close()  # to the tray: the app lives on
    assert window.isHidden() and not window.voice.timer.isActive()
    shown(qtbot, window)
    assert window.voice.timer.isActive()
    window.quitting = True


def test_the_launchers_visual_runs_only_while_the_launcher_is_up(qtbot):
    launcher = LauncherWindow()
    qtbot.addWidget(launcher)
    launcher.voice.set_state("listening", "listening")
    assert not launcher.voice.timer.isActive()
    shown(qtbot, launcher)
    assert launcher.voice.timer.isActive()
    launcher.hide()
    assert not launcher.voice.timer.isActive()


def test_listening_and_speaking_are_painted_in_their_palette_colours(qtbot, visual, palette):
    visual.set_level_source(Level(LOUD))
    shown(qtbot, visual)
    visual.set_state("listening", "listening")
    qtbot.waitUntil(lambda: visual.orb.level > 0.9, timeout=WAIT_MS)
    assert centre(visual) == palette.level
    visual.set_state("speaking")
    qtbot.waitUntil(lambda: visual.orb.level > 0.9, timeout=WAIT_MS)
    assert centre(visual) == palette.speaking
    assert palette.speaking != palette.level
    visual.set_state("idle")
    assert centre(visual) not in (palette.level, palette.speaking)


@pytest.mark.parametrize("state", ["listening", "speaking"])
def test_a_loud_level_paints_a_larger_orb_than_a_quiet_one(qtbot, visual, state):
    source = Level(QUIET)
    visual.set_level_source(source)
    visual.set_state(state, "listening" if state == "listening" else "off")
    shown(qtbot, visual)
    color = theme.current().level if state == "listening" else theme.current().speaking
    qtbot.waitUntil(lambda: visual.timer.isActive(), timeout=WAIT_MS)
    quiet = pixels_of(visual, color)
    source.rms = LOUD
    qtbot.waitUntil(lambda: visual.orb.level > 0.95, timeout=WAIT_MS)  # it rises at once
    loud = pixels_of(visual, color)
    assert quiet > 0 and loud > 1.8 * quiet, (quiet, loud)  # the disc's radius grows by 80%: its area by 3x
    source.rms = QUIET
    qtbot.waitUntil(lambda: visual.orb.level < 0.02, timeout=WAIT_MS)  # and falls back, slowly
    assert pixels_of(visual, color) < 0.6 * loud  # (as small as when quiet, give or take a breath)


def test_the_level_rises_at_once_and_falls_slowly():
    def after(level: float, target: float, seconds: float) -> float:
        for _ in range(round(seconds * 30)):  # frames of 1/30 s
            level = smoothed(level, target, 1 / 30)
        return level

    assert after(0.0, 1.0, 0.1) > 0.95  # a syllable shows at once
    assert after(1.0, 0.0, 0.1) > 0.6  # and does not vanish between two
    assert after(1.0, 0.0, 0.5) > 0.1
    assert after(1.0, 0.0, 1.5) < 0.01  # silence is shown soon enough
    assert after(0.5, 0.5, 1.0) == pytest.approx(0.5)


def test_loudness_maps_decibels_from_a_quiet_room_to_loud_speech():
    assert loudness(0.0) == 0.0 and loudness(1e-4) == 0.0  # -80 dBFS: nothing
    assert loudness(0.5) == 1.0
    assert 0.0 < loudness(0.01) < loudness(0.05) < 1.0  # -40 and -26 dBFS: speech, across the range


def test_the_words_and_the_accessible_name_follow_the_state(qtbot, visual):
    shown(qtbot, visual)
    expected = [
        (("listening", "listening", *listen_texts("listening", "")), "Listening", "Listening for your question"),
        (("speaking", "off"), "Speaking", "The assistant is answering aloud"),
        (("thinking", "off"), "Thinking…", "The assistant is working on the answer"),
        (("muted", "muted", *listen_texts("muted", "")), "Muted", "Microphone muted"),
        (("idle", "waiting", *listen_texts("waiting", "Hey assistant")), "Say “Hey assistant”",
         "Always listening: say “Hey assistant” and your question"),
        (("idle", "off"), "Ready", "Click the microphone to talk, or type a question"),
    ]
    for args, words, about in expected:
        visual.set_state(*args)
        assert visual.words.text() == words
        assert visual.accessibleName() == words
        assert visual.accessibleDescription() == about


def test_the_indicators_show_the_state_on_the_window_and_the_launcher(qtbot):
    window, launcher, tray = MainWindow(), LauncherWindow(), TrayIcon()
    qtbot.addWidget(window)
    qtbot.addWidget(launcher)
    indicators = Indicators(window, launcher, tray)
    cases = [
        ({"mic_live": True, "listen_mode": "one-shot"}, "listening", "Listening"),
        ({"open_turn": 1}, "thinking", "Thinking…"),
        ({"open_turn": 1, "speaking": True}, "speaking", "Speaking"),
        ({"listen_mode": "wake", "mic_live": True}, "waiting", "Say “hey assistant”"),
        ({"listen_mode": "wake", "mic_live": True, "awake": True}, "listening", "Ask now…"),
        ({"muted": True}, "muted", "Muted"),
        ({}, "idle", "Ready"),
    ]
    for changes, look, words in cases:
        indicators.show(dataclasses.replace(IDLE, **changes))
        for visual in (window.voice, launcher.voice):
            assert (visual.look, visual.words.text(), visual.accessibleName()) == (look, words, words), changes
    window.quitting = True


def test_the_app_feeds_the_microphones_level_while_listening_and_the_replys_while_speaking(qtbot, tmp_path):
    class Speaker:  # the sink's side of it is tested on a real speaker: tests/integration/test_live_audio.py
        level = 0.4
        reference = None

    class Microphone:
        level = 0.02

    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"))
    try:
        source = app.window.voice.level_source
        assert source is not None and source == app.launcher.voice.level_source == app.listening.level
        assert source() == 0.0  # nothing open, nothing playing
        app.listening.mic = Microphone()
        app.listening.on_event(ListeningStarted(source="microphone"))
        assert source() == 0.02
        app.sink, app.speaking = Speaker(), True
        assert source() == 0.4  # the reply, not the microphone hearing it
        app.sink = TeeSink(Speaker(), RecordingSink())
        assert source() == 0.4
        app.sink = RecordingSink()
        assert source() == 0.0  # a sink that keeps no level reads silent
        app.sink = None
        assert source() == 0.0
    finally:
        app.shutdown()
        app.window.quitting = True
        app.window.close()

