"""The toolbox: every tool the assistant has, the ones offered to the model for a question, and running a call.

A call's arguments are checked against the tool's JSON schema (``jsonschema``) before it runs; the call and its
result are published as ``ToolCalled`` / ``ToolFinished``; a tool that changes something waits for the user's
yes unless the user allowed it (``tools.allowed``); under the "local" policy a tool that reaches the network runs
only when the user allowed it.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from assistant.bus import EventBus
from assistant.contracts.events import ToolCalled, ToolFinished
from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolError, ToolResult, ToolSource
from assistant.contracts.turns import CancelToken

log = logging.getLogger(__name__)

_call_ids = itertools.count(1)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True)
class Pending:
    """A call waiting for the user's yes, and until when it may be given (monotonic)."""

    call: ToolCall
    prompt: str
    until: float


class Toolbox:
    """The tools of this process: fixed families and sources whose list can change (MCP servers)."""

    CONFIRM_WINDOW_S = 60.0  # a yes later than this no longer runs the call

    def __init__(self, bus: EventBus, *, policy: str = "local", allowed: Iterable[str] = (),
                 sources: Iterable[ToolSource | Tool] = ()) -> None:
        """``allowed``: tool names (or family names, or "*") that run without asking, and may reach the network
        under the local policy."""
        self.bus, self.policy = bus, policy
        self.allowed = {a.strip() for a in allowed if a.strip()}
        self._fixed: dict[str, Tool] = {}
        self._sources: list[ToolSource] = []
        self._lock = threading.Lock()
        self._pending: Pending | None = None
        for source in sources:
            self.add(source)

    def add(self, source: ToolSource | Tool) -> None:
        """Add a tool, or a source whose ``tools()`` is asked each time (its list may change)."""
        with self._lock:
            if isinstance(source, Tool):
                self._fixed[source.name] = source
            else:
                self._sources.append(source)

    def tools(self) -> list[Tool]:
        """Every tool there is now (a source that fails to list is left out: it said why itself)."""
        with self._lock:
            found = dict(self._fixed)
            sources = list(self._sources)
        for source in sources:
            try:
                listed = source.tools()
            except Exception:  # a broken source must not take the others down
                log.exception("a tool source failed to list its tools")
                continue
            for tool in listed:
                found.setdefault(tool.name, tool)
        return list(found.values())

    def get(self, name: str) -> Tool | None:
        return next((t for t in self.tools() if t.name == name), None)

    def is_allowed(self, tool: Tool) -> bool:
        """Whether the user allowed this tool (by name, by family, or all) to run without asking."""
        return bool({"*", tool.name, tool.family} & self.allowed)

    def usable(self, tool: Tool) -> bool:
        """Under the local policy a tool that reaches the network runs only when the user allowed it."""
        return not (tool.network and self.policy == "local" and not self.is_allowed(tool))

    def for_question(self, text: str, limit: int = 4) -> list[Tool]:
        """The few tools worth offering the model for this question (its words meet their keywords or names), best
        first; none for most questions, so that their prompt (and its first word) is not slowed by a tool list."""
        words = set(_WORD.findall(text.lower()))
        scored = []
        for tool in self.tools():
            if not self.usable(tool):
                continue
            # The name's words after its family ("timers.start" -> "start"): a family's name shared by all its
            # tools (an MCP server's) would tie them all.
            verb = tool.name.split(".", 1)[-1]
            keys = set(tool.keywords) | set(_WORD.findall(verb.lower().replace("_", " ")))
            score = sum(1 for key in keys if any(_same_word(word, key) for word in words))
            if score:
                scored.append((score, tool.name, tool))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [tool for _, _, tool in scored[:limit]]

    # --- confirmation ------------------------------------------------------------------------------------------

    def needs_confirmation(self, tool: Tool) -> bool:
        return tool.changes and not self.is_allowed(tool)

    def hold(self, call: ToolCall, prompt: str) -> None:
        """Keep a call until the user says yes (or no), for a minute at most; a newer one replaces it."""
        with self._lock:
            self._pending = Pending(call, prompt, time.monotonic() + self.CONFIRM_WINDOW_S)

    def take_pending(self) -> Pending | None:
        """The call waiting for a yes, taken (None when there is none or it waited too long)."""
        with self._lock:
            pending, self._pending = self._pending, None
        if pending is None or time.monotonic() > pending.until:
            return None
        return pending

    @property
    def pending(self) -> Pending | None:
        with self._lock:
            pending = self._pending
        return pending if pending is not None and time.monotonic() <= pending.until else None

    # --- running -----------------------------------------------------------------------------------------------

    def check(self, call: ToolCall) -> Tool:
        """The tool of a call whose arguments fit its schema; raises ToolError (what is wrong, for a retry)."""
        tool = self.get(call.tool)
        if tool is None:
            raise ToolError("tool-unknown", f"there is no tool named {call.tool!r}.")
        if not self.usable(tool):
            raise ToolError("tool-not-allowed", f"{tool.name} reaches the network, which the local-only policy "
                            "forbids; allow it in Settings > Tools.")
        try:
            jsonschema.validate(dict(call.arguments), dict(tool.parameters))
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            raise ToolError("tool-arguments-invalid", f"{tool.name}: {where + ': ' if where else ''}"
                            f"{exc.message}") from None
        return tool

    def run(self, call: ToolCall, *, turn_id: int, cancel: CancelToken) -> ToolResult:
        """Check and run a call, publishing it and its result; raises ToolError (published too)."""
        call_id = next(_call_ids)
        arguments = _plain(call.arguments)
        self.bus.publish(ToolCalled(turn_id=turn_id, call_id=call_id, tool=call.tool, arguments=arguments,
                                    source=call.source))
        t0 = time.monotonic()
        try:
            tool = self.check(call)
            result = tool.run(call.arguments, ToolContext(cancel=cancel, turn_id=turn_id, policy=self.policy))
        except ToolError as exc:
            self.bus.publish(ToolFinished(turn_id=turn_id, call_id=call_id, tool=call.tool, ok=False, say=exc.message,
                                          code=exc.code, seconds=round(time.monotonic() - t0, 4)))
            raise
        except Exception as exc:  # a tool's bug is its call's failure, not the turn's crash
            log.exception("tool %s failed", call.tool)
            error = ToolError("tool-failed", f"{call.tool} failed: {exc}")
            self.bus.publish(ToolFinished(turn_id=turn_id, call_id=call_id, tool=call.tool, ok=False,
                                          say=error.message, code=error.code,
                                          seconds=round(time.monotonic() - t0, 4)))
            raise error from exc
        self.bus.publish(ToolFinished(turn_id=turn_id, call_id=call_id, tool=call.tool, ok=True, say=result.say,
                                      data=_plain(result.data), seconds=round(time.monotonic() - t0, 4)))
        return result


# Endings that make another form of the same word: "rain" -> "raining", "timer" -> "timers", "percent" ->
# "percentage". Not any longer word that begins alike: "down" is not "downloads", nor "star" "start", nor "time"
# "timer" (the timers' tools were offered for "down.", "the closest star" and every question of the time).
_FORMS = ("s", "es", "ed", "d", "ing", "ly", "age", "al", "ion", "ions", "ation", "ations", "ment", "ments")
_FORMS_AFTER_E = ("ing", "ion", "ions", "ation", "ations")  # "calculate" -> "calculating", "convert..." has no e


def _same_word(word: str, key: str) -> bool:
    """A word of the question meets a keyword: the same, or one another form of the other ("raining", "rain";
    "timers", "timer"), for stems of four letters or more."""
    if word == key:
        return True
    short, long = sorted((word, key), key=len)
    if len(short) < 4:
        return False
    if long.startswith(short) and long[len(short):] in _FORMS:
        return True
    return short.endswith("e") and long.startswith(short[:-1]) and long[len(short) - 1:] in _FORMS_AFTER_E


def _plain(value: Mapping[str, Any]) -> dict:
    """A JSON-able copy for events (history and the window store them)."""
    out: dict = {}
    for key, item in value.items():
        if isinstance(item, Mapping):
            out[str(key)] = _plain(item)
        elif isinstance(item, (str, int, float, bool)) or item is None:
            out[str(key)] = item
        elif isinstance(item, (list, tuple)):
            out[str(key)] = [i if isinstance(i, (str, int, float, bool)) or i is None else str(i) for i in item]
        else:
            out[str(key)] = str(item)
    return out
