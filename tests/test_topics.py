"""The topic taxonomy and its policies: tagging, level, suggestions, hints; grounded in the corpus."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.topics import (
    BY_ID,
    LEVELS,
    TOPICS,
    infer_level,
    level_instruction,
    returning_hint,
    suggest_next,
    tag_topics,
)

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
REQUIRED = {
    "careers-and-skills", "degrees-and-curricula", "admissions-and-costs", "career-services",
    "events", "ai-operating-models", "ai-in-education", "cybersecurity",
}
STOPWORDS = set(
    "a an and are as at be by can do does for from how i in is it me my of on or the there this to "
    "what when which who why with you your about after before besides beyond into its many much should "
    "than that their them they between take part play matter opit".split()
)


def content_words(text: str) -> set[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("\u2019", "'"))
    return {word for word in words if len(word) > 2 and word not in STOPWORDS}


@pytest.fixture(scope="module")
def corpus_texts() -> list[set[str]]:
    texts = [content_words(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*/*.md"))]
    assert len(texts) >= 9, "the corpus should hold at least the nine articles"
    return texts


def grounded(question: str, corpus_texts: list[set[str]]) -> bool:
    return any(len(content_words(question) & text) >= 2 for text in corpus_texts)


# --- the taxonomy itself ---------------------------------------------------------------------


def test_taxonomy_covers_the_corpus_areas_and_is_consistent():
    ids = [topic.id for topic in TOPICS]
    assert len(ids) == len(set(ids))
    assert REQUIRED <= set(ids)
    for topic in TOPICS:
        assert topic.label and topic.keywords
        assert all(keyword == keyword.lower().strip() for keyword in topic.keywords)
        assert 3 <= len(topic.suggestions) <= 5
        assert topic.related and all(rid in BY_ID and rid != topic.id for rid in topic.related)


def test_every_suggestion_is_answerable_from_the_corpus(corpus_texts):
    ungrounded = [q for topic in TOPICS for q in topic.suggestions if not grounded(q, corpus_texts)]
    assert ungrounded == []


def test_grounding_check_rejects_questions_the_corpus_cannot_answer(corpus_texts):
    assert not grounded("How do I bake sourdough bread at home?", corpus_texts)


def test_every_suggestion_is_tagged_with_its_own_topic():
    for topic in TOPICS:
        for question in topic.suggestions:
            assert topic.id in tag_topics(question), question


# --- tagging ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What skills does an ML engineer need?", "careers-and-skills"),
        ("Which job roles exist beyond machine learning engineer?", "careers-and-skills"),
        ("Is the MSc online or on-campus?", "degrees-and-curricula"),
        ("What is in the curriculum of the BSc in Modern Computer Science?", "degrees-and-curricula"),
        ("How much is tuition per term?", "admissions-and-costs"),
        ("Is OPIT accredited under the EQF?", "admissions-and-costs"),
        ("Can a mentor from the peer mentoring programme help me?", "career-services"),
        ("Does OPIT help with internships and resume feedback?", "career-services"),
        ("When is the next hackathon?", "events"),
        ("How do firms escape pilot purgatory with MLOps?", "ai-operating-models"),
        ("What does the e-book say about AI agents for educators?", "ai-in-education"),
        ("What does OPIT's MSc in Cybersecurity cover?", "cybersecurity"),
        ("Can I study the MSc in Cybersecurity without taking a career break?", "cybersecurity"),
        ("Which companies came to the career fair?", "career-services"),
    ],
)
def test_representative_questions_are_tagged_best_first(question, expected):
    assert tag_topics(question)[0] == expected


def test_tagging_matches_whole_words_with_plural_and_possessive_endings():
    assert tag_topics("Please submit my form") == []  # "mit" inside a word is not MIT
    assert tag_topics("Tell me about hackathons") == ["events"]
    assert "degrees-and-curricula" in tag_topics("Which master\u2019s degrees are online?")


def test_tagging_returns_at_most_three_topics_ordered_by_matches():
    text = "tuition cost fee hackathon hackathon cybersecurity mentoring degree"
    tags = tag_topics(text)
    assert tags == ["admissions-and-costs", "events", "cybersecurity"]  # ties: longer phrase wins


def test_tagging_off_topic_text_finds_nothing():
    assert tag_topics("What's the weather like in Rome today?") == []


# --- level -----------------------------------------------------------------------------------


def test_level_defaults_to_intermediate_with_fewer_than_two_questions():
    assert infer_level([]) == "intermediate"
    assert infer_level(["How do MLOps pipelines handle inference and governance?"]) == "intermediate"


def test_level_technical_questions_are_advanced():
    questions = [
        "How do MLOps pipelines handle model monitoring?",
        "Does the MSc cover feature engineering and hyperparameter tuning?",
        "What role does governance play in reducing inference costs?",
    ]
    assert infer_level(questions) == "advanced"


def test_level_newcomer_questions_are_beginner():
    questions = ["What is machine learning? I'm new to this.", "Can you explain it in simple words?"]
    assert infer_level(questions) == "beginner"


def test_level_mixed_questions_are_intermediate_and_deterministic():
    questions = ["What is MLOps?", "Which degrees does OPIT offer?"]
    assert infer_level(questions) == "intermediate"
    assert {infer_level(list(questions)) for _ in range(5)} == {"intermediate"}


def test_level_instruction_differs_per_level_and_rejects_unknown():
    sentences = {level: level_instruction(level) for level in LEVELS}
    assert len(set(sentences.values())) == 3
    assert "plain" in sentences["beginner"] and "define" in sentences["beginner"]
    assert "concise" in sentences["advanced"]
    with pytest.raises(ValueError):
        level_instruction("expert")


# --- suggestions -----------------------------------------------------------------------------


def topic_of(question: str) -> str:
    return next(topic.id for topic in TOPICS if question in topic.suggestions)


def test_suggestions_prefer_related_unexplored_topics():
    picked = suggest_next({}, ["careers-and-skills"], set())
    assert [topic_of(q) for q in picked] == list(BY_ID["careers-and-skills"].related)


def test_suggestions_put_the_least_explored_related_topic_first():
    explored = {"careers-and-skills": 4, "degrees-and-curricula": 5, "career-services": 1}
    picked = suggest_next(explored, ["careers-and-skills"], set())
    assert [topic_of(q) for q in picked] == ["events", "career-services", "degrees-and-curricula"]


def test_suggestions_fall_back_to_the_least_explored_other_topics():
    related = BY_ID["cybersecurity"].related
    asked = {q for rid in related for q in BY_ID[rid].suggestions}
    explored = {topic.id: 2 for topic in TOPICS} | {"ai-in-education": 0, "events": 1}
    picked = suggest_next(explored, ["cybersecurity"], asked)
    assert [topic_of(q) for q in picked] == ["ai-in-education", "events", "careers-and-skills"]


def test_suggestions_never_repeat_asked_questions():
    first = suggest_next({}, ["events"], set())
    asked = {f"  {question.upper()} " for question in first}
    second = suggest_next({}, ["events"], asked)
    assert second and not {q.casefold() for q in second} & {q.casefold() for q in first}


def test_suggestions_respect_limit_are_unique_and_deterministic():
    many = suggest_next({}, ["ai-in-education"], set(), limit=50)
    assert len(many) == len(set(many)) == sum(len(topic.suggestions) for topic in TOPICS)
    assert suggest_next({}, ["ai-in-education"], set(), limit=2) == many[:2]
    assert suggest_next({}, ["ai-in-education"], set(), limit=0) == []
    assert all(suggest_next({}, ["ai-in-education"], set(), limit=5) == many[:5] for _ in range(3))


def test_suggestions_run_out_when_everything_was_asked():
    everything = {q for topic in TOPICS for q in topic.suggestions}
    assert suggest_next({}, [], everything) == []


# --- returning hint --------------------------------------------------------------------------


def test_returning_hint_links_an_earlier_topic_to_a_related_unexplored_one():
    hint = returning_hint({"degrees-and-curricula": 2}, [])
    assert hint is not None
    assert hint.startswith("You explored Degrees and curricula before;")
    related_labels = [BY_ID[rid].label for rid in BY_ID["degrees-and-curricula"].related]
    assert any(label in hint for label in related_labels)


def test_returning_hint_names_career_services_with_its_example():
    hint = returning_hint({"events": 1, "careers-and-skills": 1}, ["events"])
    expected = "You explored Hackathons and events before; Career services (like peer mentoring) pairs well with it."
    assert hint == expected


def test_returning_hint_is_none_for_new_learners_or_when_nothing_related_is_left():
    assert returning_hint({}, ["events"]) is None
    assert returning_hint({"events": 0}, []) is None
    assert returning_hint({topic.id: 1 for topic in TOPICS}, []) is None
