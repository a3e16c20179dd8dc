"""The machine's audio for front-ends (the ``AudioIO`` port): the sources and sinks an assistant is built with,
audio files, and the sound devices. Each method builds what it names; nothing is opened before it is asked for."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from assistant.contracts.types import SAMPLE_RATE
from audio import devices
from audio.echo import PlaybackReference
from audio.file_source import FileSource
from audio.files import read_audio, write_wav
from audio.microphone import MicrophoneSource, measure_input_level
from audio.sinks import RecordingSink, TeeSink
from audio.speaker import SpeakerSink


class AudioKit:
    """The AudioIO port on PortAudio (sounddevice), soundfile and soxr."""

    def speaker(self, device: str | int | None = None) -> SpeakerSink:
        """The speaker, open (raises AudioDeviceError now when it is missing), keeping a reference of what it
        played: the echo canceller subtracts it from the microphone."""
        return SpeakerSink(device, reference=PlaybackReference()).open()

    def recorder(self, realtime: bool = False) -> RecordingSink:
        """A sink that keeps what it is given (``realtime``: paced as a speaker would play it)."""
        return RecordingSink(realtime=realtime)

    def tee(self, *sinks) -> TeeSink:
        """One sink that plays into all of ``sinks``."""
        return TeeSink(*sinks)

    def microphone(self, device: str | int | None = "") -> MicrophoneSource:
        """The live microphone ("" or None: the system default; a name or an index), 16 kHz mono; opened by
        ``start()``."""
        return MicrophoneSource(device or None)

    def file_source(self, path: Path | str | np.ndarray, *, max_seconds: float | None = None,
                    realtime: bool = True) -> FileSource:
        """A file (or samples) fed like a microphone; read now, so a bad file raises InputError here."""
        return FileSource(path, realtime=realtime, max_seconds=max_seconds).open()

    def read(self, path: Path | str, *, max_seconds: float | None = None) -> np.ndarray:
        """An audio file as 16 kHz mono float32."""
        return read_audio(path, SAMPLE_RATE, max_seconds=max_seconds)

    def write_wav(self, path: Path | str, samples: np.ndarray, rate: int) -> Path:
        return write_wav(path, samples, rate)

    def devices(self) -> dict:
        """{"inputs": [...], "outputs": [...]}, each {"name", "index", "default"}; empty lists without PortAudio."""
        return devices.list_devices()

    def report(self) -> dict:
        """PortAudio's presence and version, and the devices' names (for ``assistant doctor``)."""
        return devices.audio_report()

    def test_output(self, device: str | int | None = "") -> None:
        """Play a short tone on ``device``; raises AudioDeviceError with the reason when it cannot."""
        devices.play_test_tone(device or None)

    def test_input(self, device: str | int | None = "", seconds: float = 1.0) -> float:
        """Record ``seconds`` from ``device``; returns its peak level in dBFS (raises AudioDeviceError)."""
        return measure_input_level(device or None, seconds)
