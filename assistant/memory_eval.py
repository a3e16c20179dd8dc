"""``assistant eval --memory``: how well the memory finds what the user told it, what it costs a question's first
token, and how big its database grows.

The set (``assistant/data/eval/memory.jsonl``, written for this purpose) holds facts as a user tells them and two
paraphrased questions per fact, one of which shares no content word with it, plus questions no fact answers. Every
fact is stored in a fresh database; each question then ranks the facts by words (FTS5), by meaning (embeddings,
sqlite-vec) and by both fused, as the assistant does.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assistant.contracts.errors import InputError
from assistant.contracts.turns import CancelToken


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    fact: str | None
    questions: tuple[str, ...]


def default_set() -> Path:
    return Path(str(resources.files("assistant") / "data" / "eval" / "memory.jsonl"))


def load_set(path: Path | None = None) -> list[Item]:
    path = path or default_set()
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError("eval-questions-missing", f"the memory set {path} cannot be read: {exc}.") from exc
    items = [Item(d["id"], d.get("fact"), tuple(d["questions"])) for d in map(json.loads, filter(str.strip, lines))]
    if not any(i.fact for i in items):
        raise InputError("eval-questions-missing", f"the memory set {path} has no facts.")
    return items


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


def recall_quality(items: list[Item], memory, progress: Callable[[str], None] = lambda m: None) -> dict:
    """Store every fact in ``memory`` (an empty ``assistant.memory.service.Memory`` with a store and a loaded
    embedder), then rank them for every question three ways; recall@1/@3, MRR, and what would go into prompts."""
    store = memory.store
    ids: dict[int, str] = {}
    for item in items:
        if item.fact:
            fact, _ = store.add(item.fact, origin="typed")
            ids[fact.id] = item.id
    memory.index_now()
    progress(f"{len(ids)} facts stored, {store.vector_count('facts')} with vectors")
    modes = {"words": [], "meaning": [], "both": []}
    in_prompt_right, in_prompt_any_unrelated, included, note_ms = [], [], [], []
    for item in items:
        for question in item.questions:
            vector = memory.embedder.encode([question])[0]
            ranked = {"words": store.find_facts(question, None, k=3),
                      "meaning": store.find_facts(question, vector, k=3, words=False),
                      "both": store.find_facts(question, vector, k=3)}
            t0 = time.perf_counter()
            chosen = memory.relevant_facts(question)
            note_ms.append((time.perf_counter() - t0) * 1000)
            included.append(len(chosen))
            if item.fact:
                for mode, found in ranked.items():
                    ranks = [i + 1 for i, s in enumerate(found) if ids[s.item.id] == item.id]
                    modes[mode].append(ranks[0] if ranks else 0)
                in_prompt_right.append(any(ids[s.item.id] == item.id for s in chosen))
            else:
                in_prompt_any_unrelated.append(bool(chosen))
    rows = {}
    for mode, ranks in modes.items():
        n = len(ranks)
        rows[mode] = {"recall_at_1": round(sum(r == 1 for r in ranks) / n, 3),
                      "recall_at_3": round(sum(0 < r <= 3 for r in ranks) / n, 3),
                      "mrr_at_3": round(sum(1 / r for r in ranks if r) / n, 3), "questions": n}
    return {"facts": len(ids), "ranking": rows,
            "prompt": {"right_fact_included": round(sum(in_prompt_right) / len(in_prompt_right), 3),
                       "unrelated_with_a_fact": round(sum(in_prompt_any_unrelated)
                                                      / max(1, len(in_prompt_any_unrelated)), 3),
                       "unrelated_questions": len(in_prompt_any_unrelated),
                       "facts_per_question_mean": round(sum(included) / len(included), 2),
                       "lookup_ms_median": _median(note_ms)}}


def first_token(llm, conversation, memory, questions: list[str], rounds: int = 3,
                progress: Callable[[str], None] = lambda m: None) -> dict:
    """The first-token time of ``questions`` with their facts in the prompt and without (interleaved, paired),
    on the loaded ``llm``; the notes are made as the assistant makes them (embedding and lookup included)."""
    with_ms, without_ms = [], []

    def one(question: str, with_memory: bool) -> float:
        conversation.notes = memory.notes_for if with_memory else None
        t0 = time.perf_counter()
        messages = conversation.messages_for(question, llm.count_tokens)
        token = CancelToken(0)
        for _ in llm.stream(messages, cancel=token):
            token.cancel()
            break
        return (time.perf_counter() - t0) * 1000

    one(questions[0], True)  # warm
    for r in range(rounds):
        for i, question in enumerate(questions):
            order = (True, False) if (i + r) % 2 == 0 else (False, True)
            for with_memory in order:
                (with_ms if with_memory else without_ms).append(one(question, with_memory))
        progress(f"first token: round {r + 1} of {rounds}")
    conversation.notes = None
    return {"with_memory_ms": _median(with_ms), "without_memory_ms": _median(without_ms),
            "added_ms": round(statistics.median(w - o for w, o in zip(with_ms, without_ms, strict=True)), 1),
            "questions": len(questions), "rounds": rounds}


def database_size(memory_factory, turns: int = 1000, progress: Callable[[str], None] = lambda m: None) -> dict:
    """Bytes of the database for ``turns`` answered turns: history only, then with the memory's vectors."""
    from assistant.history import HistoryStore

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "history.sqlite3"
        history = HistoryStore(path)
        memory = memory_factory(history)
        conversation = history.new_conversation()
        for i in range(turns):
            history.add_turn(conversation, question=f"Question {i}: how long should I boil an egg for a soft yolk?",
                             answer=f"Answer {i}: about six minutes in boiling water gives a soft, runny yolk; "
                                    "cool it in cold water to stop the cooking.", outcome="completed", source="voice")

        def size() -> int:
            with history.reading() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return path.stat().st_size

        before = size()
        t0 = time.perf_counter()
        memory.index_now(timeout=600)
        seconds = time.perf_counter() - t0
        after = size()
        vectors = memory.store.vector_count("turns")
        history.close()
    progress(f"{turns} turns indexed in {seconds:.1f} s")
    return {"turns": turns, "vectors": vectors, "without_vectors_bytes": before, "with_vectors_bytes": after,
            "vectors_bytes_per_1000_turns": round((after - before) * 1000 / turns),
            "bytes_per_1000_turns": round(after * 1000 / turns), "embedding_s_per_turn_ms":
            round(seconds * 1000 / turns, 1)}


def format_report(report: dict) -> str:
    lines = [f"Recall over {report['recall']['facts']} facts ({report['recall']['ranking']['both']['questions']} "
             "paraphrased questions)", "", "| ranking | recall@1 | recall@3 | MRR@3 |", "| --- | --- | --- | --- |"]
    for mode, row in report["recall"]["ranking"].items():
        lines.append(f"| {mode} | {row['recall_at_1']:.1%} | {row['recall_at_3']:.1%} | {row['mrr_at_3']:.3f} |")
    p = report["recall"]["prompt"]
    lines += ["", f"Into prompts: the right fact for {p['right_fact_included']:.1%} of fact questions; some fact for "
              f"{p['unrelated_with_a_fact']:.1%} of {p['unrelated_questions']} unrelated questions; "
              f"{p['facts_per_question_mean']} facts per question on average; lookup median {p['lookup_ms_median']} ms"]
    if "first_token" in report:
        f = report["first_token"]
        lines.append(f"First token: {f['with_memory_ms']} ms with memory, {f['without_memory_ms']} ms without "
                     f"(paired median difference {f['added_ms']} ms; {f['questions']} questions x {f['rounds']})")
    if "database" in report:
        d = report["database"]
        lines.append(f"Database: {d['bytes_per_1000_turns'] / 1e6:.2f} MB per 1,000 turns with the memory's "
                     f"vectors ({d['vectors_bytes_per_1000_turns'] / 1e6:.2f} MB of it vectors; "
                     f"{d['without_vectors_bytes'] / 1e6:.2f} MB without); embedding {d['embedding_s_per_turn_ms']} "
                     "ms per turn")
    return "\n".join(lines)

