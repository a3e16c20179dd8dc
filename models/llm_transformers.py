"""Local chat model through transformers: any Hugging Face chat model, or a GGUF (the offline pack's).

A GGUF is dequantized by transformers once and cached as a float16 safetensors folder, so later starts
load in seconds. On the CPU the Linear layers are quantized to int8 on load (about 4x faster decoding).
On a CUDA GPU the model runs in bfloat16 with one static KV cache reused by every turn: transformers then
compiles the decoding step and replays it as a CUDA graph, which removes the per-token Python and kernel
launch overhead that dominates a small model's decoding there.

``prefill()`` runs a prompt ahead of its turn (during the user's end-of-turn silence): a ``stream()`` of the
same prompt then starts from its first token, with the same reply token for token.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from assistant.contracts.errors import ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage, Role
from models.devices import cpu_cores, torch_device
from models.gguf import convert_once, load_plain
from models.hf_generate import choose_dtype, sampling_kwargs, stream_generate
from models.load_failure import library_error, load_error

log = logging.getLogger(__name__)


def converted_dir_for(gguf: Path, cache_dir: Path) -> Path:
    stat = gguf.stat()
    return cache_dir / "llm" / f"{gguf.stem}-{stat.st_size}-{int(stat.st_mtime)}-f16"


def convert_gguf(gguf: Path, cache_dir: Path, progress: ProgressCallback | None = None) -> Path:
    """Dequantize a GGUF into a float16 transformers folder in the cache (once; atomic)."""
    target = converted_dir_for(gguf, cache_dir)
    if progress and not (target / ".complete").is_file():
        progress(Message("converting {name} for transformers (first start only, about a minute)", name=gguf.name), None)
    return convert_once(gguf, target, _build, "Reinstall the offline pack or point llm.model at another model.")


def _build(gguf: Path, folder: Path) -> None:
    """The conversion itself (in a process of its own: models/gguf.py)."""
    import torch

    t0 = time.monotonic()
    tokenizer, model = load_plain(gguf, torch.float16)  # the copy is kept in float16: half the memory to make it
    model.save_pretrained(str(folder))
    tokenizer.save_pretrained(str(folder))
    log.info("converted %s in %.1f s", gguf, time.monotonic() - t0)


class TransformersLLM:
    """Owns a causal LM and its tokenizer; streams reply text chunk by chunk."""

    supports_images = False
    supports_tools = True  # renders tools= through the model's chat template
    runs_locally = True  # a reply may be written ahead of its turn: it costs only this machine's time
    runtime = "transformers"

    def __init__(self, model_dir: Path | None = None, *, name: str = "", device: str = "auto",
                 dtype: str = "auto", quantize: str = "auto", max_new_tokens: int = 160,
                 temperature: float = 0.0, repetition_penalty: float = 1.0, threads: int = 0,
                 first_token_timeout_s: float = 60.0, prepare=None, context_tokens: int = 2048,
                 static_cache: bool | None = None) -> None:
        """``prepare`` (optional) is called on load, with a progress callback, to produce ``model_dir``
        (joining and converting the bundled GGUF happens there, on the owner thread). ``static_cache``:
        decode with one static KV cache of ``context_tokens + max_new_tokens`` (None: on CUDA only)."""
        self.model_dir = Path(model_dir) if model_dir else None
        self.name = name or (self.model_dir.name if self.model_dir else "llm")
        self.last_backend = self.name
        self._device_pref, self._dtype_pref, self._quantize_pref = device, dtype, quantize
        self.max_new_tokens = max_new_tokens
        self.temperature, self.repetition_penalty = temperature, repetition_penalty
        self.threads = threads or cpu_cores()
        self.first_token_timeout_s = first_token_timeout_s
        self._prepare = prepare
        self.context_tokens = context_tokens
        self._static_pref = static_cache
        self._static = None  # the StaticCache every turn reuses, while static decoding is on
        self._static_busy = threading.Lock()  # one generation at a time may use it
        # Every generate() runs on this one thread: torch records CUDA graphs per thread, so a new thread per
        # turn would record them again each turn.
        self._generator = ThreadPoolExecutor(max_workers=1, thread_name_prefix="llm-generate")
        self.reuse_prefix_cache = True
        self._prefix: tuple | None = None  # (system prompt, its token ids, its KV cache)
        self._prefilled: tuple | None = None  # (prompt token ids, their KV cache, the first reply token)
        self.prefill_hits = 0  # turns that started from a prefilled prompt
        self._device = "cpu"
        self.quantized = False
        self.parameters: int | None = None
        self._model = None
        self._tokenizer = None
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        return self._device

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                from transformers import AutoModelForCausalLM, AutoTokenizer
                from transformers.utils import logging as hf_logging
            except ImportError as exc:
                raise ModelError("llm-missing-dependency", "the local language model needs torch and "
                                 "transformers (pip install torch transformers)") from exc
            except Exception as exc:  # installed, but broken (a file of its own missing, say)
                raise library_error(exc, "the language model") from exc
            hf_logging.disable_progress_bar()  # progress goes through our own callback instead
            if self._prepare is not None:
                self.model_dir = self._prepare(progress)
            assert self.model_dir is not None
            self._device = torch_device(self._device_pref)
            dtype = choose_dtype(torch, self._device, self._dtype_pref)
            torch.set_num_threads(self.threads)
            if progress:
                progress(Message("loading {name} on {device} ({dtype})", name=self.name, device=self._device,
                                 dtype=str(dtype).removeprefix("torch.")), None)
            try:
                tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir))
                model = AutoModelForCausalLM.from_pretrained(str(self.model_dir), dtype=dtype)
            except Exception as exc:
                raise load_error(exc, f"the language model from {self.model_dir}", "Delete that folder to "
                                 "rebuild it, or fix llm.model.") from exc
            if tokenizer.chat_template is None:
                raise ModelError("llm-not-chat", f"{self.name} has no chat template: it is a base model, not a "
                                 "chat model. Choose an instruction-tuned model for llm.model.")
            model.eval()
            self.parameters = model.num_parameters()  # before int8 packs them away
            if self._device == "cpu" and self._quantize_pref in ("auto", "int8"):
                if progress:
                    progress(Message("quantizing the language model to int8 for the CPU"), None)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # torch.ao's deprecation notice: still the fastest route here
                    torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8,
                                                           inplace=True)
                self.quantized = True
                # Dynamic int8 quantizes activations per tensor, over every token processed together: a
                # prompt whose system part was computed apart comes out different, and measurably worse
                # ("France is the capital of Belgium"). So the system prompt's cache is reused only in float.
                self.reuse_prefix_cache = False
            elif self._device != "cpu":
                model.to(self._device)
            self._tokenizer, self._model = tokenizer, model
            if self._static_pref if self._static_pref is not None else self._device == "cuda":
                from transformers import StaticCache

                # Sized for the longest turn, so that no turn needs a new cache (and a new compilation).
                self._static = StaticCache(config=model.config, max_cache_len=self.context_tokens + self.max_new_tokens)
            # Warm up: the first forward pass allocates and picks kernels; on CUDA with the static cache, the
            # decoding step is compiled here (tens of seconds once) rather than in the user's first turn.
            warm_up = lambda: self._generator.submit(  # noqa: E731
                self._generate_all, [ChatMessage(Role.USER, "Hi")], 4).result()
            try:
                warm_up()
            except Exception as exc:
                if self._static is None:
                    raise
                log.warning("decoding with a static cache failed (%s); using a dynamic cache instead", exc)
                self._static = None
                warm_up()

    @property
    def static_cache(self) -> bool:
        """Whether turns decode with the reused static cache (compiled into a CUDA graph on CUDA)."""
        return self._static is not None

    def _take_static_cache(self, prompt_tokens: int, new_tokens: int):
        """The static cache, emptied, when it is on, free and long enough for this generation (released by
        ``_release_static_cache``); else None, and the generation uses a dynamic cache."""
        if self._static is None or prompt_tokens + new_tokens > self.context_tokens + self.max_new_tokens:
            return None
        if not self._static_busy.acquire(blocking=False):
            return None
        import torch

        with torch.inference_mode():  # its tensors were made by a generation, in inference mode
            self._static.reset()
        return self._static

    def _release_static_cache(self, cache) -> None:
        if cache is not None:
            self._static_busy.release()

    def _inputs(self, messages: Sequence[ChatMessage], tools: Sequence[dict] | None = None):
        assert self._tokenizer is not None
        dicts = [m.as_dict() for m in messages]
        # A final assistant message is a reply to continue (another backend broke off mid-answer).
        continuing = bool(messages) and messages[-1].role == Role.ASSISTANT
        enc = self._tokenizer.apply_chat_template(dicts, add_generation_prompt=not continuing,
                                                  tools=tools or None, continue_final_message=continuing,
                                                  return_tensors="pt", return_dict=True)
        return {k: v.to(self._device) for k, v in enc.items()}

    def _prefix_cache(self, messages: Sequence[ChatMessage], input_ids):
        """The system prompt's keys and values, computed once and reused by every turn (a deep copy each
        time, since generation extends the cache). None when the prompt does not start with it."""
        if not self.reuse_prefix_cache or not messages or messages[0].role != Role.SYSTEM:
            return None
        import torch
        from transformers import DynamicCache

        if self._prefix is None or self._prefix[0] != messages[0].content:
            ids = self._tokenizer.apply_chat_template(  # type: ignore[union-attr]
                [messages[0].as_dict()], add_generation_prompt=False, return_tensors="pt", return_dict=True,
            )["input_ids"].to(self._device)
            with torch.inference_mode():
                cache = self._model(input_ids=ids, past_key_values=DynamicCache(), use_cache=True).past_key_values
            self._prefix = (messages[0].content, ids, cache)
        _, ids, cache = self._prefix
        n = ids.shape[1]
        if input_ids.shape[1] <= n or not torch.equal(input_ids[0, :n], ids[0]):
            return None  # the template renders the system block differently in context: no reuse
        return copy.deepcopy(cache)

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Compute the prompt's keys and values and its first reply token now, ahead of the turn: the next
        ``stream()`` of exactly these messages starts from there. Greedy decoding with a dynamic cache only (on
        the static cache, the GPU path, a prefill takes milliseconds anyway)."""
        self._prefilled = None
        if self._model is None or self._static is not None or self.temperature > 0:
            return
        import torch
        from transformers import DynamicCache

        inputs = self._inputs(messages)
        with torch.inference_mode():
            # One token of logits, as generate() keeps in its own prefill: in int8 the activations are quantized
            # over all the rows computed together, so anything else would give other numbers.
            out = self._model(**inputs, past_key_values=DynamicCache(), use_cache=True, logits_to_keep=1)
        first = int(out.logits[0, -1].argmax())  # greedy; the repetition penalty has no reply tokens yet
        self._prefilled = (inputs["input_ids"], out.past_key_values, first)

    def _take_prefilled(self, inputs: dict) -> int | None:
        """The first reply token when ``inputs`` were prefilled (``inputs`` then continue from it), else None."""
        prefilled, self._prefilled = self._prefilled, None
        if prefilled is None:
            return None
        import torch

        ids, cache, first = prefilled
        if not torch.equal(ids, inputs["input_ids"]):
            return None  # the turn's prompt is not the one prefilled (other words, or the conversation moved on)
        inputs["input_ids"] = torch.cat([ids, ids.new_tensor([[first]])], dim=1)
        inputs["attention_mask"] = torch.ones_like(inputs["input_ids"])
        inputs["past_key_values"] = cache
        self.prefill_hits += 1
        return first

    def _end_tokens(self) -> set[int]:
        eos = self._model.generation_config.eos_token_id  # type: ignore[union-attr]
        return set(eos) if isinstance(eos, list) else {eos}

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        self.load()
        return int(self._inputs(messages)["input_ids"].shape[1])

    def _generation_kwargs(self, max_new_tokens: int, prompt_tokens: int = 0) -> dict:
        assert self._model is not None and self._tokenizer is not None
        config = self._model.generation_config
        kwargs = {"max_new_tokens": max_new_tokens, "pad_token_id": config.pad_token_id or
                  self._tokenizer.eos_token_id}
        kwargs.update(sampling_kwargs(self.temperature, self.repetition_penalty, prompt_tokens))
        return kwargs

    def _generate_all(self, messages: Sequence[ChatMessage], max_new_tokens: int) -> str:
        import torch

        inputs = self._inputs(messages)
        static = self._take_static_cache(inputs["input_ids"].shape[1], max_new_tokens)
        try:
            with torch.inference_mode():
                kwargs = self._generation_kwargs(max_new_tokens, inputs["input_ids"].shape[1])
                if static is not None:
                    kwargs["past_key_values"] = static
                out = self._model.generate(**inputs, **kwargs)  # type: ignore[union-attr]
        finally:
            self._release_static_cache(static)
        return self._tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)  # type: ignore[union-attr]

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken,
               tools: Sequence[dict] | None = None) -> Iterator[str]:
        """Yield reply text as it is generated. Stops within one token of ``cancel`` being set, or of the
        consumer closing the iterator; a failure inside generate() is raised here, never swallowed."""
        self.load()
        inputs = self._inputs(messages, tools)
        prompt_tokens = inputs["input_ids"].shape[1]
        static = None
        first = self._take_prefilled(inputs)
        if first is None:
            static = self._take_static_cache(prompt_tokens, self.max_new_tokens)
            cache = static if static is not None else self._prefix_cache(messages, inputs["input_ids"])
            if cache is not None:
                inputs["past_key_values"] = cache
        elif first in self._end_tokens() or self.max_new_tokens == 1:
            text = self._tokenizer.decode([first], skip_special_tokens=True)  # type: ignore[union-attr]
            if text:
                yield text
            return
        # The prompt's tokens only are spared the repetition penalty: a prefilled first token is the reply's.
        kwargs = self._generation_kwargs(self.max_new_tokens - (first is not None), prompt_tokens)
        try:
            yield from stream_generate(self._model, self._tokenizer, inputs, kwargs,
                                       reply_tokens=() if first is None else (first,),
                                       cancel=cancel, first_token_timeout_s=self.first_token_timeout_s,
                                       what="the language model",
                                       fix="Try a smaller model or a shorter conversation.",
                                       executor=self._generator)
        finally:
            self._release_static_cache(static)
