"""The workers' slots (testkit/parallel.py): an echo test has the machine to itself, the others share it."""

from __future__ import annotations

import threading

from testkit.parallel import EXCLUSIVE_FILES, worker_slot

ECHO = f"{EXCLUSIVE_FILES[0]}::test_x"
OTHER = "tests/unit/test_other.py::test_y"


def test_an_exclusive_test_waits_for_the_tests_in_progress_and_others_wait_for_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    order: list[str] = []
    in_other, other_may_end, late_started = threading.Event(), threading.Event(), threading.Event()

    def other_test() -> None:  # a test on another worker, in progress when the echo test comes
        with worker_slot(OTHER, tmp_path):
            in_other.set()
            other_may_end.wait(10)
            order.append("other ends")

    def echo_test() -> None:
        with worker_slot(ECHO, tmp_path):
            order.append("echo runs")
            late.start()  # a test the other worker starts meanwhile waits until the echo test is over
            late_started.wait(0.5)
            order.append("echo ends")

    def late_test() -> None:
        with worker_slot(OTHER, tmp_path):
            late_started.set()
            order.append("late runs")

    late = threading.Thread(target=late_test)
    first = threading.Thread(target=other_test)
    first.start()
    assert in_other.wait(10)
    echo = threading.Thread(target=echo_test)
    echo.start()
    echo.join(0.5)
    assert order == []  # the echo test has not started while the other test runs
    other_may_end.set()
    first.join(10)
    echo.join(10)
    late.join(10)
    assert order == ["other ends", "echo runs", "echo ends", "late runs"]


def test_two_shared_slots_run_together(tmp_path, monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw1")
    with worker_slot(OTHER, tmp_path):
        entered = threading.Event()

        def beside() -> None:
            with worker_slot(OTHER, tmp_path):
                entered.set()

        thread = threading.Thread(target=beside)
        thread.start()
        assert entered.wait(10)  # not held back by the slot already taken
        thread.join(10)
