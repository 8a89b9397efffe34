"""The service layer: what the CLI and the web page both call, and all they call.

- `TutorService` (answering; carries `.learners`, `.quizzes`, `.admin`, `.accounts`) streams typed
  `AnswerEvent`s: `Token`, `Reset`, then one `Final` with the `TutorAnswer`;
- `LearnerService`: learner views, conversations, level, feedback, forgetting;
- `Quizzes`: quiz items, grading, mastery and reviews over the live generation's bank;
- `AdminService`: import, re-index with progress, statistics, health;
- `accounts`: `tutor.accounts.AccountService` over the same store, and `admin_action`,
  the audited gate of every admin action.

`TutorService` loads the index and the chat models (seconds); it is imported lazily so that
commands needing only the light services start fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tutor.service.events import (
    AnswerEvent,
    Citation,
    Final,
    Reset,
    Token,
    TutorAnswer,
    clean_question,
)

if TYPE_CHECKING:
    from tutor.service.answering import TutorService


def __getattr__(name: str):
    if name == "TutorService":
        from tutor.service.answering import TutorService

        return TutorService
    raise AttributeError(f"module 'tutor.service' has no attribute {name!r}")


__all__ = ["AnswerEvent", "Citation", "Final", "Reset", "Token", "TutorAnswer", "TutorService", "clean_question"]
