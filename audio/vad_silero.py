"""Silero VAD through ONNX Runtime (no torch needed, ~1 ms per 32 ms frame on one core)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from assistant.contracts.errors import ModelError
from assistant.contracts.ports import ProgressCallback

log = logging.getLogger(__name__)

_CONTEXT = 64  # Silero v5+ expects the last 64 samples of the previous frame in front of each frame


class SileroVAD:
    """Speech probability for 512-sample (32 ms) frames of 16 kHz audio. Stateful: one stream at a time."""

    frame_samples = 512
    name = "silero-vad"
    device = "cpu"

    def __init__(self, model_path: Path) -> None:
        self.model_path = Path(model_path)
        self._session = None
        self.reset()

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._session is not None:
            return
        try:
            import onnxruntime as ort

            opts = ort.SessionOptions()
            # One thread: the frames are tiny, and the other cores belong to STT, the LLM and TTS.
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            self._session = ort.InferenceSession(str(self.model_path), sess_options=opts,
                                                 providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise ModelError("model-corrupt", f"cannot load the Silero VAD model {self.model_path}: {exc}. "
                             "Reinstall silero-vad or fix vad.model.") from exc

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros((1, _CONTEXT), dtype=np.float32)

    def speech_probability(self, frame: np.ndarray) -> float:
        if self._session is None:
            self.load()
        if len(frame) != self.frame_samples:
            raise ValueError(f"Silero VAD takes {self.frame_samples} samples per frame, got {len(frame)}")
        x = np.concatenate([self._context, frame.reshape(1, -1).astype(np.float32)], axis=1)
        out, self._state = self._session.run(  # type: ignore[union-attr]
            None, {"input": x, "state": self._state, "sr": np.array(16000, dtype=np.int64)}
        )
        self._context = x[:, -_CONTEXT:]
        return float(out[0, 0])

    def speech_fraction(self, audio: np.ndarray, threshold: float = 0.5) -> float:
        """Share of 32 ms frames in ``audio`` that hold speech (resets the stream state)."""
        self.reset()
        n = len(audio) // self.frame_samples
        if n == 0:
            return 0.0
        hits = sum(
            self.speech_probability(audio[i * self.frame_samples:(i + 1) * self.frame_samples]) >= threshold
            for i in range(n)
        )
        self.reset()
        return hits / n
