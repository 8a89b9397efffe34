"""The one place the service layer uses `tutor.topics`: filing, levels, suggestions, hints.

Topics are derived from the content at index time and stored with the live generation;
`Pedagogy` reads them (a small JSON file) and re-reads them when a re-index swaps the
generation, so a new article's topic and suggestions appear without a restart.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable

from tutor.config import Settings
from tutor.topics import (
    DEFAULT_LEVEL,
    LEVELS,
    TopicMap,
    level_instruction,
    returning_hint,
    suggest_next,
    topics_of_documents,
)

__all__ = ["DEFAULT_LEVEL", "Pedagogy", "levels", "pitch"]


def levels() -> tuple[str, ...]:
    """The levels a learner can choose, easiest first."""
    return tuple(LEVELS)


def pitch(level: str) -> str:
    """The system-prompt line that pitches an answer at `level`."""
    return level_instruction(level)


class Pedagogy:
    """The live generation's topics and the policies over them."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._loaded: tuple[str | None, TopicMap] = (None, TopicMap())

    def topic_map(self) -> TopicMap:
        """The topics of the live generation (reloaded after a re-index)."""
        from tutor.index import (  # numpy, bm25s: not at CLI start-up
            current_generation,
            load_topic_map,
        )

        live = current_generation(self.settings)
        with self._lock:
            if live is not None and self._loaded[0] != live:
                self._loaded = (live, load_topic_map(self.settings, live))
            return self._loaded[1]

    def topics_of(self, cited_doc_ids: Iterable[str]) -> list[str]:
        """The topics an answered question is filed under: those of the documents it cites."""
        return topics_of_documents(self.topic_map(), cited_doc_ids)

    def topic_counts(self, explored: dict[str, int]) -> list[tuple[str, int]]:
        """(label, questions) of a learner's topics under today's ids, most asked first."""
        topic_map = self.topic_map()
        counts = topic_map.current(explored)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], topic_map.label(item[0])))
        return [(topic_map.label(topic_id), count) for topic_id, count in ranked]

    def next_questions(
        self, explored: dict[str, int], current: list[str], asked: set[str], mastered: Collection[str] = (), nearest: list[str] = ()
    ) -> list[str]:
        """Checked questions of the nearest, related and least-explored topics, never one already
        asked, and none of a topic the learner has mastered while other topics remain."""
        return suggest_next(self.topic_map(), explored, current, asked, mastered=mastered, nearest=nearest)

    def hint(self, explored: dict[str, int], current: list[str]) -> str | None:
        """A nudge for a returning learner (None for a newcomer)."""
        return returning_hint(self.topic_map(), explored, current) if explored else None

    def technical_terms(self) -> frozenset[str]:
        """The content's own vocabulary, one of the signals of an advanced learner."""
        return self.topic_map().terms
