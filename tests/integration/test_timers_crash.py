"""A reminder set just before the process is killed (SIGKILL) is still there for the next one, which rings it,
or announces it as missed; the command line lists and cancels what another process set."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from assistant.bus import EventBus
from assistant.contracts.events import TimerFired
from assistant.tools.timers import TimerService
from testkit.helpers import REPO

# Sets a reminder, says so, and keeps the file open until it is killed: no stop(), no close, no checkpoint.
CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from assistant.bus import EventBus
    from assistant.tools.timers import TimerService

    service = TimerService(EventBus(), Path(sys.argv[1]))
    service.start()
    info = service.add_reminder(time.time() + float(sys.argv[2]), "call mum")
    print(f"set {info.id} {info.due!r}", flush=True)
    sys.stdin.readline()
""")


def set_then_kill(path, seconds_ahead):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(seconds_ahead)], cwd=REPO,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("set "), f"child said {line!r}; stderr: {proc.stderr.read() if not line else ''}"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        for stream in (proc.stdout, proc.stderr, proc.stdin):
            stream.close()
    assert proc.returncode == -signal.SIGKILL
    _, timer_id, due = line.split()
    return int(timer_id), float(due)


def wait_fired(bus, start, timer_id, timeout=60.0):
    got, done = [], threading.Event()

    def on(event):
        if isinstance(event, TimerFired) and event.timer_id == timer_id:
            got.append(event)
            done.set()

    bus.subscribe(on)
    start()
    assert done.wait(timeout), "the reminder set by the killed process never rang"
    return got[0]


@pytest.mark.timeout(120)
def test_a_reminder_set_before_a_kill_rings_in_the_next_process(tmp_path):
    path = tmp_path / "data" / "timers.sqlite3"
    timer_id, due = set_then_kill(path, 3)
    bus = EventBus()
    service = TimerService(bus, path)
    try:
        [info] = service.pending()
        assert (info.id, info.kind, info.label, info.due) == (timer_id, "reminder", "call mum", due)
        event = wait_fired(bus, service.start, timer_id)
        assert (event.due, event.missed, event.announcement) == (due, False, "Reminder: call mum.")
        assert time.time() >= due - 0.05
    finally:
        service.stop()


@pytest.mark.timeout(120)
def test_a_reminder_due_while_no_process_ran_is_announced_as_missed(tmp_path):
    path = tmp_path / "data" / "timers.sqlite3"
    timer_id, due = set_then_kill(path, 60)
    bus = EventBus()
    service = TimerService(bus, path, clock=lambda: time.time() + 3 * 3600)  # started again three hours later
    try:
        event = wait_fired(bus, service.start, timer_id)
        assert event.missed and event.due == due
        assert event.announcement.startswith("While I was off, you had a reminder at ")
        assert event.announcement.endswith(": call mum.")
        assert service.get(timer_id).state == "missed"
    finally:
        service.stop()


def cli(*args, data):
    return subprocess.run([sys.executable, "-m", "assistant", "-q", "timers", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "ASSISTANT_DATA_DIR": str(data)})


@pytest.mark.timeout(300)
def test_the_command_line_lists_and_cancels_what_a_killed_process_set(tmp_path):
    data = tmp_path / "data"
    timer_id, due = set_then_kill(data / "timers.sqlite3", 3600)
    listed = cli("list", "--json", data=data)
    assert listed.returncode == 0, listed.stderr
    [item] = json.loads(listed.stdout)["timers"]
    assert (item["id"], item["kind"], item["label"], item["due"]) == (timer_id, "reminder", "call mum", round(due, 3))
    assert 3000 < item["remaining_s"] <= 3600
    text = cli("list", data=data)
    assert "reminder" in text.stdout and "call mum" in text.stdout and "left)" in text.stdout
    cancelled = cli("cancel", str(timer_id), data=data)
    assert cancelled.returncode == 0 and f"cancelled reminder {timer_id}" in cancelled.stdout, cancelled.stderr
    again = cli("cancel", str(timer_id), data=data)
    assert again.returncode == 4 and "error [timer-not-found]:" in again.stderr
    assert "Traceback" not in again.stderr
    assert "no pending" in cli("list", data=data).stdout
    assert cli("cancel-all", data=data).stdout == "cancelled 0 items\n"
    everything = json.loads(cli("list", "--all", "--json", data=data).stdout)["timers"]
    assert [(i["id"], i["state"]) for i in everything] == [(timer_id, "cancelled")]


@pytest.mark.timeout(120)
def test_the_command_line_says_a_damaged_file_is_damaged_and_leaves_it(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    damaged = b"SQLite format 3\x00" + bytes(range(256)) * 16
    (data / "timers.sqlite3").write_bytes(damaged)
    proc = cli("list", data=data)
    assert proc.returncode == 4 and "error [timers-unavailable]:" in proc.stderr and "damaged" in proc.stderr
    assert (data / "timers.sqlite3").read_bytes() == damaged
