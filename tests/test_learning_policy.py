"""Pure tutoring policy: Bayesian knowledge tracing, the review ladder, grading without an LLM."""

from __future__ import annotations

import pytest

from tutor.learning import grading, mastery, review
from tutor.learning.mastery import BKT, DAY_S

# ---------------------------------------------------------------- mastery (BKT)


def test_a_right_four_choice_answer_follows_bayes_then_learning():
    # P(L|right) = .3*.9 / (.3*.9 + .7*.25) = .6067; then + (1 - .6067) * .1
    assert mastery.update(0.3, True, 0.25) == pytest.approx(0.6067 + 0.3933 * 0.1, abs=1e-4)


def test_a_wrong_answer_lowers_mastery_but_learning_still_adds():
    # P(L|wrong) = .3*.1 / (.3*.1 + .7*.75) = .0541; then + (1 - .0541) * .1
    assert mastery.update(0.3, False, 0.25) == pytest.approx(0.0541 + 0.9459 * 0.1, abs=1e-4)


def test_three_right_choices_from_scratch_reach_mastery_two_do_not():
    p = mastery.P_INIT
    history = []
    for _ in range(3):
        p = mastery.update(p, True, mastery.guess_probability(4))
        history.append(p)
    assert not mastery.is_mastered(history[1]) and mastery.is_mastered(history[2])


def test_a_typed_answer_is_stronger_evidence_than_a_choice():
    assert mastery.update(0.3, True, mastery.guess_probability(0)) > mastery.update(0.3, True, mastery.guess_probability(4))


def test_guess_is_one_over_the_number_of_choices():
    assert mastery.guess_probability(4) == 0.25 and mastery.guess_probability(2) == 0.5
    assert mastery.guess_probability(0) == mastery.SHORT_ANSWER_GUESS


def test_mastery_stays_a_probability_under_any_sequence():
    p = mastery.P_INIT
    for correct in [True, False, True, True, False, False, False, True] * 5:
        p = mastery.update(p, correct, 0.25)
        assert 0.0 < p < 1.0


def test_update_rejects_a_non_probability_and_bad_parameters():
    with pytest.raises(ValueError):
        mastery.update(1.5, True, 0.25)
    with pytest.raises(ValueError):
        BKT(p_slip=1.0)


def test_effective_mastery_halves_its_learned_part_every_half_life():
    p = 0.9
    later = mastery.effective(p, last_answer=0.0, now=mastery.HALF_LIFE_DAYS * DAY_S)
    assert later == pytest.approx(mastery.P_INIT + (0.9 - mastery.P_INIT) / 2)
    assert mastery.effective(p, last_answer=0.0, now=0.0) == pytest.approx(p)
    assert mastery.effective(0.1, last_answer=0.0, now=10**9) == 0.1  # below p_init: nothing to forget


def test_a_topic_mastered_long_ago_is_decaying():
    assert not mastery.is_decaying(0.97, last_answer=0.0, now=DAY_S)
    assert mastery.is_decaying(0.97, last_answer=0.0, now=30 * DAY_S)
    assert not mastery.is_decaying(0.5, last_answer=0.0, now=300 * DAY_S)


# ---------------------------------------------------------------- review ladder


def test_a_missed_item_comes_back_after_a_day():
    first = review.next_item_review(None, correct=False, now=100.0)
    assert first == review.Review(0, 100.0 + DAY_S)
    assert not first.is_due(100.0) and first.is_due(100.0 + DAY_S)


def test_an_item_right_first_time_needs_no_review():
    assert review.next_item_review(None, correct=True, now=0.0) is None


def test_items_climb_the_ladder_on_success_and_retire_at_the_top():
    state, now, days = review.next_item_review(None, False, 0.0), 0.0, []
    while state is not None:
        days.append(review.LADDER_DAYS[state.step])
        now = state.due
        state = review.next_item_review(state, True, now)
    assert days == [1, 3, 7, 14, 30]


def test_a_failure_steps_down_one_rung_never_below_the_first():
    assert review.next_item_review(review.Review(3, 0.0), False, 0.0).step == 2
    assert review.next_item_review(review.Review(0, 0.0), False, 0.0).step == 0


def test_topics_stay_on_the_top_rung_instead_of_retiring():
    state = review.next_topic_review(None, True, 0.0)
    for _ in range(10):
        state = review.next_topic_review(state, True, state.due)
    assert state.step == len(review.LADDER_DAYS) - 1
    assert review.next_topic_review(state, False, 0.0).step == len(review.LADDER_DAYS) - 2


# ---------------------------------------------------------------- grading

CHOICES = ["Delaware", "Oregon", "Texas", "Ohio"]


@pytest.mark.parametrize("response", ["Delaware", "A", "a)", "1", " delaware "])
def test_the_right_choice_by_text_letter_or_number(response):
    assert grading.grade_choice(response, CHOICES, "Delaware").correct


@pytest.mark.parametrize("response", ["Oregon", "B", "2", "Delawar", "", "E", "Delaware or Oregon"])
def test_any_other_choice_is_wrong(response):
    assert not grading.grade_choice(response, CHOICES, "Delaware").correct


@pytest.mark.parametrize(
    ("response", "answer", "how"),
    [
        ("Software Carpentry", "Software Carpentry", "exact"),
        ("software carpentry.", "Software Carpentry", "normalised"),
        ("the Data Carpentry", "Data Carpentry", "normalised"),
        ("2250", "2,250", "normalised"),
        ("Münster", "Munster", "normalised"),
        ("it is in Delaware", "Delaware", "contained"),
        ("Softwar Carpentry", "Software Carpentry", "fuzzy"),
        ("instructr", "instructor", "fuzzy"),
    ],
)
def test_typed_answers_accepted(response, answer, how):
    result = grading.grade_short(response, answer)
    assert result.correct and result.how == how


@pytest.mark.parametrize(
    ("response", "answer"),
    [
        ("1996", "1995"),
        ("2,251", "2,250"),
        ("Library Carpentry", "Data Carpentry"),
        ("", "Data Carpentry"),
        ("Delaware is not it, the answer is something else entirely", "Delaware"),
        ("teacher", "instructor"),
    ],
)
def test_typed_answers_rejected(response, answer):
    assert not grading.grade_short(response, answer).correct


def test_grade_dispatches_on_choices():
    assert grading.grade("B", "Oregon", CHOICES).correct
    assert not grading.grade("B", "Oregon", []).correct  # a typed "B" is not the answer


# ---------------------------------------------------------------- level and what to explore next


def test_quiz_level_is_sticky_around_its_bounds():
    assert mastery.quiz_level("intermediate", 0.85) == "intermediate"  # not clearly above 0.8 yet
    assert mastery.quiz_level("intermediate", 0.95) == "advanced"
    assert mastery.quiz_level("advanced", 0.75) == "advanced"  # a small dip keeps the level
    assert mastery.quiz_level("advanced", 0.5) == "intermediate"
    assert mastery.quiz_level("beginner", 0.45) == "beginner"
    assert mastery.quiz_level("intermediate", 0.25) == "beginner"


def test_alternating_evidence_never_flips_the_level_turn_by_turn():
    level, seen = "intermediate", []
    for n in range(20):
        p = 0.82 if n % 2 else 0.78  # hovering around the advanced bound
        level = mastery.blend_level(level, "intermediate" if n % 2 else "advanced", p, attempts=10)
        seen.append(level)
    assert len(set(seen)) == 1


def test_blend_moves_one_step_at_a_time_and_needs_enough_quiz_answers():
    assert mastery.blend_level("beginner", "advanced", 0.99, attempts=10) == "intermediate"
    assert mastery.blend_level("intermediate", "advanced", 0.99, attempts=10) == "advanced"
    assert mastery.blend_level("intermediate", "intermediate", 0.05, attempts=2) == "intermediate"  # too few answers
    assert mastery.blend_level("intermediate", "intermediate", 0.05, attempts=10) == "intermediate"  # half step: stay
    assert mastery.blend_level("intermediate", "beginner", 0.05, attempts=10) == "beginner"
    assert mastery.blend_level("intermediate", None, 0.97, attempts=10) == "advanced"  # no questions: quizzes decide
    assert mastery.blend_level("advanced", None, 0.97, attempts=0) == "advanced"  # no signal: no change


def test_explore_next_prefers_related_unmastered_weakest_topics():
    standing = {"a": 0.3, "b": 0.97, "c": 0.6, "d": 0.2, "e": 0.1}
    related = {"a": ["b", "c", "d"]}
    assert mastery.explore_next(standing, related, current=["a"]) == ["d", "c", "e"]
    assert mastery.explore_next(standing, related, current=[], limit=2) == ["e", "d"]
    assert mastery.explore_next({"b": 0.99}, related, current=["a"]) == []


def test_the_stored_level_moves_only_when_consecutive_questions_agree():
    simple, expert = "What is it? Explain simply, I'm new.", "Trade-off versus the implementation, in depth?"
    settle = mastery.settled_level
    assert settle("intermediate", [simple, simple], (), mastery.P_INIT, 0, 20) == "intermediate"  # first evidence only
    assert settle("intermediate", [simple, simple, simple], (), mastery.P_INIT, 0, 20) == "beginner"
    level, seen = "intermediate", []
    questions = [expert, simple]
    for question in [expert, simple] * 6:  # the window's verdict alternates turn by turn
        questions.append(question)
        level = settle(level, questions, (), mastery.P_INIT, 0, 3)
        seen.append(level)
    assert set(seen) == {"intermediate"}


def test_quiz_mastery_moves_the_stored_level_too():
    rows = [{"p_known": 0.97, "attempts": 6, "updated": 0.0}, {"p_known": 0.96, "attempts": 4, "updated": 0.0}]
    mean, attempts = mastery.quiz_standing(rows, now=0.0)
    assert attempts == 10 and mean > 0.95
    assert mastery.settled_level("intermediate", [], (), mean, attempts, 20) == "advanced"  # quizzes alone, sustained
    assert mastery.quiz_standing([], now=0.0) == (mastery.P_INIT, 0)
