"""The local conversation history: a SQLite store and a recorder that fills it from the event bus.

``HistoryStore`` is thread-safe (one connection behind a lock): the recorder writes from core threads
while the UI reads from the GUI thread. ``HistoryRecorder`` turns each finished turn's events into one
stored row. Nothing here imports Qt.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from assistant.bus import EventBus
from assistant.config import app_folders, data_dir
from assistant.contracts.errors import AssistantError
from assistant.contracts.events import (
    ErrorOccurred,
    Event,
    ReplyDelta,
    ReplyFinished,
    ReplyStarted,
    SpeechEnded,
    ToolCalled,
    ToolFinished,
    TranscriptFinal,
    TurnEnded,
)
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.conversation import CUT_OFF, Conversation
from assistant.private_files import create_private_file, private_dir, private_file

try:  # the same API as Python's sqlite3, on a SQLite that may load extensions (Python's own often cannot)
    import sqlean as sqlite3
except ImportError:  # pragma: no cover - a dependency; without it the memory has no vector index
    import sqlite3  # type: ignore[no-redef]

log = logging.getLogger(__name__)

OUTCOMES = ("completed", "interrupted", "error", "no-speech")
SOURCES = ("voice", "text")
TITLE_CHARS = 60


class HistoryError(AssistantError):
    """The history database cannot be opened or used; the assistant keeps working without it.

    Defined here rather than in ``assistant.contracts.errors`` because only the history store raises it.
    """


def default_history_path() -> Path:
    return data_dir() / "history.sqlite3"


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """A stored conversation as the history list shows it."""

    id: int
    title: str
    created_at: datetime  # timezone-aware, UTC
    updated_at: datetime
    turn_count: int


@dataclass(frozen=True, slots=True)
class StoredTurn:
    """One stored turn: question, answer, outcome, backend and timings."""

    id: int
    conversation_id: int
    turn_id: int  # the core's turn id (unique per run of the app, not across runs)
    created_at: datetime
    source: str  # "voice" | "text"
    question: str
    answer: str
    outcome: str  # "completed" | "interrupted" | "error" | "no-speech"
    backend: str = ""
    error: str = ""
    timings_ms: dict = field(default_factory=dict)
    tools: list = field(default_factory=list)  # the tool calls of the turn: {tool, arguments, ok, say, code}


# Schema migrations: entry i brings user_version from i to i + 1. Append, never edit a shipped one.
# Outcome and source are validated in Python, not with CHECK constraints, so that a later version can
# add a value without rebuilding the table.
_MIGRATIONS: list[tuple[str, ...]] = [
    (
        """CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            title TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        """CREATE TABLE turns (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            turn_id INTEGER NOT NULL,
            created_at REAL NOT NULL,
            source TEXT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL DEFAULT '',
            outcome TEXT NOT NULL,
            backend TEXT NOT NULL DEFAULT '',
            error_message TEXT NOT NULL DEFAULT '',
            timings_json TEXT NOT NULL DEFAULT '{}'
        )""",
        "CREATE INDEX turns_by_conversation ON turns(conversation_id, id)",
        "CREATE INDEX conversations_by_update ON conversations(updated_at)",
    ),
    ("ALTER TABLE turns ADD COLUMN tools_json TEXT NOT NULL DEFAULT '[]'",),  # v2: the turn's tool calls
    (  # v3: the memory (assistant/memory): facts the user told it, and full-text indexes of facts and turns
        """CREATE TABLE facts (
            id INTEGER PRIMARY KEY,
            text TEXT NOT NULL,
            said TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL DEFAULT '',
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL
        )""",
        # External-content FTS5 indexes kept in step by triggers (porter: "parked" finds "park")
        "CREATE VIRTUAL TABLE facts_fts USING fts5(text, content='facts', content_rowid='id', "
        "tokenize='porter unicode61')",
        "CREATE TRIGGER facts_fts_insert AFTER INSERT ON facts BEGIN "
        "INSERT INTO facts_fts(rowid, text) VALUES (new.id, new.text); END",
        "CREATE TRIGGER facts_fts_delete AFTER DELETE ON facts BEGIN "
        "INSERT INTO facts_fts(facts_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
        "CREATE TRIGGER facts_fts_update AFTER UPDATE OF text ON facts BEGIN "
        "INSERT INTO facts_fts(facts_fts, rowid, text) VALUES ('delete', old.id, old.text); "
        "INSERT INTO facts_fts(rowid, text) VALUES (new.id, new.text); END",
        "CREATE VIRTUAL TABLE turns_fts USING fts5(question, answer, content='turns', content_rowid='id', "
        "tokenize='porter unicode61')",
        "CREATE TRIGGER turns_fts_insert AFTER INSERT ON turns BEGIN "
        "INSERT INTO turns_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer); END",
        "CREATE TRIGGER turns_fts_delete AFTER DELETE ON turns BEGIN "
        "INSERT INTO turns_fts(turns_fts, rowid, question, answer) VALUES ('delete', old.id, old.question, "
        "old.answer); END",
        "CREATE TRIGGER turns_fts_update AFTER UPDATE OF question, answer ON turns BEGIN "
        "INSERT INTO turns_fts(turns_fts, rowid, question, answer) VALUES ('delete', old.id, old.question, "
        "old.answer); INSERT INTO turns_fts(rowid, question, answer) VALUES (new.id, new.question, new.answer); END",
        "INSERT INTO turns_fts(turns_fts) VALUES ('rebuild')",
        # Which embedding model wrote the vectors (their tables are made by the memory, with sqlite-vec loaded)
        "CREATE TABLE vector_model (name TEXT NOT NULL, dimensions INTEGER NOT NULL)",
    ),
]
# The memory's vector tables (sqlite-vec's vec0): one row per fact or turn, its rowid the fact's or turn's id.
VECTOR_TABLES = {"facts": "fact_vectors", "turns": "turn_vectors"}
SCHEMA_VERSION = len(_MIGRATIONS)

_SUMMARY_SQL = """
    SELECT c.id, c.title, c.created_at, c.updated_at,
           (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id)
    FROM conversations c
"""


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _title_from(question: str) -> str:
    text = " ".join(question.split())
    if len(text) <= TITLE_CHARS:
        return text
    cut = text[:TITLE_CHARS].rsplit(" ", 1)[0] or text[:TITLE_CHARS]  # prefer a word boundary
    return cut.rstrip(" ,.;:") + "…"


def _like_pattern(text: str) -> str:
    escaped = text.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fold(value: str | None) -> str:
    # SQLite's LIKE folds ASCII only; casefold in Python so "ÄRGER" finds "ärger".
    return value.casefold() if value else ""


class HistoryStore:
    """Conversations and their turns in a SQLite file (WAL mode: a crash loses no committed turn).

    Every method may raise ``HistoryError`` (code "history-unavailable") if the database fails.
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_history_path()
        self._lock = threading.RLock()
        try:
            # Conversations are private: the folder 0700, the database 0600 before SQLite opens it (SQLite
            # gives its -wal and -shm files the database's mode).
            private_dir(self.path.parent, tighten=self.path.parent in app_folders())
            create_private_file(self.path)
            # Autocommit mode (isolation_level=None): transactions are explicit BEGIN/COMMIT below.
            self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=5.0)
        except (OSError, sqlite3.Error) as exc:
            raise self._error(exc) from exc
        try:
            self._conn.create_function("fold", 1, _fold, deterministic=True)
            self._conn.execute("PRAGMA foreign_keys = ON")
            # Reading the schema first fails cleanly on a file that is not a database, before any pragma
            # that could write to it.
            self._conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA secure_delete = ON")  # a deleted turn or forgotten fact is overwritten
            for suffix in ("-wal", "-shm"):  # left looser by an older version
                private_file(self.path.with_name(self.path.name + suffix))
            self._migrate()
            self.vectors_problem = self._load_vectors()
            if not self.vectors_problem:
                self._sweep_vectors()
        except (sqlite3.Error, HistoryError) as exc:
            self._conn.close()
            if isinstance(exc, HistoryError):
                raise
            raise self._error(exc) from exc
        log.info("history store opened at %s (schema v%d)", self.path, SCHEMA_VERSION)

    # --- schema ------------------------------------------------------------------------------------

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise HistoryError("history-unavailable", f"the history database {self.path} was written by a newer "
                               "version of the assistant; update the app to read it. The assistant keeps "
                               "working without history meanwhile.")
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self._transaction():
                for statement in _MIGRATIONS[target - 1]:
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {target:d}")
            log.info("history schema migrated to v%d", target)

    def _load_vectors(self) -> str:
        """Load sqlite-vec into the connection: "" when it loaded, else why not (the memory then recalls by words
        only). Loaded here too, not only by the memory, so that deleting a conversation deletes its vectors."""
        try:
            import sqlite_vec

            self._conn.enable_load_extension(True)
            try:
                sqlite_vec.load(self._conn)
            finally:
                self._conn.enable_load_extension(False)
        except ImportError:
            return "the sqlite-vec package is not installed (pip install sqlite-vec)"
        except (AttributeError, sqlite3.Error) as exc:  # AttributeError: a sqlite3 built without extensions
            return f"SQLite could not load sqlite-vec ({exc}); install sqlean.py, a SQLite that can"
        return ""

    def vector_tables(self) -> set[str]:
        """The memory's vector tables that exist in this database (made on its first use of vectors)."""
        with self._guard() as conn:
            names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return names & set(VECTOR_TABLES.values())

    def _sweep_vectors(self) -> None:
        """Delete the vectors of facts and turns that are gone (deleted while sqlite-vec could not load)."""
        for owner, table in VECTOR_TABLES.items():
            if table in self.vector_tables():
                with self._guard() as conn, self._transaction():
                    gone = conn.execute(f"DELETE FROM {table} WHERE rowid NOT IN (SELECT id FROM {owner})").rowcount
                if gone > 0:
                    log.info("memory: %d vectors of deleted %s removed", gone, owner)

    # --- helpers -----------------------------------------------------------------------------------

    def _error(self, exc: BaseException) -> HistoryError:
        if "locked" in str(exc) or "busy" in str(exc):  # another process holds the write lock: nothing is wrong
            return HistoryError("history-unavailable", f"the conversation history at {self.path} cannot be used "
                                f"now: another program is writing to it ({exc}). Close it (another copy of the "
                                "assistant, or a database tool) and try again; the file is left as it is.")
        return HistoryError("history-unavailable", f"the conversation history at {self.path} cannot be used "
                            f"({exc}). The assistant keeps working without history; move or delete that "
                            "file to start a new one.")

    @contextmanager
    def _guard(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and turn SQLite failures into ``HistoryError``."""
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front, so a second process cannot make us fail mid-way.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield self._conn
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """The connection, for a read by a module that shares this database (the memory)."""
        with self._guard() as conn:
            yield conn

    @contextmanager
    def writing(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one committed write transaction (rolled back on an error)."""
        with self._guard() as conn, self._transaction():
            yield conn

    # --- writing -----------------------------------------------------------------------------------

    def new_conversation(self, title: str = "") -> int:
        """Create an empty conversation; returns its id."""
        now = time.time()
        with self._guard() as conn, self._transaction():
            cursor = conn.execute("INSERT INTO conversations (title, created_at, updated_at) VALUES (?, ?, ?)",
                                  (title.strip(), now, now))
            return int(cursor.lastrowid)

    def add_turn(self, conversation_id: int, *, question: str, answer: str, outcome: str, source: str,
                 backend: str = "", error: str = "", timings_ms: dict | None = None, turn_id: int = 0,
                 tools: list | None = None) -> int:
        """Store one turn in one committed transaction; returns the row id.

        An untitled conversation takes its title from this question. Raises ``KeyError`` if the
        conversation does not exist (it may have been deleted meanwhile).
        """
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        if source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, not {source!r}")
        timings = json.dumps(timings_ms or {}, default=str)
        calls = json.dumps(tools or [], default=str)
        now = time.time()
        with self._guard() as conn, self._transaction():
            row = conn.execute("SELECT title FROM conversations WHERE id = ?", (conversation_id,)).fetchone()
            if row is None:
                raise KeyError(f"no conversation {conversation_id}")
            cursor = conn.execute(
                "INSERT INTO turns (conversation_id, turn_id, created_at, source, question, answer, outcome, "
                "backend, error_message, timings_json, tools_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, turn_id, now, source, question, answer, outcome, backend, error, timings, calls))
            title = row[0] or _title_from(question)
            conn.execute("UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                         (title, now, conversation_id))
            return int(cursor.lastrowid)

    def rename(self, conversation_id: int, title: str) -> None:
        with self._guard() as conn, self._transaction():
            conn.execute("UPDATE conversations SET title = ? WHERE id = ?", (title.strip(), conversation_id))

    def delete(self, conversation_id: int) -> bool:
        """Delete a conversation and its turns (and the memory's vectors of them); False if there was no such
        conversation."""
        with self._guard() as conn, self._transaction():
            self.delete_vectors(conn, "turns", "(SELECT id FROM turns WHERE conversation_id = ?)", [conversation_id])
            deleted = conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,)).rowcount > 0
            conn.execute("INSERT INTO turns_fts(turns_fts) VALUES ('optimize')")  # its words leave the index now
        self.checkpoint()
        return deleted

    def delete_vectors(self, conn, owner: str, rows: str, params: list) -> None:
        """Within a write: delete the memory's vectors of ``owner`` ("facts" | "turns") whose rowid is in ``rows``
        (a parenthesised subquery or list of marks, with ``params``). Zeroed first: vec0 marks a deleted row unused
        in its chunk and leaves the vector's bytes there."""
        table = VECTOR_TABLES[owner]
        if self.vectors_problem or table not in self.vector_tables():
            return
        zero = bytes(4 * int(conn.execute("SELECT dimensions FROM vector_model").fetchone()[0]))
        conn.execute(f"UPDATE {table} SET embedding = ? WHERE rowid IN {rows}", [zero, *params])
        conn.execute(f"DELETE FROM {table} WHERE rowid IN {rows}", params)

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database and empty it: older copies of deleted rows' pages are in it
        until then (secure_delete has zeroed them in the database itself). Best effort: a reader in another process
        may hold the log for a moment."""
        try:
            with self._guard() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except HistoryError as exc:
            log.info("history: the write-ahead log was not emptied now: %s", exc.message)

    # --- reading -----------------------------------------------------------------------------------

    def conversations(self, limit: int = 200) -> list[ConversationSummary]:
        """The most recently updated conversations first."""
        with self._guard() as conn:
            rows = conn.execute(_SUMMARY_SQL + " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?", (limit,))
            return [self._summary(r) for r in rows.fetchall()]

    def conversation(self, conversation_id: int) -> ConversationSummary | None:
        with self._guard() as conn:
            row = conn.execute(_SUMMARY_SQL + " WHERE c.id = ?", (conversation_id,)).fetchone()
            return self._summary(row) if row else None

    def search(self, text: str, limit: int = 200) -> list[ConversationSummary]:
        """Conversations whose title, questions or answers contain ``text`` (case-insensitive, literal)."""
        if not text.strip():
            return self.conversations(limit)
        pattern = _like_pattern(text)
        with self._guard() as conn:
            rows = conn.execute(
                _SUMMARY_SQL + r""" WHERE fold(c.title) LIKE :p ESCAPE '\'
                   OR EXISTS (SELECT 1 FROM turns t WHERE t.conversation_id = c.id
                              AND (fold(t.question) LIKE :p ESCAPE '\' OR fold(t.answer) LIKE :p ESCAPE '\'))
                   ORDER BY c.updated_at DESC, c.id DESC LIMIT :limit""",
                {"p": pattern, "limit": limit})
            return [self._summary(r) for r in rows.fetchall()]

    def turns(self, conversation_id: int) -> list[StoredTurn]:
        """The conversation's turns, oldest first."""
        with self._guard() as conn:
            rows = conn.execute(
                "SELECT id, conversation_id, turn_id, created_at, source, question, answer, outcome, backend, "
                "error_message, timings_json, tools_json FROM turns WHERE conversation_id = ? ORDER BY id",
                (conversation_id,)).fetchall()
        return [StoredTurn(r[0], r[1], r[2], _dt(r[3]), r[4], r[5], r[6], r[7], r[8], r[9], _timings(r[10]),
                           _calls(r[11])) for r in rows]

    @staticmethod
    def _summary(row: tuple) -> ConversationSummary:
        return ConversationSummary(row[0], row[1], _dt(row[2]), _dt(row[3]), row[4])

    # --- export ------------------------------------------------------------------------------------

    def export_markdown(self, conversation_id: int) -> str:
        """The conversation as Markdown; answers are kept verbatim. Raises ``KeyError`` if it is unknown."""
        summary = self.conversation(conversation_id)
        if summary is None:
            raise KeyError(f"no conversation {conversation_id}")
        started = summary.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        parts = [f"# {summary.title or 'Conversation'}", f"*{started}*"]
        for turn in self.turns(conversation_id):
            parts.append("---")
            parts.append(f"**You:** {turn.question}")
            answer = turn.answer.strip()
            if not answer:
                parts.append("**Assistant:** *(no answer)*")
            elif "\n" in answer or answer.startswith(("```", "~~~", "#", "|", ">", "-", "*", "+")):
                parts.append("**Assistant:**\n\n" + answer)  # a block on its own, so fences and lists render
            else:
                parts.append(f"**Assistant:** {answer}")
            if turn.outcome == "interrupted":
                parts.append("*(interrupted)*")
            elif turn.outcome == "error":
                parts.append(f"*(error: {turn.error})*" if turn.error else "*(error)*")
        return "\n\n".join(parts) + "\n"

    def export_markdown_file(self, conversation_id: int, path: Path) -> Path:
        """Write ``export_markdown`` to ``path`` (replaced atomically); returns the path."""
        path = Path(path)
        text = self.export_markdown(conversation_id)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        return path

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check``: "ok" when the file is sound."""
        with self._guard() as conn:
            return "\n".join(r[0] for r in conn.execute("PRAGMA integrity_check").fetchall())

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _calls(text: str) -> list:
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return value if isinstance(value, list) else []


def _timings(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


# --- recorder --------------------------------------------------------------------------------------


@dataclass
class _PendingTurn:
    transcript: str = ""
    prompt: str = ""
    voice: bool = False
    deltas: list[str] = field(default_factory=list)
    tools: list[dict] = field(default_factory=list)
    final: str | None = None
    backend: str = ""
    error: str = ""


class HistoryRecorder:
    """Collects each turn's events from the bus and stores the turn when it ends.

    Runs inside bus delivery on core threads: it only touches memory until ``TurnEnded``, then does one
    insert, and never lets an exception escape into the bus.
    """

    _MAX_PENDING = 64  # every turn ends with TurnEnded; this only bounds memory if one ever does not

    def __init__(self, store: HistoryStore, bus: EventBus, *, enabled: Callable[[], bool] = lambda: True) -> None:
        self.store = store
        self.enabled = enabled
        self._lock = threading.Lock()
        self._pending: OrderedDict[int, _PendingTurn] = OrderedDict()
        self._ended: OrderedDict[int, None] = OrderedDict()  # late deltas of an ended turn are ignored
        self._conversation_id: int | None = None
        self._unsubscribe: Callable[[], None] | None = bus.subscribe(self._on_event)

    @property
    def current_conversation(self) -> int | None:
        """The conversation the next turn goes into; None until one is created or chosen."""
        with self._lock:
            return self._conversation_id

    def start_new_conversation(self) -> None:
        """The next stored turn opens a new conversation."""
        with self._lock:
            self._conversation_id = None

    def continue_conversation(self, conversation_id: int) -> None:
        """The next stored turns go into this existing conversation."""
        with self._lock:
            self._conversation_id = conversation_id

    def unsubscribe(self) -> None:
        with self._lock:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            unsubscribe()

    def close(self) -> None:
        """Stop recording (the store stays open: its owner closes it)."""
        self.unsubscribe()
        with self._lock:
            self._pending.clear()

    # --- event handling ----------------------------------------------------------------------------

    def _on_event(self, event: Event) -> None:
        try:
            self._handle(event)
        except Exception:
            log.exception("history: could not record %s", event.kind)

    def _handle(self, event: Event) -> None:
        turn_id = getattr(event, "turn_id", None)
        if turn_id is None:
            return
        with self._lock:
            if turn_id in self._ended:
                return
            if isinstance(event, TurnEnded):
                pending = self._pending.pop(turn_id, None)
                self._ended[turn_id] = None
                if len(self._ended) > 256:
                    self._ended.popitem(last=False)
                if pending is not None:
                    self._store(turn_id, pending, event)
                return
            pending = self._pending.get(turn_id)
            if pending is None:
                pending = self._pending[turn_id] = _PendingTurn()
                if len(self._pending) > self._MAX_PENDING:
                    self._pending.popitem(last=False)
            if isinstance(event, SpeechEnded):
                pending.voice = True
            elif isinstance(event, TranscriptFinal):
                pending.voice, pending.transcript = True, event.text
            elif isinstance(event, ReplyStarted):
                pending.prompt, pending.backend = event.prompt, event.backend
            elif isinstance(event, ReplyDelta):
                pending.deltas.append(event.text)
            elif isinstance(event, ReplyFinished):
                pending.final, pending.backend = event.text, event.backend or pending.backend
            elif isinstance(event, ErrorOccurred):
                pending.error = event.message
            elif isinstance(event, ToolCalled):
                pending.tools.append({"call_id": event.call_id, "tool": event.tool, "arguments": event.arguments,
                                      "source": event.source})
            elif isinstance(event, ToolFinished):
                for call in pending.tools:
                    if call["call_id"] == event.call_id:
                        call.update(ok=event.ok, say=event.say, code=event.code)

    def _store(self, turn_id: int, pending: _PendingTurn, ended: TurnEnded) -> None:
        # Called with self._lock held, so two turns ending at once cannot each create a conversation.
        question = (pending.transcript or pending.prompt).strip()
        if not question or not self.enabled():
            return
        answer = pending.final if pending.final is not None else "".join(pending.deltas).strip()
        row = {"question": question, "answer": answer, "outcome": ended.outcome,
               "source": "voice" if pending.voice else "text", "backend": pending.backend,
               "error": pending.error, "timings_ms": dict(ended.timings_ms), "turn_id": turn_id,
               "tools": pending.tools}
        if self._conversation_id is not None:
            try:
                self.store.add_turn(self._conversation_id, **row)
                return
            except KeyError:
                log.info("history: conversation %s was deleted; starting a new one", self._conversation_id)
        self._conversation_id = self.store.new_conversation()
        self.store.add_turn(self._conversation_id, **row)


# --- resuming a conversation -------------------------------------------------------------------------


def history_messages(store: HistoryStore, conversation_id: int) -> list[ChatMessage]:
    """User/assistant pairs for the stored turns that have an answer, oldest first.

    Completed and interrupted turns only, as the live ``Conversation`` keeps them (an interrupted answer
    marked as cut off); turns that failed were never part of the model's context.
    """
    messages: list[ChatMessage] = []
    for turn in store.turns(conversation_id):
        answer = turn.answer.strip()
        if not answer or turn.outcome not in ("completed", "interrupted"):
            continue
        if turn.outcome == "interrupted":
            answer += CUT_OFF
        messages += [ChatMessage(Role.USER, turn.question), ChatMessage(Role.ASSISTANT, answer)]
    return messages


def restore_conversation(conversation: Conversation, store: HistoryStore, conversation_id: int) -> int:
    """Replace ``conversation``'s history with the stored one; returns the number of exchanges loaded."""
    messages = history_messages(store, conversation_id)
    conversation.clear()
    for user, assistant in zip(messages[0::2], messages[1::2], strict=True):
        # The interrupted mark is already in the text, so add it as a plain exchange.
        conversation.add_exchange(user.content, assistant.content)
    return len(messages) // 2


__all__ = [
    "ConversationSummary",
    "HistoryError",
    "HistoryRecorder",
    "HistoryStore",
    "StoredTurn",
    "default_history_path",
    "history_messages",
    "restore_conversation",
]
