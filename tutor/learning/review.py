"""Spaced review on an interval ladder: 1, 3, 7, 14, 30 days; up a rung on success, down on failure.

Pure functions; the caller passes `now` (seconds since the epoch).

Two things are scheduled:
- an *item* answered wrong comes back after 1 day; each later success climbs the ladder, a
  failure steps down; a success on the top rung retires it (it has been remembered for a month);
- a *topic* the learner has practised comes back on the same ladder, so mastery that would
  decay gets checked; topics never retire, they stay on the top rung (monthly).
"""

from __future__ import annotations

from dataclasses import dataclass

LADDER_DAYS = (1, 3, 7, 14, 30)
DAY_S = 86_400.0


@dataclass(frozen=True)
class Review:
    """A scheduled review: the rung on the ladder and when it falls due."""

    step: int
    due: float

    def is_due(self, now: float) -> bool:
        return self.due <= now


def _at(step: int, now: float) -> Review:
    step = min(max(step, 0), len(LADDER_DAYS) - 1)
    return Review(step, now + LADDER_DAYS[step] * DAY_S)


def next_item_review(previous: Review | None, correct: bool, now: float) -> Review | None:
    """The item's next review, or None when it needs none (never missed, or retired)."""
    if previous is None:
        return None if correct else _at(0, now)
    if not correct:
        return _at(previous.step - 1, now)
    if previous.step + 1 >= len(LADDER_DAYS):
        return None
    return _at(previous.step + 1, now)


def next_topic_review(previous: Review | None, correct: bool, now: float) -> Review:
    """The topic's next review: first after a day, then up or down the ladder, capped at the top."""
    if previous is None:
        return _at(0, now)
    return _at(previous.step + (1 if correct else -1), now)
