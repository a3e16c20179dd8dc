"""A small real MCP server for the tests, built with the official SDK (``mcp.server.mcpserver.MCPServer``).

``python testkit/mcp_test_server.py`` serves it over stdio (what an mcp.json ``command`` entry starts);
``python testkit/mcp_test_server.py --http PORT`` serves it over streamable HTTP on 127.0.0.1:PORT at ``/mcp``.

Its tools: ``lookup(city)`` (fixed-format weather text, read-only), ``echo(text)``, ``forecast(city, days)``
(structured content), ``fail(reason)`` (an error result), ``crash()`` (the process exits mid-call), ``slow(seconds)``
(sleeps; a cancelled call ends it) and ``set-units`` (a name the model could not say as it is).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel

server = MCPServer("weather", instructions="Test weather server for the assistant's tests.", log_level="WARNING")
READ_ONLY = ToolAnnotations(read_only_hint=True)


@server.tool(description="Look up the current weather in a city.", annotations=READ_ONLY)
def lookup(city: str) -> str:
    return f"Weather in {city}: 21 degrees, sunny."


@server.tool(description="Repeat the text back.", annotations=READ_ONLY)
def echo(text: str) -> str:
    return text


class Forecast(BaseModel):
    city: str
    highs: list[int]


@server.tool(description="The forecast for the next days in a city, as data.", annotations=READ_ONLY)
def forecast(city: str, days: int = 2) -> Forecast:
    return Forecast(city=city, highs=[20 + i for i in range(days)])


@server.tool(description="Always fails with the reason given.")
def fail(reason: str) -> str:
    raise ToolError(reason)


@server.tool(description="Exit the server process in the middle of the call.")
def crash() -> str:
    os._exit(3)


@server.tool(description="Sleep for a number of seconds, then say so.")
async def slow(seconds: float) -> str:
    marker = os.environ.get("MCP_TEST_SLOW_MARKER")
    if begun := os.environ.get("MCP_TEST_SLOW_STARTED"):  # the tests wait for the call to be running
        Path(begun).write_text("started", encoding="utf-8")
    started = time.monotonic()
    try:
        await anyio.sleep(seconds)
    except BaseException:  # cancelled by the client: leave a trace the test can read
        if marker:
            Path(marker).write_text(f"cancelled after {time.monotonic() - started:.2f}", encoding="utf-8")
        raise
    return f"slept {seconds} seconds"


@server.tool(name="set-units", description="Set the units the weather is told in (metric or imperial).")
def set_units(units: str) -> str:
    return f"units set to {units}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http", type=int, metavar="PORT", help="serve streamable HTTP on 127.0.0.1:PORT")
    args = parser.parse_args(argv)
    if pid_file := os.environ.get("MCP_TEST_PID_FILE"):  # the tests check that closing ends this process
        Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
    if args.http:
        server.run("streamable-http", host="127.0.0.1", port=args.http)
    else:
        server.run()


if __name__ == "__main__":
    sys.exit(main())
