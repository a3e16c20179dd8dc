"""Spelling a word out loud, letter by letter.

A language model reads words as tokens, not letters, and cannot be trusted to spell ("The spelling of rhythm is
rhythm."); the recognizer has already written the word, so its letters are said as they are written. Only the
user's words are spelled: "How do you spell necessary?", "Spell rhythm", "How is 'definitely' spelled?".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from assistant.contracts.tools import Tool, ToolCall, ToolContext, ToolError, ToolResult
from assistant.tools.intents import Heard

MAX_WORDS = 4  # "spell Mississippi River" is spelled; a sentence is not a word to spell
_LEAD = r"^(?:hey |ok |okay )?(?:(?:can|could|would|will) you )?(?:please )?"
_ASKS = (
    re.compile(_LEAD + r"(?:how (?:do|would|should|can) (?:you|i|we|one) spell|spell(?: out)?|"
                       r"what(?:'s| is) the (?:correct |right )?spelling of) (?:the word |the name )?(?P<word>.+?)"
                       r"(?: out)?(?: (?:for|to) (?:me|us))?(?: please)?$", re.I),
    re.compile(_LEAD + r"how (?:is|are|do you write) (?:the word |the name )?(?P<word>.+?) (?:spelled|spelt|written)"
                       r"(?: out)?(?: (?:for|to) (?:me|us))?(?: please)?$", re.I),
)
_WORD = re.compile(r"^[^\W\d_]+(?:['’-][^\W\d_]+)*$")
_SAID = {"'": "apostrophe", "’": "apostrophe", "-": "hyphen"}


def letters(word: str) -> str:
    """A word's letters as they are said: "it's" -> "I, T, apostrophe, S"."""
    return ", ".join(_SAID.get(c, c.upper()) for c in word)


def _spellable(words: list[str]) -> bool:
    """Whether ``words`` are a word or a name to spell (not a sentence, a number or nothing)."""
    return 0 < len(words) <= MAX_WORDS and all(_WORD.match(w) for w in words)


def spell(arguments: Mapping[str, Any], context: ToolContext | None = None) -> ToolResult:
    text = " ".join(str(arguments["word"]).split()).strip(" \"'“”‘’.,!?")
    words = text.split()
    if not _spellable(words):
        raise ToolError("tool-arguments-invalid", f"I can only spell words, not {text!r}.")
    said = "; ".join(f"{w}: {letters(w)}" for w in words) if len(words) > 1 else letters(text)
    return ToolResult(f"{text[:1].upper()}{text[1:]} is spelled {said}.", {"word": text, "letters": said})


class Words:
    """The words family: spelling."""

    def tools(self) -> list[Tool]:
        return [Tool("words.spell", "Spell a word out letter by letter.",
                     {"type": "object", "properties": {"word": {"type": "string", "minLength": 1}},
                      "required": ["word"], "additionalProperties": False}, spell,
                     family="words", keywords=("spell", "spelling", "spelled", "spelt"))]

    def matchers(self) -> list[Callable[[Heard], ToolCall | None]]:
        return [self._match]

    @staticmethod
    def _match(heard: Heard) -> ToolCall | None:
        # The words as said, not the matchers' form (which writes "four" as "4"); quotes and end marks aside.
        text = " ".join(re.sub(r"[\"“”‘?!.,]+|'(?=\s|$)|(?<=\s)'", " ", heard.text).split())
        found = next((m for m in (ask.match(text) for ask in _ASKS) if m), None)
        if found is None:
            return None
        word = found.group("word").strip()
        return ToolCall("words.spell", {"word": word}) if _spellable(word.split()) else None
