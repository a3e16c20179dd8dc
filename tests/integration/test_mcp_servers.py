"""MCP servers as tools, against a real MCP server (testkit/mcp_test_server.py, built with the official SDK).

The server is started by ``McpServers`` from a real mcp.json, over stdio (a process) and over streamable HTTP (a
server on 127.0.0.1); its tools go through the Toolbox like the built-in ones. Nothing here is mocked.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.bus import EventBus
from assistant.contracts.errors import ConfigError
from assistant.contracts.events import ErrorOccurred, ToolCalled, ToolFinished
from assistant.contracts.tools import ToolCall, ToolContext, ToolError
from assistant.contracts.turns import CancelToken
from assistant.tools.mcp_servers import (
    McpServers,
    McpServerSpec,
    load_mcp_servers,
    mcp_config_path,
    parse_server,
    save_mcp_servers,
)
from assistant.tools.toolbox import Toolbox
from testkit.helpers import REPO, wait_until

pytestmark = [pytest.mark.slow]  # starts processes (tests/integration is slow already; said here too)

SERVER = str(REPO / "testkit" / "mcp_test_server.py")
START_S = 60.0  # a shared 2-core machine may be slow to start a Python process with the SDK


def _weather(tmp: Path, **env: str) -> dict:
    return {"command": sys.executable, "args": [SERVER], "env": {"MCP_TEST_SLOW_MARKER": str(tmp / "slow.txt"),
                                                                 "MCP_TEST_SLOW_STARTED": str(tmp / "slow-started"),
                                                                 **env}}


def _write(path: Path, servers: dict) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}), encoding="utf-8")
    return path


class Events(list):
    def of(self, kind: type) -> list:
        return [e for e in self if isinstance(e, kind)]


def _bus() -> tuple[EventBus, Events]:
    bus, events = EventBus(), Events()
    bus.subscribe(events.append)
    return bus, events


def _alive(pid: int) -> bool:
    """Whether a process runs (a zombie that was never reaped counts as running: it was not cleaned up)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _mcp_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "mcp-servers"]


@pytest.fixture(scope="module", autouse=True)
def _no_thread_outlives_the_file():
    before = set(threading.enumerate())
    yield
    assert wait_until(lambda: not (set(threading.enumerate()) - before), 10.0), \
        f"threads left running: {[t.name for t in set(threading.enumerate()) - before]}"


@pytest.fixture(scope="module")
def started(tmp_path_factory):
    """One mcp.json: the test server, a server whose command does not exist, and a malformed entry."""
    tmp = tmp_path_factory.mktemp("mcp")
    path = _write(tmp / "mcp.json", {
        "weather": _weather(tmp),
        "missing": {"command": "no-such-mcp-server-command", "args": ["--stdio"]},
        "broken": {"args": ["only args"]},
        "off": {"command": "no-such-command-either", "disabled": True},
    })
    bus, events = _bus()
    servers = McpServers.from_file(bus, path, timeout_s=START_S, call_timeout_s=30.0)
    servers.start()
    yield servers, bus, events, tmp, path
    servers.close()


@pytest.fixture
def toolbox(started):
    servers, bus, _, _, _ = started
    return Toolbox(bus, policy="local", allowed=["mcp:weather"], sources=[servers])


# --- the server list ---------------------------------------------------------------------------------------------


def test_mcp_json_lives_beside_the_settings_file(tmp_path):
    assert mcp_config_path(tmp_path / "config.toml") == tmp_path / "mcp.json"
    assert mcp_config_path().name == "mcp.json"


def test_bad_json_is_a_clear_config_error_naming_the_file(tmp_path):
    path = tmp_path / "mcp.json"
    path.write_text('{"mcpServers": {"a": {"command": "x",}}}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_mcp_servers(path)
    assert caught.value.code == "mcp-config-invalid"
    assert str(path) in caught.value.message and "not valid JSON" in caught.value.message and "line 1" in \
        caught.value.message
    path.write_text('["not", "an", "object"]', encoding="utf-8")
    with pytest.raises(ConfigError, match="JSON object"):
        load_mcp_servers(path)

    bus, events = _bus()  # the app: nothing starts, and the user is told why
    with McpServers.from_file(bus, path) as servers:
        assert servers.tools() == []
    assert [e.code for e in events.of(ErrorOccurred)] == ["mcp-config-invalid"]


@pytest.mark.parametrize(("entry", "problem"), [
    ({"args": ["x"]}, "needs a \"command\""),
    ({"command": "x", "args": "not a list"}, "\"args\""),
    ({"command": "x", "env": {"PORT": 8080}}, "\"env\""),
    ({"command": "x", "url": "http://127.0.0.1:1/mcp"}, "both"),
    ({"url": "ftp://example.org/mcp"}, "not an http"),
    ({"url": "http://127.0.0.1:1/sse", "type": "sse"}, "SSE"),
    ("npx server", "must be an object"),
])
def test_a_bad_entry_is_named_and_the_others_are_kept(tmp_path, entry, problem):
    path = _write(tmp_path / "mcp.json", {"bad one": entry, "good": {"command": "server", "args": ["--stdio"]}})
    listed = load_mcp_servers(path)
    assert [s.name for s in listed.servers] == ["good"]
    assert len(listed.problems) == 1
    message = listed.problems[0].message
    assert str(path) in message and "'bad one'" in message and problem in message
    assert listed.problems[0].code == "mcp-config-invalid"


def test_entries_in_other_clients_formats_are_read(tmp_path):
    spec = parse_server("notes", {"type": "http", "url": "https://example.org/mcp", "headers": {"X-Key": "k"},
                                  "alwaysAllow": ["read"]})
    assert spec == McpServerSpec("notes", url="https://example.org/mcp", headers={"X-Key": "k"})
    assert spec.describe() == "https://example.org/mcp"  # the headers may hold a token: never shown
    assert parse_server("off", {"command": "x", "disabled": True}) is None
    stdio = parse_server("fs", {"command": "npx", "args": ["-y", "@scope/server", "/home/me/My Files"],
                                "env": {"A": "1"}})
    assert stdio.kind == "stdio" and stdio.describe() == 'npx -y @scope/server "/home/me/My Files"'
    assert parse_server("fs", stdio.to_json()) == stdio
    assert load_mcp_servers(tmp_path / "absent.json").servers == ()


def test_saving_is_atomic_private_and_keeps_what_it_does_not_edit(tmp_path):
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": {"old": {"command": "a"}}, "otherClientSetting": 1}), encoding="utf-8")
    entries = dict(load_mcp_servers(path).entries)
    entries["web"] = McpServerSpec("web", url="http://127.0.0.1:9/mcp").to_json()
    save_mcp_servers(entries, path)
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document == {"mcpServers": {"old": {"command": "a"}, "web": {"url": "http://127.0.0.1:9/mcp"}},
                        "otherClientSetting": 1}
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["mcp.json"]  # no temporary file left beside it


# --- a stdio server started from mcp.json ------------------------------------------------------------------------


def test_its_tools_are_listed_with_their_schemas(started):
    servers, *_ = started
    tools = {t.name: t for t in servers.tools()}
    assert set(tools) == {"weather.lookup", "weather.echo", "weather.forecast", "weather.fail", "weather.crash",
                          "weather.slow", "weather.set_units"}  # "set-units" made a name the model can say
    lookup = tools["weather.lookup"]
    assert lookup.parameters["type"] == "object" and lookup.parameters["required"] == ["city"]
    assert lookup.parameters["properties"]["city"]["type"] == "string"
    assert lookup.description == "Look up the current weather in a city."
    assert lookup.family == "mcp:weather" and lookup.network
    assert not lookup.changes and tools["weather.set_units"].changes  # read-only hint, or it asks first
    assert "weather" in lookup.keywords and "city" in lookup.keywords
    assert servers.status()["weather"] == ("up", "")


def test_a_call_returns_the_servers_text(started, toolbox):
    _, _, events, _, _ = started
    result = toolbox.run(ToolCall("weather.lookup", {"city": "Paris"}, source="model"), turn_id=7,
                         cancel=CancelToken(7))
    assert result.say == "Weather in Paris: 21 degrees, sunny."
    finished = [e for e in events.of(ToolFinished) if e.turn_id == 7]
    assert [e.tool for e in events.of(ToolCalled) if e.turn_id == 7] == ["weather.lookup"]
    assert finished[0].ok and finished[0].say == result.say
    assert toolbox.for_question("what is the weather in Paris")[0].family == "mcp:weather"


def test_structured_content_becomes_data(toolbox):
    result = toolbox.run(ToolCall("weather.forecast", {"city": "Oslo", "days": 3}), turn_id=1, cancel=CancelToken(1))
    assert result.data == {"city": "Oslo", "highs": [20, 21, 22]}
    assert "Oslo" in result.say


def test_schema_invalid_arguments_are_refused_by_the_toolbox(toolbox):
    for arguments in ({"town": "Paris"}, {"city": 3}):
        with pytest.raises(ToolError) as caught:
            toolbox.run(ToolCall("weather.lookup", arguments), turn_id=2, cancel=CancelToken(2))
        assert caught.value.code == "tool-arguments-invalid"


def test_under_the_local_policy_a_server_runs_only_once_allowed(started):
    servers, bus, *_ = started
    strict = Toolbox(bus, policy="local", sources=[servers])
    with pytest.raises(ToolError) as caught:
        strict.check(ToolCall("weather.lookup", {"city": "Paris"}))
    assert caught.value.code == "tool-not-allowed"
    assert strict.for_question("what is the weather in Paris") == []


def test_an_error_result_is_a_tool_error_with_the_servers_reason(toolbox):
    with pytest.raises(ToolError) as caught:
        toolbox.run(ToolCall("weather.fail", {"reason": "the station is down"}), turn_id=3, cancel=CancelToken(3))
    assert caught.value.code == "mcp-tool-failed" and "the station is down" in caught.value.message


def test_a_server_that_does_not_start_is_named_and_the_others_work(started, toolbox):
    servers, _, events, _, path = started
    failed = [e for e in events.of(ErrorOccurred) if e.code == "mcp-server-failed"]
    assert len(failed) == 1
    assert failed[0].message.startswith("MCP server 'missing' did not start: there is no program "
                                        "'no-such-mcp-server-command'")
    assert failed[0].message.endswith("Check its command in Settings > Tools.")
    config = [e for e in events.of(ErrorOccurred) if e.code == "mcp-config-invalid"]
    assert len(config) == 1 and "'broken'" in config[0].message and str(path) in config[0].message
    assert servers.status()["missing"][0] == "failed" and "off" not in servers.status()
    assert all(t.family == "mcp:weather" for t in servers.tools())
    assert toolbox.run(ToolCall("weather.echo", {"text": "still here"}), turn_id=4, cancel=CancelToken(4)).say \
        == "still here"


def test_a_cancelled_turn_ends_a_slow_call_promptly(started, toolbox):
    _, _, _, tmp, _ = started
    marker, begun = tmp / "slow.txt", tmp / "slow-started"
    begun.unlink(missing_ok=True)
    cancel = CancelToken(5)
    # the turn is interrupted once the call is running on the server
    interrupt = threading.Thread(target=lambda: wait_until(begun.exists, START_S) and cancel.cancel())
    interrupt.start()
    with pytest.raises(ToolError) as caught:  # a 30 s call: ended by the interrupt, not by the 30 s call timeout
        toolbox.run(ToolCall("weather.slow", {"seconds": 30}), turn_id=5, cancel=cancel)
    interrupt.join()
    assert caught.value.code == "mcp-call-cancelled"
    # the server was told too (notifications/cancelled), and stopped its work
    assert wait_until(marker.exists, 10.0), "the server never heard that the call was cancelled"
    assert marker.read_text(encoding="utf-8").startswith("cancelled after")
    # ... and the session goes on
    assert toolbox.run(ToolCall("weather.echo", {"text": "after"}), turn_id=6, cancel=CancelToken(6)).say == "after"


def test_a_server_that_does_not_answer_in_time_fails_the_call(tmp_path):
    bus, _ = _bus()
    with McpServers(bus, [parse_server("weather", _weather(tmp_path))], timeout_s=START_S,
                    call_timeout_s=1.0) as servers:
        slow = next(t for t in servers.tools() if t.name == "weather.slow")
        with pytest.raises(ToolError) as caught:  # a 20 s call, ended by the 1 s timeout
            slow.run({"seconds": 20}, ToolContext(cancel=CancelToken(1)))
        assert caught.value.code == "mcp-call-timeout" and "'weather'" in caught.value.message
        assert servers.status()["weather"][0] == "up"


def test_a_server_that_exits_or_hangs_at_start_is_reported(tmp_path):
    bus, events = _bus()
    quits = McpServerSpec("quits", sys.executable, ("-c", "import sys; print('no API key', file=sys.stderr); "
                                                          "sys.exit(2)"))
    hangs = McpServerSpec("hangs", sys.executable, ("-c", "import time; time.sleep(120)"))
    with McpServers(bus, [quits, hangs], timeout_s=3.0) as servers:
        assert servers.tools() == []
    messages = {e.message.split("'")[1]: e.message for e in events.of(ErrorOccurred)}
    assert "exited" in messages["quits"] and "no API key" in messages["quits"]
    assert "did not answer within 3 s" in messages["hangs"]  # given up on, not waited out (it sleeps 120 s)


def test_a_server_that_dies_mid_call_is_dropped_and_its_process_gone(tmp_path):
    bus, _ = _bus()
    pid_file = tmp_path / "pid"
    spec = parse_server("weather", _weather(tmp_path, MCP_TEST_PID_FILE=str(pid_file)))
    with McpServers(bus, [spec], timeout_s=START_S) as servers:
        toolbox = Toolbox(bus, allowed=["*"], sources=[servers])
        pid = int(pid_file.read_text(encoding="utf-8"))
        with pytest.raises(ToolError) as caught:
            toolbox.run(ToolCall("weather.crash", {}), turn_id=1, cancel=CancelToken(1))
        assert caught.value.code == "mcp-server-died" and "'weather'" in caught.value.message
        assert servers.tools() == [] and toolbox.get("weather.lookup") is None
        assert servers.status()["weather"][0] == "died"
        with pytest.raises(ToolError) as again:  # a call the model made from an older tool list
            toolbox.run(ToolCall("weather.lookup", {"city": "Rome"}), turn_id=2, cancel=CancelToken(2))
        assert again.value.code == "tool-unknown"
        assert wait_until(lambda: not _alive(pid), 10.0)


def test_close_leaves_no_process_and_no_thread(tmp_path):
    bus, _ = _bus()
    pid_file = tmp_path / "pid"
    servers = McpServers(bus, [parse_server("weather", _weather(tmp_path, MCP_TEST_PID_FILE=str(pid_file)))],
                         timeout_s=START_S)
    before = set(threading.enumerate())
    servers.start()
    pid = int(pid_file.read_text(encoding="utf-8"))
    assert _alive(pid) and [t for t in _mcp_threads() if t not in before]
    lookup = next(t for t in servers.tools() if t.name == "weather.lookup")
    servers.close()
    assert not _alive(pid), "the server process outlived close()"
    assert not set(threading.enumerate()) - before, "close() left threads running"
    assert servers.tools() == []
    with pytest.raises(ToolError) as caught:
        lookup.run({"city": "Paris"}, ToolContext(cancel=CancelToken(1)))
    assert caught.value.code == "assistant-closed"
    servers.close()  # twice is harmless


def test_closing_during_a_call_ends_the_call(tmp_path):
    bus, _ = _bus()
    started = tmp_path / "slow-started"
    servers = McpServers(bus, [parse_server("weather", _weather(tmp_path))], timeout_s=START_S)
    servers.start()
    slow = next(t for t in servers.tools() if t.name == "weather.slow")
    errors: list[ToolError] = []

    def call() -> None:
        try:
            slow.run({"seconds": 30}, ToolContext(cancel=CancelToken(1)))
        except ToolError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call, name="caller")
    caller.start()
    assert wait_until(started.exists, START_S), "the call never reached the server"
    servers.close()
    caller.join(10.0)
    assert not caller.is_alive() and [e.code for e in errors] == ["assistant-closed"]


# --- a streamable-HTTP server reached by its URL -------------------------------------------------------------------


@pytest.fixture
def http_server():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, SERVER, "--http", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)

    def listening() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    try:
        assert wait_until(listening, START_S), "the HTTP test server did not start"
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


def test_a_streamable_http_server_is_reached_by_its_url(tmp_path, http_server):
    path = _write(tmp_path / "mcp.json", {"remote": {"url": http_server},
                                          "nobody": {"url": "http://127.0.0.1:9/mcp"}})
    bus, events = _bus()
    with McpServers.from_file(bus, path, timeout_s=START_S) as servers:
        tools = {t.name: t for t in servers.tools()}
        assert "remote.lookup" in tools and tools["remote.lookup"].network
        toolbox = Toolbox(bus, allowed=["mcp:remote"], sources=[servers])
        result = toolbox.run(ToolCall("remote.lookup", {"city": "Lisbon"}), turn_id=1, cancel=CancelToken(1))
        assert result.say == "Weather in Lisbon: 21 degrees, sunny."
    failed = [e.message for e in events.of(ErrorOccurred) if e.code == "mcp-server-failed"]
    assert len(failed) == 1 and "'nobody'" in failed[0] and "Check its address" in failed[0]


# --- assistant tools -------------------------------------------------------------------------------------------------


def test_the_tools_command_lists_the_servers_and_checks_them(tmp_path, capsys):
    from assistant import cli

    settings = tmp_path / "config.toml"
    settings.write_text("", encoding="utf-8")
    _write(tmp_path / "mcp.json", {"weather": _weather(tmp_path), "gone": {"command": "no-such-mcp-command"}})
    assert cli.main(["--config", str(settings), "tools"]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "mcp.json") in out and "weather" in out and "no-such-mcp-command" in out

    assert cli.main(["--config", str(settings), "tools", "--check", "--json", "--timeout", str(START_S)]) == 1
    report = json.loads(capsys.readouterr().out)["mcp"]
    rows = {row["name"]: row for row in report["servers"]}
    assert rows["weather"]["state"] == "up" and "weather.lookup" in {t["name"] for t in rows["weather"]["tools"]}
    assert rows["gone"]["state"] == "failed" and "no-such-mcp-command" in rows["gone"]["reason"]

    (tmp_path / "mcp.json").write_text("{", encoding="utf-8")
    assert cli.main(["--config", str(settings), "tools"]) == 3
    assert "error [mcp-config-invalid]" in capsys.readouterr().err
