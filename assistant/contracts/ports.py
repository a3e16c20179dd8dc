"""The ports the core drives. Adapters in ``audio/``, ``models/`` and ``desktop/`` implement them.

Adapters are cheap to construct and load their model on first use (``load()``), on the thread
that owns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.contracts.screen import ScreenImage, TextLine, WindowInfo
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import AudioChunk, ChatMessage, Transcript

ProgressCallback = Callable[[str, float | None], None]


@runtime_checkable
class Loadable(Protocol):
    name: str

    def load(self, progress: ProgressCallback | None = None) -> None:
        """Load and warm the model; idempotent; raises AssistantError with a fix in its message."""


class SpeechToText(Loadable, Protocol):
    def transcribe(self, audio: np.ndarray, *, language: str | None = None, prompt: str = "") -> Transcript:
        """``prompt``: words likely to be heard (the wake phrase), a hint for the recognizer."""


class LanguageModel(Loadable, Protocol):
    supports_images: bool

    @property
    def device(self) -> str: ...

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int: ...

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken) -> Iterator[str]: ...


class TextRecognizer(Loadable, Protocol):
    """OCR: the lines of text on an image, each with its box."""

    def read(self, image: ScreenImage) -> list[TextLine]: ...


class TextToSpeech(Loadable, Protocol):
    sample_rate: int

    def synthesize(self, text: str, *, cancel: CancelToken) -> Iterator[np.ndarray]: ...


class VoiceActivityDetector(Loadable, Protocol):
    frame_samples: int  # samples per frame at 16 kHz

    def reset(self) -> None: ...

    def speech_probability(self, frame: np.ndarray) -> float: ...


class AudioSource(Protocol):
    name: str

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def read(self, timeout: float) -> AudioChunk | None:
        """The next chunk, or None when none came within ``timeout``."""

    @property
    def exhausted(self) -> bool:
        """True once a finite source (a file) has delivered everything."""


class AudioSink(Protocol):
    def play(self, samples: np.ndarray, sample_rate: int) -> float:
        """Enqueue audio; never blocks long. Returns when its first sample will be heard (monotonic)."""

    def flush(self) -> None:
        """Drop queued audio now."""

    def wait_drained(self, timeout: float | None = None) -> bool: ...


class WakeWordSpotter(Loadable, Protocol):
    """Spots the wake phrase in raw audio, cheaply enough to run on every block (openWakeWord)."""

    name: str

    def score(self, samples: np.ndarray) -> float:
        """0..1: how surely the phrase was just said, after this block (16 kHz float32)."""

    def reset(self) -> None: ...


class EchoCanceller(Protocol):
    """Takes the assistant's own voice (what the speaker played) out of the microphone signal."""

    def process(self, chunk: AudioChunk) -> AudioChunk | None:
        """The chunk without the echo; None while the echo cannot be told from the user (ignore the chunk)."""


class ScreenCapture(Protocol):
    """Takes pictures of the screen (``desktop/``): for questions about the screen, from the core or the UI."""

    def capture(self, target: str = "screen", *, region: tuple[int, int, int, int] | None = None,
                window: WindowInfo | None = None, pointer: tuple[int, int] | None = None,
                cancel: CancelToken | None = None) -> ScreenImage:
        """``target``: "screen", "all", "window" or "region"; raises CaptureError (``cancel``: an interrupt)."""

    def active_window(self) -> WindowInfo | None:
        """The window the user is working in, or None when there is none or the platform does not tell."""
