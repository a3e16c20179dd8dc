"""Desktop notifications through a real notification server (dunst on Xvfb) on a private session bus; and no
notification, no exception, where there is no bus or no server."""

import threading

import pytest

from assistant.bus import EventBus
from assistant.contracts.events import TimerFired
from assistant.tools.timers import TimerService
from desktop import notifications
from testkit.desktop_bus import Dunst, session_bus
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
