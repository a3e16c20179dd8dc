"""The memory's data: facts the user told the assistant, and recall over past conversations, in the history's
SQLite database (one file: deleting a conversation deletes what the memory indexed of it in the same transaction).

Each fact and each answered turn is found two ways: by its meaning (a sentence embedding in a sqlite-vec ``vec0``
table, cosine distance) and by its words (SQLite FTS5, porter-stemmed; the tables and triggers are the history
schema's v3). They are ranked by meaning, a shared topic word adding a little (``WORDS_BONUS``), and the word
matches that meaning did not find come after. (Reciprocal rank fusion of the two rankings was measured and lost:
recall@3 90.9% against 98.2% on the memory set, since a paraphrase shares few words with what it asks about.)
Without sqlite-vec or an embedding model, the words alone. Turns about the screen are never recalled: their answers
carry the screen's text.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from assistant.contracts.tools import ToolError
from assistant.history import VECTOR_TABLES, HistoryError, HistoryStore
from assistant.memory.sensitive import secret_in

log = logging.getLogger(__name__)

MAX_FACT_CHARS = 300
WORDS_BONUS = 0.05  # added to the cosine similarity of a fact or turn that shares a topic word with the query
_CANDIDATES = 20  # taken from each ranking before they are merged

# Words that carry no topic: left out of full-text queries so that "what did I say about the printer" asks for
# "printer", not for every turn that has "what" in it.
_STOP = frozenset(re.findall(r"\S+", """
a about above after again against all am an and any are aren't as at be because been before being below between
both but by can can't cannot could couldn't did didn't do does doesn't doing don't down during each few for from
further had hadn't has hasn't have haven't having he he'd he'll he's her here here's hers herself him himself
his how how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most mustn't my myself no
nor not of off on once only or other ought our ours ourselves out over own same shan't she she'd she'll she's
should shouldn't so some such than that that's the their theirs them themselves then there there's these they
they'd they'll they're they've this those through to too under until up very was wasn't we we'd we'll we're
we've were weren't what what's when when's where where's which while who who's whom why why's with won't would
wouldn't you you'd you'll you're you've your yours yourself yourselves tell told say said remember know recall
talk talked discuss discussed ask asked please hey okay ok assistant last week yesterday today ago earlier
before time something thing things anything everything"""))


class MemoryFailure(ToolError):
    """The memory cannot do what was asked: a secret to keep, an empty fact, no such fact, a database that fails.
    A ``ToolError``: the memory's tools say it as their answer."""


@dataclass(frozen=True, slots=True)
class Fact:
    """One thing the user told the assistant to remember, in their words ("my car is on level B3")."""

    id: int
    text: str
    said: str  # the request it came from ("remember that my car is on level B3"); "" when typed in
    origin: str  # "conversation" (told by voice or typing) | "typed" (the Memory page, the command line)
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Scored:
    """A found fact or turn: its score (the similarity, plus ``WORDS_BONUS`` when its words matched), its cosine
    similarity to the query (None: not among the nearest by meaning, or no embedding) and whether its words
    matched."""

    item: Any  # Fact | RecalledTurn
    score: float
    similarity: float | None
    words_matched: bool


@dataclass(frozen=True, slots=True)
class RecalledTurn:
    """A past turn found by recall."""

    id: int  # the history's row id
    conversation_id: int
    created_at: datetime
    question: str
    answer: str


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _fact(row) -> Fact:
    return Fact(row[0], row[1], row[2], row[3], _dt(row[4]), _dt(row[5]))


def fts_query(text: str) -> str:
    """An FTS5 query matching any topic word of ``text`` (quoted, so no word is read as an operator)."""
    words = [w for w in re.findall(r"[\w']+", text.casefold()) if w not in _STOP and len(w) > 1]
    words = [w[:-2] if w.endswith("'s") else w.replace("'", "") for w in words]
    unique = list(dict.fromkeys(w for w in words if w))
    return " OR ".join(f'"{w}"' for w in unique)


def clean_fact(text: str) -> str:
    """A fact as stored: one line, no trailing full stop, at most ``MAX_FACT_CHARS``."""
    text = " ".join(text.split()).strip(" .,;")[:MAX_FACT_CHARS]
    return text[:1].upper() + text[1:] if text[:1].islower() and text[:2] != "i " else text


# The recallable turns: answered, not about the screen.
_RECALLABLE = ("t.outcome = 'completed' AND t.answer != '' "
               "AND json_extract(t.timings_json, '$.capture') IS NULL")


class MemoryStore:
    """Facts and recall on a ``HistoryStore``'s database. Thread-safe (the store's lock). Raises
    ``MemoryFailure`` with code ``memory-unavailable`` when the database fails."""

    def __init__(self, history: HistoryStore) -> None:
        self.history = history
        self.vectors_problem = history.vectors_problem  # "" when sqlite-vec is loaded

    # --- facts -------------------------------------------------------------------------------------

    def add(self, text: str, *, said: str = "", origin: str = "typed") -> tuple[Fact, bool]:
        """Keep a fact: (the fact, whether it is new). The same fact told again is not kept twice. Refuses a
        secret (``fact-secret``) and an empty fact (``fact-empty``)."""
        text = clean_fact(text)
        if not text:
            raise MemoryFailure("fact-empty", "there is nothing to remember in that: say what to remember, e.g. "
                               "\"remember that my car is on level B3\".")
        kind = secret_in(text) or secret_in(said)
        if kind:
            raise MemoryFailure("fact-secret", f"I don't keep {kind}: keep it in a password manager instead.")
        now = time.time()
        with self._writing() as conn:
            row = conn.execute("SELECT id FROM facts WHERE lower(text) = lower(?)", (text,)).fetchone()
            if row is not None:
                conn.execute("UPDATE facts SET updated_at = ? WHERE id = ?", (now, row[0]))
                fact_id, new = row[0], False
            else:
                fact_id = conn.execute("INSERT INTO facts (text, said, origin, created_at, updated_at) "
                                       "VALUES (?, ?, ?, ?, ?)", (text, said.strip(), origin, now, now)).lastrowid
                new = True
        return self.get(int(fact_id)), new  # type: ignore[return-value]

    def update(self, fact_id: int, text: str) -> Fact:
        """Change a fact's words (its vector is made again); raises ``fact-not-found``, ``fact-secret``."""
        text = clean_fact(text)
        if not text:
            raise MemoryFailure("fact-empty", "a fact cannot be empty: delete it instead.")
        kind = secret_in(text)
        if kind:
            raise MemoryFailure("fact-secret", f"I don't keep {kind}: keep it in a password manager instead.")
        with self._writing() as conn:
            if conn.execute("UPDATE facts SET text = ?, updated_at = ? WHERE id = ?",
                            (text, time.time(), fact_id)).rowcount == 0:
                raise MemoryFailure("fact-not-found", f"there is no fact {fact_id}; it may have been deleted.")
            self.history.delete_vectors(conn, "facts", "(?)", [fact_id])
        return self.get(fact_id)  # type: ignore[return-value]

    def delete(self, fact_ids: Sequence[int]) -> int:
        """Forget facts, their words and their vectors; returns how many there were."""
        ids = [int(i) for i in fact_ids]
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        with self._writing() as conn:
            self.history.delete_vectors(conn, "facts", f"({marks})", ids)
            count = conn.execute(f"DELETE FROM facts WHERE id IN ({marks})", ids).rowcount
            # FTS5 keeps a deleted row's words in its segments until they are merged: merge them now
            conn.execute("INSERT INTO facts_fts(facts_fts) VALUES ('optimize')")
        self.history.checkpoint()
        return count

    def forget_everything(self) -> dict[str, int]:
        """Every fact and every past conversation, with their indexes and vectors: nothing is left to recall.
        Returns what was deleted."""
        with self._writing() as conn:
            counts = {"facts": conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0],
                      "conversations": conn.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]}
            for table in self.history.vector_tables():
                conn.execute(f"DELETE FROM {table}")
            conn.execute("DELETE FROM facts")
            conn.execute("DELETE FROM conversations")  # its turns go with it (ON DELETE CASCADE)
            conn.execute("INSERT INTO facts_fts(facts_fts) VALUES ('rebuild')")
            conn.execute("INSERT INTO turns_fts(turns_fts) VALUES ('rebuild')")
        try:  # the file shrinks
            with self.history.reading() as conn:
                conn.execute("VACUUM")
        except HistoryError as exc:
            log.warning("memory: could not compact the database after forgetting: %s", exc.message)
        self.history.checkpoint()
        return counts

    def get(self, fact_id: int) -> Fact | None:
        with self._reading() as conn:
            row = conn.execute("SELECT id, text, said, origin, created_at, updated_at FROM facts WHERE id = ?",
                               (fact_id,)).fetchone()
        return _fact(row) if row else None

    def facts(self, limit: int = 1000) -> list[Fact]:
        """Every fact, the most recently told first."""
        with self._reading() as conn:
            rows = conn.execute("SELECT id, text, said, origin, created_at, updated_at FROM facts "
                                "ORDER BY updated_at DESC, id DESC LIMIT ?", (limit,)).fetchall()
        return [_fact(r) for r in rows]

    def has_content(self) -> bool:
        """Whether there is any fact or any stored turn."""
        with self._reading() as conn:
            return bool(conn.execute("SELECT EXISTS(SELECT 1 FROM facts) OR EXISTS(SELECT 1 FROM turns)").fetchone()[0])

    def count(self) -> int:
        with self._reading() as conn:
            return int(conn.execute("SELECT COUNT(*) FROM facts").fetchone()[0])

    # --- vectors -----------------------------------------------------------------------------------

    def prepare_vectors(self, model: str, dimensions: int) -> bool:
        """Make the vector tables for ``model``'s vectors; vectors of another model are dropped (they are made
        again). False when sqlite-vec is not loaded."""
        if self.vectors_problem:
            return False
        with self._writing() as conn:
            row = conn.execute("SELECT name, dimensions FROM vector_model").fetchone()
            if row is not None and tuple(row) == (model, dimensions) and \
                    len(self.history.vector_tables()) == len(VECTOR_TABLES):
                return True
            for table in VECTOR_TABLES.values():
                conn.execute(f"DROP TABLE IF EXISTS {table}")
                conn.execute(f"CREATE VIRTUAL TABLE {table} USING vec0(embedding float[{int(dimensions)}] "
                             "distance_metric=cosine)")
            conn.execute("DELETE FROM vector_model")
            conn.execute("INSERT INTO vector_model (name, dimensions) VALUES (?, ?)", (model, dimensions))
        log.info("memory: vector tables made for %s (%d dimensions)", model, dimensions)
        return True

    def without_vectors(self, owner: str, limit: int = 64) -> list[tuple[int, str]]:
        """(id, text) of facts or recallable turns (``owner``: "facts" | "turns") that have no vector yet."""
        table = VECTOR_TABLES[owner]
        with self._reading() as conn:
            if table not in self.history.vector_tables():
                return []
            if owner == "facts":
                sql = f"SELECT id, text FROM facts WHERE id NOT IN (SELECT rowid FROM {table}) ORDER BY id LIMIT ?"
            else:
                sql = (f"SELECT t.id, t.question || char(10) || t.answer FROM turns t WHERE {_RECALLABLE} AND "
                       f"t.id NOT IN (SELECT rowid FROM {table}) ORDER BY t.id DESC LIMIT ?")
            rows = conn.execute(sql, (limit,)).fetchall()
        # A turn that holds a secret is indexed by words that say nothing of it (it is still in the history).
        return [(int(r[0]), r[1] if owner == "facts" or not secret_in(r[1]) else "a private turn") for r in rows]

    def put_vectors(self, owner: str, ids: Sequence[int], vectors: np.ndarray) -> None:
        """Store the vectors of ``ids`` (rows deleted meanwhile are skipped)."""
        table = VECTOR_TABLES[owner]
        with self._writing() as conn:
            alive = {r[0] for r in conn.execute(
                f"SELECT id FROM {owner} WHERE id IN ({','.join('?' * len(ids))})", list(ids))}
            for i, row_id in enumerate(ids):
                if row_id in alive:
                    conn.execute(f"DELETE FROM {table} WHERE rowid = ?", (row_id,))
                    conn.execute(f"INSERT INTO {table} (rowid, embedding) VALUES (?, ?)",
                                 (row_id, np.ascontiguousarray(vectors[i], dtype=np.float32).tobytes()))

    def vector_count(self, owner: str) -> int:
        table = VECTOR_TABLES[owner]
        with self._reading() as conn:
            if table not in self.history.vector_tables():
                return 0
            return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])

    # --- finding -----------------------------------------------------------------------------------

    def find_facts(self, query: str, vector: np.ndarray | None = None, k: int = 3, *,
                   words: bool = True) -> list[Scored]:
        """The facts that best fit ``query``, best first: by its words (``words``) and by ``vector``, its embedding,
        if given."""
        by_words = self._by_words("SELECT f.rowid FROM facts_fts f WHERE facts_fts MATCH ? ORDER BY rank LIMIT ?",
                                  query) if words else {}
        by_meaning = self._by_meaning("facts", vector)
        fused = _merge(by_words, by_meaning)[:k]
        found = []
        for row_id, score in fused:
            fact = self.get(row_id)
            if fact is not None:
                found.append(Scored(fact, score, by_meaning.get(row_id), row_id in by_words))
        return found

    def recall(self, query: str, vector: np.ndarray | None = None, k: int = 3,
               since: datetime | None = None) -> list[Scored]:
        """Past turns that best fit ``query`` (told after ``since``, if given), best first."""
        by_words = self._by_words(
            "SELECT f.rowid FROM turns_fts f JOIN turns t ON t.id = f.rowid WHERE turns_fts MATCH ? "
            f"AND {_RECALLABLE} ORDER BY f.rank LIMIT ?", query)
        by_meaning = self._by_meaning("turns", vector, limit=_CANDIDATES * 3)
        fused = _merge(by_words, by_meaning)
        found: list[Scored] = []
        with self._reading() as conn:
            for row_id, score in fused:
                row = conn.execute(f"SELECT t.id, t.conversation_id, t.created_at, t.question, t.answer FROM turns t "
                                   f"WHERE t.id = ? AND {_RECALLABLE}", (row_id,)).fetchone()
                if row is None or (since is not None and row[2] < since.timestamp()):
                    continue
                turn = RecalledTurn(row[0], row[1], _dt(row[2]), row[3], row[4])
                found.append(Scored(turn, score, by_meaning.get(row_id), row_id in by_words))
                if len(found) == k:
                    break
        return found

    def _by_words(self, sql: str, query: str) -> dict[int, int]:
        """row id -> rank (1 = best) of the full-text matches."""
        match = fts_query(query)
        if not match:
            return {}
        with self._reading() as conn:
            rows = conn.execute(sql, (match, _CANDIDATES)).fetchall()
        return {int(r[0]): i + 1 for i, r in enumerate(rows)}

    def _by_meaning(self, owner: str, vector: np.ndarray | None, limit: int = _CANDIDATES) -> dict[int, float]:
        """row id -> cosine similarity of the nearest vectors, nearest first (insertion order)."""
        if vector is None or self.vectors_problem:
            return {}
        table = VECTOR_TABLES[owner]
        with self._reading() as conn:
            if table not in self.history.vector_tables():
                return {}
            rows = conn.execute(f"SELECT rowid, distance FROM {table} WHERE embedding MATCH ? AND k = ? "
                                "ORDER BY distance", (np.asarray(vector, dtype=np.float32).tobytes(), limit)).fetchall()
        return {int(r[0]): 1.0 - float(r[1]) for r in rows}

    # --- export and size ---------------------------------------------------------------------------

    def export(self) -> dict:
        """Every fact, as JSON-able data (the Memory page's and ``assistant memory export``'s)."""
        return {"exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "facts": [{"id": f.id, "text": f.text, "said": f.said, "origin": f.origin,
                           "created_at": f.created_at.isoformat(timespec="seconds"),
                           "updated_at": f.updated_at.isoformat(timespec="seconds")} for f in self.facts(100_000)]}

    def export_json(self) -> str:
        return json.dumps(self.export(), indent=2, ensure_ascii=False) + "\n"

    # --- helpers -----------------------------------------------------------------------------------

    def _reading(self):
        return _translated(self.history.reading())

    def _writing(self):
        return _translated(self.history.writing())


def _merge(by_words: dict[int, int], by_meaning: dict[int, float]) -> list[tuple[int, float]]:
    """(row id, score), best first: the nearest by meaning (a word match adds ``WORDS_BONUS``), then the word
    matches meaning did not find, in their full-text rank (scored below any similarity)."""
    ranked = sorted(((row_id, similarity + (WORDS_BONUS if row_id in by_words else 0.0))
                     for row_id, similarity in by_meaning.items()), key=lambda item: (-item[1], item[0]))
    rest = sorted((row_id for row_id in by_words if row_id not in by_meaning), key=by_words.__getitem__)
    return ranked + [(row_id, -1.0 - rank / 1000) for rank, row_id in enumerate(rest)]


class _translated:
    """A store context whose ``HistoryError`` becomes the memory's ``memory-unavailable``."""

    def __init__(self, inner) -> None:
        self.inner = inner

    def __enter__(self):
        try:
            return self.inner.__enter__()
        except HistoryError as exc:
            raise MemoryFailure("memory-unavailable", unavailable_message(exc.message)) from exc

    def __exit__(self, kind, value, tb):
        try:
            return self.inner.__exit__(kind, value, tb)
        except HistoryError as exc:
            raise MemoryFailure("memory-unavailable", unavailable_message(exc.message)) from exc


def unavailable_message(message: str) -> str:
    """A history store's failure, said as the memory's (they share the database)."""
    return message.replace("conversation history", "memory and conversation history").replace(
        "without history", "without memory or history")
