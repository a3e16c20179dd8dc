"""Speech to text and text to speech through an OpenAI-compatible endpoint's audio API
(``/audio/transcriptions`` and ``/audio/speech``). Used only when cloud.speech is on and the routing
policy allows the cloud."""

from __future__ import annotations

import io
from collections.abc import Iterator

import numpy as np
import soundfile as sf

from assistant.contracts.errors import CloudError
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import Transcript
from models.llm_openai import make_client, map_cloud_error


class _CloudAudio:
    device = "cloud"
    compute_type = "n/a"  # decoded by the server
    beam_size = 0

    def __init__(self, *, base_url: str, model: str, api_key: str | None, timeout_s: float = 30.0,
                 max_retries: int = 2) -> None:
        self.base_url, self.model = base_url.rstrip("/"), model
        self._api_key, self.timeout_s, self.max_retries = api_key, timeout_s, max_retries
        self._client = None

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._client is None:
            self._client = make_client(self.base_url, self._api_key, self.timeout_s, self.timeout_s,
                                       self.max_retries)

    def _call(self, fn, *args, **kwargs):
        import openai

        self.load()
        try:
            return fn(*args, **kwargs)
        except openai.OpenAIError as exc:
            raise map_cloud_error(exc, self.base_url, self.model) from exc


class OpenAICompatibleSTT(_CloudAudio):
    """Speech to text on an OpenAI-compatible endpoint (/audio/transcriptions)."""

    @property
    def name(self) -> str:
        return f"cloud:{self.model}"

    def transcribe(self, audio: np.ndarray, *, language: str | None = None, prompt: str = "") -> Transcript:
        buf = io.BytesIO()
        sf.write(buf, np.asarray(audio, dtype=np.float32), 16000, format="WAV", subtype="PCM_16")
        kwargs = {"language": language} if language else {}
        if prompt:
            kwargs["prompt"] = prompt
        result = self._call(lambda: self._client.audio.transcriptions.create(  # type: ignore[union-attr]
            model=self.model, file=("speech.wav", buf.getvalue(), "audio/wav"), **kwargs))
        # The plain response does not say the language: "" when none was asked (the STT stage reads it off the script)
        return Transcript(str(getattr(result, "text", "")).strip(), language or "", (), len(audio) / 16000)


class OpenAICompatibleTTS(_CloudAudio):
    """Speech output from an OpenAI-compatible endpoint (/audio/speech)."""

    def __init__(self, *, voice: str = "alloy", speaking_rate: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.voice, self.speaking_rate = voice, speaking_rate
        self.sample_rate = 24000

    @property
    def name(self) -> str:
        return f"cloud:{self.model}"

    def synthesize(self, text: str, *, cancel: CancelToken) -> Iterator[np.ndarray]:
        if not text.strip() or cancel.cancelled:
            return
        response = self._call(lambda: self._client.audio.speech.create(  # type: ignore[union-attr]
            model=self.model, voice=self.voice, input=text, response_format="wav", speed=self.speaking_rate))
        try:
            audio, rate = sf.read(io.BytesIO(response.read()), dtype="float32")
        except Exception as exc:
            raise CloudError("cloud-bad-audio", f"{self.base_url} sent speech that is not a WAV file: {exc}") from exc
        self.sample_rate = int(rate)
        if not cancel.cancelled:
            yield np.asarray(audio, dtype=np.float32).reshape(-1)
