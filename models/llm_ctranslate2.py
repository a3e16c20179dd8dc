"""Local chat model through CTranslate2: the CPU runtime for GGUF models (the offline packs) and local folders.

On this project's 2-core CPU it loads the bundled 0.5B model in about half a second (transformers with int8: 8 s),
takes a quarter of the memory (0.7 GB against 2.9 GB) and decodes faster, with the same first-token time
(the figures: models/README.md). A GGUF is converted once into an int8 CTranslate2 folder in the cache: its
weights are dequantized by transformers in memory and quantized to int8 as they are written, so the float16
copy the transformers runtime keeps is not needed.

transformers stays the runtime for GPUs, for the vision model and for any Hugging Face model id
(``llm.runtime``: models/registry.py chooses).
"""

from __future__ import annotations

import json
import logging
import queue
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent import futures
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assistant.contracts.errors import ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from models.devices import cpu_cores
from models.gguf import convert_once, load_plain
from models.load_failure import library_error, load_error

log = logging.getLogger(__name__)

_MAX_HOLD_S = 1.0  # the longest a turn's generation waits for its first spoken piece's synthesis
_DONE = object()
# System blocks whose state is kept: the plain and the screen prompts, and the plain one with the tool lists offered
# (a sum told in words is offered the calculator, and its call and its answer share that block).
_MAX_SYSTEM_PROMPTS = 8


def converted_dir_for(source: Path, cache_dir: Path) -> Path:
    """Where ``source`` (a .gguf file or a transformers folder) is kept converted to int8."""
    stat = source.stat()
    return cache_dir / "llm" / f"{source.stem if source.is_file() else source.name}-{stat.st_size}-" \
                               f"{int(stat.st_mtime)}-ct2-int8"


def convert(source: Path, cache_dir: Path, progress: ProgressCallback | None = None) -> Path:
    """Convert a GGUF file or a transformers folder into an int8 CTranslate2 folder in the cache (once)."""
    target = converted_dir_for(source, cache_dir)
    if progress and not (target / ".complete").is_file():
        progress(Message("converting {name} for the CPU runtime (first start only, about a minute)",
                         name=source.name), None)
    return convert_once(source, target, _build, "Reinstall the offline pack or point llm.model at another model.")


def _build(source: Path, folder: Path) -> None:
    """The conversion itself (in a process of its own: models/gguf.py)."""
    from ctranslate2.converters import TransformersConverter

    t0 = time.monotonic()
    tokenizer, model = load_plain(source)
    with tempfile.TemporaryDirectory() as config_only:
        # The converter reads the model's config from a folder, then asks for the model and tokenizer: it gets
        # the ones loaded above (from a GGUF it could not load them itself).
        model.config.save_pretrained(config_only)

        class _Loaded(TransformersConverter):
            def load_model(self, model_class, model_name_or_path, **kwargs):
                return model

            def load_tokenizer(self, tokenizer_class, model_name_or_path, **kwargs):
                return tokenizer

        _Loaded(config_only).convert(str(folder), quantization="int8", force=True)
    # The tokenizer (its chat template) and the model's transformers config, beside the runtime's own files:
    # transformers reads the config to know the tokenizer is not a Mistral one that needs its regex fixed.
    tokenizer.save_pretrained(str(folder / "tokenizer"))
    model.config.save_pretrained(str(folder / "tokenizer"))
    model.generation_config.save_pretrained(str(folder / "tokenizer"))
    log.info("converted %s for CTranslate2 in %.1f s", source, time.monotonic() - t0)


class CTranslate2LLM:
    """Owns a CTranslate2 generator and its tokenizer; streams reply text token by token."""

    supports_images = False
    supports_tools = True  # renders tools= through the model's chat template
    runs_locally = True  # a reply may be written ahead of its turn: it costs only this machine's time
    runtime = "ctranslate2"
    quantized = True  # int8 weights, always
    static_cache = False  # a transformers notion (the GPU path); the runtime manages its own cache

    def __init__(self, model_dir: Path | None = None, *, name: str = "", max_new_tokens: int = 160,
                 temperature: float = 0.0, repetition_penalty: float = 1.0, threads: int = 0,
                 first_token_timeout_s: float = 60.0, prepare=None) -> None:
        """``prepare`` (optional) is called on load, with a progress callback, to produce ``model_dir``
        (joining and converting the bundled GGUF happens there, on the owner thread)."""
        self.model_dir = Path(model_dir) if model_dir else None
        self.name = name or (self.model_dir.name if self.model_dir else "llm")
        self.last_backend = self.name
        self.max_new_tokens = max_new_tokens
        self.temperature, self.repetition_penalty = temperature, repetition_penalty
        self.threads = threads or cpu_cores()
        self.first_token_timeout_s = first_token_timeout_s
        self._prepare = prepare
        self.reuse_system_prompt = True  # keep the system prompt's state between turns (off: for A/B checks)
        self._system_ids: dict[tuple[str, str], list[int]] = {}  # the system blocks (prompt, tools) kept: tokens
        self.parameters: int | None = None
        self._generator = None
        self._tokenizer = None
        self._end_tokens: list[int] = []
        self._lock = threading.Lock()
        # Every generation runs on this one thread, one at a time, so that a reply written ahead and its turn
        # never compute at once on a 2-core machine.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-generate")

    @property
    def device(self) -> str:
        return "cpu"

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._lock:
            if self._generator is not None:
                return
            try:
                import ctranslate2
                from transformers import AutoTokenizer
            except ImportError as exc:
                raise ModelError("llm-missing-dependency", "the CPU runtime needs ctranslate2 and transformers "
                                 "(pip install ctranslate2 transformers)") from exc
            except Exception as exc:  # installed, but broken (a file of its own missing, say)
                raise library_error(exc, "the language model") from exc
            if self._prepare is not None:
                self.model_dir = self._prepare(progress)
            assert self.model_dir is not None
            if progress:
                progress(Message("loading {name} on {device} ({dtype})", name=self.name, device="cpu", dtype="int8"),
                         None)
            try:
                tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir / "tokenizer"), local_files_only=True)
                generator = ctranslate2.Generator(str(self.model_dir), device="cpu", compute_type="int8",
                                                  intra_threads=self.threads)
            except Exception as exc:
                raise load_error(exc, f"the language model from {self.model_dir}", "Delete that folder to "
                                 "rebuild it, or fix llm.model.") from exc
            if tokenizer.chat_template is None:
                raise ModelError("llm-not-chat", f"{self.name} has no chat template: it is a base model, not a "
                                 "chat model. Choose an instruction-tuned model for llm.model.")
            self._end_tokens = _end_tokens(self.model_dir / "tokenizer", tokenizer)
            # Warm up: the first generation allocates its buffers; better here than in the user's first turn.
            generator.generate_batch([tokenizer.convert_ids_to_tokens(tokenizer.encode("Hi"))], max_length=2,
                                     include_prompt_in_result=False)
            self._tokenizer, self._generator = tokenizer, generator
            # Read off the weights file: in int8 a weight takes about a byte (the 1.5B's is 1.7 GB).
            self.parameters = (self.model_dir / "model.bin").stat().st_size

    def _prompt(self, messages: Sequence[ChatMessage], tools: Sequence[dict] | None = None) -> list[int]:
        assert self._tokenizer is not None
        dicts = [m.as_dict() for m in messages]
        # A final assistant message is a reply to continue (another backend broke off mid-answer).
        continuing = bool(messages) and messages[-1].role == Role.ASSISTANT
        return list(self._tokenizer.apply_chat_template(dicts, add_generation_prompt=not continuing,
                                                        tools=tools or None, continue_final_message=continuing,
                                                        return_dict=False))

    def _system_prefix(self, messages: Sequence[ChatMessage], ids: list[int],
                       tools: Sequence[dict] | None = None) -> int:
        """How many of ``ids`` are the system block's (the system prompt and the tools offered, which the template
        writes into it): computed once and reused by every turn (0: none)."""
        if not self.reuse_system_prompt or not messages or messages[0].role != Role.SYSTEM or len(messages) < 2:
            return 0
        # The runtime keeps one state per system block for good: only a few are kept, so that a prompt that
        # changes every turn cannot grow memory without end. Their tokens are kept too: not rendered every turn.
        key = (messages[0].content, json.dumps(tools, sort_keys=True) if tools else "")
        system = self._system_ids.get(key)
        if system is None:
            if len(self._system_ids) >= _MAX_SYSTEM_PROMPTS:
                return 0
            system = self._system_ids[key] = list(self._tokenizer.apply_chat_template(  # type: ignore[union-attr]
                [messages[0].as_dict()], tools=tools or None, add_generation_prompt=False, return_dict=False))
        n = len(system)
        return n if len(ids) > n and ids[:n] == system else 0

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        self.load()
        return len(self._prompt(messages))

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Nothing to do ahead of a turn: the system prompt's state is kept already, and a reply written ahead
        (the pipeline's default for a local model) needs no prefill."""

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken,
               tools: Sequence[dict] | None = None) -> Iterator[str]:
        """Yield reply text as it is generated. Stops within one token of ``cancel`` being set, or of the
        consumer closing the iterator, and waits between tokens while ``cancel`` is held; a failure inside the
        runtime is raised here, never swallowed."""
        self.load()
        assert self._tokenizer is not None and self._generator is not None
        ids = self._prompt(messages, tools)
        tokens = self._tokenizer.convert_ids_to_tokens(ids)
        n_static = self._system_prefix(messages, ids, tools)
        stop = threading.Event()
        out: queue.Queue = queue.Queue()

        def step(result) -> bool:  # on the runtime's thread, after each token and before the next
            out.put(result.token_id)
            cancel.wait_released(_MAX_HOLD_S)  # the turn's first spoken piece is being synthesized
            return stop.is_set() or cancel.cancelled

        def generate() -> None:
            try:
                kwargs = {"static_prompt": tokens[:n_static], "cache_static_prompt": True} if n_static else {}
                self._generator.generate_batch(  # type: ignore[union-attr]
                    [tokens[n_static:]], max_length=self.max_new_tokens, include_prompt_in_result=False,
                    end_token=self._end_tokens, repetition_penalty=self.repetition_penalty,
                    callback=step, **_sampling(self.temperature), **kwargs)
                out.put(_DONE)
            except BaseException as exc:  # surfaced to the consumer below
                out.put(exc)

        done = self._worker.submit(generate)
        reply: list[int] = []
        shown = 0
        try:
            timeout: float | None = self.first_token_timeout_s
            while not cancel.cancelled:
                try:
                    item = out.get(timeout=timeout)
                except queue.Empty:
                    raise ModelError("llm-timeout", f"the language model produced nothing for "
                                     f"{self.first_token_timeout_s:.0f} s; the machine may be overloaded. Try a "
                                     "smaller model, or raise llm.first_token_timeout_s.") from None
                timeout = None
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    if isinstance(item, MemoryError) or "out of memory" in str(item).lower():
                        raise ModelError("llm-out-of-memory", f"the language model ran out of memory: {item}. "
                                         "Try a smaller model or a shorter conversation.") from item
                    raise ModelError("llm-failed", f"the language model failed: {item}") from item
                if item in self._end_tokens:
                    continue
                reply.append(item)
                text = self._tokenizer.decode(reply, skip_special_tokens=True)
                if text.endswith("\ufffd"):  # half a UTF-8 character: wait for the rest
                    continue
                if len(text) > shown:
                    yield text[shown:]
                    shown = len(text)
        finally:
            stop.set()
            futures.wait([done], timeout=30)


def _sampling(temperature: float) -> dict:
    if temperature <= 0:
        return {"sampling_topk": 1}  # greedy: repeatable answers
    return {"sampling_topk": 0, "sampling_temperature": temperature}


def _end_tokens(model_dir: Path, tokenizer) -> list[int]:
    """The ids that end a reply: the generation config's (a chat model's end-of-turn token) and the tokenizer's."""

    ends: set[int] = set()
    config = model_dir / "generation_config.json"
    if config.is_file():
        eos = json.loads(config.read_text()).get("eos_token_id")
        ends.update(eos if isinstance(eos, list) else [eos] if eos is not None else [])
    if tokenizer.eos_token_id is not None:
        ends.add(tokenizer.eos_token_id)
    return sorted(ends)
