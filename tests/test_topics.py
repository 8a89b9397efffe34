"""Pure topic policy: filing, aliases, suggestions, hints, level; on a small hand-made map."""

from __future__ import annotations

import pytest

from tutor.topics import (
    LEVELS,
    Topic,
    TopicMap,
    infer_level,
    level_instruction,
    returning_hint,
    suggest_next,
    topics_of_documents,
)

MAP = TopicMap(
    topics=(
        Topic("workshops", "Workshops", ("host", "pricing"), ("training",), ("workshop", "helper"), ("How do I host a workshop?", "What does a workshop cost?")),
        Topic("training", "Instructor training", ("trainer", "checkout"), ("workshops", "teaching"), ("checkout",), ("What is checkout?", "How do I become a trainer?")),
        Topic("teaching", "Teaching practice", ("live-coding",), ("training",), ("live coding",), ("What is live coding?",)),
    ),
    aliases={"old-workshops": "workshops", "older": "old-workshops"},
)


def test_questions_are_filed_under_the_topics_of_the_documents_that_answered_them() -> None:
    assert topics_of_documents(MAP, ["checkout", "pricing", "trainer"]) == ["training", "workshops"]
    assert topics_of_documents(MAP, ["unknown-doc"]) == []


def test_retired_ids_resolve_through_chains_of_aliases() -> None:
    assert MAP.resolve("older") == "workshops"
    assert MAP.resolve("gone") is None
    assert MAP.current({"older": 2, "workshops": 1, "gone": 5}) == {"workshops": 3}


def test_alias_cycles_do_not_hang() -> None:
    looping = TopicMap(MAP.topics, {"a": "b", "b": "a"})
    assert looping.resolve("a") is None


def test_round_trip_through_json_shape() -> None:
    assert TopicMap.from_dict(MAP.to_dict()) == MAP


def test_suggestions_start_with_topics_related_to_the_current_one_and_skip_asked_questions() -> None:
    picked = suggest_next(MAP, {}, ["workshops"], {"what is checkout?"})
    assert picked[0] == "How do I become a trainer?"  # related topic first, asked question skipped
    assert len(picked) == 3 and len(set(picked)) == 3


def test_suggestions_prefer_least_explored_topics_and_respect_the_limit() -> None:
    picked = suggest_next(MAP, {"workshops": 5, "training": 3}, [], set(), limit=2)
    assert picked == ["What is live coding?", "What is checkout?"]
    assert suggest_next(MAP, {}, [], set(), limit=0) == []


def test_suggestions_leave_out_mastered_topics_while_others_remain() -> None:
    picked = suggest_next(MAP, {}, ["workshops"], set(), limit=3, mastered={"training"})
    assert picked == ["How do I host a workshop?", "What is live coding?", "What does a workshop cost?"]  # no training
    everything = {"workshops", "training", "teaching"}
    assert suggest_next(MAP, {}, ["workshops"], set(), mastered=everything) == suggest_next(MAP, {}, ["workshops"], set())


def test_after_a_decline_the_nearest_topics_questions_come_first() -> None:
    picked = suggest_next(MAP, {"workshops": 9}, [], set(), nearest=["workshops", "unknown"])
    assert picked == ["How do I host a workshop?", "What does a workshop cost?", "What is checkout?"]
    assert suggest_next(MAP, {}, [], set(), nearest=["teaching", "training"])[:3] == [
        "What is live coding?", "What is checkout?", "How do I become a trainer?"
    ]


def test_old_topic_ids_in_a_learners_record_count_as_explored() -> None:
    assert suggest_next(MAP, {"older": 9, "training": 9}, [], set(), limit=1) == ["What is live coding?"]


def test_hint_links_an_explored_topic_to_an_unexplored_related_one() -> None:
    hint = returning_hint(MAP, {"workshops": 2}, [])
    assert hint == "You explored Workshops before; Instructor training pairs well with it."
    assert returning_hint(MAP, {"workshops": 1, "training": 1, "teaching": 1}, []) is None
    assert returning_hint(MAP, {}, []) is None


def test_level_follows_phrasing_and_the_contents_own_terms() -> None:
    assert infer_level(["what is a workshop?"]) == "intermediate"  # too few questions
    assert infer_level(["what is a workshop? explain simply", "I'm new, what is checkout?"]) == "beginner"
    expert = ["checkout trade-off versus live coding", "live coding implementation in depth"]
    assert infer_level(expert, MAP.terms) == "advanced"
    assert infer_level(["how do I host", "where do I go"], MAP.terms) == "intermediate"


def test_level_instructions_exist_for_every_level() -> None:
    assert all(level_instruction(level) for level in LEVELS)
    with pytest.raises(ValueError, match="unknown level"):
        level_instruction("expert")

