"""The wake phrase: found in what speech to text heard, and the window in which no phrase is needed.

The offline detector works with the bundled models alone: Silero VAD cuts speech out of the stream (silence and
most noise never reach anything heavier), the tiny Whisper model transcribes each short segment with the phrase
as its prompt, and the phrase is matched loosely, word by word, at the start of the transcript.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from difflib import SequenceMatcher

from assistant.pipeline.languages import CJK_CHARS, as_written

# A word: letters of any script (and apostrophes), or one Chinese, Japanese or Korean character, as those scripts
# write no spaces ("你好助手" is matched character by character).
_WORD = re.compile(f"[{CJK_CHARS}]|(?:[^\\W_{CJK_CHARS}]|')+")
_CJK = re.compile(f"[{CJK_CHARS}]")
_LEADING_FILLERS = 2  # "okay, hey assistant ...", "um hey assistant ...": the phrase may follow a filler or two
_TRIM = " \t,.;:!?-–—…，。！？、；："
# Below this average log-probability, a phrase heard with the phrase as the prompt is checked again without it:
# the prompt makes Whisper write the phrase for sound merely like it ("Hay is stacked high..." read "Hey
# Assistant, hi in the..."), and it does so with little confidence. The phrase said plainly decodes above -0.6.
CONFIRM_BELOW_LOGPROB = -0.7


@dataclass(frozen=True, slots=True)
class WakeMatch:
    """The wake phrase found at the start of a transcript, and the question after it."""

    heard: str  # the words taken for the phrase, as speech to text wrote them
    score: float  # 0..1: word-by-word likeness to the phrase
    question: str  # what followed the phrase ("" when it was said alone)


class WakePhrase:
    """Matches a configured phrase ("hey assistant") at the start of a transcript.

    Each word of the phrase is compared with the word heard in its place (character similarity), and the mean
    must reach a threshold set by ``sensitivity``: 0.5 accepts "Hey, Assistant!" and "hey assistance" but not
    "the assistant" or "my assistant"."""

    def __init__(self, phrase: str, sensitivity: float = 0.5, chinese_script: str = "simplified") -> None:
        """``chinese_script``: how the transcripts write Chinese (``stt.chinese_script``): a Chinese phrase is
        written the same way, so that "小愛同學" set in traditional characters still wakes on "小爱同学"."""
        phrase, _ = as_written(phrase, "", chinese_script)
        self.words = _WORD.findall(phrase.lower())
        if not self.words:
            raise ValueError(f"a wake phrase needs words, got {phrase!r}")
        self.phrase = phrase
        self.threshold = 0.92 - 0.24 * sensitivity  # sensitivity 0 -> 0.92, 0.5 -> 0.80, 1 -> 0.68

    @property
    def prompt(self) -> str:
        """The phrase as a hint for speech to text: "Hey Assistant", "你好助手" (no spaces between characters)."""
        out = ""
        for word in self.words:
            cjk = _CJK.fullmatch(word) is not None
            out += word if cjk and (not out or _CJK.fullmatch(out[-1])) else (" " if out else "") + (
                word if cjk else word.capitalize())
        return out

    @staticmethod
    def needs_confirming(transcript) -> bool:
        """Whether a phrase found in ``transcript`` (decoded with the prompt) must be heard again without it:
        the decoder was unsure of the segment the phrase is in."""
        segments = transcript.segments
        return bool(segments) and segments[0].avg_logprob < CONFIRM_BELOW_LOGPROB

    def match(self, text: str) -> WakeMatch | None:
        """The phrase at the start of ``text`` (after at most two filler words), or None."""
        spans = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text.lower())]
        n = len(self.words)
        best: tuple[float, int] | None = None
        for start in range(min(_LEADING_FILLERS, len(spans) - n) + 1):
            heard = [w for w, _, _ in spans[start: start + n]]
            if len(heard) < n:
                break
            score = sum(_similarity(a, b) for a, b in zip(self.words, heard, strict=True)) / n
            if best is None or score > best[0]:
                best = (score, start)
        if best is None or best[0] < self.threshold:
            return None
        score, start = best
        first, last = spans[start], spans[start + n - 1]
        return WakeMatch(heard=text[first[1]: last[2]], score=round(score, 3),
                         question=text[last[2]:].lstrip(_TRIM).strip())


def _similarity(expected: str, heard: str) -> float:
    if expected == heard:
        return 1.0
    ratio = SequenceMatcher(None, expected, heard).ratio()
    # The first sound weighs most: "hey"/"hay" are the same word to the ear, "hey"/"the" are not.
    return ratio if expected[0] == heard[0] else 0.75 * ratio


class WakeWindow:
    """When a question is taken without the phrase: for a while after the phrase alone, or after a reply.

    The listening controller's, on its thread (the lock keeps it whole for a reader on another)."""

    def __init__(self, clock=time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._until = 0.0

    def open(self, seconds: float) -> None:
        with self._lock:
            self._until = max(self._until, self.clock() + seconds)

    def close(self) -> None:
        with self._lock:
            self._until = 0.0

    def is_open(self, at: float | None = None) -> bool:
        with self._lock:
            return (self.clock() if at is None else at) < self._until

    @property
    def until(self) -> float:
        return self._until
