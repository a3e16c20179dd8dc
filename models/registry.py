"""Builds each backend from the settings: resolves its model, imports its library lazily, and turns
anything missing into an error that says what to install or change."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from assistant.config import Config
from assistant.contracts.errors import ConfigError
from models import resolver

log = logging.getLogger(__name__)


def _need(module: str, role: str, package: str) -> None:
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{role}-missing-dependency", f"the {role} backend needs the '{package}' package "
                          f"(pip install {package}).")


def create_stt(config: Config):
    _need("faster_whisper", "stt", "faster-whisper")
    from models.stt_faster_whisper import FasterWhisperSTT

    model = resolver.resolve_stt(config.stt.model, config.models.allow_downloads)
    path = model.path or resolver.download(model)
    return FasterWhisperSTT(path, device=config.stt.device, compute_type=config.stt.compute_type,
                            language=config.stt.language, beam_size=config.stt.beam_size,
                            threads=config.stt.threads, name=config.stt.model)


def create_vad(config: Config):
    _need("onnxruntime", "vad", "onnxruntime")
    from audio.vad_silero import SileroVAD

    model = resolver.resolve_vad(config.vad.model)
    return SileroVAD(model.path)  # type: ignore[arg-type]


def create_wake_spotter(config: Config):
    """The openWakeWord model of ``listen.wake_model``, or None when it is empty (the built-in detector listens for
    the phrase in what speech to text hears). Resolved, and downloaded when allowed, on load."""
    setting = config.listen.wake_model.strip()
    if not setting:
        return None
    from audio.wake_openwakeword import OpenWakeWordSpotter

    def prepare(progress) -> Path:
        model = resolver.resolve_wake(setting, config.models.allow_downloads)
        return model.path or resolver.download(model, progress)

    return OpenWakeWordSpotter(prepare=prepare)


def create_cloud_llm(config: Config, api_key: str | None):
    """The OpenAI-compatible model. Called only when cloud.policy is not "local"."""
    _need("openai", "cloud", "openai")
    from models.llm_openai import OpenAICompatibleLLM

    cloud = config.cloud
    return OpenAICompatibleLLM(base_url=cloud.base_url, model=cloud.model, api_key=api_key,
                               timeout_s=cloud.timeout_s, first_token_timeout_s=cloud.first_token_timeout_s,
                               max_retries=cloud.max_retries, max_tokens=max(config.llm.max_new_tokens, 400))


def create_llm(config: Config):
    _need("torch", "llm", "torch")
    _need("transformers", "llm", "transformers")
    from models.llm_transformers import TransformersLLM, convert_gguf

    model = resolver.resolve_llm(config.llm.model, config.models.allow_downloads)
    cache_dir = config.cache_dir

    def prepare(progress) -> Path:
        if model.source == "offline-pack":
            return convert_gguf(resolver.join_bundled_gguf(cache_dir, progress), cache_dir, progress)
        path = model.path or resolver.download(model, progress)
        return convert_gguf(path, cache_dir, progress) if path.suffix == ".gguf" else path

    llm = config.llm
    return TransformersLLM(name="local:" + (config.llm.model if model.source != "offline-pack" else
                                            "qwen2.5-coder-0.5b-instruct"),
                           device=llm.device, dtype=llm.dtype, quantize=llm.quantize,
                           max_new_tokens=llm.max_new_tokens, temperature=llm.temperature,
                           repetition_penalty=llm.repetition_penalty, threads=llm.threads,
                           first_token_timeout_s=llm.first_token_timeout_s, prepare=prepare,
                           context_tokens=llm.context_tokens)


def create_tts(config: Config):
    """Piper with the configured voice; espeak-ng when Piper or its voice is missing and espeak-ng is there."""
    from models.tts_espeak import EspeakTTS, espeak_binary

    tts = config.tts
    if tts.backend == "espeak":
        return EspeakTTS(voice=tts.espeak_voice, speaking_rate=tts.speaking_rate)
    try:
        _need("piper", "tts", "piper-tts")
        model = resolver.resolve_tts(tts.voice, config.models.allow_downloads)
        path = model.path or resolver.download(model)
    except ConfigError as exc:
        # Only the bundled voice falls back: a voice the user chose that is missing is their error to fix.
        if tts.voice != "bundled" or espeak_binary() is None:
            raise
        log.warning("Piper is unavailable (%s); speaking with espeak-ng instead", exc.message)
        return EspeakTTS(voice=tts.espeak_voice, speaking_rate=tts.speaking_rate)
    from models.tts_piper import PiperTTS

    return PiperTTS(path, speaking_rate=tts.speaking_rate, name=tts.voice)


def create_cloud_speech(config: Config, api_key: str | None):
    """(stt, tts) through the endpoint's audio API. Called only when the policy allows the cloud."""
    _need("openai", "cloud", "openai")
    from models.speech_openai import OpenAICompatibleSTT, OpenAICompatibleTTS

    cloud = config.cloud
    common = {"base_url": cloud.base_url, "api_key": api_key, "timeout_s": cloud.timeout_s,
              "max_retries": cloud.max_retries}
    return (OpenAICompatibleSTT(model=cloud.stt_model, **common),
            OpenAICompatibleTTS(model=cloud.tts_model, voice=cloud.tts_voice, speaking_rate=config.tts.speaking_rate,
                                **common))


def create_vision(config: Config):
    """The local vision-language model of ``screen.vision_model`` (resolved, and downloaded when allowed, on
    load: a missing one then says so and screen questions fall back to OCR)."""
    _need("torch", "vision", "torch")
    _need("transformers", "vision", "transformers")
    from models.vision_transformers import TransformersVLM

    setting = config.screen.vision_model

    def prepare(progress) -> Path:
        model = resolver.resolve_vision(setting, config.models.allow_downloads)
        return model.path or resolver.download(model, progress)

    llm = config.llm
    return TransformersVLM(setting, name=f"vision:{setting}", device=llm.device, dtype=llm.dtype,
                           max_new_tokens=llm.max_new_tokens, temperature=llm.temperature,
                           repetition_penalty=llm.repetition_penalty, threads=llm.threads,
                           first_token_timeout_s=max(llm.first_token_timeout_s, 120.0),
                           max_image_side=config.screen.max_image_side, prepare=prepare)


def create_ocr(config: Config):
    """RapidOCR with the PP-OCR models its wheel ships (nothing to download)."""
    _need("rapidocr", "ocr", "rapidocr")
    from models.ocr_rapidocr import RapidOcrReader

    return RapidOcrReader()
