"""The end-of-turn model (Smart Turn v3.2) as installed by `make install`: found, the file it should be, reading
real speech, and what happens when it is missing or broken."""

import hashlib
import time

import numpy as np
import pytest

from assistant import bootstrap
from assistant.config import Config
from assistant.contracts.errors import ConfigError, ModelError
from assistant.contracts.events import ErrorOccurred, TranscriptFinal, TurnEnded
from assistant.facade import Assistant
from audio.files import read_audio
from audio.turn_smart_turn import SmartTurn
from models import resolver
from testkit.fakes import EnergyVAD, ScriptedLLM, speech_like
from testkit.helpers import EVAL_DIR, EventLog
from tests.unit.test_listener import LiveSource
from tests.unit.test_wake import SequenceSTT

TAIL = np.zeros(2400, np.float32)  # the 150 ms of quiet the segmenter asks the model after


@pytest.fixture(scope="module")
def smart_turn():
    model = SmartTurn(resolver.resolve_turn("bundled").path)
    model.load()
    return model


def test_the_bundled_model_is_the_published_file():
    model = resolver.resolve_turn("bundled")
    assert model.source == "offline-pack" and model.path == resolver.turn_model_dir() / resolver.TURN_MODEL_FILE
    assert hashlib.sha256(model.path.read_bytes()).hexdigest() == resolver.TURN_MODEL_SHA256
    assert "BSD 2-Clause" in (model.path.parent / "LICENSE").read_text()


def test_its_features_are_the_ones_it_was_trained_on(smart_turn):
    """faster-whisper's extractor stands in for transformers' WhisperFeatureExtractor (what Smart Turn's own
    inference uses): the model must give the same answer through either."""
    from transformers import WhisperFeatureExtractor

    extractor = WhisperFeatureExtractor(chunk_length=8)
    for name in ("ljspeech_LJ001-0008.wav", "pocketsphinx_goforward.wav"):
        audio = np.concatenate([read_audio(EVAL_DIR / name), TAIL])[-128000:]
        audio = np.pad(audio, (128000 - len(audio), 0))
        features = extractor(audio, sampling_rate=16000, return_tensors="np", do_normalize=True).input_features
        reference = smart_turn._session.run(None, {"input_features": features.astype(np.float32)})[0].item()
        assert abs(smart_turn.probability(audio) - reference) < 1e-3


def test_a_finished_sentence_ends_the_turn_and_one_stopped_at_a_comma_does_not(smart_turn):
    # LJ Speech, read by a person: "...has never been surpassed." and "...as an example of fine typography,"
    finished = smart_turn.probability(np.concatenate([read_audio(EVAL_DIR / "ljspeech_LJ001-0008.wav"), TAIL]))
    at_comma = smart_turn.probability(np.concatenate([read_audio(EVAL_DIR / "ljspeech_LJ001-0006.wav"), TAIL]))
    threshold = Config().vad.turn_threshold
    assert finished > threshold > at_comma


def test_only_the_last_eight_seconds_count_and_any_length_is_taken(smart_turn):
    clip = np.concatenate([read_audio(EVAL_DIR / "ljspeech_LJ001-0008.wav"), TAIL])
    longer = np.concatenate([np.random.default_rng(1).normal(0, 0.05, 16000 * 10).astype(np.float32), clip])
    assert smart_turn.probability(longer[-128000:]) == smart_turn.probability(longer)
    assert 0.0 <= smart_turn.probability(np.zeros(800, np.float32)) <= 1.0


def test_a_broken_model_file_is_named_with_the_fix(tmp_path):
    broken = tmp_path / "smart-turn-v3.2-cpu.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(ModelError) as err:
        SmartTurn(broken).load()
    assert err.value.code == "model-corrupt" and str(broken) in err.value.message
    assert "vad.turn_model" in err.value.message


def test_a_missing_model_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setattr(resolver, "turn_model_dir", lambda: tmp_path / "nothing")
    monkeypatch.setattr(resolver, "_pipecat_turn_model", lambda: None)
    monkeypatch.setattr(resolver, "_hub_cached", lambda repo, filename="": None)
    with pytest.raises(ConfigError) as err:
        resolver.resolve_turn("bundled")
    assert err.value.code == "model-missing" and "make install" in err.value.message
    assert "models.allow_downloads" in err.value.message
    planned = resolver.resolve_turn("bundled", allow_downloads=True)
    assert (planned.source, planned.repo_id, planned.filename) == ("download", resolver.TURN_MODEL_REPO,
                                                                    resolver.TURN_MODEL_FILE)
    with pytest.raises(ConfigError) as err:
        resolver.resolve_turn(str(tmp_path / "none.onnx"))
    assert err.value.code == "model-missing"
    with pytest.raises(ConfigError) as err:
        resolver.resolve_turn("not a model")
    assert err.value.code == "config-invalid"


def test_listening_goes_on_by_silence_when_the_model_cannot_load(tmp_path):
    """The real model class on a broken file: said once, with the rule that takes over, and turns still end."""
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"\0" * 64)
    config = Config().replace("vad", turn_model=str(broken), speculative_stt_ms=0).replace("listen", follow_up_s=0.0)
    turn = bootstrap.turn_model(config)
    stt = SequenceSTT("What time is it?", "And in Tokyo?")
    assistant = Assistant(config, stt=stt, llm=ScriptedLLM(pieces=["Noon."]), vad=EnergyVAD(), turn=turn)
    log = EventLog()
    assistant.bus.subscribe(log)
    source = LiveSource()
    source.hears_speaker = False
    source.t = time.monotonic()
    assistant.listen(source, wake=False)
    try:
        error = log.wait_for(ErrorOccurred, 10)
        assert error.code == "model-corrupt" and "Meanwhile a turn ends after 400 ms of silence" in error.message
        source.feed(speech_like(0.8))
        source.feed(np.zeros(16000, np.float32))
        assert log.wait_for(TranscriptFinal, 10).text == "What time is it?"
        assert log.wait_for(TurnEnded, 10).outcome == "completed"
        # listening again (push to talk, always listening resumed) goes on without it, and says nothing more
        assert assistant.turn is None
        again = LiveSource()
        again.hears_speaker = False
        again.t = time.monotonic()
        assistant.listen(again, wake=False)
        again.feed(speech_like(0.8))
        again.feed(np.zeros(16000, np.float32))
        assert log.until(lambda items: sum(isinstance(e, TurnEnded) for e in items) == 2, 10)
        assert len(log.of(ErrorOccurred)) == 1
    finally:
        assistant.shutdown()
