"""Candidate suggestions, before the agent checks them: the content's own questions and
headings, definitions, and what the model writes."""

from __future__ import annotations

from pathlib import Path

from tutor.corpus import Document
from tutor.suggestions import definition_questions, heading_questions, parse_questions


def test_model_written_questions_that_name_no_subject_are_dropped() -> None:
    reply = (
        "1. What is the purpose of the course?\n2. What are the main benefits of taking part in hackathons?\n"
        "- How does it help students?\nHere are some questions:\n3. Who teaches the MSc in Cybersecurity?"
    )
    assert parse_questions(reply) == [
        "What are the main benefits of taking part in hackathons?",
        "Who teaches the MSc in Cybersecurity?",
    ]


def test_a_documents_own_questions_come_before_questions_made_from_its_headings() -> None:
    document = Document("d", "What Is a Hackathon?", "article", "Text.", Path("d.md"))
    sections = ["Benefits for Participants", "Why join?", "Overview", "See [our partners](https://example.org) list"]
    assert heading_questions(document, sections) == [
        "What Is a Hackathon?",
        "Why join?",
        "What should I know about Benefits for Participants?",
        "What should I know about See our partners list?",
    ]


def test_defining_sentences_become_what_is_questions() -> None:
    text = "A helper is a volunteer who supports learners. Instructors are the people who teach. Our instructors train."
    assert definition_questions(text) == ["What is a helper?", "What are instructors?"]
