"""The real app, hearing through a (virtual) microphone and speaking through a (virtual) speaker:
a recorded question played into the room reaches the app, and its spoken reply, captured from the
speaker, transcribes to the reply text. Then push-to-talk on the real global hotkey."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import bootstrap
from assistant.cli import sample_clip
from testkit.helpers import normalize, wait_until, wer
from testkit.xdisplay import LoggedProcess, xdisplay  # noqa: F401  (the fixture)
from tests.e2e.test_desktop_app import LAUNCHER_TITLE, MAIN_TITLE

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]
QUESTION = "What is the capital of France?"


def voice_turns(home: Path) -> list[tuple]:
    path = home / "data" / "history.sqlite3"
    if not path.exists():
        return []
    with sqlite3.connect(path) as db:
        try:
            return db.execute("SELECT question, answer, outcome FROM turns WHERE source = 'voice' ORDER BY id"
                              ).fetchall()
        except sqlite3.OperationalError:
            return []


@pytest.fixture(scope="module")
def room(pulse):
    """The speaker plays into its own null sink, so the app never hears itself and the test can record it."""
    with pulse.separate_speaker() as speaker_monitor:
        yield pulse, speaker_monitor


@pytest.fixture(scope="module")
def voice_app(room, xdisplay, tmp_path_factory):  # noqa: F811
    pulse, _ = room
    home = tmp_path_factory.mktemp("voice-home")
    env = {**pulse._client_env(), "DISPLAY": xdisplay.name, "ASSISTANT_CONFIG_DIR": str(home / "config"),
           "ASSISTANT_DATA_DIR": str(home / "data"), "PYTHONUNBUFFERED": "1",
           "ASSISTANT_UI_FIRST_RUN_DONE": "true"}  # a returning user: no first-run setup over the window
    env.pop("QT_QPA_PLATFORM", None)
    proc = LoggedProcess([sys.executable, "-m", "ui.entry", "-v", "app"], env)
    assert proc.wait_line("models ready on", 300), proc.output()
    yield proc, home, env
    proc.stop()


def test_a_spoken_question_gets_a_spoken_answer(voice_app, room, xdisplay, stt, artifacts):  # noqa: F811
    proc, home, env = voice_app
    pulse, speaker_monitor = room
    question = bootstrap.adapters().audio.read(sample_clip())
    speaker = pulse.record(speaker_monitor)
    try:
        done = subprocess.run([sys.executable, "-m", "ui.entry", "toggle", "listen"], env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert proc.wait_line("listening on", 30), proc.output()  # sound is flowing from the microphone
        pulse.play_into_mic(question, 16000)
        assert wait_until(lambda: len(voice_turns(home)) == 1, 120, interval=0.2), proc.output()
    finally:
        speaker.stop()
    heard, answer, outcome = voice_turns(home)[0]
    assert outcome == "completed"
    assert wer([QUESTION], [heard]) <= 0.2, heard
    reply_audio = speaker.audio()
    transcript = stt.transcribe(reply_audio).text
    assert normalize(transcript), "nothing came out of the speaker"
    assert wer([answer], [transcript]) <= 0.35, (answer, transcript)
    # The launcher shows the answer too; Esc (here: the toggle) puts it away, uncovering the main window.
    subprocess.run([sys.executable, "-m", "ui.entry", "toggle"], env=env, capture_output=True, timeout=60, check=True)
    assert wait_until(lambda: not xdisplay.visible_windows(LAUNCHER_TITLE, proc.pid), 10)
    window = xdisplay.wait_window(MAIN_TITLE, proc.pid, timeout=10)
    xdisplay.screenshot(artifacts / "main-window-voice.png", window)


def test_push_to_talk_on_the_global_hotkey(voice_app, room, xdisplay):  # noqa: F811
    proc, home, _ = voice_app
    pulse, _ = room
    before = len(voice_turns(home))
    listening_lines = sum("listening on" in line for line in proc.lines)
    xdisplay.xdotool("keydown", "ctrl+alt+v", check=True)
    try:
        assert wait_until(lambda: sum("listening on" in line for line in proc.lines) > listening_lines, 30), \
            proc.output()
        pulse.play_into_mic(bootstrap.adapters().audio.read(sample_clip()), 16000)
    finally:
        xdisplay.xdotool("keyup", "ctrl+alt+v", check=True)  # released: what was said is answered at once
    assert wait_until(lambda: len(voice_turns(home)) == before + 1, 120, interval=0.2), proc.output()
    heard, _, outcome = voice_turns(home)[-1]
    assert outcome == "completed" and wer([QUESTION], [heard]) <= 0.2, heard
