"""Fakes for orchestration-logic unit tests only. Every capability is also tested with the real models."""

from __future__ import annotations

import threading
import time

import numpy as np

from assistant.contracts.errors import AssistantError, ModelError
from assistant.contracts.types import Transcript


class SetClock:
    """A wall clock (time.time()'s stand-in) that the test sets: ``clock.now = ...``."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class EnergyVAD:
    """Speech probability 1.0 for loud frames, 0.0 for quiet ones."""

    frame_samples = 512
    name = "energy-vad"
    device = "cpu"

    def load(self, progress=None):
        pass

    def reset(self):
        pass

    def speech_probability(self, frame):
        return 1.0 if float(np.sqrt(np.mean(frame * frame))) > 0.01 else 0.0

    def speech_fraction(self, audio, threshold=0.5):
        n = len(audio) // self.frame_samples
        frames = [audio[i * self.frame_samples:(i + 1) * self.frame_samples] for i in range(n)]
        return sum(self.speech_probability(f) >= threshold for f in frames) / n if n else 0.0


class ScriptedSTT:
    """Hears the same text in whatever audio it is given."""

    name = "scripted-stt"
    device = "cpu"
    compute_type = "n/a"
    beam_size = 0

    def __init__(self, text="what is the capital of france", language="en"):
        self.text, self.language = text, language
        self.calls = 0

    def load(self, progress=None):
        pass

    def transcribe(self, audio, *, language=None, prompt=""):
        self.calls += 1
        return Transcript(self.text, self.language, (), len(audio) / 16000)


class ScriptedLLM:
    """Yields the given pieces with a delay each; can fail after some pieces."""

    name = "scripted-llm"
    supports_images = False
    device = "cpu"
    runs_locally = False  # as a cloud model: no reply is written ahead of its turn
    quantized = False
    static_cache = False
    parameters = None  # unknown

    def __init__(self, pieces=("The capital", " of France,", " as you know,", " is Paris.", " Bye."), delay=0.01,
                 fail_after=None):
        self.pieces, self.delay, self.fail_after = list(pieces), delay, fail_after
        self.calls = 0
        self.produced = 0
        self.started = threading.Event()

    def load(self, progress=None):
        pass

    @property
    def last_backend(self):
        return self.name

    def count_tokens(self, messages):
        return sum(len(m.content.split()) for m in messages)

    def prefill(self, messages):
        pass

    def stream(self, messages, *, cancel):
        self.calls += 1
        self.started.set()
        for i, piece in enumerate(self.pieces):
            if self.fail_after is not None and i == self.fail_after:
                raise ModelError("llm-failed", "scripted failure")
            if cancel.cancelled:
                return
            time.sleep(self.delay)
            self.produced += 1
            yield piece


class ToneTTS:
    """Speaks one short block of constant level per word, at 16 kHz (a reply with a known length)."""

    sample_rate = 16000
    name = "tone-tts"
    device = "cpu"

    def __init__(self, seconds_per_word=0.05):
        self.seconds_per_word = seconds_per_word
        self.spoken: list[str] = []

    def load(self, progress=None):
        pass

    def synthesize(self, text, *, cancel):
        self.spoken.append(text)
        for _ in text.split():
            if cancel.cancelled:
                return
            yield np.full(int(self.sample_rate * self.seconds_per_word), 0.1, np.float32)


def speech_like(seconds: float, rate: int = 16000) -> np.ndarray:
    return (0.2 * np.sin(2 * np.pi * 220 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


class FakeCapture:
    """A ScreenCapture port whose pictures and active window the test sets: ``shoot(target, **kwargs)`` takes
    each picture (by default it fails, as with no display), ``window`` is the active window."""

    def __init__(self, shoot=None, window=None) -> None:
        self.shoot = shoot or self._no_display
        self.window = window

    @staticmethod
    def _no_display(target, **kwargs):
        raise AssistantError("screen-no-display", "there is no display to capture (a fake capture)")

    def capture(self, target="screen", **kwargs):
        return self.shoot(target, **kwargs)

    def active_window(self):
        return self.window
