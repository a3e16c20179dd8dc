"""A stage: one long-lived thread that owns one model and serves one queue."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError, ModelError
from assistant.contracts.events import ErrorOccurred, ModelLoading, ModelProgress, ModelReady
from assistant.contracts.ports import Loadable
from assistant.pipeline.turns import TurnTracker

log = logging.getLogger(__name__)

_STOP = object()


class Setting:
    """A message that changes how a stage works (not work for its model): taken even when the model failed to load."""

    __slots__ = ()


class Stage:
    """Loads its model on its own thread when started, then handles inbox items one at a time.

    An exception in ``handle`` is contained here (``on_error``) so one bad turn never kills the stage.
    """

    role = "stage"

    def __init__(self, bus: EventBus, model: Loadable | None, name: str | None = None,
                 after_load: Callable[[], None] | None = None, inbox: queue.Queue | None = None) -> None:
        self.bus = bus
        self.model = model
        self.inbox: queue.Queue[Any] = inbox if inbox is not None else queue.Queue()
        self.ready = threading.Event()
        self.load_error: AssistantError | None = None
        self.load_seconds: float | None = None
        self.after_load = after_load  # called on this thread once the load has ended
        self._loaded: set[int] = set()  # models loaded on first use (load_model)
        self._thread = threading.Thread(target=self._run, name=name or f"{self.role}-stage", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread.is_alive():
            self.inbox.put(_STOP)
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        """The stage's thread is alive (started and not stopped)."""
        return self._thread.is_alive()

    def put(self, item: Any) -> None:
        self.inbox.put(item)

    def load_model(self, role: str, model: Loadable) -> None:
        """Load a model on first use (OCR, a VLM, a language's voice) on this thread, publishing the same events as
        start-up; an error is said once, here, and raised."""
        if id(model) in self._loaded:
            return
        name = model.name
        self.bus.publish(ModelLoading(role=role, name=name))
        t0 = time.monotonic()
        try:
            model.load(lambda message, fraction: self.bus.publish(ModelProgress(role=role, message=message,
                                                                                fraction=fraction)))
        except AssistantError as exc:
            self.bus.publish(ErrorOccurred(code=exc.code, message=exc.message))
            raise
        self._loaded.add(id(model))
        self.bus.publish(ModelReady(role=role, name=name, seconds=time.monotonic() - t0,
                                    device=str(model.device)))

    def _load(self) -> None:
        if self.model is None:
            return
        name = self.model.name
        self.bus.publish(ModelLoading(role=self.role, name=name))
        t0 = time.monotonic()
        try:
            self.model.load(lambda message, fraction: self.bus.publish(
                ModelProgress(role=self.role, message=message, fraction=fraction)))
        except AssistantError as exc:
            self.load_error = exc
        except Exception as exc:  # a library failure we did not foresee: still a coded, visible error
            log.exception("loading the %s model failed", self.role)
            self.load_error = ModelError("model-load-failed", f"the {self.role} model failed to load: {exc}")
        if self.load_error is not None:
            self.bus.publish(ErrorOccurred(code=self.load_error.code, message=self.load_error.message))
            return
        self.load_seconds = time.monotonic() - t0
        self.bus.publish(ModelReady(role=self.role, name=name, seconds=self.load_seconds,
                                    device=str(self.model.device)))

    def _run(self) -> None:
        try:
            self._load()
        finally:
            self.ready.set()
        if self.after_load is not None:
            self.after_load()
        while True:
            item = self.inbox.get()
            if item is _STOP:
                return
            try:
                if self.load_error is not None and not isinstance(item, Setting):
                    raise self.load_error
                self.handle(item)
            except Exception as exc:
                if not isinstance(exc, AssistantError):
                    log.exception("%s stage failed", self.role)
                    exc = AssistantError(f"{self.role}-failed", f"{self.role} failed: {exc}")
                self.on_error(item, exc)

    def handle(self, item: Any) -> None:
        raise NotImplementedError

    def on_error(self, item: Any, error: AssistantError) -> None:
        self.bus.publish(ErrorOccurred(code=error.code, message=error.message,
                                       turn_id=getattr(item, "turn_id", None)))


class TurnStage(Stage):
    """A stage whose errors fail the turn they belong to."""

    def __init__(self, bus: EventBus, model, tracker: TurnTracker, name: str | None = None,
                 after_load: Callable[[], None] | None = None, inbox: queue.Queue | None = None) -> None:
        super().__init__(bus, model, name, after_load, inbox)
        self.tracker = tracker

    def on_error(self, item, error: AssistantError) -> None:
        turn_id = getattr(item, "turn_id", None)  # a message, not an adapter: not every message has a turn
        if turn_id is not None and self.tracker.is_open(turn_id):
            self.tracker.fail(turn_id, error)
        else:
            super().on_error(item, error)
