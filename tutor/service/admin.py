"""Admin work shared by `tutor corpus import` / `tutor index` and the page's Admin tab:
import, re-index with progress, statistics and health. One implementation, two faces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.config import Settings
from tutor.corpus import ImportReport, import_files, load_documents
from tutor.corpus.holding import held_documents, release
from tutor.profile import InstituteProfile, load_profile
from tutor.topics import TopicMap

if TYPE_CHECKING:  # heavy (numpy, bm25s, chroma): imported by the methods that need them
    from tutor.index import IndexSummary
    from tutor.retrieval import HybridRetriever
    from tutor.service.learner import LearnerService

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class CorpusStats:
    """What the Admin tab shows about the corpus, the index and the learners."""

    documents: dict[str, int]  # kind -> count
    problems: list[str]
    index: dict | None  # None until the first `tutor index`
    learners: int
    feedback_up: int
    feedback_down: int


@dataclass
class Health:
    """What `/health` answers; `status` 200 means ready to answer."""

    payload: dict
    status: int


class AdminService:
    """Import, re-index, statistics and health over one set of settings."""

    def __init__(
        self,
        settings: Settings,
        learners: LearnerService | None = None,
        retriever: HybridRetriever | None = None,
        llm_name: str | None = None,
    ) -> None:
        self.settings = settings
        self._learners = learners
        self.retriever = retriever
        self.llm_name = llm_name or settings.llm

    @cached_property
    def learners(self) -> LearnerService:
        """The learners service (opened only when statistics are asked for)."""
        from tutor.service.learner import LearnerService

        return self._learners or LearnerService(self.settings)

    def has_index(self) -> bool:
        """Whether a live index generation exists (the app cannot answer without one)."""
        from tutor.index import current_generation

        return current_generation(self.settings) is not None

    def profile(self) -> InstituteProfile:
        """The institute profile of the corpus (`corpus/institute.yaml`; neutral without one)."""
        return load_profile(self.settings.corpus_dir)

    def topics(self) -> TopicMap:
        """The topics of the live index generation, with their documents and suggestions."""
        from tutor.index import IndexMissing, current_generation, load_topic_map

        live = current_generation(self.settings)
        if live is None:
            raise IndexMissing(self.settings.index_dir)
        return load_topic_map(self.settings, live)

    def import_files(self, paths: list[Path], kind: str | None = None) -> ImportReport:
        """Add saved HTML pages, PDFs, Markdown and scraped pages to the corpus (`kind` forces
        article or course); bad files are reported by name, never fatal."""
        return import_files(paths, self.settings.corpus_dir, kind)

    def held(self) -> list[dict]:
        """Documents an import held for review (instruction-like text aimed at the assistant)."""
        return held_documents(self.settings.corpus_dir)

    def release(self, document_id: str) -> Path:
        """Let a held document into the corpus after an admin has read it (index next)."""
        return release(self.settings.corpus_dir, document_id)

    def reindex(self, rebuild: bool = False, progress: Progress | None = None) -> IndexSummary:
        """Bring the index up to date (a new generation swapped in atomically); IndexBusy if one runs."""
        from tutor.index import build_index

        return build_index(self.settings, rebuild=rebuild, progress=progress)

    def stats(self) -> CorpusStats:
        from tutor.index import IndexMissing, index_stats

        documents, problems = load_documents(self.settings.corpus_dir)
        try:
            index = index_stats(self.settings)
        except IndexMissing:
            index = None
        feedback = self.learners.feedback(limit=100_000)
        return CorpusStats(
            documents=dict(Counter(d.kind for d in documents)),
            problems=[str(p) for p in problems],
            index=index,
            learners=len(self.learners.learners()),
            feedback_up=sum(f["rating"] > 0 for f in feedback),
            feedback_down=sum(f["rating"] < 0 for f in feedback),
        )

    def health(self) -> Health:
        """Ready (200) when the live index exists and its search service answers, else 503."""
        from tutor.index import IndexMissing, index_stats

        try:
            stats = index_stats(self.settings)
        except IndexMissing:
            return Health({"status": "degraded", "index": None, "llm": self.llm_name, "error": "no index"}, 503)
        index = {key: stats[key] for key in ("generation", "chunks", "documents", "created")}
        if self.retriever is not None and not self.retriever.reachable():
            return Health({"status": "degraded", "index": index, "llm": self.llm_name, "error": "search service unreachable"}, 503)
        return Health({"status": "ok", "index": index, "llm": self.llm_name}, 200)


def describe_reindex(summary: IndexSummary) -> str:
    """One line on what a re-index did: the same words in the terminal and in the Admin tab."""
    facts = summary.to_dict()
    if not summary.swapped:
        return f"The index was already up to date ({facts['chunks']} chunks, generation {facts['generation']})."
    verb = "Rebuilt" if summary.rebuilt else "Re-indexed"
    return (
        f"{verb} in {facts['seconds']:.1f} s: {facts['added']} added, {facts['updated']} updated, "
        f"{facts['removed']} removed, {facts['unchanged']} unchanged documents; {facts['chunks']} chunks "
        f"({facts['embedded']} embedded). Live generation: {facts['generation']}."
    )
