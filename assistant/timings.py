"""Per-turn timing marks on one monotonic clock."""

from __future__ import annotations

import threading
import time

# The order in which a spoken turn reaches each mark. timings_ms reports each as milliseconds after
# the user's end of speech (voice) or after the question was submitted (text).
VOICE_MARKS = (
    "end_of_speech_detected",
    "stt",
    "llm_first_token",
    "first_sentence",
    "first_audio",
    "voice_to_voice",
)
TEXT_MARKS = ("llm_first_token", "first_sentence", "first_audio", "reply_done")
SCREEN_MARKS = ("capture", "screen_read", *TEXT_MARKS)  # a question about the screen or an image


class TurnTimings:
    """Marks are set once (the first time wins) from any thread."""

    def __init__(self, origin: float | None = None) -> None:
        self._lock = threading.Lock()
        self._marks: dict[str, float] = {}
        self.origin = origin

    def mark(self, name: str, t: float | None = None) -> None:
        with self._lock:
            self._marks.setdefault(name, time.monotonic() if t is None else t)

    def get(self, name: str) -> float | None:
        return self._marks.get(name)

    def as_ms(self) -> dict[str, float]:
        """Every mark as milliseconds after the origin (the end of the user's speech)."""
        with self._lock:
            if self.origin is None:
                return {}
            return {k: round((v - self.origin) * 1000.0, 1) for k, v in self._marks.items()}
