"""How `make test` shares the machine between its pytest-xdist workers.

The tests that listen or play in real time (PulseAudio, audio fed at the speed of speech) form one group that
runs on the first worker, at normal priority, before anything else there. The other workers run at a lower
priority (nice 10), and so does everything they start: a model answering there yields the cores whenever a
real-time test needs them, and takes them whenever that test waits for the clock. A real-time test therefore
sees the machine as it would in a serial run, whatever else is busy, while the rest of the suite runs beside it.
Once the real-time group is over, the first worker lowers its priority too, so all share alike what the machine
gives them (on a machine kept busy by something else, that is their share, not the whole of it). Every other test
file is a unit of its own, so its module fixtures are built once, on one worker.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from xdist.scheduler import LoadScopeScheduling

try:
    import fcntl
except ImportError:  # Windows: no pausing, the workers just share the machine
    fcntl = None

REALTIME = "realtime"  # the work unit of the real-time tests
# Timed by the clock: real audio devices (the PulseAudio room), or audio fed at the speed of speech.
REALTIME_FILES = ("tests/integration/test_always_listening.py", "tests/integration/test_voice_turn.py",
                  "tests/integration/test_echo_live.py", "tests/integration/test_live_audio.py",
                  "tests/ui/test_listening_ui.py", "tests/e2e/test_desktop_voice.py", "tests/ui/test_first_run.py")
# Of those, the ones that measure the sound itself as it plays and is recorded (what the microphone recorded against
# what was played; the echo canceller following the speaker): a gap where a starved player fell behind is a
# failure there. The other workers pause between their tests while one runs, so it sees the machine a serial run
# would give it.
EXCLUSIVE_FILES = ("tests/integration/test_echo_live.py", "tests/integration/test_live_audio.py")
FIRST = "gw0"  # the worker that runs them, at normal priority
LOW_PRIORITY = 10
_lowered = False  # this worker's priority is down already


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def lower_priority(nodeid: str | None = None) -> None:
    """Drop this worker's priority (new threads and processes inherit it): at start in every worker but the first;
    in the first, at its first test that is not a real-time one (the real-time unit, taken first, is over), so
    both workers share what the machine gives them alike from then on. Outside a parallel run, nothing."""
    global _lowered
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if _lowered or not worker or not hasattr(os, "nice"):
        return
    if nodeid is None and worker == FIRST:
        return
    if nodeid is not None and _file_of(nodeid) in REALTIME_FILES:
        return
    os.nice(LOW_PRIORITY)
    _lowered = True


@contextlib.contextmanager
def worker_slot(nodeid: str, lock_dir: Path):
    """Hold the workers' lock while one test runs: shared for most tests, exclusive for ``EXCLUSIVE_FILES`` (it
    waits for the tests in progress on the other workers to end, and they start no new one until it is over).
    A gate taken before the lock keeps new shared holders from starving an exclusive one. Outside a parallel
    run, nothing."""
    if not os.environ.get("PYTEST_XDIST_WORKER") or fcntl is None:
        yield
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    exclusive = _file_of(nodeid) in EXCLUSIVE_FILES
    with open(lock_dir / "test-workers.gate", "a") as gate, open(lock_dir / "test-workers.lock", "a") as lock:
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class RealtimeFirstScheduling(LoadScopeScheduling):
    """``--dist loadgroup`` with one group: the real-time tests, which go to the first worker, first, and to no
    other; every other test file is a unit of its own (its module fixtures, such as a running app whose tests
    follow one another, stay on one worker)."""

    def _split_scope(self, nodeid: str) -> str:
        path = _file_of(nodeid)
        return REALTIME if path in REALTIME_FILES else path

    def _takes_realtime(self, node) -> bool:
        return node.gateway.id == FIRST or all(n.gateway.id != FIRST for n in self.nodes)  # gw0 crashed: anyone

    def _next_scope(self, node) -> str | None:
        if REALTIME in self.workqueue and self._takes_realtime(node):
            return REALTIME
        return next((scope for scope in self.workqueue if scope != REALTIME), None)

    def _assign_work_unit(self, node) -> None:
        scope = self._next_scope(node)
        if scope is None:
            return  # only the real-time group is left, and it is not this worker's
        work_unit = self.workqueue.pop(scope)
        self.assigned_work.setdefault(node, {})[scope] = work_unit
        collection = self.registered_collections[node]
        node.send_runtest_some([collection.index(nodeid) for nodeid, done in work_unit.items() if not done])

    def _reschedule(self, node) -> None:
        if node.shutting_down:
            return
        if self._next_scope(node) is None:
            if self._pending_of(self.assigned_work.get(node, {})) == 0:
                node.shutdown()
            return
        if self._pending_of(self.assigned_work[node]) <= 2:
            self._assign_work_unit(node)
