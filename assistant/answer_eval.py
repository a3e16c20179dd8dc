"""``assistant eval``: answer quality over a fixed question set, per backend, with first-token latency.

The question set (assistant/data/eval/questions.jsonl, its README says how it was made) holds everyday questions
with accepted-answer patterns: a reply is right when an ``accept`` pattern matches and no ``reject`` pattern does.
Each question is asked on its own, with the configured system prompt, as a typed question: the same prompt a turn
gets, without history. The set is a measure, never a target: prompts are not tuned to single questions.
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from assistant.config import Config
from assistant.contracts.errors import InputError
from assistant.contracts.turns import CancelToken
from assistant.pipeline.conversation import Conversation

CATEGORIES = ("facts", "arithmetic", "units", "phrases", "advice", "instructions", "reasoning", "code")


@dataclass(frozen=True)
class Question:
    id: str
    category: str
    question: str
    accept: tuple[str, ...]
    reject: tuple[str, ...] = ()
    source: str = ""

    def is_right(self, reply: str) -> bool:
        """Right when some accept pattern matches and no reject pattern does (case-insensitive, anywhere)."""
        found = lambda patterns: any(re.search(p, reply, re.IGNORECASE) for p in patterns)  # noqa: E731
        return found(self.accept) and not found(self.reject)


def default_questions() -> Path:
    return Path(str(resources.files("assistant") / "data" / "eval" / "questions.jsonl"))


def load_questions(path: Path | None = None, categories: list[str] | None = None) -> list[Question]:
    """The questions in a JSON-lines file (default: the repository's set), optionally of some categories only."""
    path = path or default_questions()
    if not path.is_file():
        raise InputError("eval-questions-missing", f"no question set at {path}; pass one with --questions.")
    questions = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            question = Question(item["id"], item["category"], item["question"], tuple(item["accept"]),
                                tuple(item.get("reject", ())), item.get("source", ""))
            for pattern in (*question.accept, *question.reject):
                re.compile(pattern)
        except (ValueError, KeyError, TypeError, re.error) as exc:
            raise InputError("eval-questions-invalid", f"{path}, line {n}: {exc}. Each line is a JSON object "
                             "with id, category, question and accept (a list of regular expressions).") from exc
        questions.append(question)
    if categories:
        unknown = set(categories) - {q.category for q in questions}
        if unknown:
            raise InputError("eval-category-unknown", f"no questions of category {', '.join(sorted(unknown))} in "
                             f"{path}; its categories: {', '.join(sorted({q.category for q in questions}))}.")
        questions = [q for q in questions if q.category in categories]
    if not questions:
        raise InputError("eval-questions-missing", f"{path} holds no questions.")
    return questions


def backend_label(config: Config) -> str:
    from assistant.bootstrap import big_model_of

    llm, big = config.llm, big_model_of(config)
    routed = f" + {big} for questions" if big else ""
    return f"{llm.model}{routed} ({llm.runtime} runtime, {config.cloud.policy} policy)"


def evaluate(config: Config, questions: list[Question], progress: Callable[[str], None] = lambda m: None,
             build_llm=None, tools: bool = False) -> dict:
    """Ask every question of the language model ``config`` describes; returns its accuracy, per category, the
    first-token latencies and every answer. ``tools``: as a typed turn does, the intent matcher first and the model
    with the tools that fit the question (answers by a tool have no model: their first token is the reply).
    ``build_llm`` (tests): makes the model instead of the bootstrap."""
    import tempfile

    from assistant import bootstrap
    from assistant.bootstrap import big_model_of

    llm = (build_llm or bootstrap.create_llm)(config)
    t0 = time.monotonic()
    llm.load(lambda message, fraction: progress(message) if fraction is None else None)
    load_s = time.monotonic() - t0
    answers = []
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as folder:
        acting = _tools(folder) if tools else None
        for n, question in enumerate(questions, 1):
            answers.append(_ask(config, llm, acting, question, n))
            right = answers[-1]["right"]
            progress(f"{n}/{len(questions)} {'right' if right else 'WRONG'} {question.id}: "
                     f"{answers[-1]['reply'][:80]!r}")
    return _result(config, big_model_of(config), load_s, answers, tools)


def _tools(folder: str):
    """The tools a typed turn has, on a data folder of their own and a desktop that does nothing."""
    from assistant.bus import EventBus
    from assistant.tool_eval import EvalDesktop, build_tools

    acting = build_tools(EventBus(), Path(folder), EvalDesktop())
    acting.warm()
    return acting


def _ask(config: Config, llm, acting, question: Question, n: int) -> dict:
    """One question as a new conversation: by the intent matcher (``acting`` given), else by the model, offered the
    tools that fit it."""
    cancel = CancelToken(n)
    start = time.monotonic()
    reply = acting.answer_by_intent(question.question, turn_id=n, cancel=cancel) if acting is not None else None
    by, first = "tool", time.monotonic() - start
    if reply is None:
        conversation = Conversation(config.llm.system_prompt, config.llm.context_tokens, config.llm.max_new_tokens)
        messages = conversation.messages_for(question.question, llm.count_tokens)
        offered = acting.offered(question.question, llm) if acting is not None else []
        by, first = ("model + tools" if offered else "model"), None
        stream = acting.stream(llm, messages, offered, turn_id=n, cancel=cancel) if offered else \
            llm.stream(messages, cancel=cancel)
        pieces = []
        for piece in stream:
            if first is None:
                first = time.monotonic() - start
            pieces.append(piece)
        reply = "".join(pieces)
    reply = reply.strip()
    chosen = getattr(llm, "last_route", None) if by != "tool" else None
    return {"id": question.id, "category": question.category, "question": question.question, "reply": reply,
            "right": question.is_right(reply), "by": by,
            "backend": getattr(llm, "last_backend", "") if by != "tool" else "tool",
            "route": str(chosen) if chosen else "",
            "first_token_ms": round((first if first is not None else time.monotonic() - start) * 1000, 1),
            "reply_ms": round((time.monotonic() - start) * 1000, 1)}


def _result(config: Config, big_model: str, load_s: float, answers: list[dict], tools: bool) -> dict:
    firsts = [a["first_token_ms"] for a in answers]
    by_category = {}
    for category in sorted({a["category"] for a in answers}, key=_category_order):
        some = [a for a in answers if a["category"] == category]
        by_category[category] = {"right": sum(a["right"] for a in some), "of": len(some)}
    tiers = {}
    for tier in sorted({a["route"].split(":")[0] for a in answers if a["route"]}):
        some = [a for a in answers if a["route"].startswith(tier + ":")]
        tiers[tier] = {"share": round(len(some) / len(answers), 4), "right": sum(a["right"] for a in some),
                       "of": len(some), "first_token_ms_median": round(statistics.median(
                           a["first_token_ms"] for a in some), 1)}
    by = {kind: {"right": sum(a["right"] for a in answers if a["by"] == kind),
                 "of": sum(a["by"] == kind for a in answers)} for kind in dict.fromkeys(a["by"] for a in answers)}
    return {"backend": backend_label(config) + (" with tools" if tools else ""), "model": config.llm.model,
            "runtime": config.llm.runtime, "big_model": big_model, "tools": tools, "answered_by": by, "tiers": tiers,
            "policy": config.cloud.policy, "load_s": round(load_s, 2), "right": sum(a["right"] for a in answers),
            "of": len(answers), "accuracy": round(sum(a["right"] for a in answers) / len(answers), 4),
            "first_token_ms": {"median": round(statistics.median(firsts), 1), "p90": round(_p90(firsts), 1)},
            "reply_ms_median": round(statistics.median(a["reply_ms"] for a in answers), 1),
            "by_category": by_category, "answers": answers}


def _category_order(category: str) -> tuple[int, str]:
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), category)


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def format_table(results: list[dict]) -> str:
    """One row per backend: accuracy, first-token latency, load time; then accuracy per category."""
    lines = [f"{'backend':58} {'right':>9} {'acc':>6} {'first tok med/p90 ms':>21} {'load s':>7}"]
    for r in results:
        lines.append(f"{r['backend'][:58]:58} {r['right']:>4}/{r['of']:<4} {r['accuracy'] * 100:5.1f}% "
                     f"{r['first_token_ms']['median']:>10.0f}/{r['first_token_ms']['p90']:<10.0f} {r['load_s']:>7.1f}")
    categories = sorted({c for r in results for c in r["by_category"]}, key=_category_order)
    width = max([8, *(len(c) for c in categories)])
    lines.append("")
    lines.append(f"{'per category':58} " + " ".join(f"{c:>{width}}" for c in categories))
    for r in results:
        cells = []
        for c in categories:
            cell = r["by_category"].get(c)
            cells.append(f"{cell['right']:>{width - 5}}/{cell['of']:<4}" if cell else f"{'-':>{width}}")
        lines.append(f"{r['backend'][:58]:58} " + " ".join(cells))
    for r in results:
        if r.get("tools"):
            parts = ", ".join(f"{kind} {c['right']}/{c['of']}" for kind, c in r["answered_by"].items())
            lines.append(f"{r['backend'][:58]:58} answered by (right/of): {parts}")
    routed = [r for r in results if r.get("tiers")]
    if routed:
        lines.append("")
        lines.append(f"{'routed: per tier':58} {'share':>6} {'right':>9} {'first tok med ms':>17}")
        for r in routed:
            for tier, t in r["tiers"].items():
                lines.append(f"{(r['backend'][:48] + ' ' + tier):58} {t['share'] * 100:5.1f}% "
                             f"{t['right']:>4}/{t['of']:<4} {t['first_token_ms_median']:>17.0f}")
    return "\n".join(lines)
