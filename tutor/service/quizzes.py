"""Quizzes for both faces: the live generation's question bank, reopened when a re-index swaps it.

The faces never open the bank or the quiz tables themselves; they call `Quizzes`, which keeps
one `QuizService` per live generation (like `Pedagogy` keeps its topics) and reads the time
from one clock, so a test or a demo can shift it (`Settings.clock_offset_s`) and see reviews
fall due without waiting days.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tutor.config import Settings
from tutor.learners import LearnerStore
from tutor.learning.bank import BankReport, ProgressCallback, QuizItem
from tutor.learning.service import (
    Feedback,
    QuizService,
    build_live_bank,
    live_bank_exists,
)


class Quizzes:
    """Next item, answer, progress and the "I know this already" check, for the live generation."""

    def __init__(self, settings: Settings, store: LearnerStore | None = None, clock: Callable[[], float] | None = None) -> None:
        self.settings = settings
        self.store = store or LearnerStore(settings)
        self.clock = clock or (lambda: time.time() + settings.clock_offset_s)
        self._lock = threading.Lock()
        self._loaded: tuple[str | None, QuizService] = (None, QuizService(store, []))

    def service(self) -> QuizService:
        """The live generation's quiz service (an empty one before anything is indexed)."""
        from tutor.index import current_generation  # numpy, bm25s: not at CLI start-up

        live = current_generation(self.settings)
        with self._lock:
            if live is not None and self._loaded[0] != live:
                self._loaded = (live, QuizService.open(self.settings, self.store))
            return self._loaded[1]

    def has_bank(self) -> bool:
        """Whether the live generation carries a bank (those indexed before banks existed do not)."""
        return live_bank_exists(self.settings)

    def bank(self, topic: str | None = None) -> list[QuizItem]:
        """The live bank's items (of `topic` only when given), its cloze bank built first if missing."""
        if not self.has_bank():
            self.build()
        return [item for item in self.service().items if topic is None or item.topic == topic]

    def build(
        self, llm: str | None = None, llm_chunks: int | None = None, progress: ProgressCallback | None = None
    ) -> BankReport:
        """Complete the live bank in place (a chat model's items on demand); reopened on next use."""
        report = build_live_bank(self.settings, llm, llm_chunks, progress)
        with self._lock:
            self._loaded = (None, self._loaded[1])
        return report

    def topics(self) -> list[tuple[str, str]]:
        """(label, topic id) of every topic with items, by label: what a learner can be quizzed on."""
        service = self.service()
        return sorted((service.labels.get(topic, topic), topic) for topic in service.topics())

    def item(self, item_id: str | None) -> QuizItem | None:
        """An item of the live bank by id (None once a re-index dropped it)."""
        return self.service().by_id.get(item_id) if item_id else None

    def label(self, topic: str) -> str:
        return self.service().labels.get(topic, topic)

    def next_item(self, learner: str, topic: str | None = None) -> QuizItem | None:
        """Due reviews first, then the weakest topic (only `topic`'s items when given)."""
        return self.service().next_item(learner, topic, now=self.clock())

    def check_known(self, learner: str, topic: str) -> list[QuizItem]:
        """The short check behind "I know this already" (ValueError for a topic without items)."""
        return self.service().check_known(learner, topic, now=self.clock())

    def answer(self, learner: str, item_id: str, response: str) -> Feedback:
        """Grade at once and record the attempt (ValueError for an item no longer in the bank)."""
        return self.service().answer(learner, item_id, response, now=self.clock())

    def progress(self, learner: str) -> dict:
        """Mastery per topic, due reviews, what to explore next and the suggested level."""
        return self.service().progress(learner, now=self.clock())
