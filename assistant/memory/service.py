"""The memory as a service of the assistant: what the user told it to remember goes into the prompts of the
questions it matters to, and past conversations are recalled by meaning.

Embeddings are made on the memory's own thread ("memory"), never on an audio thread: the model loads after
start-up, then every fact and every answered turn without a vector gets one (after its turn has ended). The
privacy switch (``memory.enabled``) stops it all: nothing is stored, embedded or put into a prompt.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.bus import EventBus
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import ErrorOccurred, Event, MemoryChanged, TurnEnded
from assistant.contracts.ports import TextEmbedder
from assistant.memory.store import Fact, MemoryFailure, MemoryStore, Scored

log = logging.getLogger(__name__)

# A fact goes into a question's prompt when its meaning is this close to the question's (cosine similarity of
# all-MiniLM-L6-v2 sentence embeddings). Checked once on half of the recall set (assistant/data/eval/memory.jsonl,
# every other line: 83% of the right facts pass it, and some fact for 28% of unrelated questions) and reported on all
# of it by `assistant eval --memory`. A shared topic word alone lets a fact in for many unrelated questions ("who
# discovered penicillin?"), and no right fact more: it does not count here.
SIMILAR = 0.40


@dataclass(frozen=True, slots=True)
class _Index:
    """Make the vectors that are missing, not before ``not_before`` (monotonic): a turn's end is heard by every
    subscriber of the bus in turn, and the history stores the turn in its own delivery of the event."""

    not_before: float = 0.0


@dataclass(frozen=True, slots=True)
class _Stop:
    pass


class Memory:
    """Facts and recall for one assistant. ``store`` is None when the database cannot be used (``problem`` says
    why, once, on the bus); ``embedder`` None: recall by words only."""

    def __init__(self, bus: EventBus, store: MemoryStore | None, embedder: TextEmbedder | None, *,
                 enabled: bool = True, facts_in_prompt: int = 3, problem: str = "") -> None:
        self.bus, self.store, self.embedder = bus, store, embedder
        self.enabled = enabled
        self.facts_in_prompt = facts_in_prompt
        self.problem = problem  # why there is no memory at all ("" when there is)
        self.embedding_problem = ""  # why recall is by words only ("" when embeddings work)
        self._inbox: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()  # the embedder has loaded (or failed to)
        self._vectors = False  # vectors can be made and searched
        self._last_query: tuple[str, np.ndarray | None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._said_problem = False
        self.last_used: tuple[str, list[str]] = ("", [])  # the last question's facts put into its prompt
        self._loaded = False  # the embedder's load was tried (it is loaded when memory is first on)
        self._stopping = threading.Event()

    # --- lifecycle (a service of the assistant) ----------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self._thread = threading.Thread(target=self._run, name="memory", daemon=True)
        self._thread.start()
        self._inbox.put(_Index())  # load, and index what is missing

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._thread is not None:
            self._stopping.set()
            self._inbox.put(_Stop())
            self._thread.join(10)
            self._thread = None

    def set_enabled(self, on: bool) -> None:
        """The privacy switch: off, nothing is stored, embedded or put into a prompt from now on."""
        self.enabled = on
        if on and self._thread is not None:
            self._inbox.put(_Index())

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until the embedding model has loaded or failed (tests, the eval); it loads once memory is on."""
        return self._ready.wait(timeout)

    def index_now(self, timeout: float = 60.0) -> bool:
        """Make every missing vector now and wait for it (tests, the command line)."""
        if self._thread is None:
            if self.available:
                self._work()
            return True
        done = threading.Event()
        self._inbox.put(done)
        return done.wait(timeout)

    @property
    def available(self) -> bool:
        """On, and with a database to keep things in."""
        return self.enabled and self.store is not None

    # --- what the LLM stage asks -------------------------------------------------------------------

    def notes_for(self, question: str) -> str:
        """The facts that matter to ``question``, as a note for its prompt ("" for none). Takes a few
        milliseconds: one embedding of the question and two indexed lookups."""
        if not self.available or not question.strip() or self.facts_in_prompt <= 0:
            return ""
        try:
            found = self.relevant_facts(question)
        except AssistantError as exc:
            self._say_once(exc)
            return ""
        except Exception:  # the memory never costs the user an answer
            log.exception("memory: finding the facts for a question failed")
            return ""
        self.last_used = (question, [s.item.text for s in found])
        if not found:
            return ""
        # Short: every token of it is read before the first word of the answer (about 2 ms each on a 2-core CPU).
        return "The user told you: " + "; ".join(s.item.text for s in found)

    def relevant_facts(self, question: str) -> list[Scored]:
        """The facts close enough to ``question`` to be put into its prompt, best first."""
        assert self.store is not None
        if self.store.count() == 0:  # nothing told yet: no embedding to make
            return []
        vector = self._query_vector(question)
        found = self.store.find_facts(question, vector, k=self.facts_in_prompt)
        if vector is None:  # words only (no embeddings): a shared topic word is all there is
            return [s for s in found if s.words_matched]
        return [s for s in found if s.similarity is not None and s.similarity >= SIMILAR]

    def _query_vector(self, text: str) -> np.ndarray | None:
        if not self._vectors or self.embedder is None:
            return None
        last = self._last_query
        if last is not None and last[0] == text:  # the words of the end-of-turn silence, then of the turn
            return last[1]
        vector = self.embedder.encode([text])[0]
        self._last_query = (text, vector)
        return vector

    # --- what the tools ask ------------------------------------------------------------------------

    def remember(self, text: str, *, said: str = "", origin: str = "conversation") -> tuple[Fact, bool]:
        store = self._require(keeping=True)
        fact, new = store.add(text, said=said, origin=origin)
        self._changed("remembered", fact.text)
        return fact, new

    def find(self, query: str, k: int = 3) -> list[Scored]:
        """Facts that fit ``query``, best first, however loosely."""
        return self._require().find_facts(query, self._query_vector(query), k=k)

    def used_for(self, question: str) -> list[str]:
        """The facts that went into ``question``'s prompt (the last question's only)."""
        asked, facts = self.last_used
        return list(facts) if asked == question else []

    def update(self, fact_id: int, text: str) -> Fact:
        """Change what a fact says (the Memory page); its vector is made again. Allowed with memory off: it
        corrects what is already kept (no vector is made until memory is on)."""
        changed = self._require().update(fact_id, text)
        self._changed("edited", changed.text)
        return changed

    def forget(self, facts: list[Fact]) -> int:
        count = self._require().delete([f.id for f in facts])
        self._changed("forgotten", "; ".join(f.text for f in facts))
        return count

    def forget_everything(self) -> dict[str, int]:
        counts = self._require().forget_everything()
        self._changed("forgotten", "everything")
        return counts

    def recall(self, query: str, k: int = 3, since=None) -> list[Scored]:
        """Past turns that fit ``query``, best first."""
        return self._require().recall(query, self._query_vector(query), k=k, since=since)

    def facts(self) -> list[Fact]:
        return self._require().facts()

    def _require(self, keeping: bool = False) -> MemoryStore:
        """The store; ``keeping``: for something to be kept, which memory off refuses (reading and forgetting
        what is already there still work)."""
        if keeping and not self.enabled:
            raise MemoryFailure("memory-off", "memory is off, so I keep nothing: turn it on in Settings > Memory "
                               "(memory.enabled).")
        if self.store is None:
            raise MemoryFailure("memory-unavailable", self.problem or "the memory database cannot be used.")
        return self.store

    def _changed(self, what: str, text: str) -> None:
        self.bus.publish(MemoryChanged(what=what, text=text))
        if self._thread is not None:
            self._inbox.put(_Index())

    # --- the memory's thread -----------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        if isinstance(event, TurnEnded) and event.outcome == "completed" and self.available:
            self._inbox.put(_Index(time.monotonic() + 0.5))

    def _run(self) -> None:
        _lower_priority()  # the embeddings wait for the turn's work, never the other way round
        if self.problem:
            self._say_once(MemoryFailure("memory-unavailable", self.problem))
        while True:
            items = [self._inbox.get()]
            while not self._inbox.empty():  # one pass makes every missing vector: fold what queued up
                items.append(self._inbox.get_nowait())
            stop = any(isinstance(item, _Stop) for item in items)
            wait = max((item.not_before for item in items if isinstance(item, _Index)), default=0.0)
            if not stop and self._stopping.wait(max(0.0, wait - time.monotonic())):
                stop = True
            try:
                if self.available and not stop:
                    self._work()
            except AssistantError as exc:
                self._say_once(exc)
            except Exception:
                log.exception("memory: indexing failed")
            for item in items:
                if isinstance(item, threading.Event):
                    item.set()
            if stop:
                return

    def _work(self) -> None:
        """Load the embedder the first time there is something to embed or search, then make the missing vectors.
        (A memory with nothing in it loads no model: tests and fresh installs do not pay for it.)"""
        if not self._loaded:
            if self.store is None or not self.store.has_content():
                self._ready.set()
                return
            self._loaded = True
            try:
                self._load()
            finally:
                self._ready.set()
        self._index()

    def _load(self) -> None:
        if self.store is None or self.embedder is None:
            return
        if self.store.vectors_problem:
            self.embedding_problem = f"recall by meaning is off: {self.store.vectors_problem}"
            log.warning("memory: %s", self.embedding_problem)
            return
        t0 = time.monotonic()
        try:
            self.embedder.load()
            self._vectors = self.store.prepare_vectors(self.embedder.name, self.embedder.dimensions)
        except AssistantError as exc:
            self.embedding_problem = f"{exc.message} Facts and past conversations are still found by their words."
            self.bus.publish(ErrorOccurred(code=exc.code, message=self.embedding_problem))
            return
        log.info("memory: embeddings ready in %.1f s", time.monotonic() - t0)

    def _index(self) -> None:
        if not self._vectors or self.store is None or self.embedder is None:
            return
        for owner in ("facts", "turns"):
            while True:
                rows = self.store.without_vectors(owner, limit=32)
                if not rows or self._stopping.is_set():
                    break
                vectors = self.embedder.encode([text for _, text in rows])
                self.store.put_vectors(owner, [row_id for row_id, _ in rows], vectors)
                if len(rows) < 32:
                    break

    def _say_once(self, exc: AssistantError) -> None:
        if self._said_problem:
            return
        self._said_problem = True
        log.warning("memory: %s", exc.message)
        self.bus.publish(ErrorOccurred(code=exc.code, message=exc.message))


def _lower_priority() -> None:
    """Run the calling thread at a lower CPU priority (Linux: a thread has its own nice value); elsewhere nothing."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
