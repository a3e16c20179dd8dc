"""Smart Turn v3.2 (Pipecat, BSD-2): whether the user has finished their turn, from the sound of the speech itself
(intonation, pace, the grammar heard), in 23 languages. An 8 MB int8 ONNX model over the last 8 s of the turn as
Whisper's 80-band log-mel features; about 50 ms a call on one core.

The features come from faster-whisper's own numpy extractor (already loaded for speech to text), which matches
the ``transformers.WhisperFeatureExtractor`` the model was trained with to 1e-5, without importing torch.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from assistant.contracts.errors import ModelError
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.types import SAMPLE_RATE

log = logging.getLogger(__name__)

WINDOW_S = 8  # the model reads the last 8 s of the turn, zero-padded in front when shorter


class SmartTurn:
    """The probability that a turn is finished, from its audio (16 kHz float32)."""

    device = "cpu"

    def __init__(self, model_path: Path | None = None, *, prepare=None) -> None:
        """``model_path`` is the .onnx; or ``prepare(progress) -> Path`` finds (downloads) it on load."""
        self.model_path = Path(model_path) if model_path else None
        self._prepare = prepare
        self._session = None
        self._features = None
        self.name = "smart-turn-v3.2"

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._session is not None:
            return
        if self._prepare is not None:
            self.model_path = self._prepare(progress)
        assert self.model_path is not None
        try:
            import onnxruntime as ort
            from faster_whisper.feature_extractor import FeatureExtractor

            opts = ort.SessionOptions()
            # One thread: it runs on the listener's thread at a pause, while speech to text starts on the others
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            session = ort.InferenceSession(str(self.model_path), sess_options=opts,
                                           providers=["CPUExecutionProvider"])
            shape = session.get_inputs()[0].shape
            if session.get_inputs()[0].name != "input_features" or shape[1:] != [80, WINDOW_S * 100]:
                raise ValueError(f"it takes {session.get_inputs()[0].name} {shape}, not Smart Turn v3's "
                                 f"input_features [batch, 80, {WINDOW_S * 100}]")
        except Exception as exc:
            raise ModelError("model-corrupt", f"cannot load the end-of-turn model {self.model_path}: {exc}. "
                             "Reinstall the app (make install fetches it), point vad.turn_model at "
                             "smart-turn-v3.2-cpu.onnx, or clear vad.turn_model to end turns on silence alone.") \
                from exc
        self._features = FeatureExtractor(feature_size=80, sampling_rate=SAMPLE_RATE, chunk_length=WINDOW_S)
        self._session = session
        self.probability(np.zeros(SAMPLE_RATE, np.float32))  # warm: the first run allocates its buffers
        log.info("end-of-turn model %s loaded", self.model_path)

    def probability(self, samples: np.ndarray) -> float:
        if self._session is None:
            self.load()
        n = WINDOW_S * SAMPLE_RATE
        audio = np.asarray(samples, np.float32)[-n:]
        audio = np.pad(audio, (n - len(audio), 0))
        # The model was trained on Whisper's features of zero-mean, unit-variance audio
        audio = (audio - audio.mean()) / np.sqrt(audio.var() + 1e-7)
        features = self._features(audio, padding=0)[:, : WINDOW_S * 100]  # type: ignore[misc]
        out = self._session.run(None, {"input_features": features[None].astype(np.float32)})  # type: ignore[union-attr]
        return float(np.asarray(out[0]).reshape(-1)[0])
