"""The ports the core drives. Adapters in ``audio/``, ``models/`` and ``desktop/`` implement them.

Adapters are cheap to construct and load their model on first use (``load()``), on the thread
that owns them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.contracts.screen import ScreenImage, TextLine, WindowInfo
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import AudioChunk, ChatMessage, Transcript

ProgressCallback = Callable[[str, float | None], None]


@runtime_checkable
class Loadable(Protocol):
    """A model adapter: cheap to construct, loaded (and warmed) by ``load()`` on its owner thread."""

    name: str

    @property
    def device(self) -> str:
        """Where it runs ("cpu", "cuda", "cloud"...), for the ready event and the status line."""

    def load(self, progress: ProgressCallback | None = None) -> None:
        """Load and warm the model; idempotent; raises AssistantError with a fix in its message."""


class SpeechToText(Loadable, Protocol):
    """Speech to text: 16 kHz float32 audio in, a Transcript out."""

    compute_type: str  # the decoding precision ("int8", "float16"; "n/a" where it does not apply), for the bench
    beam_size: int  # the decoding beam (0 where it does not apply), for the bench

    def transcribe(self, audio: np.ndarray, *, language: str | None = None, prompt: str = "") -> Transcript:
        """``prompt``: words likely to be heard (the wake phrase), a hint for the recognizer."""


class LanguageModel(Loadable, Protocol):
    """A chat model that streams its reply text and can be cancelled by its turn's token."""

    supports_images: bool
    runs_locally: bool  # on this machine: a reply written ahead of its turn costs nothing but its time
    last_backend: str  # who wrote (the end of) the last reply: the model itself, or a router's backend
    quantized: bool  # int8 weights (a local model), for the bench
    static_cache: bool  # decodes with one static KV cache (a local model), for the bench
    parameters: int | None  # how many weights it has, when known (a local model, once loaded): what it can be asked

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Run the prompt through the model ahead of the turn, so that its reply starts sooner (a no-op where
        nothing can be kept: a cloud model)."""

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int: ...

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken) -> Iterator[str]: ...


class TextRecognizer(Loadable, Protocol):
    """OCR: the lines of text on an image, each with its box."""

    def read(self, image: ScreenImage) -> list[TextLine]: ...


class TextToSpeech(Loadable, Protocol):
    """Text to speech: yields float32 mono blocks at ``sample_rate``."""

    sample_rate: int

    def synthesize(self, text: str, *, cancel: CancelToken) -> Iterator[np.ndarray]: ...


class VoiceActivityDetector(Loadable, Protocol):
    """Voice activity: the probability of speech in each block."""

    frame_samples: int  # samples per frame at 16 kHz

    def reset(self) -> None: ...

    def speech_probability(self, frame: np.ndarray) -> float: ...

    def speech_fraction(self, audio: np.ndarray, threshold: float = 0.5) -> float:
        """The share of ``audio``'s frames that hold speech (0: none)."""


class EndOfTurnModel(Loadable, Protocol):
    """Whether the user has finished their turn, read from the audio itself at a pause (not from words)."""

    def probability(self, samples: np.ndarray) -> float:
        """The probability (0..1) that the speech in ``samples`` (16 kHz float32, the turn so far, ending in the
        pause) is a finished turn rather than one that will go on."""


class AudioSource(Protocol):
    """Where heard audio comes from (a microphone, a file played in real time)."""

    name: str
    realtime: bool  # delivers audio as fast as it is spoken (a microphone), not as fast as it can be read
    hears_speaker: bool  # in a room with the speaker: the assistant's own voice comes back in

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def read(self, timeout: float) -> AudioChunk | None:
        """The next chunk, or None when none came within ``timeout``."""

    @property
    def exhausted(self) -> bool:
        """True once a finite source (a file) has delivered everything."""


class AudioSink(Protocol):
    """Where the reply's audio goes (a speaker, a recording)."""

    def play(self, samples: np.ndarray, sample_rate: int) -> float:
        """Enqueue audio; never blocks long. Returns when its first sample will be heard (monotonic)."""

    def flush(self) -> None:
        """Drop queued audio now."""

    def wait_drained(self, timeout: float | None = None) -> bool: ...

    @property
    def playing_until(self) -> float:
        """When the audio handed over so far will have been heard (monotonic)."""

    @property
    def reference(self) -> object | None:
        """What it played, for the echo canceller (an ``audio.echo.PlaybackReference``); None for a sink that
        plays into no room (a recording)."""


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

    @property
    def settling(self) -> bool:
        """Whether the canceller is still finding the echo (the first moments of a reply): a short burst in what it
        let through may be the assistant's own voice."""


class ScreenCapture(Protocol):
    """Takes pictures of the screen (``desktop/``): for questions about the screen, from the core or the UI."""

    def capture(self, target: str = "screen", *, region: tuple[int, int, int, int] | None = None,
                window: WindowInfo | None = None, pointer: tuple[int, int] | None = None,
                cancel: CancelToken | None = None) -> ScreenImage:
        """``target``: "screen", "all", "window" or "region"; raises CaptureError (``cancel``: an interrupt)."""

    def active_window(self) -> WindowInfo | None:
        """The window the user is working in, or None when there is none or the platform does not tell."""


class RecordingSink(AudioSink, Protocol):
    """A sink that keeps what it played: the reply as one array, or laid out against what was heard."""

    def audio(self, rate: int | None = None) -> tuple[np.ndarray, int]: ...

    def timeline(self, fed: list[AudioChunk], rate: int) -> np.ndarray: ...


class AudioIO(Protocol):
    """The machine's audio for front-ends (``audio/``): sources and sinks to build an assistant with, audio files,
    and the sound devices. Raises AudioDeviceError (a device) or InputError (a file) with the reason."""

    def speaker(self, device: str | int | None = None) -> AudioSink:
        """The speaker, opened now."""

    def recorder(self, realtime: bool = False) -> RecordingSink: ...

    def tee(self, *sinks: AudioSink) -> AudioSink: ...

    def microphone(self, device: str | int | None = "") -> AudioSource:
        """The live microphone ("": the system default), opened by ``start()``."""

    def file_source(self, path: Path | str | np.ndarray, *, max_seconds: float | None = None,
                    realtime: bool = True) -> AudioSource:
        """A file fed like a microphone, read now."""

    def read(self, path: Path | str, *, max_seconds: float | None = None) -> np.ndarray:
        """An audio file as 16 kHz mono float32."""

    def write_wav(self, path: Path | str, samples: np.ndarray, rate: int) -> Path: ...

    def devices(self) -> dict:
        """{"inputs": [...], "outputs": [...]}, each {"name", "index", "default"}."""

    def report(self) -> dict:
        """PortAudio's presence and version, and the devices' names."""

    def test_output(self, device: str | int | None = "") -> None:
        """Play a short tone on ``device``."""

    def test_input(self, device: str | int | None = "", seconds: float = 1.0) -> float:
        """The peak level heard from ``device`` in ``seconds``, in dBFS."""


class TextEmbedder(Protocol):
    """Sentences in, unit-length vectors out (the memory's recall by meaning). ``name`` and ``dimensions`` are
    known once ``load()`` has run; thread-safe."""

    name: str
    dimensions: int

    @property
    def loaded(self) -> bool: ...

    def load(self) -> None:
        """Resolve and load the model; raises AssistantError with a fix in its message."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row of unit length."""
