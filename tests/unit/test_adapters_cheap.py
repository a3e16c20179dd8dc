"""Adapters are cheap to construct: nothing is opened, read or downloaded until ``open()``/``load()``/first use, so
a missing device, file or model says so there, not when the assistant is put together."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.contracts.errors import InputError
from audio.file_source import FileSource
from audio.kit import AudioKit
from audio.microphone import MicrophoneSource
from audio.speaker import SpeakerSink
from audio.vad_silero import SileroVAD
from audio.wake_openwakeword import OpenWakeWordSpotter
from desktop.capture import DesktopCapture
from models.llm_openai import OpenAICompatibleLLM
from models.llm_transformers import TransformersLLM
from models.ocr_rapidocr import RapidOcrReader
from models.stt_faster_whisper import FasterWhisperSTT
from models.tts_piper import PiperTTS
from models.vision_transformers import TransformersVLM


def test_constructing_adapters_touches_nothing(tmp_path):
    missing = tmp_path / "missing"
    fetched = []
    SpeakerSink("No Such Speaker 4242")
    MicrophoneSource("No Such Microphone 4242")
    SileroVAD(missing)
    OpenWakeWordSpotter(prepare=lambda progress: fetched.append("wake"))
    FasterWhisperSTT(None, prepare=lambda progress: fetched.append("stt"))
    TransformersLLM(prepare=lambda progress: fetched.append("llm"))
    TransformersVLM("owner/repo", prepare=lambda progress: fetched.append("vlm"))
    OpenAICompatibleLLM(base_url="http://127.0.0.1:9", model="m", api_key=None)
    RapidOcrReader()
    DesktopCapture()
    AudioKit()
    assert fetched == []
    assert PiperTTS(missing / "voice.onnx").sample_rate == 22050  # the voice's JSON is read when asked, if there
    source = FileSource(missing / "question.wav")
    with pytest.raises(InputError):
        source.open()  # the file is read here (AudioKit.file_source opens it at once, so bad files fail there)


def test_a_downloaded_model_is_fetched_on_load_not_on_construction(tmp_path):
    fetched = []

    def prepare(progress) -> Path:
        fetched.append(progress)
        raise RuntimeError("stop here: the download is all this test looks at")

    stt = FasterWhisperSTT(None, prepare=prepare, name="base.en")
    assert fetched == [] and stt.name == "base.en"
    with pytest.raises(Exception, match="stop here"):
        stt.load()
    assert len(fetched) == 1
