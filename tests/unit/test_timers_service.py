"""The timer service on a real SQLite file: firing, cancelling, changing, listing, missed at start, a restart,
a damaged or locked file, private modes, and its tools through the toolbox."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
import time
from datetime import datetime

import pytest

from assistant.bus import EventBus
from assistant.contracts.events import ErrorOccurred, TimerFired, TimersChanged
from assistant.contracts.tools import ToolCall, ToolError
from assistant.contracts.turns import CancelToken
from assistant.tools import timers
from assistant.tools.intents import IntentMatcher
from assistant.tools.timers import TimerService
from assistant.tools.toolbox import Toolbox
from testkit.fakes import SetClock as Clock

WAIT_S = 60.0  # generous: a loaded 2-core machine may be slow to schedule the thread, never this slow


class Events:
    """What the bus carried, and a wait for the one a test expects."""

    def __init__(self, bus: EventBus) -> None:
        self.items: list = []
        self._cond = threading.Condition()
        bus.subscribe(self._add)

    def _add(self, event) -> None:
        with self._cond:
            self.items.append((time.time(), event))
            self._cond.notify_all()

    def of(self, kind) -> list:
        with self._cond:
            return [e for _, e in self.items if isinstance(e, kind)]

    def wait(self, predicate, timeout: float = WAIT_S):
        """The first event that fits, and the wall-clock time it arrived."""
        def found():
            return next(((t, e) for t, e in self.items if predicate(e)), None)

        with self._cond:
            assert self._cond.wait_for(lambda: found() is not None, timeout), f"no such event in {self.items}"
            return found()


@pytest.fixture
def bus():
    return EventBus()


@pytest.fixture
def events(bus):
    return Events(bus)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "timers.sqlite3"


@pytest.fixture
def services():
    made: list[TimerService] = []
    yield made
    for service in made:
        service.stop()
    assert not [t for t in threading.enumerate() if t.name == "timers"], "a scheduler thread outlived its service"


@pytest.fixture
def make(bus, path, services):
    def make_service(clock=time.time, **kwargs):
        service = TimerService(kwargs.pop("bus", bus), kwargs.pop("path", path), clock=clock, twelve_hour=False,
                               **kwargs)
        services.append(service)
        return service

    return make_service


def fired(timer_id):
    return lambda e: isinstance(e, TimerFired) and e.timer_id == timer_id


def test_a_one_second_timer_fires_at_its_due_time(make, events):
    service = make()
    service.start()
    info = service.add_timer(1)
    assert info.kind == "timer" and info.state == "pending" and info.due == pytest.approx(time.time() + 1, abs=1)
    arrived, event = events.wait(fired(info.id))
    assert arrived >= info.due - 0.05  # not before it was due (however late a busy machine made it)
    assert (event.kind, event.due, event.missed) == ("timer", info.due, False)
    assert event.announcement == "Your 1 second timer is done."
    assert service.get(info.id).state == "fired"
    assert service.pending() == []
    assert events.of(TimersChanged)[-1].count == 0


def test_an_alarm_and_a_reminder_fire_in_order(make, events):
    service = make()
    service.start()
    now = time.time()
    reminder = service.add_reminder(now + 1.5, "check the oven")
    alarm = service.add_alarm(now + 1.0, "stretch")
    _, first = events.wait(fired(alarm.id))
    _, second = events.wait(fired(reminder.id))
    assert [e.timer_id for e in events.of(TimerFired)] == [alarm.id, reminder.id]
    assert first.announcement.startswith("It's ") and first.announcement.endswith(": stretch.")
    assert second.announcement == "Reminder: check the oven."


def test_a_cancelled_timer_never_fires(make, events):
    clock = Clock(datetime(2025, 6, 11, 13, 0).timestamp())
    service = make(clock)
    service.start()
    cancelled = service.add_alarm(clock.now + 60, "cancelled")
    kept = service.add_alarm(clock.now + 60, "kept")  # fires in the same pass: the sentinel
    assert service.cancel(cancelled.id).id == cancelled.id
    assert service.get(cancelled.id).state == "cancelled"
    with pytest.raises(ToolError) as info:
        service.cancel(cancelled.id)
    assert info.value.code == "timer-not-found"
    clock.now += 61
    service.recheck()
    events.wait(fired(kept.id))
    assert [e.timer_id for e in events.of(TimerFired)] == [kept.id]


def test_cancel_all_of_a_kind(make):
    service = make()
    t1, t2 = service.add_timer(60), service.add_timer(120)
    alarm = service.add_alarm(time.time() + 3600)
    assert service.cancel_all("timer") == 2
    assert [i.id for i in service.pending()] == [alarm.id]
    assert {service.get(t1.id).state, service.get(t2.id).state} == {"cancelled"}
    assert service.cancel_all() == 1 and service.pending() == []


def test_change_and_extend_move_the_due_time(make, events):
    clock = Clock(datetime(2025, 6, 11, 13, 0).timestamp())
    service = make(clock)
    service.start()
    alarm = service.add_alarm(clock.now + 3600)
    moved = service.change(alarm.id, clock.now + 60)
    assert moved.due == clock.now + 60 and service.get(alarm.id).due == clock.now + 60
    timer = service.add_timer(300)
    longer = service.extend(timer.id, 120)
    assert longer.due == timer.due + 120 and longer.duration == 420
    clock.now += 61
    service.recheck()
    _, event = events.wait(fired(alarm.id))
    assert event.due == clock.now - 1
    assert service.get(timer.id).state == "pending"


def test_pending_lists_soonest_first_and_says_the_time_left(make):
    clock = Clock(datetime(2025, 6, 11, 13, 0).timestamp())
    service = make(clock)
    ten = service.add_timer(600)
    four = service.add_timer(252)
    assert [i.id for i in service.pending()] == [four.id, ten.id]
    assert service.summary(service.pending("timer"), "timer") == \
        "You have 2 timers: 4 minutes 12 seconds left, and 10 minutes left."
    service.add_reminder(clock.now + 4 * 3600, "call mum")
    assert service.summary(service.pending("reminder"), "reminder") == "You have 1 reminder: at 17:00 to call mum."
    assert service.summary([], "alarm") == "You have no alarms."


def test_what_came_due_while_off_is_announced_once_as_missed(make, bus, path, events):
    t0 = datetime(2025, 6, 11, 14, 0).timestamp()
    first = make(Clock(t0))
    timer = first.add_timer(300)  # due 14:05
    reminder = first.add_reminder(t0 + 1800, "call mum")  # due 14:30
    first.stop()

    later = Clock(t0 + 7200)  # the app starts again at 16:00
    second = make(later)
    second.start()
    _, missed_timer = events.wait(fired(timer.id))
    _, missed_reminder = events.wait(fired(reminder.id))
    assert missed_timer.missed and missed_reminder.missed
    assert missed_timer.announcement == "While I was off, your 5 minute timer went off at 14:05."
    assert missed_reminder.announcement == "While I was off, you had a reminder at 14:30: call mum."
    assert second.get(timer.id).state == "missed"
    second.stop()

    third = make(later)  # started again: nothing is announced twice
    sentinel = third.add_alarm(later.now + 1)
    later.now += 2
    third.start()
    events.wait(fired(sentinel.id))
    assert [e.timer_id for e in events.of(TimerFired)] == [timer.id, reminder.id, sentinel.id]
    assert not next(e for e in events.of(TimerFired) if e.timer_id == sentinel.id).missed


def test_due_just_before_the_start_is_late_not_missed(make, events):
    t0 = datetime(2025, 6, 11, 14, 0).timestamp()
    first = make(Clock(t0))
    timer = first.add_timer(10)
    first.stop()
    second = make(Clock(t0 + 15))  # a rebuild of the assistant, a few seconds late
    second.start()
    _, event = events.wait(fired(timer.id))
    assert not event.missed and event.announcement == "Your 10 second timer is done."


def test_everything_survives_a_restart_of_the_service(make):
    first = make()
    timer = first.add_timer(600, "pasta")
    alarm = first.add_alarm(time.time() + 3600)
    reminder = first.add_reminder(time.time() + 7200, "call mum")
    before = first.pending()
    first.stop()
    second = make()
    assert second.pending() == before
    assert [(i.id, i.kind, i.label) for i in second.pending()] == [
        (timer.id, "timer", "pasta"), (alarm.id, "alarm", ""), (reminder.id, "reminder", "call mum")]


def test_a_timer_follows_the_elapsed_time_when_the_wall_clock_is_set_back(make, events):
    wall, started = Clock(time.time()), time.monotonic()
    service = make(lambda: wall.now + (time.monotonic() - started))
    service.start()
    info = service.add_timer(1)
    wall.now -= 3600  # the clock is set back an hour: a 1 second timer still rings after a second
    service.recheck()
    _, event = events.wait(fired(info.id), timeout=WAIT_S)
    assert event.due == info.due


def test_an_alarm_follows_the_wall_clock_set_forward(make, events, monkeypatch):
    monkeypatch.setattr(timers, "MAX_WAIT_S", 0.2)  # how soon the scheduler looks at the wall clock again
    clock = Clock(datetime(2025, 6, 11, 13, 0).timestamp())
    service = make(clock)
    service.start()
    alarm = service.add_alarm(clock.now + 3600)
    clock.now += 3601  # no recheck(): the scheduler notices by itself
    events.wait(fired(alarm.id))


def test_the_file_and_its_folder_are_private(make, path):
    service = make()
    service.add_timer(60)
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for name in (path.name, path.name + "-wal", path.name + "-shm"):
        each = path.with_name(name)
        assert each.exists(), name  # WAL mode
        assert stat.S_IMODE(each.stat().st_mode) == 0o600, name


def test_a_damaged_file_gives_a_clear_error_and_is_left_untouched(make, path, bus, events):
    path.parent.mkdir(mode=0o700)
    damaged = b"SQLite format 3\x00" + os.urandom(4000)
    path.write_bytes(damaged)
    service = make()  # does not raise: the assistant goes on
    assert service.problem is not None and service.problem.code == "timers-unavailable"
    assert "damaged" in service.problem.message and str(path) in service.problem.message
    with pytest.raises(ToolError) as info:
        service.add_timer(60)
    assert info.value.code == "timers-unavailable"
    service.start()
    _, error = events.wait(lambda e: isinstance(e, ErrorOccurred))
    assert error.code == "timers-unavailable"
    result = Toolbox(bus, sources=[service])
    with pytest.raises(ToolError):
        result.run(ToolCall("timers.list", {}), turn_id=1, cancel=CancelToken(1))
    service.stop()
    assert path.read_bytes() == damaged
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no -wal, no -shm, no journal


def test_a_file_that_is_not_a_database_is_left_untouched(make, path):
    path.parent.mkdir(mode=0o700)
    path.write_text("my notes, not a database\n" * 50)
    before = path.read_bytes()
    service = make()
    with pytest.raises(ToolError) as info:
        service.pending()
    assert info.value.code == "timers-unavailable" and "damaged" in info.value.message
    service.stop()
    assert path.read_bytes() == before


def test_a_locked_file_gives_a_clear_error_and_works_once_free(make, path):
    first = make()
    first.add_timer(60)
    first.stop()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        service = make()
        with pytest.raises(ToolError) as info:
            service.add_timer(60)
        assert info.value.code == "timers-unavailable" and "in use by another program" in info.value.message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert len(service.pending()) == 1  # opened again on the next use
    service.add_timer(30)
    assert len(service.pending()) == 2


def test_the_tools_speak_and_change_only_the_assistants_own_state(make, bus):
    clock = Clock(datetime(2025, 6, 11, 13, 0).timestamp())
    service = make(clock)
    box = Toolbox(bus, sources=[service])
    tools = {t.name: t for t in service.tools()}
    assert set(tools) == {"timers.start", "timers.cancel", "timers.list", "timers.extend", "alarms.set",
                          "reminders.add"}
    assert all(t.family == "timers" and not t.changes and not t.network and t.keywords for t in tools.values())
    assert all(not box.needs_confirmation(t) for t in tools.values())

    def run(name, **arguments):
        return box.run(ToolCall(name, arguments), turn_id=1, cancel=CancelToken(1)).say

    assert run("timers.start", seconds=600) == "Timer set for 10 minutes."
    assert run("timers.start", seconds=252, label="eggs") == "Eggs timer set for 4 minutes 12 seconds."
    assert run("timers.list", kind="timer") == \
        "You have 2 timers: eggs, 4 minutes 12 seconds left, and 10 minutes left."
    with pytest.raises(ToolError) as info:
        run("timers.cancel", kind="timer")
    assert info.value.code == "timer-ambiguous" and "10 minute timer" in info.value.message
    assert run("timers.cancel", kind="timer", match="eggs") == "Cancelled your eggs timer."
    assert run("timers.cancel", kind="timer", match="10 minutes") == "Cancelled your 10 minute timer."
    assert run("timers.cancel", kind="timer") == "You have no timers to cancel."
    assert run("alarms.set", when="7 am") == "Alarm set for 7:00 tomorrow."
    assert run("reminders.add", when="in 20 minutes", text="check the oven") == \
        "OK, I'll remind you in 20 minutes to check the oven."
    assert run("reminders.add", when="at 5", text="call mum") == "OK, I'll remind you at 17:00 to call mum."
    assert run("timers.cancel", kind="alarm", match="7 am") == "Cancelled your 7:00 alarm."
    assert run("timers.cancel", kind="reminder", all=True) == "Cancelled 2 reminders."
    with pytest.raises(ToolError) as info:
        run("alarms.set", when="banana")
    assert info.value.code == "timer-time-unclear"
    assert info.value.message == "I couldn't tell when 'banana' is: say a time like 'at 5 pm' or 'in 20 minutes'."
    with pytest.raises(ToolError) as info:
        run("timers.start", seconds=0)  # the schema refuses it before the tool runs
    assert info.value.code == "tool-arguments-invalid"


def test_spoken_requests_run_end_to_end(make, bus):
    clock = Clock(datetime(2025, 6, 11, 13, 0).timestamp())
    service = make(clock)
    box, intents = Toolbox(bus, sources=[service]), IntentMatcher(service.matchers())

    def say(text):
        return box.run(intents.match(text), turn_id=1, cancel=CancelToken(1)).say

    assert say("set a timer for 10 minutes") == "Timer set for 10 minutes."
    assert say("add 5 minutes to my timer") == "Added 5 minutes: 15 minutes left."
    assert say("how much time is left on my timer") == "You have 1 timer: 15 minutes left."
    assert say("wake me up at 6:45") == "Alarm set for 6:45 tomorrow."
    assert say("remind me tomorrow at 9 am to take the bins out") == \
        "OK, I'll remind you at 9:00 tomorrow to take the bins out."
    assert say("cancel the timer") == "Cancelled your 15 minute timer."
    assert say("what alarms do I have") == "You have 1 alarm: 6:45 tomorrow."
    assert say("cancel all alarms") == "Cancelled your 6:45 alarm."
