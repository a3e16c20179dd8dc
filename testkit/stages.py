"""Running one stage of the pipeline alone: inputs in, what it sent downstream and the events it published out."""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from assistant.bus import EventBus
from assistant.pipeline.stage import Stage


@dataclass
class StageRun:
    """What one stage did with its inputs: the messages it put downstream, and the events it published, in order."""

    outputs: list[Any] = field(default_factory=list)
    events: list[Any] = field(default_factory=list)

    def of(self, kind: type) -> list[Any]:
        """The events of one kind."""
        return [e for e in self.events if isinstance(e, kind)]


def run_stage(build: Callable[[EventBus, queue.Queue], Stage], inputs: Iterable[Any], *, bus: EventBus | None = None,
              timeout: float = 10.0) -> StageRun:
    """Build a stage with ``build(bus, downstream)`` (``downstream``: the queue its outputs go to), start it (it loads
    its model), hand it ``inputs`` in order and stop it once it has handled them all. ``bus``: to share it with a
    ``TurnTracker`` made beforehand."""
    bus = bus or EventBus()
    run = StageRun()
    unsubscribe = bus.subscribe(run.events.append)
    downstream: queue.Queue = queue.Queue()
    stage = build(bus, downstream)
    stage.start()
    try:
        for item in inputs:
            stage.put(item)
    finally:
        stage.stop(timeout)  # the stop comes after the inputs: the stage has handled them all when it returns
        unsubscribe()
    assert not stage.running, f"the {stage.role} stage did not finish its inputs within {timeout} s"
    while not downstream.empty():
        run.outputs.append(downstream.get_nowait())
    return run
