"""Builds each backend from plain settings (the composition root, assistant.bootstrap, reads them from the
config): resolves its model, imports its library lazily, and turns anything missing into an error that says what
to install or change."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path

from assistant.contracts.errors import ConfigError
from models import resolver

log = logging.getLogger(__name__)


def need(module: str, role: str, package: str) -> None:
    """Raise ConfigError "<role>-missing-dependency" when ``module`` cannot be imported."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError(f"{role}-missing-dependency", f"the {role} backend needs the '{package}' package "
                          f"(pip install {package}).")


def create_stt(model: str, *, allow_downloads: bool, device: str, compute_type: str, language: str,
               beam_size: int, threads: int, cache_dir: Path):
    need("faster_whisper", "stt", "faster-whisper")
    from models.stt_faster_whisper import FasterWhisperSTT

    found = resolver.resolve_stt(model, allow_downloads, language)
    pack = resolver.stt_pack(model, language) if found.source == "offline-pack" else None
    if pack is not None:  # joined from its parts into the cache by load(), on the STT thread, with progress
        return FasterWhisperSTT(prepare=lambda progress: resolver.join_stt_pack(cache_dir, model, language, progress),
                                device=device, compute_type=compute_type, language=language, beam_size=beam_size,
                                threads=threads, name=pack.folder)
    # A model to download is fetched by load(), on the STT thread, with progress events.
    return FasterWhisperSTT(found.path, prepare=lambda progress: resolver.download(found, progress), device=device,
                            compute_type=compute_type, language=language, beam_size=beam_size, threads=threads,
                            name=model)


def create_cloud_llm(*, base_url: str, model: str, api_key: str | None, timeout_s: float,
                     first_token_timeout_s: float, max_retries: int, max_tokens: int):
    """The OpenAI-compatible model. Called only when cloud.policy is not "local"."""
    need("openai", "cloud", "openai")
    from models.llm_openai import OpenAICompatibleLLM

    return OpenAICompatibleLLM(base_url=base_url, model=model, api_key=api_key, timeout_s=timeout_s,
                               first_token_timeout_s=first_token_timeout_s, max_retries=max_retries,
                               max_tokens=max_tokens)


def create_llm(model: str, *, allow_downloads: bool, cache_dir: Path, device: str, dtype: str, quantize: str,
               max_new_tokens: int, temperature: float, repetition_penalty: float, threads: int,
               first_token_timeout_s: float, context_tokens: int, runtime: str = "auto"):
    """The local chat model on its runtime: CTranslate2 for a GGUF on the CPU (``runtime`` auto; the small
    bundled model excepted), transformers for it, a GPU, a Hugging Face model id, unquantized weights, or when
    asked for."""
    from models import llm_server

    if llm_server.is_server_setting(model):  # a server on this machine: Ollama, LM Studio, llama.cpp, vLLM
        return llm_server.create(model, max_new_tokens=max_new_tokens, temperature=temperature,
                                 context_tokens=context_tokens, first_token_timeout_s=first_token_timeout_s)
    need("transformers", "llm", "transformers")
    found = resolver.resolve_llm(model, allow_downloads)
    pack = resolver.llm_pack(model) if found.source == "offline-pack" else None
    name = "local:" + (pack.model if pack else model)
    if choose_llm_runtime(runtime, model, device, quantize) == "ctranslate2":
        need("ctranslate2", "llm", "ctranslate2")
        from models import llm_ctranslate2

        def prepare_ct2(progress) -> Path:
            return llm_ctranslate2.convert(_llm_source(found, cache_dir, progress), cache_dir, progress)

        return llm_ctranslate2.CTranslate2LLM(name=name, max_new_tokens=max_new_tokens, temperature=temperature,
                                              repetition_penalty=repetition_penalty, threads=threads,
                                              first_token_timeout_s=first_token_timeout_s, prepare=prepare_ct2)
    need("torch", "llm", "torch")
    from models.llm_transformers import TransformersLLM, convert_gguf

    def prepare(progress) -> Path:
        path = _llm_source(found, cache_dir, progress)
        return convert_gguf(path, cache_dir, progress) if path.suffix == ".gguf" else path

    return TransformersLLM(name=name, device=device, dtype=dtype, quantize=quantize,
                           max_new_tokens=max_new_tokens, temperature=temperature,
                           repetition_penalty=repetition_penalty, threads=threads,
                           first_token_timeout_s=first_token_timeout_s, prepare=prepare,
                           context_tokens=context_tokens)


def _llm_source(found, cache_dir: Path, progress) -> Path:
    """The model's GGUF file or transformers folder on disk (joined from the pack, or downloaded, first)."""
    if found.source == "offline-pack":
        return resolver.join_bundled_gguf(cache_dir, progress, found.setting)
    return found.path or resolver.download(found, progress)


def choose_llm_runtime(runtime: str, model: str, device: str, quantize: str) -> str:
    """The runtime that runs ``llm.model`` = ``model``: ``runtime`` (llm.runtime) unless "auto"."""
    if model.startswith(("http://", "https://")):
        return "server"  # a model server on this machine runs it
    if runtime != "auto":
        if runtime == "ctranslate2" and (device in ("cuda", "mps") or quantize == "none"):
            raise ConfigError("config-invalid", "llm.runtime ctranslate2 runs int8 on the CPU: set llm.device to "
                              "cpu or auto and llm.quantize to auto or int8, or llm.runtime to transformers.")
        return runtime
    gguf = resolver.llm_pack(model) is not None or model.lower().endswith(".gguf")  # a pack, a file, repo:file
    if not gguf or quantize == "none" or device in ("cuda", "mps"):
        return "transformers"
    if resolver.llm_pack(model) is resolver.LLM_PACKS["bundled"]:
        # The small default model stays on transformers: in `assistant bench` its replies were heard sooner there
        # (voice to voice, per clip, 185 ms median sooner over 24 clips x 5 runs), though CTranslate2 loads it 16
        # times faster, in a quarter of the memory, and answers right more often (assistant eval 41.5% vs 30.4%).
        return "transformers"
    if device == "auto":
        from models.devices import torch_device

        if torch_device("auto") != "cpu":
            return "transformers"  # a GPU: transformers runs it there (bfloat16, a static cache, CUDA graphs)
    return "ctranslate2"


def create_tts(*, backend: str, voice: str, espeak_voice: str, speaking_rate: float, allow_downloads: bool):
    """Piper with the configured voice; espeak-ng when Piper or its voice is missing and espeak-ng is there."""
    from models.tts_espeak import EspeakTTS, espeak_binary

    if backend == "espeak":
        return EspeakTTS(voice=espeak_voice, speaking_rate=speaking_rate)
    try:
        need("piper", "tts", "piper-tts")
        model = resolver.resolve_tts(voice, allow_downloads)
    except ConfigError as exc:
        # Only the bundled voice falls back: a voice the user chose that is missing is their error to fix.
        if voice != "bundled" or espeak_binary() is None:
            raise
        log.warning("Piper is unavailable (%s); speaking with espeak-ng instead", exc.message)
        return EspeakTTS(voice=espeak_voice, speaking_rate=speaking_rate)
    from models.tts_piper import PiperTTS

    # A voice to download is fetched by load(), on the TTS thread, with progress events.
    return PiperTTS(model.path, prepare=lambda progress: resolver.download(model, progress),
                    speaking_rate=speaking_rate, name=voice)


def language_voice_plan(language: str, voice: str) -> tuple[str, str] | None:
    """Which voice speaks replies in ``language``: ("piper", ``voice``) when one is set for it, else ("espeak",
    espeak-ng's voice for the language), else None (the default voice speaks). Nothing is loaded."""
    from models.tts_espeak import espeak_voice_for

    if voice:
        return "piper", voice
    name = espeak_voice_for(language)
    return ("espeak", name) if name else None


def create_language_voice(language: str, *, voice: str, speaking_rate: float, allow_downloads: bool):
    """The voice for replies in ``language`` as ``language_voice_plan`` says, or None (the default voice)."""
    from models.tts_espeak import EspeakTTS

    plan = language_voice_plan(language, voice)
    if plan is None:
        log.warning("no voice for replies in %r: the default voice speaks them", language)
        return None
    engine, name = plan
    if engine == "piper":
        return create_tts(backend="piper", voice=name, espeak_voice="", speaking_rate=speaking_rate,
                          allow_downloads=allow_downloads)
    return EspeakTTS(voice=name, speaking_rate=speaking_rate)


def create_cloud_speech(*, base_url: str, api_key: str | None, timeout_s: float, max_retries: int, stt_model: str,
                        tts_model: str, tts_voice: str, speaking_rate: float):
    """(stt, tts) through the endpoint's audio API. Called only when the policy allows the cloud."""
    need("openai", "cloud", "openai")
    from models.speech_openai import OpenAICompatibleSTT, OpenAICompatibleTTS

    common = {"base_url": base_url, "api_key": api_key, "timeout_s": timeout_s, "max_retries": max_retries}
    return (OpenAICompatibleSTT(model=stt_model, **common),
            OpenAICompatibleTTS(model=tts_model, voice=tts_voice, speaking_rate=speaking_rate, **common))


def create_vision(setting: str, *, allow_downloads: bool, device: str, dtype: str, max_new_tokens: int,
                  temperature: float, repetition_penalty: float, threads: int, first_token_timeout_s: float,
                  max_image_side: int):
    """The local vision-language model ``setting`` (resolved, and downloaded when allowed, on load: a missing
    one then says so and screen questions fall back to OCR)."""
    need("torch", "vision", "torch")
    need("transformers", "vision", "transformers")
    from models.vision_transformers import TransformersVLM

    def prepare(progress) -> Path:
        model = resolver.resolve_vision(setting, allow_downloads)
        return model.path or resolver.download(model, progress)

    return TransformersVLM(setting, name=f"vision:{setting}", device=device, dtype=dtype,
                           max_new_tokens=max_new_tokens, temperature=temperature,
                           repetition_penalty=repetition_penalty, threads=threads,
                           first_token_timeout_s=max(first_token_timeout_s, 120.0),
                           max_image_side=max_image_side, prepare=prepare)


def create_ocr():
    """RapidOCR with the PP-OCR models its wheel ships (nothing to download)."""
    need("rapidocr", "ocr", "rapidocr")
    from models.ocr_rapidocr import RapidOcrReader

    return RapidOcrReader()


def big_llm_setting(setting: str) -> str:
    """``llm.big_model`` as a model setting: "auto" is the 1.5B offline pack when it is installed, else none."""
    if setting == "auto":
        return "bundled-1.5b" if resolver.pack_installed("bundled-1.5b") else ""
    return setting
