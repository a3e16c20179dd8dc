"""Tools in a turn: a request the intent matcher is sure of is answered by its tool without the model; for the rest
the model is offered the few tools that fit the question, and a call it makes is checked, run, and answered from its
result. A tool that changes something asks first; the next turn's "yes" (or a click) runs it.

Only the user's own words reach the matcher and the tool list: a screen's text or a tool's result never does (screen
questions are offered no tools, and the model's answer from a tool's result is written with no tools offered), so
neither can make a tool run by itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from assistant.bus import EventBus
from assistant.contracts.events import ToolConfirmationRequested
from assistant.contracts.ports import LanguageModel
from assistant.contracts.tools import Tool, ToolCall, ToolError
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from assistant.pipeline.difficulty import word_problem
from assistant.tools.intents import IntentMatcher
from assistant.tools.model_calls import ParsedCalls, call_text, may_be_call, parse_calls, schemas, template_name
from assistant.tools.toolbox import Toolbox

log = logging.getLogger(__name__)

_YES = re.compile(r"^\s*(?:yes|yeah|yep|yup|sure|ok|okay|go ahead|do it|please do|confirm(?:ed)?|affirmative|"
                  r"of course|please)\b[\s\w,]*[.!]?\s*$", re.I)
# "How do I copy and paste on Windows?" asks how to do it, not for it done: offered the clipboard's tools, a model
# reads the clipboard or names a function instead of saying Ctrl+C. Such a question is offered no tools.
_HOW_TO = re.compile(r"^\s*(?:how (?:do|can|should|would|could) (?:i|you|we|one)|how to|"
                     r"what(?:'s| is) the (?:best |right |easiest )?way to)\b", re.I)
_NO = re.compile(r"^\s*(?:no|nope|nah|cancel|don'?t|do not|stop|never ?mind|forget it)\b[\s\w,']*[.!]?\s*$", re.I)
CALCULATE = "maths.calculate"
# The smallest model asked to write a sum told in words as an expression. Measured with `assistant eval --with-tools`
# (the set's 14 such sums): the bundled 0.5B answered none right that way, as in its head, and its first word came
# after 2.7 s (median) instead of 0.6; the 1.5B answered 10 right, against 4 in its head.
CALCULATING_PARAMETERS = 1_000_000_000
# How the Hermes-style chat templates begin a call to the calculator, up to where the model writes the expression.
_CALCULATION_OPENING = '<tool_call>\n{"name": "' + template_name(CALCULATE) + '", "arguments": {"expression": "'


class ToolTurns:
    """The tool side of the LLM stage (its thread only)."""

    def __init__(self, bus: EventBus, toolbox: Toolbox, matcher: IntentMatcher, *, intents: bool = True,
                 model_calls: bool = True, warm: Sequence[Callable[[], None]] = (), desktop: Any = None,
                 timers: Any = None) -> None:
        """``warm``: what to prepare before the first request (a registry that takes a while to build);
        ``desktop``: the desktop family, whose port a front-end may replace (``Assistant.set_desktop_actions``);
        ``timers``: the timers' service, which the window lists and cancels."""
        self.bus, self.toolbox, self.matcher = bus, toolbox, matcher
        self.desktop, self.timers = desktop, timers
        self.intents, self.model_calls = intents, model_calls
        self._warm = list(warm)

    def warm(self) -> None:
        """Prepare the tools before the first request (on the LLM stage's thread, while the models load)."""
        for prepare in self._warm:
            try:
                prepare()
            except Exception:  # its first use says what is wrong, to the user
                log.exception("preparing a tool failed")

    # --- the matcher's answers -------------------------------------------------------------------------------

    def answer_by_intent(self, text: str, *, turn_id: int, cancel: CancelToken) -> str | None:
        """What to say when a tool answers this request by itself (a yes or no to a waiting call included);
        None: the model answers."""
        pending = self.toolbox.pending
        if pending is not None:
            if _YES.match(text):
                self.toolbox.take_pending()
                return self.perform(ToolCall(pending.call.tool, pending.call.arguments, "confirmed"),
                                    turn_id=turn_id, cancel=cancel)
            if _NO.match(text):
                self.toolbox.take_pending()
                return "Okay, I won't."
            self.toolbox.take_pending()  # the user asked something else: the question is dropped
        if not self.intents:
            return None
        call = self.matcher.match(text)
        if call is None:
            return None
        return self.perform(call, turn_id=turn_id, cancel=cancel)

    def takes(self, text: str, model: LanguageModel) -> bool:
        """Whether these words, if they end the turn, are answered by a tool or with tools offered: then no plain
        reply is worth writing ahead of the turn."""
        if self.toolbox.pending is not None and (_YES.match(text) or _NO.match(text)):
            return True
        if self.intents and self.matcher.match(text) is not None:
            return True
        return bool(self.offered(text, model))

    def confirmed(self, allow: bool, *, turn_id: int, cancel: CancelToken) -> str | None:
        """The user clicked yes or no on the waiting call: what to say (None: nothing was waiting)."""
        pending = self.toolbox.take_pending()
        if pending is None:
            return None
        if not allow:
            return "Okay, I won't."
        return self.perform(ToolCall(pending.call.tool, pending.call.arguments, "confirmed"), turn_id=turn_id,
                            cancel=cancel)

    def perform(self, call: ToolCall, *, turn_id: int, cancel: CancelToken) -> str:
        """Run ``call`` (or ask first, for a tool that changes something) and say how it went."""
        tool = self.toolbox.get(call.tool)
        if tool is not None and call.source != "confirmed" and self.toolbox.needs_confirmation(tool):
            prompt = tool.confirm_prompt(call.arguments)
            self.toolbox.hold(call, prompt)
            self.bus.publish(ToolConfirmationRequested(turn_id=turn_id, tool=tool.name, arguments=dict(call.arguments),
                                                       prompt=prompt))
            return f"{prompt} Say yes to go ahead."
        try:
            return self.toolbox.run(call, turn_id=turn_id, cancel=cancel).say
        except ToolError as exc:
            return _sentence(exc.message)

    # --- the model's calls ----------------------------------------------------------------------------------

    def offered(self, text: str, model: LanguageModel) -> list[Tool]:
        """The tools offered to the model for this question (none when it cannot call tools)."""
        if not self.model_calls or not getattr(model, "supports_tools", False) or _HOW_TO.match(text):
            return []
        calculator = self.toolbox.get(CALCULATE)
        if calculator is not None and self.toolbox.usable(calculator) and _calculates(model, text):
            # Worked out by the calculator (see stream), whose words need not name an operation ("eat one, buy five
            # more"); the one tool, so that every such question shares one prompt, whose state the model keeps.
            return [calculator]
        return self.toolbox.for_question(text)

    def stream(self, model: LanguageModel, messages: Sequence[ChatMessage], offered: Sequence[Tool], *,
               turn_id: int, cancel: CancelToken) -> Iterator[str]:
        """The reply to ``messages`` with ``offered`` tools: the model's words as they come when it answers
        directly (held only for its first few characters), else its answer written from the tools' results. A
        malformed call is asked for again once, with what was wrong; then the model answers without tools."""
        listed = schemas(offered)
        prompt = list(messages)
        # A sum told in words is worked out by the calculator: the model's reply is begun as a call to it and the
        # model writes the expression, which it gets right far more often than the result (program-aided answers).
        opening = ""
        question = messages[-1].content if messages and messages[-1].role == Role.USER else ""
        if any(tool.name == CALCULATE for tool in offered) and _calculates(model, question):
            opening = _CALCULATION_OPENING
            prompt.append(ChatMessage(Role.ASSISTANT, opening))
        for attempt in range(2):
            held, rest = _read_reply(model.stream(prompt, cancel=cancel, tools=listed), opening)
            if rest is not None:  # words: they go on as they come
                yield held
                yield from rest
                return
            if cancel.cancelled:
                return
            if may_be_call(held) is not True:
                if held:
                    yield held
                return
            parsed = parse_calls(held, offered)
            if parsed.calls:
                try:  # arguments that do not fit the schema are a malformed call too
                    for call in parsed.calls:
                        self.toolbox.check(call)
                    break
                except ToolError as exc:
                    parsed = ParsedCalls(error=exc.message)
            log.info("malformed tool call (%s): %r", parsed.error, held[:200])
            opening = ""
            if attempt == 0:
                prompt = [*messages, ChatMessage(Role.ASSISTANT, held.strip()),
                          ChatMessage(Role.TOOL, f"Error: {parsed.error}. Call a tool again with valid JSON "
                                      "arguments, or answer the user directly.")]
        else:
            yield from model.stream(messages, cancel=cancel)  # twice wrong: the answer without tools
            return
        results = []
        for call in parsed.calls:
            tool = self.toolbox.get(call.tool)
            if tool is not None and self.toolbox.needs_confirmation(tool):
                yield self.perform(call, turn_id=turn_id, cancel=cancel)  # asks; the next "yes" runs it
                return
            try:
                results.append(self.toolbox.run(call, turn_id=turn_id, cancel=cancel).say)
            except ToolError as exc:
                results.append(f"Error: {exc.message}")
            if cancel.cancelled:
                return
        # The answer from the results. The tools stay in the prompt (the template the model knows) but nothing in
        # this reply is run: a result's text cannot make another call. A small model that answers with another call
        # instead of words gets the results said as they are, as soon as its reply shows it is a call (not written
        # to its end: 2.5 s of the bundled 0.5B's for "10 meters is 0.01 kilometers").
        follow = [*messages, ChatMessage(Role.ASSISTANT, call_text(parsed.calls)),
                  *(ChatMessage(Role.TOOL, result) for result in results)]
        held, rest = _read_reply(model.stream(follow, cancel=cancel, tools=listed), stop_at_call=True)
        if rest is not None:
            yield held
            yield from rest
        elif not cancel.cancelled:
            yield " ".join(_sentence(r) for r in results) if may_be_call(held) is not False else held


def _calculates(model: LanguageModel, question: str) -> bool:
    """Whether ``question`` is a sum told in words that the model to answer it is big enough to write as an
    expression (a model of unknown size is asked)."""
    if not word_problem(question):
        return False
    answering = model.answering([ChatMessage(Role.USER, question)]) if hasattr(model, "answering") else model
    if not getattr(answering, "supports_tools", False):
        return False  # a server or the cloud: offered no tools, it could not be begun a call
    parameters = getattr(answering, "parameters", None)
    return parameters is None or parameters >= CALCULATING_PARAMETERS


def _read_reply(pieces: Iterator[str], held: str = "", *,
                stop_at_call: bool = False) -> tuple[str, Iterator[str] | None]:
    """Read a reply (begun with ``held``) until it is plainly words: (what was read, the rest of the words as they
    come); a reply that is (or may still be) a tool call is read to its end: (all of it, None), or with
    ``stop_at_call`` only until it shows it is one (the model then stops writing it)."""
    for piece in pieces:
        held += piece
        verdict = may_be_call(held)
        if verdict is False:
            return held, pieces
        if verdict and stop_at_call:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()
            return held, None
    return held, None

def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
