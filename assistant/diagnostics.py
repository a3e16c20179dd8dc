"""``assistant models`` and ``assistant doctor``: what is here, what is missing, and how to fix it."""

from __future__ import annotations

import os
import platform
import shutil
import sys

from assistant import bootstrap
from assistant.config import Config, config_path
from assistant.contracts.events import ModelProgress


def describe_models(config: Config, prepare: bool = False, progress=None) -> list[dict]:
    def report(message: str, fraction: float | None) -> None:
        if progress:
            progress(ModelProgress(role="models", message=message, fraction=fraction))

    return bootstrap.model_inventory(config, prepare, report)


def _memory_gb() -> float | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError, AttributeError):
        return None


def doctor_report(config: Config) -> dict:
    problems: list[str] = []
    system: dict[str, tuple[bool, str]] = {
        "python": (sys.version_info >= (3, 11), platform.python_version()),
        "platform": (True, platform.platform()),
        "cpu cores": (True, str(os.cpu_count())),
    }
    mem = _memory_gb()
    system["memory"] = (mem is None or mem >= 4, f"{mem:.1f} GiB" if mem else "unknown")
    try:
        import torch

        gpu = "CUDA: " + torch.cuda.get_device_name(0) if torch.cuda.is_available() else (
            "Apple MPS" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()
            else "none (the CPU runs everything)")
        system["torch"] = (True, f"{torch.__version__}, GPU {gpu}")
    except ImportError:
        system["torch"] = (False, "not installed")
        problems.append("install torch (pip install torch) for the local language model")

    audio = bootstrap.adapters().audio.report()
    audio_items: dict[str, tuple[bool, str]] = {}
    if not audio["portaudio"]:
        audio_items["PortAudio"] = (False, audio["error"])
        problems.append(audio["error"])
    else:
        audio_items["PortAudio"] = (True, audio.get("version", "present"))
        audio_items["microphones"] = (bool(audio["inputs"]), ", ".join(audio["inputs"]) or
                                      "none found: voice input needs a microphone (files still work)")
        audio_items["speakers"] = (bool(audio["outputs"]), ", ".join(audio["outputs"]) or
                                   "none found: replies can still be written to files with --out")
    espeak = shutil.which("espeak-ng")
    audio_items["espeak-ng (fallback voice)"] = (True, espeak or "not installed (optional)")

    models: dict[str, tuple[bool, str]] = {}
    for row in describe_models(config):
        ok = row["status"] != "missing"
        models[row["role"]] = (ok, f"{row['setting']} -> {row['status']}: {row.get('fix') or row['detail']}")
        if not ok:
            problems.append(row["fix"])

    cloud = config.cloud
    cloud_items: dict[str, tuple[bool, str]] = {"policy": (True, {
        "local": "local only: nothing leaves this machine", "auto": "local first, the cloud when it fails",
        "cloud": "the cloud first, local when it fails"}[cloud.policy])}
    if cloud.policy != "local":
        from assistant.secrets import cloud_api_key

        has_key = bool(cloud_api_key())
        cloud_items["endpoint"] = (True, f"{cloud.base_url} ({cloud.model})")
        cloud_items["API key"] = (has_key, "present (keyring or ASSISTANT_CLOUD_API_KEY)" if has_key else
                                  "none: most endpoints need one; set ASSISTANT_CLOUD_API_KEY or save it in settings")
        cloud_items["speech"] = (True, "through the endpoint too" if cloud.speech else "local")
        cloud_items["screen images"] = (True, "may be sent" if cloud.screen_to_cloud else "never sent")

    return {
        "config": str(config_path()),
        "cache_dir": str(config.cache_dir),
        "sections": {"system": system, "audio": audio_items, "models": models, "cloud": cloud_items},
        "problems": problems,
    }
