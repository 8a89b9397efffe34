"""Learner views for both faces: profile, history, conversations, topics, progress, feedback.

The faces never open the learners store; they ask this service, which reads each learner's
state once per question (`state`) and derives everything else from that snapshot.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from tutor.config import Settings
from tutor.learners import (
    Conversation,
    LearnerProfile,
    LearnerStore,
    Turn,
    validate_learner_id,
)
from tutor.learning.mastery import mastered_topics
from tutor.service import pedagogy
from tutor.service.events import Citation, TutorAnswer

FOLLOW_UP_TURNS = 3  # earlier questions of a conversation that can make a question a follow-up
CONVERSATION_WINDOW_S = 2 * 3600  # stored turns older than this never make a question a follow-up
ASKED_WINDOW = 200  # recent questions never suggested again
CONVERSATION_TURNS_SHOWN = 50  # turns of a conversation shown when it is reopened
EARLIER = ""  # the conversation of the turns stored before conversations existed


def new_conversation_id() -> str:
    """A fresh, unguessable conversation id (it is stored with every turn of the conversation)."""
    return uuid.uuid4().hex


@dataclass
class ConversationThread:
    """The conversation a face is in: its id and its questions so far (for follow-ups)."""

    id: str = field(default_factory=new_conversation_id)
    questions: list[str] = field(default_factory=list)
    last_declined: bool = False  # the last of `questions` was declined (see policy.prefers_context)

    def follow_up_context(self) -> tuple[list[str], bool]:
        """The earlier questions a new question may follow up on, and whether the last was declined."""
        return self.questions[-FOLLOW_UP_TURNS:], self.last_declined

    def add(self, answer: TutorAnswer) -> None:
        """Remember an answered question as context for the next one."""
        if answer.follow_up_context:
            self.questions = (self.questions + [answer.question])[-FOLLOW_UP_TURNS:]
            self.last_declined = answer.route == "refuse"


@dataclass
class LearnerState:
    """What one question needs to know about its learner, read in one go."""

    learner: str | None
    profile: LearnerProfile | None
    turns: list[Turn]  # the most recent turns, oldest first
    pedagogy: pedagogy.Pedagogy
    mastered: frozenset[str] = frozenset()  # topics mastered in quizzes: not suggested while others remain

    @property
    def level(self) -> str:
        return self.profile.level if self.profile else pedagogy.DEFAULT_LEVEL

    @property
    def explored(self) -> dict[str, int]:
        return self.profile.explored if self.profile else {}

    @property
    def asked(self) -> set[str]:
        return {turn.question for turn in self.turns}

    def follow_up_context(self, now: float | None = None) -> tuple[list[str], bool]:
        """The last questions asked within the conversation window, and whether the last was
        declined (faces without a thread: the CLI)."""
        now = time.time() if now is None else now
        recent = [t for t in self.turns if now - t.created < CONVERSATION_WINDOW_S][-FOLLOW_UP_TURNS:]
        return [t.question for t in recent], bool(recent) and recent[-1].route == "refuse"

    def suggestions(self, current: list[str] = (), also_asked: set[str] = frozenset(), nearest: list[str] = ()) -> list[str]:
        return self.pedagogy.next_questions(self.explored, list(current), self.asked | set(also_asked), self.mastered, list(nearest))

    def hint(self, current: list[str] = ()) -> str | None:
        return self.pedagogy.hint(self.explored, list(current))


@dataclass
class StoredTurn:
    """A turn as a face shows it again: the question, the answer and its sources."""

    id: int
    question: str
    answer: str
    citations: list[Citation]


@dataclass
class LearnerView:
    """The side panel of one learner: level, topics, suggestions, hint, conversations."""

    learner: str | None
    level: str | None
    topics: list[tuple[str, int]]  # (label, questions), most asked first
    suggestions: list[str]
    hint: str | None
    conversations: list[Conversation]


class LearnerService:
    """Everything about learners that the faces show or change."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = LearnerStore(settings)
        self.pedagogy = pedagogy.Pedagogy(settings)

    # ------------------------------------------------------------ reading

    def state(self, learner: str | None) -> LearnerState:
        """The learner's profile and recent turns (empty for an anonymous visitor)."""
        if not learner:
            return LearnerState(None, None, [], self.pedagogy)
        turns = self.store.history(learner, limit=ASKED_WINDOW)
        now = time.time() + self.settings.clock_offset_s  # the quizzes' clock (tutor.service.quizzes)
        mastered = frozenset(mastered_topics(self.store.mastery(learner), now))
        return LearnerState(learner, self.store.profile(learner), turns, self.pedagogy, mastered)

    def view(self, learner: str | None, answer: TutorAnswer | None = None) -> LearnerView:
        """The panel after sign-in, or after `answer` (whose suggestions and hint it shows)."""
        if answer is None:
            state = self.state(learner)
            profile, suggestions, hint = state.profile, state.suggestions(), state.hint()
        else:
            profile = self.store.profile(learner) if learner else None
            suggestions, hint = answer.suggestions, answer.hint
        return LearnerView(
            learner=learner,
            level=profile.level if profile else None,
            topics=self.topic_counts(profile),
            suggestions=suggestions,
            hint=hint,
            conversations=self.store.conversations(learner) if learner else [],
        )

    def topic_counts(self, profile: LearnerProfile | None) -> list[tuple[str, int]]:
        """(label, questions) of the learner's topics, most asked first."""
        return self.pedagogy.topic_counts(profile.explored) if profile else []

    def conversation(self, learner: str, conversation_id: str) -> tuple[ConversationThread, list[StoredTurn]]:
        """A stored conversation, to show and continue."""
        turns = self.store.history(learner, limit=CONVERSATION_TURNS_SHOWN, conversation=conversation_id)
        thread = ConversationThread(
            id=conversation_id or new_conversation_id(), questions=[t.question for t in turns][-FOLLOW_UP_TURNS:]
        )
        return thread, [self._shown(turn) for turn in turns]

    def latest_conversation(self, learner: str) -> tuple[ConversationThread, list[StoredTurn]]:
        """The conversation the learner was last in (a new one for a newcomer)."""
        listed = self.store.conversations(learner, limit=1)
        if not listed:
            return ConversationThread(), []
        return self.conversation(learner, listed[0].id)

    @staticmethod
    def _shown(turn: Turn) -> StoredTurn:
        return StoredTurn(turn.id, turn.question, turn.answer, [Citation.from_record(c) for c in turn.citations])

    # ------------------------------------------------------------ writing

    def record(self, answer: TutorAnswer, conversation: str | None) -> int:
        """Store an answered question for its learner; the stored turn's id."""
        citations = [{**c.to_dict(), "date": c.date} for c in answer.citations]
        turn = self.store.record_turn(
            answer.learner,
            answer.question,
            answer.answer,
            answer.route,
            citations,
            answer.topics,
            conversation=conversation,
            technical_terms=self.pedagogy.technical_terms(),
        )
        return turn.id

    def set_level(self, learner: str, level: str) -> None:
        """Fix how answers are pitched for the learner."""
        if level not in pedagogy.levels():
            raise ValueError(f"unknown level {level!r}: choose one of {', '.join(pedagogy.levels())}")
        self.store.set_level(learner, level)

    def rate(self, learner: str, turn_id: int, rating: int, comment: str = "") -> None:
        """Thumbs up (+1) or down (-1) on one of the learner's own answers; PermissionError otherwise."""
        self.store.add_feedback(learner, turn_id, rating, comment)

    def forget(self, learner: str) -> int:
        """Delete every trace of a learner; the number of records removed."""
        return self.store.forget(learner)

    # ------------------------------------------------------------ advisors

    def profile(self, learner: str) -> LearnerProfile:
        return self.store.profile(learner)

    def history(self, learner: str, limit: int = 20) -> list[Turn]:
        return self.store.history(learner, limit=limit)

    def learners(self) -> list[dict]:
        return self.store.list_learners()

    def feedback(self, limit: int = 100) -> list[dict]:
        return self.store.list_feedback(limit=limit)


__all__ = [
    "EARLIER",
    "Conversation",
    "ConversationThread",
    "LearnerService",
    "LearnerState",
    "LearnerView",
    "StoredTurn",
    "validate_learner_id",
]
