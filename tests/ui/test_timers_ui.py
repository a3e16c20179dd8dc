"""The timers panel on a real timer service, and what the front-end does when a timer rings."""

from datetime import datetime

import pytest

from assistant.bus import EventBus
from assistant.contracts.events import TimerFired
from assistant.tools.timers import TimerService
from audio.sinks import RecordingSink
from testkit.fakes import SetClock as Clock
from ui.main_window import MainWindow
from ui.timers_panel import TimerAlerts, TimersPanel, chime, clock_left, timer_service


@pytest.fixture
def clock():
    return Clock(datetime(2025, 6, 11, 13, 0).timestamp())


@pytest.fixture
def service(tmp_path, clock):
    made = TimerService(EventBus(), tmp_path / "timers.sqlite3", clock=clock, twelve_hour=True)
    yield made
    made.stop()


@pytest.fixture
def panel(qtbot, clock):
    widget = TimersPanel(clock=clock)
    qtbot.addWidget(widget)
    return widget


def test_time_left_as_a_clock_shows_it():
    assert [clock_left(s) for s in (252, 251.2, 59, 0, -3, 3852)] == ["4:12", "4:12", "0:59", "0:00", "0:00",
                                                                       "1:04:12"]


def test_the_panel_lists_what_is_pending_and_counts_down_while_visible(qtbot, panel, service, clock):
    panel.set_service(service)
    assert panel.isHidden() and not panel.tick.isActive()  # nothing pending: no panel, no timer
    four = service.add_timer(252)
    alarm = service.add_alarm(clock.now + 18 * 3600, "gym")
    reminder = service.add_reminder(clock.now + 4 * 3600, "call mum")
    panel.refresh()
    assert panel.isVisible() and panel.tick.isActive()
    assert list(panel.rows) == [four.id, reminder.id, alarm.id]  # soonest first
    rows = panel.rows
    assert rows[four.id].text.text() == "⏱ 4 minute 12 second timer" and rows[four.id].left.text() == "4:12"
    assert rows[reminder.id].text.text() == "🔔 Call mum" and rows[reminder.id].left.text() == "5 pm"
    assert rows[alarm.id].text.text() == "⏰ Alarm: gym" and rows[alarm.id].left.text() == "7 am tomorrow"
    clock.now += 12
    qtbot.waitUntil(lambda: rows[four.id].left.text() == "4:00", timeout=5000)  # the once-a-second redraw
    panel.hide()
    assert not panel.tick.isActive()  # hidden: no redraws


def test_cancel_buttons_cancel_and_the_panel_goes_when_empty(qtbot, panel, service):
    timer = service.add_timer(600, "pasta")
    panel.set_service(service)
    row = panel.rows[timer.id]
    assert row.text.text() == "⏱ Pasta"
    row.cancel.click()
    assert service.get(timer.id).state == "cancelled"
    assert panel.rows == {} and panel.isHidden()


def test_the_panel_follows_the_services_events(qtbot, panel, service):
    panel.set_service(service)
    events = []
    service.bus.subscribe(events.append)
    service.add_timer(60)
    for event in events:
        panel.on_event(event)
    assert len(panel.rows) == 1 and panel.isVisible()
    service.cancel_all()
    for event in events[1:]:
        panel.on_event(event)
    assert panel.rows == {} and panel.isHidden()


def test_the_main_window_shows_the_panel_under_the_banner(qtbot):
    panel = TimersPanel()
    window = MainWindow(timers_panel=panel)
    qtbot.addWidget(window)
    assert window.timers_panel is panel and panel.parent() is window.centralWidget()


def test_the_timer_service_is_found_on_the_assistant(service):
    class WithAttribute:
        timers = service

    assert timer_service(WithAttribute()) is service
    assert timer_service(object()) is None and timer_service(None) is None


def rang(kind="timer", missed=False):
    return TimerFired(timer_id=1, kind=kind, label="", due=0.0, missed=missed,
                      announcement="Your 10 minute timer is done.")


def alerts(qtbot, *, notify, speaks, sink=None):
    fallback = []
    made = TimerAlerts(notify, lambda title, body: fallback.append((title, body)), lambda: sink, lambda: speaks)
    return made, fallback


def test_a_ringing_timer_goes_to_the_desktops_notifications(qtbot):
    sent = []
    made, fallback = alerts(qtbot, notify=lambda title, body, sound: sent.append((title, body, sound)) or True,
                            speaks=True)
    made.on_event(rang())
    made.wait()
    qtbot.wait(50)
    assert sent == [("Timer", "Your 10 minute timer is done.", False)] and fallback == []


def test_without_a_notification_service_the_tray_shows_it(qtbot):
    made, fallback = alerts(qtbot, notify=lambda title, body, sound: False, speaks=True)
    made.on_event(rang("alarm", missed=True))
    made.wait()
    qtbot.waitUntil(lambda: fallback == [("Alarm (missed)", "Your 10 minute timer is done.")], timeout=5000)
    made, fallback = alerts(qtbot, notify=None, speaks=True)
    made.on_event(rang())
    qtbot.waitUntil(lambda: fallback == [("Timer", "Your 10 minute timer is done.")], timeout=5000)


def test_a_chime_plays_when_nothing_will_be_said(qtbot):
    sink = RecordingSink()
    made, _ = alerts(qtbot, notify=lambda title, body, sound: True, speaks=False, sink=sink)
    made.on_event(rang())
    made.wait()
    [(_, samples, rate)] = sink.blocks
    assert rate == 24000 and len(samples) == len(chime()) and 0.2 < abs(samples).max() <= 0.35
    made.on_event(rang(missed=True))  # told at start-up, long after it rang: no chime
    made, _ = alerts(qtbot, notify=lambda title, body, sound: True, speaks=True, sink=sink)
    made.on_event(rang())  # the assistant says it: no chime
    made.wait()
    assert len(sink.blocks) == 1


def test_the_app_shows_a_ringing_timer_without_a_notification_service(qtbot, qapp, tmp_path, monkeypatch):
    from assistant.config import Config
    from assistant.history import HistoryStore
    from ui.app import DesktopApp

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")  # no notifications here
    app = DesktopApp(Config(), history=HistoryStore(tmp_path / "history.sqlite3"))  # not started: no models
    try:
        assert app.window.timers_panel is app.timers_panel and not app._speaks_aloud()
        app._on_event(rang())
        app.timer_alerts.wait()
        qtbot.waitUntil(lambda: app.window.banner.isVisibleTo(app.window), timeout=5000)  # no tray offscreen
        assert app.window.banner_text.text() == "Timer: Your 10 minute timer is done."
    finally:
        app.shutdown()
