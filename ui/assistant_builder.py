"""Building the assistant off the GUI thread: importing the model libraries alone takes seconds."""

from __future__ import annotations

import threading

from PySide6.QtCore import QCoreApplication, QObject, Signal

from assistant import bootstrap
from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.errors import AssistantError
from assistant.history import HistoryStore


class AssistantBuilder(QObject):
    """Builds an assistant per settings on a worker thread; ``built`` delivers it (or why not) on the GUI thread.

    Every build has a generation: a build that finishes after the settings changed again is stale, and the app
    throws it away (``is_current``, ``discard``). ``history``: the app's open history store, which the assistant's
    memory shares (one database: the turns the app records are the ones the memory recalls); None: the memory
    opens the default one."""

    # ((generation, assistant | None), sink | None, [(AssistantError, the UI's note on it or "")])
    built = Signal(object, object, object)

    def __init__(self, bus: EventBus, adapters: bootstrap.Adapters, parent: QObject | None = None, *,
                 history: HistoryStore | None = None) -> None:
        super().__init__(parent)
        self.bus, self.adapters, self.history = bus, adapters, history
        self.generation = 0

    def build(self, config: Config) -> None:
        self.generation += 1
        threading.Thread(target=self._work, args=(self.generation, config), name="build-assistant",
                         daemon=True).start()

    def is_current(self, generation: int) -> bool:
        return generation == self.generation

    @staticmethod
    def discard(assistant) -> None:
        """Shut a stale or replaced assistant down without holding up the GUI thread."""
        threading.Thread(target=assistant.shutdown, daemon=True).start()

    def _work(self, generation: int, config: Config) -> None:
        problems: list[tuple[AssistantError, str]] = []
        sink = None
        try:
            sink = self.adapters.audio.speaker(config.audio.output_device or None)
        except AssistantError as exc:
            # Translated here, on the build thread: QCoreApplication.translate is thread-safe.
            problems.append((exc, QCoreApplication.translate(
                "AssistantBuilder", "Replies are shown as text only: connect a speaker and choose it in "
                "Settings → Audio.")))
        assistant = None
        try:
            assistant = bootstrap.build_assistant(config, sink=sink, bus=self.bus, history=self.history)
        except AssistantError as exc:
            problems.append((exc, ""))
            try:  # without speech recognition the assistant still answers typed questions
                assistant = bootstrap.build_assistant(config, listen=False, sink=sink, bus=self.bus,
                                                      history=self.history)
            except AssistantError as again:
                if again.message != exc.message:
                    problems.append((again, ""))
        if assistant is not None:
            assistant.start()
        self.built.emit((generation, assistant), sink, problems)
