"""Topics of the live content, and the policies built on them (filing, suggestions, hints, level).

The topics themselves are data: derived from the corpus at index time (`topic_build.py`) and
stored with the index generation as `topics.json`. Everything here is pure: no files, no
database, no clock, so filing, level inference and suggestions are deterministic and testable
on any corpus. Every suggestion in a `TopicMap` was answered by the agent when it was made.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import asdict, dataclass, field
from itertools import zip_longest

LEVELS = ("beginner", "intermediate", "advanced")
DEFAULT_LEVEL = "intermediate"
MAX_TAGS = 3

# How learners say they are new, or that they want depth: English phrasing, not subject words
# (those come from the content: `TopicMap.terms`).
BEGINNER_CUES = (
    "what is", "what's", "explain", "i'm new", "i am new", "new to", "simple", "simply",
    "beginner", "basics", "in plain", "layman", "eli5", "don't understand", "confused",
)
EXPERT_CUES = (
    "in depth", "in detail", "trade-off", "tradeoff", "architecture", "implementation",
    "specifically", "technical details", "under the hood", "compared to", "versus",
)
LEVEL_INSTRUCTIONS = {
    "beginner": "Pitch the answer for a newcomer: use plain words, define any technical term, and keep it short.",
    "intermediate": "Pitch the answer for a learner with some background: be clear and explain only less common terms.",
    "advanced": "Pitch the answer for an expert: be concise and precise, technical terms need no definition.",
}


@dataclass(frozen=True)
class Topic:
    """One area of the content: its documents, its neighbours and questions it answers."""

    id: str
    label: str
    documents: tuple[str, ...]
    related: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # distinctive words of its documents, most distinctive first
    suggestions: tuple[str, ...] = ()
    hidden: bool = False  # an editor hid it (corpus/topics.yaml): never shown, filed or suggested

    def to_dict(self) -> dict:
        return {key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()}


@dataclass(frozen=True)
class TopicMap:
    """The topics of one index generation, plus the ids earlier generations or merges used."""

    topics: tuple[Topic, ...] = ()
    aliases: dict[str, str] = field(default_factory=dict)  # retired topic id -> current id

    @classmethod
    def from_dict(cls, data: dict) -> TopicMap:
        topics = tuple(
            Topic(**{k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}) for raw in data.get("topics", [])
        )
        return cls(topics=topics, aliases=dict(data.get("aliases", {})))

    def to_dict(self) -> dict:
        return {"topics": [t.to_dict() for t in self.topics], "aliases": self.aliases}

    @property
    def by_id(self) -> dict[str, Topic]:
        return {topic.id: topic for topic in self.topics}

    @property
    def visible(self) -> tuple[Topic, ...]:
        """The topics learners see (all but those an editor hid)."""
        return tuple(topic for topic in self.topics if not topic.hidden)

    def resolve(self, topic_id: str) -> str | None:
        """The current id for an id a learner's record may hold (renamed or merged since)."""
        seen = set()
        while topic_id not in self.by_id and topic_id in self.aliases and topic_id not in seen:
            seen.add(topic_id)
            topic_id = self.aliases[topic_id]
        return topic_id if topic_id in self.by_id else None

    def current(self, explored: dict[str, int]) -> dict[str, int]:
        """A learner's topic counts under today's ids; retired ids fold into their successors."""
        counts: Counter[str] = Counter()
        for topic_id, count in explored.items():
            if (resolved := self.resolve(topic_id)) is not None:
                counts[resolved] += count
        return dict(counts)

    @property
    def terms(self) -> frozenset[str]:
        """The content's own technical vocabulary, for the level inference: its distinctive
        phrases of two words or more ("cognitive load", "pilot purgatory"); single distinctive
        words ("degree", "workshop") are what every learner of that topic asks about."""
        return frozenset(term for topic in self.topics for term in topic.terms if " " in term)

    def label(self, topic_id: str) -> str:
        return self.by_id[topic_id].label if topic_id in self.by_id else topic_id

    def owners(self) -> dict[str, str]:
        """Document id -> the visible topic holding it: a chunk's topic is its document's, so
        answers are filed and quiz items grouped the same way."""
        return {doc: topic.id for topic in self.visible for doc in topic.documents}


# ---------------------------------------------------------------- filing questions


def topics_of_documents(topic_map: TopicMap, doc_ids: Iterable[str]) -> list[str]:
    """Topics of the documents an answer cites, most cited first (at most 3): a question is
    filed under what actually answered it, not under words it happens to contain."""
    owner = topic_map.owners()
    counts = Counter(owner[doc] for doc in doc_ids if doc in owner)
    order = {topic.id: i for i, topic in enumerate(topic_map.visible)}
    return sorted(counts, key=lambda tid: (-counts[tid], order[tid]))[:MAX_TAGS]


# ---------------------------------------------------------------- level


def _phrase_count(text: str, phrases: Collection[str]) -> int:
    """How many of `phrases` occur in `text` as whole words (case-insensitive)."""
    low = text.lower().replace("\u2019", "'")
    return sum(1 for p in phrases if re.search(rf"(?<!\w){re.escape(p.lower())}(?!\w)", low))


def infer_level(questions: list[str], technical_terms: Collection[str] = ()) -> str:
    """The learner's level from their own questions: expert phrasing and the content's own
    technical terms push up, newcomer phrasing pushes down (too few questions -> intermediate)."""
    if len(questions) < 2:
        return DEFAULT_LEVEL
    up = EXPERT_CUES + tuple(technical_terms)
    score = sum(_phrase_count(q, up) - _phrase_count(q, BEGINNER_CUES) for q in questions)
    mean = score / len(questions)
    if mean >= 0.5:
        return "advanced"
    if mean <= -0.5:
        return "beginner"
    return DEFAULT_LEVEL


def level_instruction(level: str) -> str:
    """One sentence telling the LLM how to pitch its answer for `level`."""
    if level not in LEVEL_INSTRUCTIONS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return LEVEL_INSTRUCTIONS[level]


# ---------------------------------------------------------------- what next


def _key(question: str) -> str:
    """How questions are compared: a re-typed question with other case or spacing is the same."""
    return " ".join(question.casefold().split())


def _least_explored(ids: list[str], explored: dict[str, int]) -> list[str]:
    """`ids` by explored count, ascending; the sort is stable, so ties keep their given order."""
    return sorted(ids, key=lambda tid: explored.get(tid, 0))


def _ranked_topics(topic_map: TopicMap, explored: dict[str, int], current: list[str]) -> list[Topic]:
    """Topics related to the current ones first, then the rest; least explored first in each group."""
    by_id = {topic.id: topic for topic in topic_map.visible}
    related = [rid for cid in current if cid in by_id for rid in by_id[cid].related]
    first = [rid for rid in dict.fromkeys(related) if rid not in current and rid in by_id]
    rest = [topic.id for topic in topic_map.visible if topic.id not in first]
    return [by_id[tid] for tid in _least_explored(first, explored) + _least_explored(rest, explored)]


def suggest_next(
    topic_map: TopicMap,
    explored: dict[str, int],
    current: list[str],
    asked: set[str],
    limit: int = 3,
    mastered: Collection[str] = (),
    nearest: list[str] = (),
) -> list[str]:
    """Up to `limit` unasked questions, one per topic in ranked order before any topic gets a second.
    Topics the learner has `mastered` (quizzes) are left out while others still have questions:
    what to explore next is something not yet known. After a decline, the questions of the
    topics the search found come first (`nearest`): "How much is tuition at Harvard?" is best
    followed by what the content does say about fees."""
    explored = topic_map.current(explored)
    seen = {_key(question) for question in asked}
    ranked = [
        (topic.id, [q for q in topic.suggestions if _key(q) not in seen])
        for topic in _ranked_topics(topic_map, explored, current)
    ]
    unmastered = [(topic_id, queue) for topic_id, queue in ranked if topic_id not in mastered]
    queues = unmastered if any(queue for _, queue in unmastered) else ranked
    by_topic = dict(queues)
    near = [by_topic[topic_id] for topic_id in dict.fromkeys(nearest) if topic_id in by_topic]
    rest = [queue for topic_id, queue in queues if topic_id not in nearest]
    return (_round_robin(near) + _round_robin(rest))[: max(limit, 0)]


def _round_robin(queues: list[list[str]]) -> list[str]:
    """The first question of every queue, then the second of every queue, and so on."""
    return [question for round_ in zip_longest(*queues) for question in round_ if question is not None]


def returning_hint(topic_map: TopicMap, explored: dict[str, int], current: list[str]) -> str | None:
    """One sentence linking a topic explored before to a related, still unexplored one, or None."""
    explored = topic_map.current(explored)
    by_id = {topic.id: topic for topic in topic_map.visible}
    earlier = [tid for tid, count in explored.items() if count > 0 and tid in by_id]
    # Prefer an earlier topic the learner is on again now, then the most explored.
    earlier.sort(key=lambda tid: (tid not in current, -explored[tid], tid))
    for tid in earlier:
        for rid in by_id[tid].related:
            if rid in by_id and explored.get(rid, 0) == 0 and rid not in current:
                return f"You explored {by_id[tid].label} before; {by_id[rid].label} pairs well with it."
    return None
