"""The composition root: the only core module that reaches into ``audio/`` and ``models/``."""

from __future__ import annotations

from assistant.bus import EventBus
from assistant.config import Config
from assistant.facade import Assistant
from assistant.ports import AudioSink
from models import registry


def build_assistant(config: Config, *, listen: bool = True, speak: bool = True, sink: AudioSink | None = None,
                    bus: EventBus | None = None) -> Assistant:
    """An Assistant wired to the configured backends. Nothing heavy happens here: models load when
    ``start()`` runs the stages. Missing models or packages raise ``ConfigError`` now, with the fix."""
    stt = registry.create_stt(config) if listen else None
    vad = registry.create_vad(config) if listen else None
    llm = registry.create_llm(config)
    tts = registry.create_tts(config) if speak and sink is not None else None
    return Assistant(config, bus=bus, stt=stt, llm=llm, tts=tts, vad=vad, sink=sink)


def create_stt(config: Config):
    return registry.create_stt(config)


def create_vad(config: Config):
    return registry.create_vad(config)


def create_tts(config: Config):
    return registry.create_tts(config)


def recording_sink(realtime: bool = False):
    from audio.sinks import RecordingSink

    return RecordingSink(realtime=realtime)


def speaker_sink(device=None):
    from audio.speaker import SpeakerSink

    return SpeakerSink(device)


def tee_sink(*sinks):
    from audio.sinks import TeeSink

    return TeeSink(*sinks)


def file_source(path, *, max_seconds: float | None = None, realtime: bool = True):
    from audio.file_source import FileSource

    return FileSource(path, realtime=realtime, max_seconds=max_seconds)


def read_audio(path, *, max_seconds: float | None = None):
    from audio.files import read_audio as _read

    return _read(path, 16000, max_seconds=max_seconds)


def write_wav(path, samples, rate: int):
    from audio.files import write_wav as _write

    return _write(path, samples, rate)


def model_inventory(config: Config, prepare: bool = False, progress=None) -> list[dict]:
    from models.inventory import describe_all

    return describe_all(config, prepare, progress)


def audio_report() -> dict:
    from audio.devices import audio_report as _report

    return _report()
