"""Committed turns survive the process being killed (SIGKILL), and the database stays sound."""

import subprocess
import sys
import textwrap

import pytest

from assistant.history import HistoryStore
from testkit.helpers import REPO

CHILD = textwrap.dedent("""
    import sys
    from pathlib import Path
    from assistant.history import HistoryStore

    path, count = Path(sys.argv[1]), int(sys.argv[2])  # count 0: keep writing until killed
    store = HistoryStore(path)
    cid = store.new_conversation("crash test")
    i = 0
    while count == 0 or i < count:
        store.add_turn(cid, question=f"question {i}", answer=f"answer {i} " + "x" * 2000, outcome="completed",
                       source="text", timings_ms={"i": i}, turn_id=i)
        print(f"committed {i}", flush=True)
        i += 1
    print("waiting", flush=True)
    sys.stdin.readline()  # hold the connection open until killed
""")


def run_child(path, count, lines_to_read):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(path), str(count)], cwd=REPO, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for i in range(lines_to_read):
            line = proc.stdout.readline()
            assert line == f"committed {i}\n", f"child said {line!r}; stderr: {proc.stderr.read() if not line else ''}"
    finally:
        proc.kill()  # SIGKILL on POSIX: no cleanup, no close(), no checkpoint
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
        proc.stdin.close()
    return proc


def reopen_and_check(path):
    store = HistoryStore(path)
    try:
        assert store.integrity_check() == "ok"
        [summary] = store.conversations()
        return store.turns(summary.id)
    finally:
        store.close()


@pytest.mark.timeout(120)
def test_committed_turns_survive_a_kill_while_idle(tmp_path):
    path, n = tmp_path / "history.sqlite3", 25
    proc = run_child(path, n, n)
    assert proc.returncode != 0
    turns = reopen_and_check(path)
    assert [t.question for t in turns] == [f"question {i}" for i in range(n)]
    assert turns[-1].timings_ms == {"i": n - 1}


@pytest.mark.timeout(120)
def test_committed_turns_survive_a_kill_mid_write(tmp_path):
    path, n = tmp_path / "history.sqlite3", 40
    run_child(path, 0, n)  # killed while it keeps committing
    turns = reopen_and_check(path)
    assert len(turns) >= n  # everything reported as committed, perhaps a few more, never a torn row
    assert [t.turn_id for t in turns] == list(range(len(turns)))
    assert all(t.answer == f"answer {t.turn_id} " + "x" * 2000 for t in turns)
