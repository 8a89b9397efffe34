"""`QuizService`: what the CLI and the web page call for quizzes, progress and review.

It joins the live generation's question bank, the pure policies (grading, BKT mastery, the
review ladder) and the learners store. No LLM runs at quiz time: picking, grading and
feedback are table look-ups and arithmetic (well under the 200 ms round-trip budget).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.chunking import Chunk
from tutor.config import Settings
from tutor.learners import LEVEL_WINDOW, LearnerStore, QuizState
from tutor.learning import mastery as bkt
from tutor.learning.bank import (
    BANK_FILE,
    BankReport,
    ClozeGenerator,
    LLMGenerator,
    ProgressCallback,
    QuizItem,
    load_bank,
    refresh_bank,
)
from tutor.learning.grading import grade
from tutor.learning.review import Review, next_item_review, next_topic_review
from tutor.topics import TopicMap, infer_level

RECENT_WINDOW = 10  # items seen this recently are picked again only when nothing else is left
HISTORY_LIMIT = 500  # attempts read to prefer never-tried items
CHECK_ITEMS = 3  # "I know this already": three right choices from scratch reach mastery (see mastery.py)


def chunk_topics(topic_map: TopicMap, chunks: Sequence[Chunk]) -> dict[str, str]:
    """Chunk id -> topic id under the generation's topics.json (a chunk's topic is its document's;
    chunks of hidden or unfiled documents get none, so no item is made for them)."""
    owners = topic_map.owners()
    return {chunk.chunk_id: owners[chunk.doc_id] for chunk in chunks if chunk.doc_id in owners}


def build_generation_bank(
    settings: Settings,
    folder: Path,
    chunks: Sequence[Chunk],
    topic_map: TopicMap,
    previous: Path | None,
    llm: str | None = None,
    llm_chunks: int | None = None,
    progress: ProgressCallback | None = None,
) -> BankReport:
    """The bank of the generation in `folder`: items of `previous` whose chunks are unchanged kept,
    the no-LLM cloze generator always, a chat model too when `llm` names one (at most `llm_chunks`
    calls). The index build and `tutor quiz build` both call this."""
    generators: list = [ClozeGenerator()]
    if llm:
        from tutor.llm import make_chat_model

        generators.append(LLMGenerator(make_chat_model(settings, llm, streaming=False), budget=llm_chunks))
    return refresh_bank(chunks, chunk_topics(topic_map, chunks), previous, folder, generators, progress)


def live_folder(settings: Settings) -> Path:
    """The live generation's folder (IndexMissing when nothing is indexed)."""
    from tutor.index import IndexMissing, current_generation

    live = current_generation(settings)
    if live is None:
        raise IndexMissing(settings.index_dir)
    return settings.index_dir / live


def build_live_bank(
    settings: Settings, llm: str | None = None, llm_chunks: int | None = None, progress: ProgressCallback | None = None
) -> BankReport:
    """Complete the live generation's bank in place (e.g. with a chat model on demand), saving
    after every chunk so an interrupted run resumes where it stopped."""
    from tutor.index import load_chunks, load_topic_map

    folder = live_folder(settings)
    topic_map = load_topic_map(settings, folder.name)
    return build_generation_bank(settings, folder, load_chunks(folder), topic_map, folder, llm, llm_chunks, progress)


def live_bank_exists(settings: Settings) -> bool:
    from tutor.index import current_generation

    live = current_generation(settings)
    return live is not None and (settings.index_dir / live / BANK_FILE).exists()


@dataclass
class Feedback:
    """The verdict on one answer, with the passage that answers it and the learner's new standing."""

    item_id: str
    topic: str
    correct: bool
    expected: str
    how: str
    quote: str
    citation: dict  # {"chunk_id", "doc_id", "title", "section"}
    mastery_before: float
    mastery: float
    mastered: bool
    next_review: float | None  # when this item (if missed) or else this topic comes back

    @property
    def message(self) -> str:
        """What the learner reads: the verdict, then the quoted source with its citation."""
        verdict = "Right." if self.correct else f"Not quite: the answer is “{self.expected}”."
        where = self.citation["title"] + (f" › {self.citation['section']}" if self.citation["section"] else "")
        return f"{verdict} The source says: “{self.quote}” ({where})"

    def to_dict(self) -> dict:
        return {**self.__dict__, "message": self.message}


class QuizService:
    """Quizzes over a bank of items for learners in a store; callers pass `now` to control time."""

    def __init__(self, store: LearnerStore, items: list[QuizItem], topics: TopicMap | None = None) -> None:
        topics = topics or TopicMap()
        self.store = store
        self.items = sorted(items, key=lambda item: item.id)
        self.by_id = {item.id: item for item in self.items}
        self.labels = {item.topic: item.title for item in self.items} | {t.id: t.label for t in topics.topics}
        self.related = {topic.id: list(topic.related) for topic in topics.topics}

    @classmethod
    def open(cls, settings: Settings, store: LearnerStore | None = None) -> QuizService:
        """Over the live index generation's bank and topics (IndexMissing when nothing is indexed)."""
        from tutor.index import load_topic_map

        folder = live_folder(settings)
        return cls(store or LearnerStore(settings), load_bank(folder), load_topic_map(settings, folder.name))

    def topics(self) -> list[str]:
        return sorted({item.topic for item in self.items})

    # ------------------------------------------------------------ picking

    def next_item(self, learner: str, topic: str | None = None, now: float | None = None) -> QuizItem | None:
        """Due reviews first (missed items, then topics), then the weakest topic; never the item
        just answered, and items seen recently only when nothing else is left."""
        now = time.time() if now is None else now
        pool = [item for item in self.items if topic is None or item.topic == topic]
        history = self.store.attempts(learner, limit=HISTORY_LIMIT)
        last = history[0]["item_id"] if history else None
        pool = [item for item in pool if item.id != last]
        if not pool:
            return None
        tried = Counter(attempt["item_id"] for attempt in history)
        recent = {attempt["item_id"] for attempt in history[:RECENT_WINDOW]}
        in_pool = {item.id for item in pool}
        for review in self.store.reviews(learner, due_by=now):
            if review["kind"] == "item" and review["subject"] in in_pool:
                return self.by_id[review["subject"]]
            if review["kind"] == "topic" and (picked := self._pick(pool, review["subject"], tried, recent)):
                return picked
        standing = self.store.mastery(learner)
        ordered = sorted({item.topic for item in pool}, key=lambda t: (self._effective(standing.get(t), now), t))
        return next(filter(None, (self._pick(pool, t, tried, recent) for t in ordered)), None)

    @staticmethod
    def _pick(pool: list[QuizItem], topic: str, tried: Counter, recent: set[str]) -> QuizItem | None:
        """The topic's least-tried item, outside the recent window when possible."""
        candidates = [item for item in pool if item.topic == topic]
        return min(candidates, key=lambda item: (item.id in recent, tried[item.id], item.id), default=None)

    @staticmethod
    def _effective(row: dict | None, now: float) -> float:
        return bkt.P_INIT if row is None else bkt.effective(row["p_known"], row["updated"], now)

    def check_known(self, learner: str, topic: str, now: float | None = None, count: int = CHECK_ITEMS) -> list[QuizItem]:
        """'I know this already': a short check of `count` items (multiple choice first) instead of a click.
        Answering them through `answer` moves mastery; three right choices reach it."""
        items = [item for item in self.items if item.topic == topic]
        if not items:
            raise ValueError(f"no quiz items for topic {topic!r}")
        history = self.store.attempts(learner, limit=HISTORY_LIMIT)
        tried = Counter(attempt["item_id"] for attempt in history)
        return sorted(items, key=lambda item: (item.kind != "choice", tried[item.id], item.id))[:count]

    # ------------------------------------------------------------ answering

    def answer(self, learner: str, item_id: str, response: str, now: float | None = None) -> Feedback:
        """Grade at once (no LLM), record the attempt, update mastery and the review schedule."""
        now = time.time() if now is None else now
        item = self.by_id.get(item_id)
        if item is None:
            raise ValueError(f"unknown quiz item {item_id!r}")
        verdict = grade(response, item.answer, list(item.choices))
        guess = bkt.guess_probability(len(item.choices))
        before: list[float] = []

        def policy(state: QuizState) -> QuizState:
            start = bkt.P_INIT if state.p_known is None else bkt.effective(state.p_known, state.updated, now)
            before.append(start)
            item_review = next_item_review(_review(state.item_review), verdict.correct, now)
            topic_review = next_topic_review(_review(state.topic_review), verdict.correct, now)
            return QuizState(
                p_known=bkt.update(start, verdict.correct, guess),
                attempts=state.attempts + 1,
                correct=state.correct + verdict.correct,
                updated=now,
                item_review=item_review and (item_review.step, item_review.due),
                topic_review=(topic_review.step, topic_review.due),
            )

        after = self.store.record_attempt(learner, item.id, item.topic, response, verdict.correct, now, policy)
        due = after.item_review or after.topic_review
        return Feedback(
            item_id=item.id,
            topic=item.topic,
            correct=verdict.correct,
            expected=item.answer,
            how=verdict.how,
            quote=item.quote,
            citation={"chunk_id": item.chunk_id, "doc_id": item.doc_id, "title": item.title, "section": item.section},
            mastery_before=before[-1],
            mastery=after.p_known,
            mastered=bkt.is_mastered(after.p_known),
            next_review=due[1] if due else None,
        )

    # ------------------------------------------------------------ progress

    def progress(self, learner: str, now: float | None = None) -> dict:
        """Mastery per topic (every topic of the bank, decayed by time since practice) and due reviews."""
        now = time.time() if now is None else now
        standing = self.store.mastery(learner)
        topics = []
        for topic in sorted(set(self.topics()) | set(standing)):
            row = standing.get(topic)
            p = self._effective(row, now)
            topics.append(
                {
                    "topic": topic,
                    "label": self.labels.get(topic, topic),
                    "mastery": round(p, 3),
                    "mastered": bkt.is_mastered(p),
                    "decaying": bool(row) and bkt.is_decaying(row["p_known"], row["updated"], now),
                    "attempts": row["attempts"] if row else 0,
                    "correct": row["correct"] if row else 0,
                }
            )
        due = [
            {**review, "label": self.labels.get(review["topic"], review["topic"]),
             "question": self.by_id[review["subject"]].question if review["subject"] in self.by_id else None}
            for review in self.store.reviews(learner, due_by=now)
        ]
        return {"learner": learner, "topics": topics, "due": due, **self._guidance(learner, topics, standing, now)}

    def _guidance(self, learner: str, topics: list[dict], standing: dict[str, dict], now: float) -> dict:
        """What to explore next (related, unmastered topics) and the level quizzes and questions
        point to together (mastery.blend_level: one step at a time, never flip-flopping)."""
        profile = self.store.profile(learner)
        recent = self.store.attempts(learner, limit=1)
        current = [recent[0]["topic"]] if recent else []
        mean, attempts = bkt.quiz_standing(standing.values(), now)
        questions = [turn.question for turn in self.store.history(learner, limit=LEVEL_WINDOW)]
        asked = infer_level(questions) if len(questions) >= 2 else None  # infer_level's own minimum
        level = bkt.blend_level(profile.level, asked, mean, attempts)
        shown = {t["topic"]: t["mastery"] for t in topics}
        return {"explore_next": bkt.explore_next(shown, self.related, current), "suggested_level": level}


def _review(stored: tuple[int, float] | None) -> Review | None:
    return None if stored is None else Review(*stored)
