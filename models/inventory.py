"""What every model setting resolves to, for ``assistant models`` and ``assistant doctor``. Given plain settings:
the composition root (assistant.bootstrap) reads them from the config."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from assistant.contracts.errors import AssistantError
from models import resolver


def _bundled_llm_rows(cache_dir: Path, row: dict, setting: str, runtime: str) -> dict:
    """An offline pack's row: its parts, or the joined GGUF, or the folder converted for ``runtime``."""
    pack = resolver.llm_pack(setting) or resolver.LLM_PACKS["bundled"]
    if runtime == "ctranslate2":
        from models.llm_ctranslate2 import converted_dir_for
    else:
        from models.llm_transformers import converted_dir_for

    parts = [Path(importlib.import_module(m).get_part_path()) for m in pack.modules]
    row["size_mb"] = sum(p.stat().st_size for p in parts) / 1e6
    joined = cache_dir / "llm" / pack.gguf
    if joined.is_file():
        converted = converted_dir_for(joined, cache_dir)
        ready = (converted / ".complete").is_file()
        row["place"] = str(converted if ready else joined)
        row["prepared"] = ready
        if not ready:
            row["note"] = f"GGUF joined; converted for {runtime} on first use (about a minute)"
    else:
        row["place"] = str(parts[0].parent.parent.parent)
        row["prepared"] = False
        row["note"] = f"{len(parts)} GGUF parts; joined and converted into the model cache on first use (about a " \
                      "minute)"
    return row


def describe(role: str, setting: str, *, allow_downloads: bool, cache_dir: Path, prepare: bool = False,
             progress=None, llm_runtime: str = "transformers") -> dict:
    """What ``setting`` (the model setting of ``role``) resolves to; with ``prepare``, downloaded or converted
    (a chat model for ``llm_runtime``, the runtime that will run it)."""
    row: dict = {"role": role, "setting": setting}
    kind = "llm" if role == "llm-big" else role  # the bigger chat model resolves as the chat model does
    if kind == "llm" and setting.startswith(("http://", "https://")):
        from models import llm_server

        try:
            return {**row, "status": "local-server", **llm_server.describe(setting)}
        except AssistantError as exc:
            return {**row, "status": "missing", "detail": exc.message.split(": ", 1)[0], "fix": exc.message,
                    "code": exc.code}
    try:
        model = resolver.RESOLVERS[kind](setting, allow_downloads)
    except AssistantError as exc:
        return {**row, "status": "missing", "detail": exc.message.split(": ", 1)[0], "fix": exc.message,
                "code": exc.code}
    row.update(status=model.source, detail=model.detail)
    if model.source == "download":
        row["place"] = f"hub: {model.repo_id} (downloaded on first use)"
        if prepare:
            path = resolver.download(model, progress)
            row.update(status="hub-cache", place=str(path), size_mb=resolver.path_size(path) / 1e6)
    elif kind == "llm" and model.source == "offline-pack":
        if prepare:
            if llm_runtime == "ctranslate2":
                from models.llm_ctranslate2 import convert
            else:
                from models.llm_transformers import convert_gguf as convert
            convert(resolver.join_bundled_gguf(cache_dir, progress, setting), cache_dir, progress)
        row = _bundled_llm_rows(cache_dir, row, setting, llm_runtime)
    elif kind == "stt" and model.source == "offline-pack" and (pack := resolver.stt_pack(setting)) is not None:
        folder = resolver.join_stt_pack(cache_dir, setting, progress=progress) if prepare else \
            cache_dir / "stt" / pack.folder
        row.update(place=str(folder), size_mb=pack.size / 1e6)
        if not (folder / "model.bin").is_file():
            row["detail"] += " (its parts are joined on first use)"
    else:
        row["place"] = str(model.path)
        row["size_mb"] = (model.size_bytes or 0) / 1e6
    return row


def describe_ocr(enabled: bool) -> dict:
    """The screen's text reader (``enabled``: screen.ocr): RapidOCR ships its models in its wheel."""
    row: dict = {"role": "ocr", "setting": f"screen.ocr = {str(enabled).lower()}"}
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or spec.origin is None:
        return {**row, "status": "missing", "detail": "rapidocr is not installed", "code": "ocr-missing-dependency",
                "fix": "pip install rapidocr (or set screen.vision_model to a vision-language model)"}
    folder = Path(spec.origin).parent / "models"
    return {**row, "status": "installed", "detail": "RapidOCR (PP-OCR detection and recognition, onnxruntime)",
            "place": str(folder), "size_mb": resolver.path_size(folder) / 1e6 if folder.exists() else 0.0}


def describe_all(settings: dict[str, str], *, allow_downloads: bool, cache_dir: Path, ocr: bool,
                 prepare: bool = False, progress=None, llm_runtimes: dict[str, str] | None = None) -> list[dict]:
    """``settings``: {role: model setting} for the roles to describe, in order; then the OCR row.
    ``llm_runtimes``: {role: the runtime that will run that chat model} ("llm", "llm-big")."""
    runtimes = llm_runtimes or {}
    return [*(describe(role, setting, allow_downloads=allow_downloads, cache_dir=cache_dir, prepare=prepare,
                       progress=progress, llm_runtime=runtimes.get(role, "transformers"))
              for role, setting in settings.items()), describe_ocr(ocr)]
