"""The notification policy in the desktop app (Qt offscreen): when a problem or the microphone is worth a desktop
notification, and how often. The desktop's notifications are a recorder here and the clock is the test's own;
tests/integration/test_notifications.py shows the same on a real notification server."""

from __future__ import annotations

import pytest

from assistant.config import Config
from assistant.contracts.errors import CATALOG
from assistant.contracts.events import ErrorOccurred, ListeningStarted
from assistant.history import HistoryStore
from ui.app import DesktopApp
from ui.notifications import REPEAT_S, worth_a_notice

LLM_DOWN = ("server-unreachable", "The local model server at http://127.0.0.1:11434 does not answer: start it.")
MIC_GONE = "the microphone went away: it stopped delivering audio; reconnect it; listening resumes when it is back."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def desktop(tmp_path, qapp):
    """The app running in the tray (as ``start`` leaves it, without building an assistant), its window hidden."""
    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"))
    app.sent, app.tray_messages = [], []
    app.notices.notify = lambda title, body, **hints: app.sent.append((title, body, hints)) or app.taken
    app.taken = True
    app.notices.clock = app.clock = Clock()
    app.tray.show_message = lambda title, body: app.tray_messages.append((title, body)) or True
    app.tray.show()
    yield app
    app.shutdown()
    app.window.quitting = True
    app.window.close()


def sent(app) -> list[tuple[str, str, dict]]:
    app.notices.wait()
    return app.sent


def test_a_problem_while_the_window_is_hidden_is_notified_once_a_minute(desktop):
    desktop._on_event(ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))
    [(title, body, hints)] = sent(desktop)
    assert title == CATALOG["server-unreachable"].summary and body == LLM_DOWN[1]
    assert hints == {"category": "x-assistant.error", "urgency": 1, "icon": "dialog-error"}
    assert desktop.window.banner_code == "server-unreachable"  # and in the window, for when it is opened

    desktop.clock.now += REPEAT_S - 1
    desktop._on_event(ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1], turn_id=7))
    desktop.report("the microphone is busy", "device-unavailable")  # another problem: said
    assert [s[0] for s in sent(desktop)] == [title, CATALOG["device-unavailable"].summary]
    desktop.clock.now += 1
    desktop._on_event(ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))  # a minute on: said again
    assert len(sent(desktop)) == 3


def test_nothing_is_notified_while_the_window_or_the_launcher_shows_it(desktop):
    desktop.window.show()
    desktop._on_event(ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))
    assert sent(desktop) == [] and desktop.window.banner_code == "server-unreachable"
    desktop.window.hide()
    desktop.launcher.popup()
    desktop.report("no microphone", "no-input-device")
    assert sent(desktop) == [] and "no microphone" in desktop.launcher.question.text()
    desktop.launcher.hide()
    desktop.report("no microphone", "no-input-device")  # not said yet: the window showed it then
    assert [s[1] for s in sent(desktop)] == ["no microphone"]


def test_an_app_that_is_not_running_in_the_tray_notifies_nothing(desktop):
    desktop.tray.hide()  # not started, or shut down
    desktop._on_event(ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))
    assert sent(desktop) == []


def test_no_speech_and_the_apps_own_states_are_never_notified(desktop):
    desktop._on_event(ErrorOccurred(code="no-speech", message="No speech heard.", turn_id=3))
    desktop.report("", "mic-muted", "The microphone is muted: unmute it from the tray menu.")
    desktop.report("", "voice-not-ready", "Speech recognition is not ready yet.")
    desktop._on_event(ErrorOccurred(code="screen-capture-cancelled", message="cancelled", turn_id=4))
    assert sent(desktop) == []


def test_the_rule_follows_the_catalog():
    """Noise and the user's own doing stay quiet; what breaks something they rely on is said."""
    quiet = ("no-speech", "empty-question", "audio-too-long", "mic-muted", "voice-not-ready", "assistant-closed",
             "screen-capture-cancelled", "mcp-call-cancelled", "memory-off", "output-unwritable")
    said = ("llm-failed", "server-unreachable", "model-missing", "no-input-device", "input-device-lost",
            "output-device-lost", "config-syntax", "cloud-auth", "history-unavailable", "memory-unavailable",
            "mcp-server-died", "timers-unavailable", "screen-capture-failed")
    assert [c for c in quiet if worth_a_notice(c)] == [] and [c for c in said if not worth_a_notice(c)] == []
    assert set(quiet + said) <= CATALOG.keys()
    assert worth_a_notice("a-newer-components-code")  # unknown: better said than lost


def test_where_the_desktop_has_no_notifications_the_tray_says_it(desktop, qtbot):
    desktop.taken = False
    desktop._on_event(ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))
    qtbot.waitUntil(lambda: desktop.tray_messages != [], timeout=5000)
    assert desktop.tray_messages == [(CATALOG["server-unreachable"].summary, LLM_DOWN[1])]

    desktop.notices.notify = None  # no notification service at all (another platform)
    desktop.report("the speaker is busy", "output-device-not-found")
    assert desktop.tray_messages[1] == (CATALOG["output-device-not-found"].summary, "the speaker is busy")


def test_a_microphone_lost_and_back_while_hidden_is_notified(desktop):
    desktop._on_event(ErrorOccurred(code="input-device-lost", message=MIC_GONE))
    desktop._on_event(ListeningStarted(source="default"))
    assert [(t, b, h["category"]) for t, b, h in sent(desktop)] == [
        ("Microphone lost: reconnecting…", MIC_GONE, "device.removed"),
        ("Microphone is back", "Listening again.", "device.added")]
    assert desktop.listening.mic_lost is False
    desktop._on_event(ErrorOccurred(code="input-device-lost", message=MIC_GONE))  # a flapping device: once a minute
    desktop._on_event(ListeningStarted(source="default"))
    assert len(sent(desktop)) == 2
    desktop._on_event(ListeningStarted(source="default"))  # listening again, nothing was lost: nothing to say
    desktop.clock.now += REPEAT_S
    desktop._on_event(ListeningStarted(source="default"))
    assert len(sent(desktop)) == 2


def test_a_microphone_back_while_the_window_is_shown_is_left_to_its_indicator(desktop):
    desktop.window.show()
    desktop._on_event(ErrorOccurred(code="input-device-lost", message=MIC_GONE))
    assert desktop.listening.mic_lost and desktop.window.banner_code == "input-device-lost"
    desktop._on_event(ListeningStarted(source="default"))
    assert sent(desktop) == [] and desktop.window.banner_code == ""
