"""openWakeWord: a small ONNX model spots one wake phrase in the raw audio, in about a millisecond per 80 ms block,
so always-listening mode transcribes nothing but what follows the phrase.

A model is three files: the phrase's classifier (``hey_jarvis.onnx``) and openWakeWord's shared feature models,
``melspectrogram.onnx`` and ``embedding_model.onnx``, found beside the classifier or in openWakeWord's own
resources folder.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from assistant.contracts.errors import ModelError
from assistant.contracts.ports import ProgressCallback

log = logging.getLogger(__name__)

FEATURE_MODELS = ("melspectrogram.onnx", "embedding_model.onnx")


def _package_models_dir() -> Path | None:
    try:
        import openwakeword
    except ImportError:
        return None
    return Path(openwakeword.__file__).parent / "resources" / "models"


def feature_models_for(model: Path) -> tuple[Path, Path] | None:
    """The shared feature models for the classifier ``model``: beside it, else in openWakeWord's resources."""
    for folder in (model.parent, _package_models_dir()):
        if folder is not None and all((folder / name).is_file() for name in FEATURE_MODELS):
            melspec, embedding = (folder / name for name in FEATURE_MODELS)
            return melspec, embedding
    return None


class OpenWakeWordSpotter:
    """Scores 16 kHz blocks for one wake phrase (0..1). Stateful: one stream at a time (``reset`` between)."""

    device = "cpu"

    def __init__(self, model_path: Path | None = None, *, prepare=None) -> None:
        """``model_path`` is the classifier's .onnx; or ``prepare(progress) -> Path`` finds (downloads) it on load."""
        self.model_path = Path(model_path) if model_path else None
        self._prepare = prepare
        self._model = None
        self.name = f"openwakeword:{self.model_path.stem}" if self.model_path else "openwakeword"

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._model is not None:
            return
        try:
            import openwakeword
        except ImportError as exc:
            raise ModelError("wake-missing-dependency", f"the openWakeWord model in listen.wake_model needs the "
                             f"openwakeword package, which did not import ({exc}): pip install openwakeword; or "
                             "clear listen.wake_model to use the built-in wake-phrase detector.") from exc
        if self._prepare is not None:
            self.model_path = self._prepare(progress)
        assert self.model_path is not None
        path = self.model_path
        features = feature_models_for(path)
        if features is None:
            raise ModelError("wake-model-incomplete", f"the openWakeWord model {path} needs "
                             f"{' and '.join(FEATURE_MODELS)} beside it (they come with every openWakeWord release "
                             "and model pack); put them in its folder, or clear listen.wake_model to use the "
                             "built-in wake-phrase detector.")
        try:
            self._model = openwakeword.Model(wakeword_models=[str(path)], inference_framework="onnx",
                                             melspec_model_path=str(features[0]),
                                             embedding_model_path=str(features[1]))
        except Exception as exc:
            raise ModelError("model-corrupt", f"cannot load the openWakeWord model {path}: {exc}. Point "
                             "listen.wake_model at an openWakeWord .onnx model, or clear it to use the built-in "
                             "wake-phrase detector.") from exc
        self.name = f"openwakeword:{path.stem}"
        log.info("openWakeWord model %s loaded (features from %s)", path, features[0].parent)

    def score(self, samples: np.ndarray) -> float:
        """The phrase's score for the latest 80 ms of audio, after ``samples`` (float32, 16 kHz)."""
        if self._model is None:
            self.load()
        pcm = np.clip(np.asarray(samples, np.float32) * 32768.0, -32768, 32767).astype(np.int16)
        scores = self._model.predict(pcm)  # type: ignore[union-attr]
        return float(max(scores.values(), default=0.0))

    def reset(self) -> None:
        if self._model is not None:
            self._model.reset()
