"""The openWakeWord path (listen.wake_model) through the real openwakeword package, on a tiny model set built in
the test with openWakeWord's inputs and outputs (testkit/tiny_wakeword.py: its "phrase" is any loud sound); and the
failures a user can meet: missing feature models, a file that is no model, settings that name nothing."""

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant import bootstrap
from assistant.config import Config
from assistant.contracts.errors import ConfigError, ModelError
from audio.files import read_audio
from audio.wake_openwakeword import OpenWakeWordSpotter
from models import resolver
from testkit import tiny_wakeword
from testkit.helpers import EVAL_DIR


@pytest.fixture(scope="module")
def wake_model(tmp_path_factory) -> Path:
    return tiny_wakeword.build(tmp_path_factory.mktemp("wakeword"))


def _scores(spotter, audio: np.ndarray, block: int = 512) -> np.ndarray:
    return np.array([spotter.score(audio[i:i + block]) for i in range(0, len(audio) - block + 1, block)])


def test_the_spotter_scores_speech_high_and_silence_low_block_by_block(wake_model):
    spotter = OpenWakeWordSpotter(wake_model)
    spotter.load()
    assert spotter.name == "openwakeword:loud"
    speech = read_audio(EVAL_DIR / "ljspeech_LJ001-0001.wav", 16000)[:3 * 16000]
    silence = np.zeros(2 * 16000, np.float32)
    scores = _scores(spotter, np.concatenate([silence, speech, silence]))
    blocks_per_s = 16000 / 512
    assert scores[: int(1.5 * blocks_per_s)].max() < 0.1  # silence
    assert scores[int(2.5 * blocks_per_s): int(4.5 * blocks_per_s)].max() > 0.9  # speech
    assert scores[-int(0.5 * blocks_per_s):].max() < 0.1  # silence again
    spotter.reset()
    assert _scores(spotter, silence).max() < 0.1


def test_a_model_without_its_feature_models_says_what_is_missing(wake_model, tmp_path):
    alone = tmp_path / "alone.onnx"
    shutil.copy(wake_model, alone)
    with pytest.raises(ModelError) as err:
        OpenWakeWordSpotter(alone).load()
    assert err.value.code == "wake-model-incomplete"
    assert "melspectrogram.onnx and embedding_model.onnx" in err.value.message
    assert "listen.wake_model" in err.value.message


def test_a_file_that_is_no_model_is_reported(wake_model, tmp_path):
    for name in ("melspectrogram.onnx", "embedding_model.onnx"):
        shutil.copy(wake_model.parent / name, tmp_path / name)
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError) as err:
        OpenWakeWordSpotter(broken).load()
    assert err.value.code == "model-corrupt" and str(broken) in err.value.message


def test_the_setting_resolves_a_local_model_and_refuses_what_is_not_one(wake_model, tmp_path, monkeypatch):
    assert bootstrap.wake_spotter(Config()) is None  # off by default: the built-in detector
    spotter = bootstrap.wake_spotter(Config().replace("listen", wake_model=str(wake_model)))
    spotter.load()
    assert spotter.model_path == wake_model
    with pytest.raises(ConfigError, match=r"not an openWakeWord \.onnx model file"):
        resolver.resolve_wake(str(tmp_path / "missing.onnx"))
    with pytest.raises(ConfigError, match=r"owner/repo:hey_jarvis\.onnx"):
        resolver.resolve_wake("hey jarvis")
    monkeypatch.setattr(resolver, "_hub_cached", lambda repo, filename="": None)
    with pytest.raises(ConfigError) as err:
        resolver.resolve_wake("someone/wake-models:hey_jarvis.onnx")
    assert err.value.code == "model-missing" and "listen.wake_model" in err.value.message
    assert "models.allow_downloads" in err.value.message
    assert resolver.resolve_wake("someone/wake-models:hey_jarvis.onnx", allow_downloads=True).source == "download"
