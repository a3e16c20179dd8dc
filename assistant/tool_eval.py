"""``assistant eval --requests``: how many everyday requests the tools get right, by the intent matcher, by the
model's tool calls, and overall.

The set (assistant/data/eval/requests.jsonl) holds requests with the tool that should answer each (or none: a
question for the model alone), the arguments that must be in the call (strings are patterns) and, for sums and
conversions, a pattern the spoken result must match. Each request runs as a typed turn would: the matcher first,
then the model with the tools that fit the request. Nothing real is opened or set: timers go to a scratch database
and the desktop is a recording one with four apps (Calculator, Text Editor, Firefox, Terminal) and a clipboard.
"""

from __future__ import annotations

import json
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from assistant.bus import EventBus
from assistant.config import Config
from assistant.contracts.errors import InputError
from assistant.contracts.events import ToolCalled, ToolConfirmationRequested
from assistant.contracts.ports import LanguageModel
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.acting import ToolTurns


@dataclass(frozen=True)
class Request:
    id: str
    request: str
    tool: str | None  # None: no tool should be called
    args: Mapping[str, Any] = field(default_factory=dict)
    result: str = ""  # a pattern the reply must match


@dataclass
class Outcome:
    request: Request
    by: str  # "intent" | "model" | "" (no tool called)
    tool: str | None
    arguments: dict
    reply: str
    right: bool
    seconds: float
    asked_model: bool = False  # the model wrote (part of) the reply


def default_requests() -> Path:
    return Path(str(resources.files("assistant") / "data" / "eval" / "requests.jsonl"))


def load_requests(path: Path | None = None) -> list[Request]:
    path = path or default_requests()
    if not path.is_file():
        raise InputError("eval-questions-missing", f"no request set at {path}.")
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            items.append(Request(data["id"], data["request"], data.get("tool"), data.get("args", {}),
                                 data.get("result", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError("eval-questions-invalid", f"{path}:{n} is not a valid request ({exc}).") from None
    if not items:
        raise InputError("eval-questions-missing", f"{path} holds no requests.")
    return items


class EvalDesktop:
    """The desktop port for the eval: four apps, a clipboard, and nothing really opened."""

    APPS = ("Calculator", "Text Editor", "Firefox", "Terminal")

    def __init__(self) -> None:
        self.clipboard = "The meeting moved to Thursday at 3 pm."
        self.opened: list[str] = []

    def open_url(self, url: str) -> None:
        self.opened.append(url)

    def open_path(self, path: str) -> None:
        self.opened.append(path)

    def find_app(self, name: str) -> str | None:
        return next((app for app in self.APPS if app.lower() == name.strip().lower()), None)

    def launch_app(self, name: str) -> str:
        self.opened.append(name)
        return self.find_app(name) or name

    def clipboard_text(self) -> str:
        return self.clipboard

    def set_clipboard_text(self, text: str) -> None:
        self.clipboard = text


def _argument_fits(expected: Any, got: Any) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return abs(float(got) - expected) <= max(1e-9, abs(expected) * 0.01)
        except (TypeError, ValueError):
            return False
    return re.search(str(expected), str(got), re.IGNORECASE) is not None


def is_right(request: Request, tool: str | None, arguments: Mapping[str, Any], reply: str) -> bool:
    """The right tool (or none), with the expected arguments, and the result the reply must hold."""
    if tool != request.tool:
        return False
    if any(key not in arguments or not _argument_fits(value, arguments[key]) for key, value in request.args.items()):
        return False
    return not request.result or re.search(request.result, reply, re.IGNORECASE) is not None


def build_tools(bus: EventBus, folder: Path, desktop: EvalDesktop) -> ToolTurns:
    """The built-in families as the app has them, on a scratch timers database and the eval's desktop."""
    from assistant.tools.clock import Clock
    from assistant.tools.desktop import Desktop
    from assistant.tools.intents import IntentMatcher
    from assistant.tools.maths import Maths
    from assistant.tools.timers import TimerService
    from assistant.tools.toolbox import Toolbox
    from assistant.tools.units import Units
    from assistant.tools.words import Words

    toolbox, matcher = Toolbox(bus), IntentMatcher()
    units = Units()
    for family in (TimerService(bus, folder / "timers.sqlite3"), Clock(), units, Maths(), Words(), Desktop(desktop)):
        for tool in family.tools():
            toolbox.add(tool)
        matcher.add(*family.matchers())
    return ToolTurns(bus, toolbox, matcher, warm=[units.warm])


def evaluate(model: LanguageModel | None, requests: list[Request], config: Config, *,
             progress: Callable[[str], None] = lambda line: None) -> list[Outcome]:
    """Each request as a typed turn: the matcher, then (``model`` given) the model with the tools that fit."""
    bus = EventBus()
    seen: list = []
    bus.subscribe(lambda e: seen.append(e) if isinstance(e, (ToolCalled, ToolConfirmationRequested)) else None)
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="assistant-eval-") as folder:
        acting = build_tools(bus, Path(folder), EvalDesktop())
        acting.warm()
        for request in requests:
            seen.clear()
            acting.toolbox.take_pending()
            cancel = CancelToken(1)
            t0 = time.perf_counter()
            reply = acting.answer_by_intent(request.request, turn_id=1, cancel=cancel)
            by = "intent"
            if reply is None and model is not None:
                by = "model"
                messages = [ChatMessage(Role.SYSTEM, config.llm.system_prompt), ChatMessage(Role.USER, request.request)]
                offered = acting.offered(request.request, model)
                pieces = acting.stream(model, messages, offered, turn_id=1, cancel=cancel) if offered else \
                    model.stream(messages, cancel=cancel)
                reply = "".join(pieces)
            seconds = time.perf_counter() - t0
            called = seen[0] if seen else None
            tool = called.tool if called is not None else None
            arguments = dict(called.arguments) if called is not None else {}
            right = is_right(request, tool, arguments, reply or "")
            outcomes.append(Outcome(request, by if called is not None else "", tool, arguments, reply or "", right,
                                    seconds, asked_model=by == "model"))
            progress(f"{'ok ' if right else 'BAD'} {request.id:9} {by:6} {tool or '-':20} {seconds * 1000:7.0f} ms  "
                     f"{request.request}")
    return outcomes


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    """The shares the note reports: right by the matcher, by the model's calls (of the tool requests the matcher
    left to it), the questions that want no tool left alone, overall; the matcher's latency."""
    total = len(outcomes)
    by_intent = [o for o in outcomes if o.by == "intent"]
    rest = [o for o in outcomes if o.by != "intent"]
    wanted = [o for o in rest if o.request.tool is not None]  # a tool request the matcher did not take
    controls = [o for o in rest if o.request.tool is None]  # a question for the model alone
    asked = [o for o in outcomes if o.asked_model]

    def share(part: list[Outcome], of: int) -> float:
        return round(sum(o.right for o in part) / of, 3) if of else 0.0

    return {
        "requests": total,
        "right": sum(o.right for o in outcomes),
        "right_share": share(outcomes, total),
        "matcher_answered": len(by_intent),
        "matcher_right": sum(o.right for o in by_intent),
        "matcher_right_share_of_all": share(by_intent, total),
        "model_tool_requests": len(wanted),
        "model_tool_right": sum(o.right for o in wanted),
        "model_tool_right_share": share(wanted, len(wanted)),
        "no_tool_questions": len(controls),
        "no_tool_left_alone": sum(o.right for o in controls),
        "matcher_ms_median": round(statistics.median(o.seconds for o in by_intent) * 1000, 2) if by_intent else None,
        "model_s_median": round(statistics.median(o.seconds for o in asked), 2) if asked else None,
    }


def format_summary(name: str, data: Mapping[str, Any]) -> str:
    return (f"{name}: {data['right']}/{data['requests']} right ({data['right_share']:.1%}); "
            f"matcher answered {data['matcher_answered']}, right {data['matcher_right']} "
            f"({data['matcher_right_share_of_all']:.1%} of all; median {data['matcher_ms_median']} ms); "
            f"model's calls right {data['model_tool_right']}/{data['model_tool_requests']} of the tool requests "
            f"left to it; {data['no_tool_left_alone']}/{data['no_tool_questions']} questions that want no tool "
            f"got none" + (f" (median {data['model_s_median']} s a request the model answered)"
                           if data["model_s_median"] is not None else ""))
