"""MCP servers as tools: the servers the user listed in ``mcp.json`` beside the settings file, their tools offered
like the built-in ones.

``mcp.json`` has the format other MCP clients use (Claude Desktop, Cursor)::

    {"mcpServers": {"weather": {"command": "uvx", "args": ["weather-mcp"], "env": {"UNITS": "metric"}},
                    "notes": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "Bearer ..."}}}}

An entry with a ``command`` is started as a process and spoken to over its stdin/stdout; one with a ``url`` is
reached over streamable HTTP. ``"disabled": true`` leaves an entry out; keys other clients add are ignored.

``McpServers`` is a ``ToolSource``: the official ``mcp`` SDK is asyncio-based, so one event loop on one
background thread ("mcp-servers") holds every session, and a tool call (on the caller's thread, the LLM stage's)
waits for its result there, with a timeout and the turn's cancel token. A server that does not start is named in
an ``ErrorOccurred("mcp-server-failed")`` and left out; one that dies mid-call fails that call with
``mcp-server-died`` and is left out afterwards.

Every MCP tool is marked ``network=True``: a local server process may reach the network as freely as a remote
one, and nothing the server says can be trusted to tell (its annotations are hints), so under the local policy a
server's tools run only once the user allowed them ("mcp:<server>" in ``tools.allowed``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import os
import re
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import anyio
import jsonschema

from assistant import __version__
from assistant.bus import EventBus
from assistant.config import app_folders, config_path
from assistant.contracts.errors import ConfigError
from assistant.contracts.events import ErrorOccurred
from assistant.contracts.tools import Tool, ToolContext, ToolError, ToolResult
from assistant.private_files import private_dir, write_private_text

log = logging.getLogger(__name__)

MCP_FILE = "mcp.json"
SAY_LIMIT = 1500  # characters of a tool's text given to the model and spoken: a page, not a book
DESCRIPTION_LIMIT = 300  # characters of a tool's description in the prompt (a small model reads every one)
NAME_LIMIT = 64  # what function-calling APIs accept for a tool's name
_HTTP_TYPES = {"http", "streamable-http", "streamable_http", "streamableHttp"}
_STOP_WORDS = {"the", "and", "for", "with", "from", "that", "this", "are", "was", "you", "your", "its", "into",
               "not", "can", "will", "when", "which", "any", "all", "given", "use", "using", "tool", "returns",
               "return", "get", "set", "about", "them", "then", "than", "there", "their", "they", "may", "one"}
_WORD = re.compile(r"[a-z0-9]+")
_NOT_NAME = re.compile(r"[^A-Za-z0-9_]+")


# --- the server list (mcp.json) ----------------------------------------------------------------------------------


def mcp_config_path(settings_path: Path | None = None) -> Path:
    """Where the server list lives: ``mcp.json`` beside the settings file (``settings_path`` or the default)."""
    return (settings_path or config_path()).parent / MCP_FILE


@dataclass(frozen=True, slots=True)
class McpServerSpec:
    """One server of mcp.json: a ``command`` (with ``args`` and extra ``env``) to start, or a ``url`` to reach."""

    name: str
    command: str = ""
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    url: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """"stdio" (a process the assistant starts) or "http" (a server at an address)."""
        return "http" if self.url else "stdio"

    def describe(self) -> str:
        """The command line or the address, for the settings and the CLI (never env values or headers: secrets)."""
        if self.url:
            return self.url
        return " ".join(_shell_word(part) for part in (self.command, *self.args))

    def to_json(self) -> dict[str, Any]:
        """The entry as mcp.json holds it."""
        if self.url:
            entry: dict[str, Any] = {"url": self.url}
            if self.headers:
                entry["headers"] = dict(self.headers)
            return entry
        entry = {"command": self.command, "args": list(self.args)}
        if self.env:
            entry["env"] = dict(self.env)
        return entry


@dataclass(frozen=True, slots=True)
class McpServerList:
    """What mcp.json holds: the usable ``servers``, the ``problems`` of the entries left out (each a ConfigError
    naming the file and the entry), and the ``entries`` as written (the editor keeps what it does not show)."""

    path: Path
    servers: tuple[McpServerSpec, ...] = ()
    problems: tuple[ConfigError, ...] = ()
    entries: Mapping[str, Any] = field(default_factory=dict)


def parse_server(name: str, entry: Any, *, where: str = MCP_FILE) -> McpServerSpec | None:
    """One mcp.json entry as a spec (None when it is ``"disabled": true``); raises ConfigError naming the file
    and the entry."""

    def bad(problem: str) -> ConfigError:
        return ConfigError("mcp-config-invalid", f"{where}: MCP server {name!r} {problem}")

    if not isinstance(name, str) or not name.strip():
        raise ConfigError("mcp-config-invalid", f"{where}: an MCP server has an empty name")
    if not isinstance(entry, Mapping):
        raise bad(f"must be an object with a \"command\" or a \"url\" (got {type(entry).__name__})")
    if entry.get("disabled") is True:
        return None
    kind = entry.get("type", entry.get("transport"))
    if kind == "sse":
        raise bad("uses the old SSE transport, which the assistant does not speak: give its streamable HTTP "
                  "address (often ending in /mcp) instead")
    command, url = entry.get("command"), entry.get("url", entry.get("serverUrl"))
    if command is not None and url is not None:
        raise bad("has both a \"command\" and a \"url\": keep one")
    if url is not None or kind in _HTTP_TYPES:
        if not isinstance(url, str) or not url.strip():
            raise bad("needs a \"url\" (http://... or https://...)")
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad(f"has the address {url!r}, which is not an http:// or https:// URL")
        headers = entry.get("headers") or {}
        if not isinstance(headers, Mapping) or not all(isinstance(k, str) and isinstance(v, str)
                                                       for k, v in headers.items()):
            raise bad("has \"headers\" that are not an object of strings")
        return McpServerSpec(name=name, url=url.strip(), headers=dict(headers))
    if not isinstance(command, str) or not command.strip():
        raise bad("needs a \"command\" to start (or a \"url\" to reach)")
    args = entry.get("args") or []
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        raise bad("has \"args\" that are not a list of strings")
    env = entry.get("env") or {}
    if not isinstance(env, Mapping) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise bad("has an \"env\" that is not an object of strings (write numbers in quotes)")
    return McpServerSpec(name=name, command=command.strip(), args=tuple(args), env=dict(env))


def _read_document(path: Path) -> dict[str, Any]:
    """The whole file as a JSON object ({} when there is none); raises ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("mcp-config-invalid", f"cannot read {path}: {exc}") from None
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError("mcp-config-invalid", f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                          f"column {exc.colno}") from None
    if not isinstance(document, dict):
        raise ConfigError("mcp-config-invalid", f"{path} must hold a JSON object with \"mcpServers\"")
    servers = document.get("mcpServers", {})
    if not isinstance(servers, dict):
        raise ConfigError("mcp-config-invalid", f"{path}: \"mcpServers\" must be an object of servers by name")
    return document


def load_mcp_servers(path: Path | None = None) -> McpServerList:
    """Read mcp.json (``path`` or the default beside the settings); a missing file is an empty list.

    Raises ConfigError when the file as a whole cannot be used (unreadable, not JSON, not an object); a bad
    entry is only left out, with its problem in ``problems``, so the other servers still start."""
    path = path or mcp_config_path()
    entries = _read_document(path).get("mcpServers", {})
    servers, problems = [], []
    for name, entry in entries.items():
        try:
            spec = parse_server(name, entry, where=str(path))
        except ConfigError as exc:
            problems.append(exc)
            continue
        if spec is not None:
            servers.append(spec)
    return McpServerList(path=path, servers=tuple(servers), problems=tuple(problems), entries=dict(entries))


def save_mcp_servers(entries: Mapping[str, Any], path: Path | None = None) -> Path:
    """Write the servers (name -> entry, as mcp.json holds them) atomically with mode 0600 (headers and env may
    hold tokens). Other top-level keys of an existing file are kept; an unreadable one is replaced."""
    path = path or mcp_config_path()
    try:
        document = _read_document(path)
    except ConfigError:
        document = {}
    document["mcpServers"] = {name: dict(entry) if isinstance(entry, Mapping) else entry
                              for name, entry in entries.items()}
    private_dir(path.parent, tighten=path.parent in app_folders())
    tmp = path.with_name(path.name + ".tmp")
    write_private_text(tmp, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path


def report_mcp_servers(path: Path | None = None, *, check: bool = False, timeout_s: float = 30.0) -> dict[str, Any]:
    """What mcp.json lists (for ``assistant tools``), JSON-able; with ``check`` each server is started, its tools
    listed, and stopped again. Raises ConfigError when the file as a whole cannot be used."""
    listed = load_mcp_servers(path)
    rows = [{"name": spec.name, "kind": spec.kind, "target": spec.describe(), "state": "not started", "reason": "",
             "tools": []} for spec in listed.servers]
    if check and listed.servers:
        with McpServers(EventBus(), listed.servers, timeout_s=timeout_s) as servers:
            status, tools = servers.status(), servers.tools()
        for row in rows:
            row["state"], row["reason"] = status[row["name"]]
            row["tools"] = [{"name": t.name, "description": t.description, "changes": t.changes,
                             "parameters": dict(t.parameters)} for t in tools if t.family == f"mcp:{row['name']}"]
    disabled = [name for name, entry in listed.entries.items()
                if isinstance(entry, Mapping) and entry.get("disabled") is True]
    return {"path": str(listed.path), "servers": rows, "disabled": disabled,
            "problems": [problem.message for problem in listed.problems]}


# --- the running servers -----------------------------------------------------------------------------------------


class _Connection:
    """One server's state. Written on the loop thread (and by ``close``), read by callers under the lock."""

    def __init__(self, spec: McpServerSpec, prefix: str) -> None:
        self.spec = spec
        self.prefix = prefix  # the server's part of its tools' names
        self.state = "new"  # new | starting | up | failed | died | closed
        self.reason = ""
        self.tools: list[Tool] = []
        self.client: Any = None  # mcp.Client, while up
        self.scope: anyio.CancelScope | None = None  # cancelling it ends the session (and its process)
        self.settled = threading.Event()  # up or failed: the start is over
        self.future: concurrent.futures.Future | None = None


class McpServers:
    """The MCP servers of mcp.json and their tools, as a ToolSource.

    ``start()`` connects every server (a stdio server's process is started) on a background event loop and lists
    its tools; ``tools()`` returns those of the servers that are up; a call runs on the loop with a timeout and the
    turn's cancel token; ``close()`` ends every session and process, and the thread."""

    def __init__(self, bus: EventBus, servers: Iterable[McpServerSpec], *, timeout_s: float = 30.0,
                 call_timeout_s: float = 60.0, problems: Iterable[ConfigError] = ()) -> None:
        """``timeout_s``: how long a server may take to start and list its tools (a first ``npx``/``uvx`` run
        downloads the server); ``call_timeout_s``: how long one call may take. ``problems``: the entries of mcp.json
        left out, published as errors at ``start()``."""
        self.bus = bus
        self.timeout_s, self.call_timeout_s = timeout_s, call_timeout_s
        self.problems = tuple(problems)
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        used: set[str] = set()
        for spec in servers:
            prefix = _unique(_name_part(spec.name, "server"), used)
            self._connections.append(_Connection(spec, prefix))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    @classmethod
    def from_file(cls, bus: EventBus, path: Path | None = None, **kwargs: Any) -> McpServers:
        """The servers of mcp.json (``path`` or the default beside the settings). A file that cannot be used at
        all starts no server and is reported at ``start()``, like a bad entry."""
        try:
            listed = load_mcp_servers(path)
        except ConfigError as exc:
            return cls(bus, (), problems=(exc,), **kwargs)
        return cls(bus, listed.servers, problems=listed.problems, **kwargs)

    # --- life ------------------------------------------------------------------------------------------------------

    def start(self, *, wait: bool = True) -> None:
        """Connect every server on the background loop; with ``wait``, return once each is up or has failed (at
        most ``timeout_s`` and the time a failed process takes to be stopped). Errors go to the bus."""
        with self._lock:
            if self._closed:
                raise RuntimeError("McpServers.start() after close()")
            if self._thread is not None:
                return
            for problem in self.problems:
                self.bus.publish(ErrorOccurred(code=problem.code, message=problem.message))
            if not self._connections:
                return
            self._loop = asyncio.new_event_loop()
            ready = threading.Event()
            self._thread = threading.Thread(target=self._run_loop, args=(ready,), name="mcp-servers", daemon=True)
            self._thread.start()
            ready.wait()
            for conn in self._connections:
                conn.state = "starting"
                conn.future = asyncio.run_coroutine_threadsafe(self._serve(conn), self._loop)
        if wait:
            self.wait_started()

    def wait_started(self, timeout: float | None = None) -> bool:
        """Wait until every server is up or has failed; False when ``timeout`` ran out first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        for conn in list(self._connections):
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not conn.settled.wait(left):
                return False
        return True

    def close(self) -> None:
        """End every session and stop every server process, then the loop and its thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
            for conn in self._connections:
                if conn.state in ("starting", "up"):
                    conn.state, conn.reason = "closed", "the assistant closed it"
                conn.tools = []
        if loop is None or thread is None:
            return
        for conn in self._connections:
            if conn.future is not None and not conn.future.done():
                loop.call_soon_threadsafe(self._cancel_session, conn)
        # A stdio server gets its stdin closed, 2 s to exit, then SIGTERM and SIGKILL (the SDK's own shutdown):
        # all at once, so closing takes the slowest server's time, not the sum.
        futures = [c.future for c in self._connections if c.future is not None]
        _, stuck = concurrent.futures.wait(futures, timeout=15.0)
        if stuck:
            log.warning("%d MCP sessions did not end in 15 s; stopping the loop under them", len(stuck))
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10.0)
        if thread.is_alive():
            log.warning("the MCP servers' thread did not end")

    def __enter__(self) -> McpServers:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- what there is ---------------------------------------------------------------------------------------------

    def tools(self) -> list[Tool]:
        """The tools of the servers that are up now."""
        with self._lock:
            return [tool for conn in self._connections if conn.state == "up" for tool in conn.tools]

    def status(self) -> dict[str, tuple[str, str]]:
        """Each server's state ("new", "starting", "up", "failed", "died", "closed") and why, by name."""
        with self._lock:
            return {conn.spec.name: (conn.state, conn.reason) for conn in self._connections}

    # --- the loop thread -------------------------------------------------------------------------------------------

    def _run_loop(self, ready: threading.Event) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        loop.call_soon(ready.set)
        try:
            loop.run_forever()
        finally:
            try:
                tasks = asyncio.all_tasks(loop)
                for task in tasks:
                    task.cancel()
                if tasks:
                    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                loop.close()

    def _cancel_session(self, conn: _Connection) -> None:
        """On the loop: end a server's session (its ``_serve`` then stops the process)."""
        if conn.scope is not None:
            conn.scope.cancel()

    async def _serve(self, conn: _Connection) -> None:
        """A server's whole session, on the loop: connect, list the tools, stay up until cancelled."""
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.types import Implementation

        spec = conn.spec
        errlog: IO[str] | None = None
        loop = asyncio.get_running_loop()

        def handshake_timeout() -> None:
            if conn.state == "starting" and conn.scope is not None:
                # Said at once; stopping the process (up to 4 s for one that ignores its closed stdin) goes on after.
                self._failed(conn, f"it did not answer within {self.timeout_s:g} s")
                conn.scope.cancel()

        timer = loop.call_later(self.timeout_s, handshake_timeout)
        try:
            with anyio.CancelScope() as scope:
                conn.scope = scope
                if self._closed:
                    scope.cancel()
                if spec.kind == "stdio":
                    errlog = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115
                    transport = stdio_client(StdioServerParameters(command=spec.command, args=list(spec.args),
                                                                   env=dict(spec.env) or None), errlog=errlog)
                else:
                    transport = streamable_http_client(spec.url, http_client=_http_client(spec.headers))
                client = Client(transport, cache=None,
                                client_info=Implementation(name="local-voice-assistant", version=__version__))
                async with client:
                    tools = await self._list_tools(conn, client)
                    timer.cancel()
                    self._settle(conn, "up", tools=tools, client=client)
                    log.info("MCP server %r is up with %d tools", spec.name, len(tools))
                    await anyio.sleep_forever()
        except Exception as exc:  # any failure of one server is that server's, reported below
            if conn.state == "starting":
                self._failed(conn, _reason(exc, spec, errlog))
            elif conn.state == "up":
                self._died(conn, _reason(exc, spec, errlog))
            else:
                log.debug("MCP server %r ended: %r", spec.name, exc)
        finally:
            timer.cancel()
            conn.client = None
            if errlog is not None:
                errlog.close()
        if conn.state == "starting":  # cancelled before it came up
            self._settle(conn, "closed", reason="the assistant closed it")
        conn.settled.set()

    async def _list_tools(self, conn: _Connection, client: Any) -> list[Tool]:
        listed, cursor = [], None
        for _ in range(100):  # a server whose pages never end must not hang the start
            page = await client.list_tools(cursor=cursor)
            listed.extend(page.tools)
            cursor = page.next_cursor
            if not cursor:
                break
        used: set[str] = set()
        tools = []
        for remote in listed:
            tool = self._tool(conn, remote, used)
            if tool is not None:
                tools.append(tool)
        return tools

    def _tool(self, conn: _Connection, remote: Any, used: set[str]) -> Tool | None:
        """An assistant Tool for one of the server's tools (None when its schema is unusable)."""
        schema = dict(remote.input_schema or {})
        schema.setdefault("type", "object")
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            log.warning("MCP server %r: tool %r has an invalid input schema, left out: %s", conn.spec.name,
                        remote.name, exc.message)
            return None
        room = NAME_LIMIT - len(conn.prefix) - 1
        name = f"{conn.prefix}.{_unique(_name_part(remote.name, 'tool')[:room], used)}"
        annotations = remote.annotations
        read_only = bool(annotations is not None and annotations.read_only_hint)
        description = _short_description(remote.description or (annotations.title if annotations else None) or "",
                                         f"{remote.name} from the MCP server {conn.spec.name}")
        real = remote.name

        def run(arguments: Mapping[str, Any], context: ToolContext) -> ToolResult:
            return self._call(conn, name, real, arguments, context)

        return Tool(name=name, description=description, parameters=schema, run=run, changes=not read_only,
                    network=True, family=f"mcp:{conn.spec.name}",
                    keywords=_keywords(remote.name, remote.description or ""))

    def _settle(self, conn: _Connection, state: str, *, reason: str = "", tools: list[Tool] | None = None,
                client: Any = None) -> None:
        with self._lock:
            if conn.state in ("starting", "up"):  # close() may have settled it meanwhile
                conn.state, conn.reason = state, reason
                conn.tools = tools if state == "up" and tools is not None else []
                conn.client = client if state == "up" else None
        conn.settled.set()  # up, failed, died or closed: the start is over either way

    def _failed(self, conn: _Connection, reason: str) -> None:
        self._settle(conn, "failed", reason=reason)
        log.warning("MCP server %r did not start: %s", conn.spec.name, reason)
        where = "address" if conn.spec.kind == "http" else "command"
        self.bus.publish(ErrorOccurred(code="mcp-server-failed", message=f"MCP server '{conn.spec.name}' did not "
                                       f"start: {reason}. Check its {where} in Settings > Tools."))

    def _died(self, conn: _Connection, reason: str) -> None:
        with self._lock:
            was_up = conn.state == "up"
        self._settle(conn, "died", reason=reason)
        if was_up:
            log.warning("MCP server %r went away: %s; its tools are left out", conn.spec.name, reason)

    # --- calls (on the caller's thread) ----------------------------------------------------------------------------

    def _call(self, conn: _Connection, name: str, real: str, arguments: Mapping[str, Any],
              context: ToolContext) -> ToolResult:
        from mcp.shared.exceptions import MCPError
        from mcp.types import CONNECTION_CLOSED, REQUEST_TIMEOUT

        with self._lock:
            state, client, loop = conn.state, conn.client, self._loop
        if state != "up" or client is None or loop is None:
            raise self._unavailable(conn, name, state)
        if context.cancel.cancelled:
            raise ToolError("mcp-call-cancelled", f"{name} was not called: the turn was interrupted.")
        scopes: list[anyio.CancelScope] = []

        async def call() -> Any:
            with anyio.CancelScope() as scope:
                scopes.append(scope)
                return await client.call_tool(real, dict(arguments), read_timeout_seconds=self.call_timeout_s)
            raise _Cancelled  # the scope was cancelled: the turn was interrupted

        try:
            future = asyncio.run_coroutine_threadsafe(call(), loop)
        except RuntimeError:  # the loop closed since the state was read: close() ran meanwhile
            raise self._unavailable(conn, name, "closed") from None
        deadline = time.monotonic() + self.call_timeout_s + 5.0  # the SDK's own timeout comes first
        cancelled = False
        while not future.done():
            if context.cancel.cancelled and not cancelled:
                cancelled = True
                # The SDK sends the server notifications/cancelled so it stops too; waited for briefly.
                loop.call_soon_threadsafe(lambda: [s.cancel() for s in scopes])
                deadline = min(deadline, time.monotonic() + 2.0)
            if time.monotonic() > deadline:
                future.cancel()
                break
            concurrent.futures.wait([future], timeout=0.05)
        if cancelled:
            raise ToolError("mcp-call-cancelled", f"{name} was stopped: the turn was interrupted.")
        try:
            result = future.result(timeout=0)
        except (concurrent.futures.CancelledError, concurrent.futures.TimeoutError, _Cancelled):
            if self._closed:
                raise self._unavailable(conn, name, "closed") from None
            raise ToolError("mcp-call-timeout", f"MCP server '{conn.spec.name}' did not answer {name} within "
                            f"{self.call_timeout_s:g} s.") from None
        except MCPError as exc:
            if exc.code == CONNECTION_CLOSED:
                if self._closed:  # close() ended the session under the call
                    raise self._unavailable(conn, name, "closed") from None
                self._stop_dead(conn, f"it closed the connection during {name}")
                raise ToolError("mcp-server-died", f"MCP server '{conn.spec.name}' stopped during {name}; its "
                                "tools are left out until the assistant restarts.") from None
            if exc.code == REQUEST_TIMEOUT:
                raise ToolError("mcp-call-timeout", f"MCP server '{conn.spec.name}' did not answer {name} within "
                                f"{self.call_timeout_s:g} s.") from None
            raise ToolError("mcp-tool-failed", f"{name} failed: {exc.message}") from None
        except Exception as exc:  # the SDK's own checks (a result that breaks its schema)
            with self._lock:
                gone = conn.state != "up"
            if gone:
                raise self._unavailable(conn, name, conn.state) from None
            raise ToolError("mcp-tool-failed", f"{name} failed: {exc}") from None
        return _result(name, result)

    def _unavailable(self, conn: _Connection, name: str, state: str) -> ToolError:
        if state == "closed":
            return ToolError("assistant-closed", f"{name} is not available: the MCP servers were closed.")
        if state == "died":
            return ToolError("mcp-server-died", f"MCP server '{conn.spec.name}' stopped; {name} is not available "
                             "until the assistant restarts.")
        return ToolError("mcp-server-failed", f"MCP server '{conn.spec.name}' is not running ({conn.reason or state}).")

    def _stop_dead(self, conn: _Connection, reason: str) -> None:
        """A server that went away mid-call: left out from now on, and its session (and process) ended."""
        self._died(conn, reason)
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._cancel_session, conn)


class _Cancelled(Exception):
    """A call whose scope was cancelled (the turn was interrupted) returned nothing."""


# --- helpers ---------------------------------------------------------------------------------------------------


def _http_client(headers: Mapping[str, str]) -> Any:
    """An HTTP client with the SDK's usual timeouts (30 s, 300 s to read a held-open stream) and the entry's
    headers; None for the SDK's own default when there are none."""
    if not headers:
        return None
    import httpx2

    return httpx2.AsyncClient(headers=dict(headers), timeout=httpx2.Timeout(30.0, read=300.0))


def _result(name: str, result: Any) -> ToolResult:
    """A CallToolResult as a ToolResult: its text to say, its structured content as data; an error result raises."""
    from mcp.types import AudioContent, EmbeddedResource, ImageContent, ResourceLink, TextContent

    parts = []
    for block in result.content or ():
        if isinstance(block, TextContent):
            parts.append(block.text)
        elif isinstance(block, EmbeddedResource) and hasattr(block.resource, "text"):
            parts.append(block.resource.text)
        elif isinstance(block, ResourceLink):
            parts.append(f"[{block.name or block.uri}: {block.uri}]")
        elif isinstance(block, ImageContent):
            parts.append("[an image]")
        elif isinstance(block, AudioContent):
            parts.append("[a sound]")
    text = "\n".join(p for p in parts if p).strip()
    structured = result.structured_content
    if result.is_error:
        raise ToolError("mcp-tool-failed", f"{name} failed: {_trim(text, SAY_LIMIT) or 'the server gave no reason'}")
    if not text and structured is not None:
        text = json.dumps(structured, ensure_ascii=False)
    data: dict[str, Any] = {}
    if isinstance(structured, Mapping):
        data = dict(structured)
    elif structured is not None:
        data = {"result": structured}
    return ToolResult(say=_trim(text, SAY_LIMIT) or f"{name} is done.", data=data)


def _reason(exc: BaseException, spec: McpServerSpec, errlog: IO[str] | None) -> str:
    """Why a server did not start (or went away), in a few words, with the last line it wrote to stderr."""
    from mcp.shared.exceptions import MCPError
    from mcp.types import CONNECTION_CLOSED

    leaf = _leaf(exc)
    if isinstance(leaf, FileNotFoundError) and spec.kind == "stdio":
        text = f"there is no program {spec.command!r}"
    elif isinstance(leaf, PermissionError) and spec.kind == "stdio":
        text = f"{spec.command!r} cannot be run (permission denied)"
    elif isinstance(leaf, MCPError) and leaf.code == CONNECTION_CLOSED:
        text = "it exited or closed the connection during the handshake"
    elif spec.kind == "http" and leaf.__class__.__module__.startswith(("httpx", "httpcore")):
        text = f"{spec.url} cannot be reached ({leaf.__class__.__name__}: {leaf})".rstrip(": )") + ")"
    else:
        text = f"{leaf.__class__.__name__}: {leaf}" if str(leaf) else leaf.__class__.__name__
    said = _last_words(errlog)
    return f"{text} (it said: {said})" if said else text


def _leaf(exc: BaseException) -> BaseException:
    """The first real exception inside (anyio's task groups wrap failures in groups)."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _last_words(errlog: IO[str] | None) -> str:
    """The last line a server process wrote to stderr (trimmed), or ""."""
    if errlog is None:
        return ""
    try:
        errlog.flush()
        size = errlog.seek(0, os.SEEK_END)
        errlog.seek(max(0, size - 4096))
        lines = [line.strip() for line in errlog.read().splitlines() if line.strip()]
    except (OSError, ValueError):
        return ""
    return _trim(lines[-1], 200) if lines else ""


def _trim(text: str, limit: int) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _short_description(text: str, fallback: str) -> str:
    """The description's first paragraph, at most DESCRIPTION_LIMIT characters."""
    first = re.split(r"\n\s*\n", text.strip(), maxsplit=1)[0]
    return _trim(" ".join(first.split()), DESCRIPTION_LIMIT) or fallback


def _keywords(tool: str, description: str) -> tuple[str, ...]:
    """Words of the tool's own name and description (not its server's: every tool of the server has that)."""
    words = _WORD.findall(f"{tool} {description}".lower().replace("_", " "))
    seen: dict[str, None] = {}
    for word in words:
        if len(word) > 2 and word not in _STOP_WORDS and not word.isdigit():
            seen.setdefault(word, None)
    return tuple(seen)


def _name_part(text: str, fallback: str) -> str:
    """A name the model can say: letters, digits and "_" only."""
    return _NOT_NAME.sub("_", text).strip("_") or fallback


def _unique(name: str, used: set[str]) -> str:
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}_{n}", n + 1
    used.add(candidate)
    return candidate


def _shell_word(word: str) -> str:
    return word if word and re.fullmatch(r"[\w@%+=:,./-]+", word) else json.dumps(word)
