"""Arithmetic and percentages, worked out exactly instead of guessed by the model.

Spoken operators become symbols ("times" -> "*", "15% of 80" -> "15/100*80") and the expression is evaluated by
``simpleeval`` (no names but a few maths functions, no attribute access, bounded powers): a request that is not
purely arithmetic is not matched, and goes to the model.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any

import simpleeval

from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolError, ToolResult
from assistant.tools.intents import Heard

_PREFIX = re.compile(r"^(?:hey |ok |okay )?(?:(?:can|could) you )?(?:please )?(?:tell me )?"
                     r"(?:what(?:'s| is| are)|how much is|how much are|calculate|compute|work out|figure out|solve)"
                     r"\s+(?:the )?")
_WORDS = [  # longest first; spoken forms of the operators
    (r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent) of\s+", r"(\1/100)*"),
    (r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)\b", r"(\1/100)"),
    (r"\bthe square root of\s+(\d+(?:\.\d+)?)", r"sqrt(\1)"),
    (r"\bsquare root of\s+(\d+(?:\.\d+)?)", r"sqrt(\1)"),
    (r"\bthe cube root of\s+(\d+(?:\.\d+)?)", r"cbrt(\1)"),
    (r"\bcube root of\s+(\d+(?:\.\d+)?)", r"cbrt(\1)"),
    (r"(\d+(?:\.\d+)?) squared\b", r"(\1**2)"),
    (r"(\d+(?:\.\d+)?) cubed\b", r"(\1**3)"),
    (r"\bto the power of\b", "**"),
    (r"\bdivided by\b", "/"), (r"\bdivide by\b", "/"), (r"\bover\b", "/"),
    (r"\bmultiplied by\b", "*"), (r"\btimes\b", "*"), (r"\bx\b", "*"), (r"×", "*"), (r"÷", "/"),
    (r"\bplus\b", "+"), (r"\badded to\b", "+"), (r"\bminus\b", "-"), (r"\bless\b", "-"),
    (r"\bhalf of\s+", "0.5*"), (r"\bdouble\s+", "2*"), (r"\btwice\s+", "2*"),
]
_EXPRESSION = re.compile(r"^[\d\s.+\-*/()^]*(?:(?:sqrt|cbrt)\([\d.]+\)[\d\s.+\-*/()^]*)*$")
_FUNCTIONS = {"sqrt": math.sqrt, "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x)}


def to_expression(norm: str) -> str | None:
    """The arithmetic a request says, as an expression; None when it says anything else too."""
    text = _PREFIX.sub("", norm).strip(" ?.!=")
    text = re.sub(r"\s+(?:equal|equals|make|makes)$", "", text)
    for pattern, replacement in _WORDS:
        text = re.sub(pattern, replacement, text)
    text = text.replace("^", "**").strip()
    if not re.search(r"\d", text) or not re.search(r"[+\-*/]|sqrt|cbrt", text):
        return None  # a bare number is not a sum
    if not _EXPRESSION.match(text.replace("**", "*")):
        return None
    return re.sub(r"\s+", " ", text)


def evaluate(expression: str) -> float:
    """The value of an arithmetic expression; raises ToolError (with why) for anything else."""
    evaluator = simpleeval.SimpleEval(functions=_FUNCTIONS, names={"pi": math.pi, "e": math.e})
    try:
        value = evaluator.eval(expression)
    except ZeroDivisionError:
        raise ToolError("maths-invalid", "That divides by zero, which has no answer.") from None
    except (simpleeval.InvalidExpression, SyntaxError, TypeError, ValueError, OverflowError) as exc:
        raise ToolError("maths-invalid", f"I can't work out {expression!r}: {exc}.") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or math.isnan(value) or math.isinf(value):
        raise ToolError("maths-invalid", f"{expression!r} has no numeric answer.")
    return float(value)


def spoken_number(value: float) -> str:
    """A result as it is said: whole numbers without ".0", others rounded to a few significant digits."""
    if abs(value - round(value)) < 1e-9 and abs(value) < 1e15:
        return f"{round(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{value:.6g}"


def _said(expression: str) -> str:
    text = expression.replace("**", " to the power of ").replace("*", " times ").replace("/", " divided by ")
    text = re.sub(r"\(([\d.]+) divided by 100\) times ", r"\1 percent of ", text)
    text = re.sub(r"\(([\d.]+) divided by 100\)", r"\1 percent", text)
    text = text.replace("+", " plus ").replace(" - ", " minus ").replace("sqrt", "the square root of ")
    text = text.replace("cbrt", "the cube root of ")
    text = re.sub(r"\(([\d.]+) to the power of 2\)", r"\1 squared", text)
    text = re.sub(r"\(([\d.]+) to the power of 3\)", r"\1 cubed", text)
    text = re.sub(r"of \(([\d.]+)\)", r"of \1", text)
    return re.sub(r"\s+", " ", text).strip()


def calculate(arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
    expression = str(arguments["expression"]).replace("^", "**")
    value = evaluate(expression)
    return ToolResult(f"{_said(expression)[:1].upper()}{_said(expression)[1:]} is {spoken_number(value)}.",
                      {"expression": expression, "value": value})


class Maths:
    """The arithmetic family."""

    def tools(self) -> list[Tool]:
        return [Tool("maths.calculate", "Work out an arithmetic expression exactly (+ - * / ** sqrt(), % as /100).",
                     {"type": "object", "properties": {"expression": {"type": "string", "minLength": 1}},
                      "required": ["expression"], "additionalProperties": False}, calculate,
                     family="maths", keywords=("calculate", "percent", "plus", "minus", "times", "divided",
                                               "multiplied", "sum", "square", "root", "tip", "average"))]

    def matchers(self) -> list[Callable[[Heard], ToolCall | None]]:
        return [self._match]

    @staticmethod
    def _match(heard: Heard) -> ToolCall | None:
        expression = to_expression(heard.norm)
        if expression is None:
            return None
        return ToolCall("maths.calculate", {"expression": expression})
