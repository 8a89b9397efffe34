"""Learners who write in Italian, Spanish, German or French: detection, the translation's
fact check and the per-language fixed replies (the agent end to end is in test_agent.py)."""

from __future__ import annotations

import pytest

from tutor.agent.grounding import faithful_translation
from tutor.agent.prompts import prompt
from tutor.language import LANGUAGES, detect


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Quali corsi di laurea offre l'istituto online?", "it"),
        ("¿Cuándo empieza el próximo semestre y cómo me inscribo?", "es"),
        ("Welche Voraussetzungen brauche ich für den Master?", "de"),
        ("Comment puis-je m'inscrire au programme de master ?", "fr"),
        ("How do I apply for the master's programme?", "en"),
        # English titles inside another language do not outvote it
        ("Chi insegna nel Bachelor in Modern Computer Science?", "it"),
        ("Qui enseigne dans le Master in Applied Data Science ?", "fr"),
        # misspelt, all lower case
        ("quanto cossta il master in ingegneria?", "it"),
        ("cuanto cuesta la matricula del master", "es"),
        ("wie lange dauert das studium", "de"),
        ("whats the tution fee for the bachelors", "en"),
        ("wich panel was obiora on for comercio ltd", "en"),  # misspelt English, no other language either
        ("wat dose an ai prodcut manger do", "en"),
    ],
)
def test_detects_the_learners_language(question: str, language: str) -> None:
    assert detect(question) == language


@pytest.mark.parametrize("question", ["ciao", "Hola", "Danke schön", "Riccardo Ocleppo", "Software Carpentry", "MSc Cybersecurity", "2026?", ""])
def test_short_and_name_only_questions_count_as_english(question: str) -> None:
    """Too little to tell: English, which needs no translation at all."""
    assert detect(question) == "en"


def test_a_translation_keeps_markers_and_figures() -> None:
    english = "Tuition costs €2,250 per term [1]. The programme launched in 2024 [2]."
    assert faithful_translation(english, "La retta costa 2.250 € a trimestre [1]. Il programma è partito nel 2024 [2].")
    assert not faithful_translation(english, "La retta costa 2.250 € a trimestre. Il programma è partito nel 2024 [2].")
    assert not faithful_translation(english, "La retta costa 2.500 € a trimestre [1]. Il programma è partito nel 2024 [2].")
    assert not faithful_translation(english, "")


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_fixed_replies_are_written_out_per_language(language: str) -> None:
    """Every fixed reply has its own text, with the same fields as the English one."""
    for name in ("refuse", "unsafe", "withheld", "smalltalk", "clarify", "untranslated", "too_long"):
        text = prompt(name, language)
        assert text != prompt(name) and detect(text.replace("{name}", "")) == language
        assert ("{name}" in text) == ("{name}" in prompt(name))
    assert prompt("answer", language) == prompt("answer"), "prompts for the model stay English"
