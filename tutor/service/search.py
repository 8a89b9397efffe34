"""Hybrid search as `tutor search --json` and the app's `/api/search` return it."""

from __future__ import annotations

from tutor.config import Settings
from tutor.retrieval import HybridRetriever, open_retriever


class SearchService:
    """Search over the live index (follows re-indexing: the retriever reopens on a new generation)."""

    def __init__(self, settings: Settings, retriever: HybridRetriever | None = None) -> None:
        self.retriever = retriever or open_retriever(settings)

    def search(self, query: str, k: int = 5, kind: str | None = None, doc: str | None = None) -> list[dict]:
        """The `tutor search --json` objects, best first."""
        return [hit.to_dict() for hit in self.retriever.search(query, k=k, kind=kind, doc_id=doc)]
