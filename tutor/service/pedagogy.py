"""The one place the service layer uses `tutor.topics`: tagging, levels, suggestions, hints.

The topic taxonomy is being replaced by topics derived from the index; keeping every call
here means that swap touches this module only.
"""

from __future__ import annotations

from tutor.topics import LEVELS, TOPICS, level_instruction, returning_hint, suggest_next, tag_topics

DEFAULT_LEVEL = "intermediate"


def levels() -> tuple[str, ...]:
    """The levels a learner can choose, easiest first."""
    return tuple(LEVELS)


def topic_labels() -> dict[str, str]:
    """Topic id -> the label shown to students."""
    return {topic.id: topic.label for topic in TOPICS}


def topics_of(question: str, cited_titles: list[str]) -> list[str]:
    """The topics an answered question belongs to (its words and its sources' titles)."""
    return tag_topics(" ".join([question, *cited_titles]))


def next_questions(explored: dict[str, int], current: list[str], asked: set[str]) -> list[str]:
    """Questions the corpus answers, from related and least-explored topics, never one already asked."""
    return suggest_next(explored, current, asked)


def hint(explored: dict[str, int], current: list[str]) -> str | None:
    """A nudge for a returning learner (None for a newcomer)."""
    return returning_hint(explored, current) if explored else None


def pitch(level: str) -> str:
    """The system-prompt line that pitches an answer at `level`."""
    return level_instruction(level)
