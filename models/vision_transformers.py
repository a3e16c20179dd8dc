"""A local vision-language model through transformers (``AutoModelForImageTextToText``): any small Hugging
Face VLM (SmolVLM, Qwen2.5-VL, LLaVA, Gemma 3...) answers questions about the screen image itself."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from assistant.contracts.errors import ModelError
from assistant.contracts.messages import Message
from assistant.contracts.ports import ProgressCallback
from assistant.contracts.turns import CancelToken
from assistant.contracts.types import ChatMessage
from models.devices import cpu_cores, torch_device
from models.hf_generate import choose_dtype, sampling_kwargs, stream_generate
from models.load_failure import library_error, load_error

log = logging.getLogger(__name__)

IMAGE_TOKENS_ESTIMATE = 256  # what an image costs in the context, roughly (it varies by model and image size)


class TransformersVLM:
    """Owns a VLM and its processor; streams answers about the images in the last user message."""

    supports_images = True
    runs_locally = True
    quantized = False
    static_cache = False

    def __init__(self, model: str | Path = "", *, name: str = "", device: str = "auto", dtype: str = "auto",
                 max_new_tokens: int = 256, temperature: float = 0.0, repetition_penalty: float = 1.0,
                 threads: int = 0,
                 first_token_timeout_s: float = 120.0, max_image_side: int = 1344, prepare=None) -> None:
        """``model`` is a folder, or the setting ``prepare(progress) -> Path`` resolves (and downloads) on load."""
        self.model_dir = Path(model) if model and prepare is None else None
        self.name = name or str(model) or "vision"
        self.last_backend = self.name
        self._device_pref, self._dtype_pref = device, dtype
        self.max_new_tokens, self.temperature = max_new_tokens, temperature
        self.repetition_penalty = repetition_penalty
        self.threads = threads or cpu_cores()
        self.first_token_timeout_s = first_token_timeout_s
        self.max_image_side = max_image_side
        self._prepare = prepare
        self._device = "cpu"
        self._model = None
        self._processor = None
        self._lock = threading.Lock()

    @property
    def device(self) -> str:
        return self._device

    def prefill(self, messages: Sequence[ChatMessage]) -> None:
        """Nothing to do: a question about an image is answered from its own prompt."""

    def load(self, progress: ProgressCallback | None = None) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                from transformers import AutoConfig, AutoModelForImageTextToText, AutoProcessor
                from transformers.utils import logging as hf_logging
            except ImportError as exc:
                raise ModelError("vision-missing-dependency", "the vision model needs torch and transformers "
                                 "(pip install torch transformers)") from exc
            except Exception as exc:  # installed, but broken (a file of its own missing, say)
                raise library_error(exc, "the vision model") from exc
            hf_logging.disable_progress_bar()
            if self._prepare is not None:
                self.model_dir = self._prepare(progress)
            assert self.model_dir is not None
            self._device = torch_device(self._device_pref)
            dtype = choose_dtype(torch, self._device, self._dtype_pref)
            if self._device == "cpu":
                torch.set_num_threads(self.threads)
            if progress:
                progress(Message("loading {name} on {device} ({dtype})", name=self.name, device=self._device,
                                 dtype=str(dtype).removeprefix("torch.")), None)
            try:
                config = AutoConfig.from_pretrained(str(self.model_dir))
            except Exception as exc:
                raise load_error(exc, f"the vision model's config in {self.model_dir}", "Fix screen.vision_model "
                                 "or delete that folder to fetch it again.") from exc
            if not hasattr(config, "vision_config"):
                raise ModelError("vision-not-vlm", f"{self.name} is a text-only model, not an image-text-to-text "
                                 "model. Choose a VLM such as HuggingFaceTB/SmolVLM-256M-Instruct or "
                                 "Qwen/Qwen2.5-VL-3B-Instruct for screen.vision_model.")
            try:
                processor = AutoProcessor.from_pretrained(str(self.model_dir))
            except Exception as exc:
                raise load_error(exc, f"the vision model's processor from {self.model_dir}", "Fix "
                                 "screen.vision_model or delete that folder to fetch it again.") from exc
            if getattr(processor, "image_processor", None) is None:
                raise ModelError("vision-not-vlm", f"{self.name} has no image processor: it is not an image-text-to-"
                                 "text model. Choose a VLM such as HuggingFaceTB/SmolVLM-256M-Instruct for "
                                 "screen.vision_model.")
            try:
                model = AutoModelForImageTextToText.from_pretrained(str(self.model_dir), dtype=dtype)
            except ValueError as exc:  # transformers' "Unrecognized configuration class" for a text-only model
                raise ModelError("vision-not-vlm", f"{self.name} is not an image-text-to-text model ({exc}). Choose "
                                 "a VLM such as HuggingFaceTB/SmolVLM-256M-Instruct or Qwen/Qwen2.5-VL-3B-Instruct "
                                 "for screen.vision_model.") from exc
            except Exception as exc:
                raise load_error(exc, f"the vision model from {self.model_dir}", "Fix screen.vision_model or "
                                 "delete that folder to fetch it again.") from exc
            model.eval()
            if self._device != "cpu":
                model.to(self._device)
            self._processor, self._model = processor, model

    def _conversation(self, messages: Sequence[ChatMessage]) -> list[dict]:
        """The processor's multimodal chat format: each image as a content part before the message's text."""
        conversation = []
        for message in messages:
            parts: list[dict] = [{"type": "image", "image": image.downscaled(self.max_image_side).to_pil()}
                                 for image in message.images]
            parts.append({"type": "text", "text": message.content})
            conversation.append({"role": message.role.value, "content": parts})
        return conversation

    def _inputs(self, messages: Sequence[ChatMessage]) -> dict:
        assert self._processor is not None
        try:
            enc = self._processor.apply_chat_template(self._conversation(messages), add_generation_prompt=True,
                                                      tokenize=True, return_dict=True, return_tensors="pt")
        except Exception as exc:
            raise ModelError("vision-failed", f"{self.name} could not prepare the image and question: {exc}") from exc
        return {k: (v.to(self._device) if hasattr(v, "to") else v) for k, v in enc.items()}

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Text tokens plus an estimate per image (the exact count depends on the model's tiling)."""
        self.load()
        tokenizer = getattr(self._processor, "tokenizer", self._processor)
        text = sum(len(tokenizer(m.content)["input_ids"]) for m in messages)  # type: ignore[operator]
        return text + IMAGE_TOKENS_ESTIMATE * sum(len(m.images) for m in messages)

    def _generation_kwargs(self, prompt_tokens: int) -> dict:
        assert self._model is not None and self._processor is not None
        tokenizer = getattr(self._processor, "tokenizer", None)
        config = self._model.generation_config
        kwargs = {"max_new_tokens": self.max_new_tokens,
                  "pad_token_id": config.pad_token_id or getattr(tokenizer, "pad_token_id", None)
                  or getattr(tokenizer, "eos_token_id", None)}
        kwargs.update(sampling_kwargs(self.temperature, self.repetition_penalty, prompt_tokens))
        return kwargs

    def stream(self, messages: Sequence[ChatMessage], *, cancel: CancelToken) -> Iterator[str]:
        """Yield the answer as it is generated; stops within a token of ``cancel``; a failure inside generate()
        is raised here."""
        self.load()
        tokenizer = getattr(self._processor, "tokenizer", self._processor)
        inputs = self._inputs(messages)
        kwargs = self._generation_kwargs(inputs["input_ids"].shape[1])
        yield from stream_generate(self._model, tokenizer, inputs, kwargs,
                                   cancel=cancel, first_token_timeout_s=self.first_token_timeout_s,
                                   what="the vision model", fix="Lower screen.max_image_side or choose a smaller "
                                   "screen.vision_model.")
