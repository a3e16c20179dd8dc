"""Which capture a spoken question about the screen asks for."""

from __future__ import annotations

import re

SCREEN_TARGETS = ("screen", "window", "all")  # what a question about the screen may capture

_WINDOW_WORDS = r"(?:window|app|application|program|tab)"
_THING_WORDS = (r"(?:error|errors|message|warning|page|dialog|pop-?up|code|document|email|e-mail|chart|graph|table|"
                r"button|buttons|text|form|screenshot|picture|image|diagram|website|site|article|menu|line)")
_ON_SCREEN = re.compile(
    r"\b(?:on|of|at|in)\s+(?:my|the|this)\s+(?:screen|display|monitor|desktop)\b"
    r"|\bmy\s+screen\b|\bthe\s+screen\b"
    r"|\bwhat\s+am\s+i\s+looking\s+at\b|\bwhat\s+do\s+you\s+see\b|\bcan\s+you\s+see\b|\blook\s+at\s+(?:this|that)\b"
    r"|\b(?:this|that)\s+" + _THING_WORDS + r"\b",
    re.IGNORECASE,
)
_THIS_WINDOW = re.compile(r"\b(?:this|that|the\s+current|my\s+current)\s+" + _WINDOW_WORDS + r"\b", re.IGNORECASE)


def screen_target_for(question: str, default: str = "screen") -> str:
    """The capture a spoken question asks for: "window" for "this window/app", ``default`` for "my screen",
    "this error", "what am I looking at"; "" when the question is not about the screen."""
    if _THIS_WINDOW.search(question):
        return "window"
    if _ON_SCREEN.search(question):
        return default
    return ""
