"""A model's tool calls, read strictly from its reply.

Chat templates in the Hermes style (Qwen2.5, and most small open models) ask for ``<tool_call>{"name": ...,
"arguments": {...}}</tool_call>``; the tags are special tokens that the decoders drop, and small models also wrap
the JSON in a code fence or other tags. So the *shape* is read leniently (a reply that begins with a JSON object,
a fence or a tag) and the *content* strictly: valid JSON, a name among the tools offered, arguments that fit the
tool's schema (checked by the toolbox). Anything else is not a call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.contracts.tools import Tool, ToolCall

_TAG = re.compile(r"</?\s*(?:tool_call|tool_calls|tools|function_call|functioncall)\s*>", re.I)
_FENCE = re.compile(r"```(?:json)?", re.I)
# How a reply that is a call begins: a tag, a fence or an object (the decoder dropped the <tool_call> token).
_CALL_START = ("<tool", "<function", "```", "{")
MAX_CALLS = 3  # calls in one reply that are run; more is a model that went astray


def may_be_call(text: str) -> bool | None:
    """Whether a reply beginning with ``text`` is a tool call: True, False, or None while too little is known (the
    reply is held until then: a few characters)."""
    head = text.lstrip().lstrip("*_").lstrip()  # a call in bold (**{"name": ...}**) is still a call
    if not head:
        return None
    for start in _CALL_START:
        if head.startswith(start):
            return True
        if start.startswith(head):
            return None
    return False


@dataclass(frozen=True, slots=True)
class ParsedCalls:
    """The calls read from a reply, or why it is not a valid call (``error``, for the one retry)."""

    calls: tuple[ToolCall, ...] = ()
    error: str = ""


def _objects(text: str) -> list[object]:
    """The JSON values in ``text`` once its tags and fences are gone, one after another."""
    body = _FENCE.sub(" ", _TAG.sub(" ", text)).strip()
    decoder, found, i = json.JSONDecoder(), [], 0
    while i < len(body):
        if body[i].isspace() or body[i] in ",;*_" or (found and body[i] in "}]"):
            i += 1  # separators, emphasis, and a closing brace too many after a whole call ({"expression": "4"}}})
            continue
        value, i = decoder.raw_decode(body, i)  # raises ValueError on anything that is not JSON
        found.extend(value if isinstance(value, list) else [value])
    return found


def parse_calls(text: str, offered: Sequence[Tool]) -> ParsedCalls:
    """The tool calls in a reply that ``may_be_call``; names must be among ``offered``."""
    try:
        values = _objects(text)
    except ValueError as exc:
        return ParsedCalls(error=f"the tool call is not valid JSON ({exc})")
    if not values:
        return ParsedCalls(error="the tool call is empty")
    tools = {tool.name: tool for tool in offered}
    names = {tool.name: tool.name for tool in offered}
    names.update({template_name(tool.name): tool.name for tool in offered})
    calls = []
    for value in values[:MAX_CALLS]:
        if not isinstance(value, dict) or not isinstance(value.get("name"), str):
            return ParsedCalls(error='a tool call must be an object with a "name" and "arguments"')
        name = names.get(value["name"])
        if name is None:
            return ParsedCalls(error=f"there is no tool named {value['name']!r}; the tools are "
                               + ", ".join(template_name(t.name) for t in offered))
        arguments = value.get("arguments", value.get("parameters", {}))
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except ValueError:
                return ParsedCalls(error=f"the arguments of {value['name']} are not a JSON object")
        if not isinstance(arguments, dict):
            return ParsedCalls(error=f"the arguments of {value['name']} are not a JSON object")
        calls.append(ToolCall(name, _without_schema_words(arguments, tools[name]), source="model"))
    return ParsedCalls(tuple(calls))


# Words of the schema a small model copies into its arguments beside the real ones ({"expression": "6 * 4",
# "required": ["expression"], "additionalProperties": false}).
_SCHEMA_WORDS = frozenset({"type", "properties", "required", "additionalProperties", "description", "title"})


def _without_schema_words(arguments: dict, tool: Tool) -> dict:
    """``arguments`` without the schema's own words, unless the tool takes an argument of that name."""
    declared = tool.parameters.get("properties") or {}
    return {k: v for k, v in arguments.items() if k not in _SCHEMA_WORDS or k in declared}


def template_name(name: str) -> str:
    """A tool's name as the model sees it: letters, digits and underscores ("timers.start" -> "timers_start"), the
    form every chat template and OpenAI-style API accepts."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def schemas(tools: Sequence[Tool]) -> list[dict]:
    """The tools in the OpenAI function format that chat templates (``tools=``) and APIs take."""
    return [{"type": "function", "function": {"name": template_name(t.name), "description": t.description,
                                              "parameters": _plain_schema(t.parameters)}} for t in tools]


def _plain_schema(schema: object) -> object:
    """A schema without its "title"s (pydantic gives every property one: "City" for city). A small model copies
    them into its arguments ({"city": {"title": "London"}}); the names and descriptions say the same."""
    if isinstance(schema, dict):
        return {k: _plain_schema(v) for k, v in schema.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(schema, list):
        return [_plain_schema(v) for v in schema]
    return schema


def call_text(calls: Sequence[ToolCall]) -> str:
    """The assistant's turn that made ``calls``, as the chat template writes it (kept in the prompt of the answer)."""
    return "\n".join("<tool_call>\n" + json.dumps({"name": template_name(c.tool), "arguments": dict(c.arguments)})
                     + "\n</tool_call>" for c in calls)
