"""Text to speech with the espeak-ng program: robotic but instant, a fallback when Piper is missing."""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
from collections.abc import Iterator

import numpy as np
import soundfile as sf

from assistant.contracts.errors import ModelError
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from models.tts_piper import trim_silence


def espeak_binary() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


# Whisper's language codes that espeak-ng names otherwise; the rest (de, es, it, ja, ko, ru...) are the same.
# Mandarin: "cmn" reads the pinyin it makes of Chinese characters as English ("fa3" read "fa three"), the pinyin
# voice reads it as Mandarin (espeak-ng 1.51).
_ESPEAK_NAMES = {"zh": "cmn-latn-pinyin", "fr": "fr-fr", "en": "en-us", "pt": "pt-br", "jw": "jv"}


@functools.cache
def espeak_voices() -> frozenset[str]:
    """The voice names of the installed espeak-ng (empty when it is not installed)."""
    binary = espeak_binary()
    if binary is None:
        return frozenset()
    try:
        listing = subprocess.run([binary, "--voices"], capture_output=True, text=True, timeout=10, check=True).stdout
    except (subprocess.SubprocessError, OSError):
        return frozenset()
    return frozenset(line.split()[1] for line in listing.splitlines()[1:] if len(line.split()) > 1)


def espeak_voice_for(language: str) -> str | None:
    """espeak-ng's voice for a Whisper language code ("zh" -> "cmn"), or None when it has none."""
    name = _ESPEAK_NAMES.get(language, language)
    return name if name in espeak_voices() else None


class EspeakTTS:
    """Speech output with espeak-ng: the fallback voice when Piper is not installed."""

    sample_rate = 22050
    device = "cpu"

    def __init__(self, *, voice: str = "en-us", speaking_rate: float = 1.0) -> None:
        self.voice = voice
        self.words_per_minute = int(175 * speaking_rate)
        self.name = f"espeak-ng ({voice})"
        self._binary: str | None = None

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._binary is None:
            self._binary = espeak_binary()
            if self._binary is None:
                raise ModelError("tts-missing-dependency", "espeak-ng is not installed (Debian/Ubuntu: "
                                 "sudo apt-get install espeak-ng; macOS: brew install espeak-ng).")

    def synthesize(self, text: str, *, cancel: CancelToken) -> Iterator[np.ndarray]:
        self.load()
        if not text.strip() or cancel.cancelled:
            return
        try:
            proc = subprocess.run(
                [self._binary, "-v", self.voice, "-s", str(self.words_per_minute), "--stdout", text],  # type: ignore[list-item]
                capture_output=True, timeout=30, check=True,
            )
            audio, rate = sf.read(io.BytesIO(proc.stdout), dtype="float32")
        except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
            raise ModelError("tts-failed", f"espeak-ng failed: {exc}") from exc
        self.sample_rate = int(rate)
        audio = trim_silence(np.asarray(audio, dtype=np.float32).reshape(-1), self.sample_rate)
        if len(audio) and not cancel.cancelled:
            yield audio
