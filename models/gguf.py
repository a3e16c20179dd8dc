"""What the two CPU runtimes share about a GGUF: reading it as plain dequantized weights, and a conversion made
once into the model cache, atomically (a crash leaves no half folder behind to be loaded), under the cache lock
(another process converting the same model waits and uses its folder), and in a process of its own: the
conversion holds the whole model in float32 and more (4-5 GB for the 0.5B model), which the app's process would
otherwise keep as its own long after (freed memory mostly stays with a process)."""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from assistant.contracts.errors import ModelError
from models.load_failure import load_error

COMPLETE = ".complete"  # written last: a folder without it is a crashed conversion


def convert_once(source: Path, target: Path, build: Callable[[Path, Path], None], fix: str) -> Path:
    """``target``, made by ``build(source, folder)`` in a child process unless a complete one is there already.
    ``build`` is a module-level function (the child imports it). A failure names ``source`` and says ``fix``."""
    if (target / COMPLETE).is_file():
        return target
    from models.resolver import cache_lock

    with cache_lock(target):
        if (target / COMPLETE).is_file():
            return target
        tmp = target.with_name(target.name + f".tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            _in_child(build, source, tmp, fix)
            (tmp / COMPLETE).write_text(str(source))
            shutil.rmtree(target, ignore_errors=True)
            os.replace(tmp, target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def _in_child(build: Callable[[Path, Path], None], source: Path, folder: Path, fix: str) -> None:
    import multiprocessing

    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no threads or models of ours inside
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_build_and_report, args=(build, source, folder, fix, send), daemon=True,
                            name="convert-model")
    child.start()
    send.close()
    try:
        outcome = receive.recv()
    except EOFError:  # it died without a word: killed (out of memory, most likely)
        outcome = None
    finally:
        receive.close()
        child.join()
    if outcome is None:
        raise ModelError("model-load-failed", f"converting the language model {source} stopped (exit code "
                         f"{child.exitcode}); the machine may be short of memory: close other programs and start "
                         "again, or choose a smaller model.")
    if outcome != "done":
        raise ModelError(*outcome)


def _build_and_report(build, source: Path, folder: Path, fix: str, send) -> None:
    """In the child: build, and send "done" or the failure's (code, message), told while its traceback is here
    (a broken library is told from a broken model file by it)."""
    try:
        build(source, folder)
        send.send("done")
    except Exception as exc:
        error = load_error(exc, f"the language model {source}", fix)
        send.send((error.code, error.message))
    finally:
        send.close()


def load_plain(source: Path, dtype=None):
    """(tokenizer, model in ``dtype``, float32 unless given) from a .gguf file (dequantized) or a transformers
    folder, without the "quantized with gguf" marker: its weights are plain tensors by then, and the marker makes
    transformers refuse to save them and CTranslate2 refuse to convert them."""
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
        model = transformers.AutoModelForCausalLM.from_pretrained(**where, dtype=dtype or torch.float32)
    finally:
        gguf_loader.tqdm = bar
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return tokenizer, model
