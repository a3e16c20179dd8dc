"""What the two CPU runtimes share about a GGUF: reading it as plain dequantized weights, and a conversion made
once into the model cache, atomically (a crash leaves no half folder behind to be loaded) and under the cache
lock (another process converting the same model waits and uses its folder)."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from models.load_failure import load_error

COMPLETE = ".complete"  # written last: a folder without it is a crashed conversion


def convert_once(source: Path, target: Path, build: Callable[[Path], None], fix: str) -> Path:
    """``target``, made by ``build(folder)`` unless a complete one is there already. A failure names ``source`` and
    says ``fix``."""
    if (target / COMPLETE).is_file():
        return target
    from models.resolver import cache_lock

    with cache_lock(target):
        if (target / COMPLETE).is_file():
            return target
        tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            build(tmp)
            (tmp / COMPLETE).write_text(str(source))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        except Exception as exc:
            raise load_error(exc, f"the language model {source}", fix) from exc
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def load_plain(source: Path):
    """(tokenizer, model in float32) from a .gguf file (dequantized) or a transformers folder, without the
    "quantized with gguf" marker: its weights are plain tensors by then, and the marker makes transformers refuse
    to save them and CTranslate2 refuse to convert them."""
    import torch
    import transformers
    from transformers import modeling_gguf_pytorch_utils as gguf_loader
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # progress goes through our own callback instead
    if source.suffix == ".gguf":
        where = {"pretrained_model_name_or_path": str(source.parent), "gguf_file": source.name}
    else:
        where = {"pretrained_model_name_or_path": str(source)}
    bar = gguf_loader.tqdm
    gguf_loader.tqdm = functools.partial(bar, disable=True)  # the GGUF reader's own bar, on stderr
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(**where)
        model = transformers.AutoModelForCausalLM.from_pretrained(**where, dtype=torch.float32)
    finally:
        gguf_loader.tqdm = bar
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return tokenizer, model
