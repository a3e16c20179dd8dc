"""Run-time choice of device and thread counts (cuda, mps or cpu), shared by the backends."""

from __future__ import annotations

import os


def cpu_cores() -> int:
    """Cores this process may use (respects CPU affinity and container limits where visible)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def torch_device(preference: str = "auto") -> str:
    """'cuda' or 'mps' when asked for or available, else 'cpu'."""
    import torch

    if preference != "auto":
        if preference == "cuda" and not torch.cuda.is_available():
            from assistant.contracts.errors import ConfigError

            raise ConfigError("device-unavailable", "llm.device is \"cuda\" but no CUDA GPU is usable here; "
                              "set it to \"auto\" or \"cpu\".")
        return preference
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def ctranslate2_device(preference: str = "auto") -> str:
    import ctranslate2

    has_cuda = ctranslate2.get_cuda_device_count() > 0
    if preference == "cuda" and not has_cuda:
        from assistant.contracts.errors import ConfigError

        raise ConfigError("device-unavailable", "stt.device is \"cuda\" but CTranslate2 sees no CUDA GPU; "
                          "set it to \"auto\" or \"cpu\".")
    if preference == "auto":
        return "cuda" if has_cuda else "cpu"
    return preference
