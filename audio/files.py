"""Reading and writing audio files, with a clear error for every way a file can be unusable."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import soundfile as sf

from assistant.contracts.errors import InputError
from audio.resample import resample, to_mono

log = logging.getLogger(__name__)


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise InputError("audio-file-missing", f"{path} does not exist.")
    if path.is_dir():
        raise InputError("audio-file-missing", f"{path} is a folder, not an audio file.")
    if path.stat().st_size == 0:
        raise InputError("audio-file-empty", f"{path} is empty (0 bytes).")


def audio_duration(path: Path) -> float:
    """Duration in seconds, read from the header where possible (no full decode)."""
    path = Path(path)
    _check_exists(path)
    try:
        info = sf.info(str(path))
        return float(info.frames) / float(info.samplerate)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        samples, rate = _decode_with_av(path)
        return len(samples) / rate


def _decode_with_av(path: Path) -> tuple[np.ndarray, int]:
    """Formats libsndfile cannot read (m4a, webm, ...) through FFmpeg (PyAV, a faster-whisper dependency)."""
    try:
        import av
    except ImportError:
        raise InputError("audio-file-invalid", f"{path} is not an audio format this build can read "
                         "(WAV, FLAC, OGG and MP3 are supported).") from None
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError("audio-file-invalid", f"{path} has no audio stream.")
            stream = container.streams.audio[0]
            rate = stream.rate or 16000
            resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
            blocks = []
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    blocks.append(out.to_ndarray().reshape(-1))
            return (np.concatenate(blocks) if blocks else np.zeros(0, np.float32)), rate
    except InputError:
        raise
    except Exception as exc:
        raise InputError("audio-file-invalid", f"{path} is not a readable audio file ({type(exc).__name__}: "
                         f"{exc}).") from None


def read_audio(path: Path | str, rate: int = 16000, max_seconds: float | None = None) -> np.ndarray:
    """Decode any common audio file to float32 mono at ``rate``; stereo is mixed down, rates converted."""
    path = Path(path)
    _check_exists(path)
    if max_seconds is not None:
        duration = audio_duration(path)
        if duration > max_seconds:
            raise InputError("audio-too-long", f"{path} is {duration:.0f} s long; the limit here is "
                             f"{max_seconds:.0f} s. Cut it shorter, or raise the limit in the settings "
                             "(audio.max_voice_input_s / audio.max_transcribe_s).")
    try:
        data, file_rate = sf.read(str(path), dtype="float32", always_2d=False)
    except (sf.LibsndfileError, RuntimeError, TypeError):
        data, file_rate = _decode_with_av(path)
    samples = to_mono(np.asarray(data, dtype=np.float32))
    if len(samples) == 0:
        raise InputError("audio-empty", f"{path} holds no audio samples.")
    if not np.all(np.isfinite(samples)):
        raise InputError("audio-file-invalid", f"{path} holds invalid samples (NaN or infinity).")
    return resample(samples, int(file_rate), rate)


def write_wav(path: Path | str, samples: np.ndarray, rate: int) -> Path:
    """Write 16-bit PCM WAV (mono for 1-D input, one channel per column for 2-D)."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise InputError("output-folder-missing", f"cannot write {path}: the folder {path.parent} does not exist.")
    data = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    try:
        sf.write(str(path), data, rate, subtype="PCM_16")
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise InputError("output-unwritable", f"cannot write {path}: {exc}") from None
    return path
