"""Freed heap memory goes back to the OS: after a model loads and after each turn, once its reply has played."""

import threading
import time
from pathlib import Path

import pytest

from assistant import facade, heap
from assistant.config import Config
from assistant.contracts.events import TurnEnded
from assistant.facade import Assistant
from audio.sinks import RecordingSink
from testkit.fakes import EnergyVAD, ScriptedLLM, ScriptedSTT, ToneTTS
from testkit.helpers import EventLog, wait_until


def _rss_mb() -> float:
    return int(Path("/proc/self/statm").read_text().split()[1]) * 4096 / 2 ** 20


def test_freed_heap_memory_leaves_the_process():  # on Linux (glibc), where the tests run
    junk = [bytes(1000) for _ in range(300_000)]  # ~300 MB in malloc'd blocks, as a model's temporaries
    held = _rss_mb()
    del junk  # freed, but glibc keeps the pages for reuse
    assert heap.release_freed_memory()
    assert _rss_mb() < held - 200, (held, _rss_mb())


def test_releases_asked_for_while_one_waits_run_once_and_never_before_the_time_given(monkeypatch):
    calls = []
    monkeypatch.setattr(heap, "_trim", lambda pad: calls.append(time.monotonic()))
    monkeypatch.setattr(heap, "_not_before", 0.0)
    t0 = time.monotonic()
    for _ in range(5):
        heap.release_freed_memory_soon(not_before=t0 + 0.3)
    assert wait_until(lambda: calls and not heap._running, 5)
    assert len(calls) == 2 and calls[0] >= t0 + 0.3  # the first request, and one for the four made meanwhile
    heap.release_freed_memory_soon()
    assert wait_until(lambda: len(calls) == 3, 5)


def test_a_turn_that_ends_releases_memory_after_its_reply_has_played(monkeypatch):
    asked = []
    monkeypatch.setattr(facade, "release_freed_memory_soon",
                        lambda not_before=0.0: asked.append((not_before, threading.current_thread().name)))
    sink = RecordingSink(realtime=True)
    assistant = Assistant(Config(), stt=ScriptedSTT(), llm=ScriptedLLM(pieces=["It is Paris."]),
                          tts=ToneTTS(seconds_per_word=0.2), vad=EnergyVAD(), sink=sink)
    log = EventLog()
    assistant.bus.subscribe(log)
    assert assistant.wait_ready(5) == []
    assistant.ask("What is the capital of France?")
    ended = log.wait_for(TurnEnded, 10)
    assert ended.outcome == "completed"
    assert len(asked) == 1
    assert asked[0][0] == pytest.approx(sink.playing_until, abs=0.05) and asked[0][0] > time.monotonic() - 1.0
    assistant.shutdown()
