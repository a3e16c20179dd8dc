"""Desktop notifications through a real notification server (dunst on Xvfb) on a private session bus; and no
notification, no exception, where there is no bus or no server. The desktop app's own (a problem or the microphone
while its window is in the tray) on the same server, the app on Qt's offscreen platform."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before pytest-qt creates the QApplication

import threading

import pytest

from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.errors import CATALOG
from assistant.contracts.events import ErrorOccurred, ListeningStarted, TimerFired
from assistant.history import HistoryStore
from assistant.tools.timers import TimerService
from desktop import notifications
from testkit.desktop_bus import Dunst, session_bus
from testkit.helpers import delivered
from testkit.xdisplay import xdisplay  # noqa: F401  (the fixture)


@pytest.fixture
def bus_address(monkeypatch):
    with session_bus() as address:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        yield address


@pytest.fixture
def dunst(bus_address, xdisplay, tmp_path):  # noqa: F811
    server = Dunst(bus_address, xdisplay.name, tmp_path / "dunst.log")
    yield server
    server.stop()


def test_a_notification_reaches_the_desktops_notification_server(dunst):
    assert notifications.notify("Timer done", "Your 10 minute timer is done.", sound=True)
    [shown] = dunst.shown()
    assert (shown["summary"], shown["body"]) == ("Timer done", "Your 10 minute timer is done.")
    assert shown["appname"] == notifications.APP_NAME and shown["category"] == "x-assistant.timer"


def test_the_category_is_the_callers(dunst):
    """(dunst's history does not keep the urgency: the server took the hints, and the category is there.)"""
    assert notifications.notify("Microphone is back", "Listening again.", category=notifications.DEVICE_ADDED,
                                urgency=notifications.LOW, icon="audio-input-microphone")
    [shown] = dunst.shown()
    assert (shown["summary"], shown["category"]) == ("Microphone is back", "device.added")


def test_a_timer_that_rings_is_shown_as_a_notification(dunst):
    """What the front-end does on TimerFired, with a real service and a real server."""
    bus, sent = EventBus(), threading.Event()
    results = []

    def on(event):
        if isinstance(event, TimerFired):
            results.append(notifications.notify(event.kind.capitalize(), event.announcement))
            sent.set()

    bus.subscribe(on)
    service = TimerService(bus, dunst.log.parent / "timers.sqlite3", twelve_hour=True)
    try:
        service.start()
        service.add_timer(1, "tea")
        assert sent.wait(60), "the timer never rang"
    finally:
        service.stop()
    assert results == [True]
    assert [(n["summary"], n["body"]) for n in dunst.shown()] == [("Timer", "Your tea timer is done.")]


def test_no_server_on_the_bus_is_false_at_once(bus_address, caplog):
    caplog.set_level("INFO", logger="desktop.notifications")
    assert notifications.notify("Timer done", "nobody shows this") is False
    # refused by the bus itself (no such service), not a call that waited out its timeout
    assert "org.freedesktop.Notifications was not provided" in caplog.text


def test_no_session_bus_is_false(monkeypatch, tmp_path):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus-here'}")
    assert notifications.notify("Timer done", "nobody shows this") is False
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS")
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    assert notifications.notify("Timer done", "nobody shows this") is False


@pytest.mark.parametrize("platform", ["win32", "darwin"])
def test_other_platforms_leave_it_to_the_tray_icon(monkeypatch, platform):
    monkeypatch.setattr(notifications.sys, "platform", platform)
    assert notifications.notify("Timer done", "shown by the tray icon instead") is False


# --- the desktop app: what it notifies while its window is in the tray ------------------------------------------

LLM_DOWN = ("server-unreachable", "The local model server at http://127.0.0.1:11434 does not answer: start it.")


@pytest.fixture
def desktop(dunst, qapp, tmp_path):
    """The app running in the tray, its window hidden (as ``start`` leaves it with ui.start_hidden, without
    building an assistant): its notifications go to dunst through the real adapter."""
    from ui.app import DesktopApp

    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"))
    app.tray.show()
    yield app
    app.shutdown()
    app.window.quitting = True
    app.window.close()


def published(desktop, qtbot, *events) -> None:
    """Publish ``events`` from a thread of the core's kind, wait until the GUI thread has handled them, and until
    the notifications they gave have been answered by the server."""
    delivered(desktop, qtbot, events)
    desktop.notices.wait()


def test_a_problem_while_the_window_is_in_the_tray_is_notified_once(desktop, dunst, qtbot):
    published(desktop, qtbot, ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))
    [shown] = dunst.shown()
    assert (shown["summary"], shown["body"]) == (CATALOG["server-unreachable"].summary, LLM_DOWN[1])
    assert shown["category"] == "x-assistant.error"

    published(desktop, qtbot, ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1], turn_id=2))  # again, at once
    assert len(dunst.shown()) == 1
    assert desktop.window.banner_code == "server-unreachable"  # the window has it, for when it is opened


def test_a_problem_while_the_window_is_shown_stays_in_its_banner(desktop, dunst, qtbot):
    desktop.window.show()
    published(desktop, qtbot, ErrorOccurred(code=LLM_DOWN[0], message=LLM_DOWN[1]))
    assert dunst.shown() == [] and desktop.notices.sent == []
    assert desktop.window.banner_code == "server-unreachable" and desktop.window.banner.isVisible()


def test_no_speech_while_in_the_tray_is_not_notified(desktop, dunst, qtbot):
    published(desktop, qtbot, ErrorOccurred(code="no-speech", message="No speech heard.", turn_id=1))
    assert dunst.shown() == [] and desktop.notices.sent == []


def test_a_microphone_lost_and_back_while_in_the_tray_is_notified(desktop, dunst, qtbot):
    """What the listener publishes when its microphone goes away and it reopens it (audio/microphone.py's message)."""
    gone = ("the microphone went away: it stopped delivering audio; reconnect it; listening resumes when it is "
            "back.")
    published(desktop, qtbot, ErrorOccurred(code="input-device-lost", message=gone))
    published(desktop, qtbot, ListeningStarted(source="default"))
    shown = sorted((n["summary"], n["body"], n["category"]) for n in dunst.shown())
    assert shown == [("Microphone is back", "Listening again.", "device.added"),
                     ("Microphone lost: reconnecting…", gone, "device.removed")]
