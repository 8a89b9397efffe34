"""Typos in searches: corrected toward the content's words, while English words the content
does not use, contractions without their apostrophe and other languages are left alone."""

from __future__ import annotations

import pytest

from tutor.spelling import corrected

VOCABULARY = {"membership", "silver", "checkout", "instructor", "training", "re-register", "learning", "machine", "watch", "learn", "all", "wasn’t", "colours", "engineer", "career", "math"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("waht do you get with silver membrship", "waht do you get with silver membership"),
        ("how long to finsh the instructr chekout", "how long to finsh the instructor checkout"),
        ("can i re-regster for machine lerning training?", "can i re-register for machine learning training?"),
        ("what does an enginer do", "what does an engineer do"),  # the content's "engineer", though English "enginery" reads it as closely
        ("wat is the carrer path?", "wat is the career path?"),  # the content's "career", not the closer English "carrier"
        ("What maths do I need?", "What math do I need?"),  # the content's "math", not English "mathis"
    ],
)
def test_misspelt_words_become_the_contents_own(query: str, expected: str) -> None:
    assert corrected(query, VOCABULARY) == expected


@pytest.mark.parametrize(
    "query",
    [
        "can machine learning catch fraud and what do graduates earn?",  # not "watch", "learn"
        "what does the founder call the cherry on the cake?",  # not "all"
        "which cours should i take?",  # English "course" reads it more closely than the content's "colours"
        "the training was online wasnt it",  # a contraction, not "want"
        "company she co-founded? obiora's talk",  # parts and owners of English words
        "Quanti istruttori recluta il team per un workshop online?",  # Italian, not misspelt English
    ],
)
def test_real_words_and_other_languages_are_left_alone(query: str) -> None:
    assert corrected(query, VOCABULARY) == query


def test_after_a_weak_search_any_word_the_content_lacks_may_be_a_typo() -> None:
    assert corrected("what does a product manger do?", VOCABULARY | {"manager"}) == "what does a product manger do?"
    assert corrected("what does a product manger do?", VOCABULARY | {"manager"}, trust_english=False) == "what does a product manager do?"


def test_a_typo_finds_what_the_right_spelling_finds(retriever) -> None:
    right = retriever.search("tuition fees of the bachelor's programme", k=3)
    typo = retriever.search("tuitoin fees of the bachelr's programme", k=3)
    assert [h.chunk.chunk_id for h in typo] == [h.chunk.chunk_id for h in right]
