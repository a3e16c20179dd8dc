"""Local intents: the common spoken requests matched to a tool call without the language model.

Each family module offers matchers (``Heard`` in, a ``ToolCall`` or None out) that answer only when they are
sure; anything else goes to the model. Numbers said as words are made digits once, for all of them
(``number_parser``: "ten minutes" -> "10 minutes").
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from number_parser import parse as _numbers_as_digits

from assistant.contracts.tools import ToolCall

log = logging.getLogger(__name__)

# Words number_parser would read as numbers where they are not ("second" as in seconds, "a" in "a minute").
_KEEP = {"second": "\x00sec\x00", "seconds": "\x00secs\x00"}
_PUNCT = re.compile(r"[^\w\s:./%'+*×÷^-]")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Heard:
    """A request as said (``text``) and in the form matchers read (``norm``): lower case, numbers as digits,
    punctuation but ':', '.', '%', "'" and operators gone, single spaces."""

    text: str
    norm: str


Matcher = Callable[[Heard], ToolCall | None]


def normalize(text: str) -> str:
    """The matchers' form of a request (see ``Heard``)."""
    lowered = text.lower().replace("’", "'").strip()
    lowered = re.sub(r"(\d),(\d{3})", r"\1\2", lowered)  # 1,000 -> 1000
    protected = re.sub(r"\b(seconds?)\b", lambda m: _KEEP[m.group(1)], lowered)
    protected = re.sub(r"\ba (second|minute|hour|day|week)\b", r"1 \1", protected)
    protected = re.sub(r"\ba (hundred|thousand|million)\b", r"one \1", protected)  # "a hundred degrees"
    digits = _numbers_as_digits(protected)
    for word, mark in _KEEP.items():
        digits = digits.replace(mark, word)
    digits = _PUNCT.sub(" ", digits)
    digits = re.sub(r"(?<![\d])[.](?![\d])", " ", digits)  # a sentence's full stop, not a decimal point
    return _SPACES.sub(" ", digits).strip()


class IntentMatcher:
    """The matchers of every family, asked in order; the first sure one wins."""

    def __init__(self, matchers: Iterable[Matcher] = ()) -> None:
        self.matchers: list[Matcher] = list(matchers)
        # The last request and its call: the words heard during the end-of-turn silence are matched then (no reply is
        # written ahead for what a tool answers), and again when they become the turn.
        self._last: tuple[str, ToolCall | None] | None = None

    def add(self, *matchers: Matcher) -> None:
        self.matchers.extend(matchers)
        self._last = None

    def match(self, text: str) -> ToolCall | None:
        """The call the first sure matcher makes of ``text``, or None. A matcher that fails (a bug, a library that
        cannot load its data) is passed over, logged: the model answers instead, and the turn goes on."""
        last = self._last
        if last is not None and last[0] == text:
            return last[1]
        call = self._match(text)
        self._last = (text, call)
        return call

    def _match(self, text: str) -> ToolCall | None:
        try:
            heard = Heard(text, normalize(text))
        except Exception:
            log.exception("could not read %r for the intent matchers", text)
            heard = Heard(text, _SPACES.sub(" ", _PUNCT.sub(" ", text.lower())).strip())
        if not heard.norm:
            return None
        for matcher in self.matchers:
            try:
                call = matcher(heard)
            except Exception:
                log.exception("an intent matcher failed on %r", text)
                continue
            if call is not None:
                return call
        return None
