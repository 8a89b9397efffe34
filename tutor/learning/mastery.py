"""Mastery per topic by Bayesian knowledge tracing (BKT; Corbett & Anderson, 1995).

Pure functions: the caller passes the stored probability, the answer and the times.

The four standard parameters, per topic (skill):
- `p_init` 0.3: probability the learner already knows a topic before any answer;
- `p_learn` 0.1: probability of learning it at each practice opportunity (after an answer);
- `p_slip` 0.1: probability of a wrong answer although the topic is known;
- `p_guess`: probability of a right answer although it is not known: 1/choices for a
  multiple-choice item (0.25 with four choices), `SHORT_ANSWER_GUESS` for a typed answer.

With these, three right four-choice answers in a row from scratch reach `MASTERED` (0.95, the
usual BKT threshold): 0.30 -> 0.65 -> 0.88 -> 0.97. That is why "I know this already" asks three
items instead of trusting the click.

Recency: BKT itself never forgets, so what was mastered a year ago would count forever. The
*effective* mastery decays the learned part back towards `p_init` with a half-life
(`HALF_LIFE_DAYS`) since the last answer; the stored value is never changed by time alone, so
reading progress twice gives the same number.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from tutor.topics import LEVELS, infer_level

P_INIT = 0.3
P_LEARN = 0.1
P_SLIP = 0.1
CHOICE_GUESS = 0.25  # four choices
SHORT_ANSWER_GUESS = 0.05  # a typed answer is rarely right by chance
MASTERED = 0.95
HALF_LIFE_DAYS = 60.0
DAY_S = 86_400.0


@dataclass(frozen=True)
class BKT:
    """BKT parameters; the defaults are the documented standard ones above."""

    p_init: float = P_INIT
    p_learn: float = P_LEARN
    p_slip: float = P_SLIP

    def __post_init__(self) -> None:
        for name in ("p_init", "p_learn", "p_slip"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1)")


def guess_probability(choices: int) -> float:
    """p_guess for an item: 1/choices for multiple choice, a small constant for typed answers."""
    return 1.0 / choices if choices >= 2 else SHORT_ANSWER_GUESS


def update(p_known: float, correct: bool, p_guess: float, params: BKT = BKT()) -> float:
    """P(known) after one answer: Bayes' rule on the evidence, then the chance of learning."""
    if not 0.0 <= p_known <= 1.0:
        raise ValueError("p_known must be a probability")
    if correct:
        evidence = p_known * (1 - params.p_slip)
        posterior = evidence / (evidence + (1 - p_known) * p_guess)
    else:
        evidence = p_known * params.p_slip
        posterior = evidence / (evidence + (1 - p_known) * (1 - p_guess))
    return posterior + (1 - posterior) * params.p_learn


def effective(p_known: float, last_answer: float | None, now: float, params: BKT = BKT()) -> float:
    """Stored mastery decayed towards p_init by the time since the last answer (see module doc)."""
    if last_answer is None:
        return p_known
    elapsed_days = max(now - last_answer, 0.0) / DAY_S
    if p_known <= params.p_init:
        return p_known
    return params.p_init + (p_known - params.p_init) * 0.5 ** (elapsed_days / HALF_LIFE_DAYS)


def is_mastered(p: float) -> bool:
    return p >= MASTERED


def mastered_topics(standing: dict[str, dict], now: float) -> set[str]:
    """Topics whose mastery, faded by time since practice, is still at MASTERED (`standing`: the
    store's topic -> {"p_known", "updated", ...})."""
    return {topic for topic, row in standing.items() if is_mastered(effective(row["p_known"], row["updated"], now))}


def is_decaying(p_known: float, last_answer: float | None, now: float, params: BKT = BKT()) -> bool:
    """Mastered when last practised, below the threshold now: the topic is worth a review."""
    return is_mastered(p_known) and not is_mastered(effective(p_known, last_answer, now, params))


# ---------------------------------------------------------------- level and what to explore next

LEVEL_BOUNDS = (0.4, 0.8)  # mean mastery below 0.4: beginner; from 0.8: advanced
HYSTERESIS = 0.1  # leaving a level takes crossing its bound by this much: no flip-flopping
MIN_QUIZ_ATTEMPTS = 5  # fewer answers say too little to move a level
LEVEL_SUSTAIN = 2  # consecutive questions whose evidence must agree before the stored level moves


def quiz_level(current: str, mean_mastery: float) -> str:
    """The level quiz performance points to. The bounds move away from the current level by
    HYSTERESIS, so a learner near a bound stays where they are until the evidence is clear."""
    low, high = LEVEL_BOUNDS
    rank = LEVELS.index(current)
    up = high - HYSTERESIS if rank == 2 else high + HYSTERESIS
    down = low + HYSTERESIS if rank == 0 else low - HYSTERESIS
    if mean_mastery >= up:
        return "advanced"
    if mean_mastery < down:
        return "beginner"
    return "intermediate"


def blend_level(current: str, question_level: str | None, mean_mastery: float, attempts: int) -> str:
    """One level from both signals, moving at most one step from `current` per update.

    The questions' level (tutor.topics.infer_level; None when too few questions were asked)
    and the quizzes' level (None below MIN_QUIZ_ATTEMPTS answers) are averaged by rank; on a
    half step the current level's side wins; with neither signal the level stays."""
    rank = LEVELS.index(current)
    ranks = [] if question_level is None else [LEVELS.index(question_level)]
    if attempts >= MIN_QUIZ_ATTEMPTS:
        ranks.append(LEVELS.index(quiz_level(current, mean_mastery)))
    if not ranks:
        return current
    mean = sum(ranks) / len(ranks)
    target = min(max(rank, math.floor(mean)), math.ceil(mean))
    return LEVELS[rank + max(-1, min(1, target - rank))]


def quiz_standing(rows: Iterable[dict], now: float) -> tuple[float, int]:
    """(mean effective mastery of the topics practised, answers in all): the quizzes' evidence of
    a level. `rows` are the store's topic_mastery rows ({"p_known", "attempts", "updated"})."""
    practised = [row for row in rows if row["attempts"]]
    if not practised:
        return P_INIT, 0
    mean = sum(effective(row["p_known"], row["updated"], now) for row in practised) / len(practised)
    return mean, sum(row["attempts"] for row in practised)


def settled_level(
    current: str, questions: list[str], terms: Collection[str], mean_mastery: float, attempts: int, window: int
) -> str:
    """The stored level after a new question: `blend_level` of the last `window` questions and the
    quizzes, taken at this question and at the one before (`LEVEL_SUSTAIN` in all); the level moves
    one step only when every one of them points the same way, so alternating evidence never flips it."""
    indicated = []
    for end in range(len(questions) - LEVEL_SUSTAIN + 1, len(questions) + 1):
        asked = questions[: max(end, 0)][-window:]
        question_level = infer_level(asked, terms) if len(asked) >= 2 else None  # infer_level's own minimum
        indicated.append(LEVELS.index(blend_level(current, question_level, mean_mastery, attempts)))
    rank = LEVELS.index(current)
    directions = {(r > rank) - (r < rank) for r in indicated}
    return LEVELS[rank + directions.pop()] if len(directions) == 1 else current


def explore_next(standing: dict[str, float], related: dict[str, list[str]], current: list[str], limit: int = 3) -> list[str]:
    """Topics to explore next: related to the current ones and not yet mastered, weakest first,
    then any other unmastered topic; `standing` maps every known topic to its mastery."""
    near = [t for c in current for t in related.get(c, []) if t in standing and t not in current]
    rest = [t for t in standing if t not in near and t not in current]
    ranked = [t for group in (near, rest) for t in sorted(dict.fromkeys(group), key=lambda t: (standing[t], t))]
    return [t for t in ranked if not is_mastered(standing[t])][: max(limit, 0)]
