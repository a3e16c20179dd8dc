"""What a tool is: the things the assistant can do (tell the time, set a timer, open a folder, call an MCP server).

A tool has a name, a description and a JSON schema for its arguments (what the model's tool call is checked
against), says whether it changes anything outside the assistant (then it asks before it runs, unless the user
allowed it) and whether it reaches the network, and returns a result whose ``say`` is what the user hears.
Tools run on the LLM stage's thread, never on an audio thread, and get the turn's cancel token.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.contracts.errors import AssistantError
from assistant.contracts.turns import CancelToken


class ToolError(AssistantError):
    """A tool could not do what was asked: bad arguments, a time that does not parse, a server that is down."""

    exit_code = 4


@dataclass(frozen=True, slots=True)
class ToolResult:
    """What a tool did: ``say`` is spoken to the user (and given to the model after a model's call); ``data`` is
    the same in a form for the window and the history (JSON-able)."""

    say: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ToolContext:
    """What a running tool may use: its turn's cancel token (an interrupt ends a slow call) and the policy."""

    cancel: CancelToken
    turn_id: int = 0
    policy: str = "local"  # the routing policy: under "local" no tool reaches the network unless allowed


@dataclass(frozen=True, slots=True)
class Tool:
    """One thing the assistant can do. ``run(arguments, context)`` returns a ToolResult or raises ToolError."""

    name: str  # "family.verb", e.g. "timers.start"; the model calls it by this name
    description: str  # one sentence, for the model and the settings
    parameters: Mapping[str, Any]  # a JSON schema (type "object") for the arguments
    run: Callable[[Mapping[str, Any], ToolContext], ToolResult]
    changes: bool = False  # changes something outside the assistant (opens, writes, deletes, sends): asks first
    network: bool = False  # reaches the network
    family: str = ""  # the module it comes from ("clock", "timers", "mcp:<server>"), for the settings
    keywords: tuple[str, ...] = ()  # words that make it worth offering to the model for a question
    ask: Callable[[Mapping[str, Any]], str] | None = None  # the question before it runs ("Open Firefox?")

    def confirm_prompt(self, arguments: Mapping[str, Any]) -> str:
        """The question asked before a tool that changes something runs."""
        if self.ask is not None:
            return self.ask(arguments)
        shown = ", ".join(f"{k} {v}" for k, v in arguments.items())
        return f"Shall I run {self.name}{' with ' + shown if shown else ''}?"


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A call of a tool with its arguments, from the intent matcher ("intent") or the model ("model")."""

    tool: str
    arguments: Mapping[str, Any]
    source: str = "intent"  # intent | model | confirmed


class ToolSource(Protocol):
    """Something that adds tools (a family module, the MCP servers): ``tools()`` lists what it has now."""

    def tools(self) -> list[Tool]: ...


class DesktopActions(Protocol):
    """What the desktop does for tools: open links, files, folders and apps, and the clipboard. Implemented by
    ``desktop.actions`` (anywhere) and by the Qt front-end (clipboard and links through Qt)."""

    def open_url(self, url: str) -> None:
        """Open a web link or a file URL with the user's default handler; raises ToolError."""

    def open_path(self, path: str) -> None:
        """Open a file or folder with the user's default application; raises ToolError."""

    def find_app(self, name: str) -> str | None:
        """The installed application that best matches a spoken name (its display name), or None."""

    def launch_app(self, name: str) -> str:
        """Start the application ``find_app(name)`` found; returns its display name; raises ToolError."""

    def clipboard_text(self) -> str:
        """The clipboard's text ("" when it holds none); raises ToolError where there is no clipboard."""

    def set_clipboard_text(self, text: str) -> None:
        """Put text on the clipboard; raises ToolError where there is no clipboard."""
