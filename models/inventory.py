"""What every model setting resolves to, for ``assistant models`` and ``assistant doctor``."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from assistant.config import Config
from assistant.contracts.errors import AssistantError
from models import resolver

_SETTING = {"stt": "stt.model", "vad": "vad.model", "llm": "llm.model", "tts": "tts.voice",
            "vision": "screen.vision_model"}


def _setting(config: Config, role: str) -> str:
    section, key = _SETTING[role].split(".")
    return getattr(getattr(config, section), key)


def _bundled_llm_rows(config: Config, row: dict) -> dict:
    from models.llm_transformers import converted_dir_for

    parts = [Path(importlib.import_module(m).get_part_path()) for m in resolver.BUNDLED_LLM_PARTS]
    row["size_mb"] = sum(p.stat().st_size for p in parts) / 1e6
    joined = config.cache_dir / "llm" / resolver.BUNDLED_LLM_GGUF
    if joined.is_file():
        converted = converted_dir_for(joined, config.cache_dir)
        ready = (converted / ".complete").is_file()
        row["place"] = str(converted if ready else joined)
        row["prepared"] = ready
        if not ready:
            row["note"] = "GGUF joined; converted for transformers on first use (about a minute)"
    else:
        row["place"] = str(parts[0].parent.parent.parent)
        row["prepared"] = False
        row["note"] = "six GGUF parts; joined and converted into the model cache on first use (about a minute)"
    return row


def describe(config: Config, role: str, prepare: bool = False, progress=None) -> dict:
    setting = _setting(config, role)
    row: dict = {"role": role, "setting": setting}
    try:
        model = resolver.RESOLVERS[role](setting, config.models.allow_downloads)
    except AssistantError as exc:
        return {**row, "status": "missing", "detail": exc.message.split(": ", 1)[0], "fix": exc.message,
                "code": exc.code}
    row.update(status=model.source, detail=model.detail)
    if model.source == "download":
        row["place"] = f"hub: {model.repo_id} (downloaded on first use)"
        if prepare:
            path = resolver.download(model, progress)
            row.update(status="hub-cache", place=str(path), size_mb=resolver.path_size(path) / 1e6)
    elif role == "llm" and model.source == "offline-pack":
        if prepare:
            from models.llm_transformers import convert_gguf

            convert_gguf(resolver.join_bundled_gguf(config.cache_dir, progress), config.cache_dir, progress)
        row = _bundled_llm_rows(config, row)
    else:
        row["place"] = str(model.path)
        row["size_mb"] = (model.size_bytes or 0) / 1e6
    return row


def describe_ocr(config: Config) -> dict:
    """The screen's text reader: RapidOCR ships its models in its wheel."""
    row: dict = {"role": "ocr", "setting": f"screen.ocr = {str(config.screen.ocr).lower()}"}
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        return {**row, "status": "missing", "detail": "rapidocr is not installed", "code": "ocr-missing-dependency",
                "fix": "pip install rapidocr (or set screen.vision_model to a vision-language model)"}
    folder = Path(spec.origin).parent / "models"
    return {**row, "status": "installed", "detail": "RapidOCR (PP-OCR detection and recognition, onnxruntime)",
            "place": str(folder), "size_mb": resolver.path_size(folder) / 1e6 if folder.exists() else 0.0}


def describe_all(config: Config, prepare: bool = False, progress=None) -> list[dict]:
    roles = ["stt", "vad", "llm", "tts", *(["vision"] if config.screen.vision_model else [])]
    return [*(describe(config, role, prepare, progress) for role in roles), describe_ocr(config)]
