"""Learners who write in Italian, Spanish, German or French: detection, the translation's
fact check and the per-language fixed replies (the agent end to end is in test_agent.py)."""

from __future__ import annotations

import re

import pytest
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from tutor.agent.grounding import faithful_translation
from tutor.agent.prompts import prompt
from tutor.agent.translation import (
    lines_to_learner,
    masked_names,
    names_in,
    reply_messages,
    to_learner,
    was_english,
    with_citations,
)
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
        ("wat dose an ai prodcut manger do", "en"),
    ],
)
def test_detects_the_learners_language(question: str, language: str) -> None:
    assert detect(question) == language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        # the content's terms, kept in English, no longer outvote the words around them
        ("il corso di machine learning è online?", "it"),
        ("le master en cybersecurity est-il en ligne ?", "fr"),
        ("combien coûte le master in applied data science", "fr"),
        ("was lernt man im master in applied data science", "de"),
        # English: every word is English's or the content's, so all of them vote
        ("wich panel was obiora on for comercio ltd", "en"),
        ("are online degrees worth as much as campus ones", "en"),
        ("suggest a nice pizza restaurant near the campus", "en"),
    ],
)
def test_the_contents_own_terms_do_not_outvote_the_learners_language(retriever, question: str, language: str) -> None:
    """Learners keep the institute's terms in English whatever language they write in; read
    against the real index's vocabulary, only the learner's own words say which language."""
    assert detect(question, retriever.generation().vocabulary) == language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        # borrowed English terms the content lacks: the function words around them decide
        ("ci sono workshop di data science?", "it"),
        ("cual es el precio de la membership", "es"),
        ("gibt es workshops fur data science", "de"),
        ("y a-t-il des workshops de data science", "fr"),
        ("el master de data science es online?", "es"),
        # English, with a foreign word or place in lower case: English's function words decide
        ("how much is the membership", "en"),
        ("who teaches at politecnico di milano", "en"),
        ("does the curriculum include la dolce vita", "en"),
        ("what is the fee per semestre", "en"),
    ],
)
def test_borrowed_english_terms_do_not_outvote_the_function_words_around_them(question: str, language: str) -> None:
    """Learners borrow English terms the content may not hold ("membership", "bootcamp"); one
    such word made lingua's n-grams read a Spanish sentence as English."""
    assert detect(question) == language


@pytest.mark.parametrize(
    ("question", "language"),
    [
        # French and Italian function words behind an apostrophe or a hyphen
        ("c'est quoi l'instructor training", "fr"),
        ("qu'est-ce qu'un self-organised workshop", "fr"),
        ("d'ou vient l'idee du hackathon", "fr"),
        ("c'è un'altra deadline per l'enrollment", "it"),
        # the English list's foreign articles ("la", "il", "per") no longer tie with Italian
        ("qual e la deadline per il master in cybersecurity", "it"),
        # English possessives, contractions and names with an apostrophe stay English
        ("which bank's chief security officer leads opit's cybersecurity degree", "en"),
        ("can't find the d'artagnan lesson anywhere", "en"),
        ("who's the instructor for the hands-on lab", "en"),
        ("i'm looking for the l'oreal case study", "en"),
    ],
)
def test_function_words_joined_by_apostrophes_and_hyphens_count(question: str, language: str) -> None:
    """ "c'est", "qu'un" and "l'idee" hold French's function words; read whole, they were no
    function words and a borrowed term made the question English."""
    assert detect(question) == language


@pytest.mark.parametrize("question", ["ciao", "Hola", "Danke schön", "Riccardo Ocleppo", "Software Carpentry", "MSc Cybersecurity", "2026?", ""])
def test_short_and_name_only_questions_count_as_english(question: str) -> None:
    """Too little to tell: English, which needs no translation at all."""
    assert detect(question) == "en"


@pytest.mark.parametrize(
    ("question", "english", "english_all_along"),
    [
        # misspelt English that the n-grams read as Italian: the model's "translation" keeps it
        ("wich panel was obiora on for comercio ltd", "Which panel was Obiora on for Comercio Ltd?", True),
        ("Quanto costa il master in cybersecurity a trimestre?", "How much does the master's in cybersecurity cost per term?", False),
        # the English title is kept by any translation, and is not counted
        ("Chi insegna nel Bachelor in Modern Computer Science?", "Who teaches in the Bachelor in Modern Computer Science?", False),
        ("¿Cuál es la capital de Australia?", "What is the capital of Australia?", False),
    ],
)
def test_a_translation_that_keeps_most_words_shows_the_question_was_english(question: str, english: str, english_all_along: bool) -> None:
    assert was_english(question, english) is english_all_along


def test_a_translation_keeps_markers_and_figures() -> None:
    english = "Tuition costs €2,250 per term [1]. The programme launched in 2024 [2]."
    assert faithful_translation(english, "La retta costa 2.250 € a trimestre [1]. Il programma è partito nel 2024 [2].")
    assert not faithful_translation(english, "La retta costa 2.250 € a trimestre. Il programma è partito nel 2024 [2].")
    assert not faithful_translation(english, "La retta costa 2.500 € a trimestre [1]. Il programma è partito nel 2024 [2].")
    assert not faithful_translation(english, "")


FIELD = re.compile(r"\{\w+\}")


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_fixed_replies_are_written_out_per_language(language: str) -> None:
    """Every fixed reply has its own text, with the same fields as the English one."""
    for name in ("refuse", "unsafe", "withheld", "smalltalk", "clarify", "untranslated", "too_long", "side_not_found", "about_title"):
        text = prompt(name, language)
        assert text != prompt(name) and detect(FIELD.sub("", text)) == language
        assert sorted(FIELD.findall(text)) == sorted(FIELD.findall(prompt(name))), "the same fields to fill in"
    assert prompt("answer", language) == prompt("answer"), "prompts for the model stay English"


def test_suggestions_on_a_title_keep_the_title_as_the_content_writes_it() -> None:
    """The model translated titles word for word ("Ten Years of Library Carpentry" ->
    "Libros de carpintería de diez años"): a suggestion on a title takes the language's own
    wording around the title, and only the other suggestions go to the model, in one call."""
    model = GenericFakeChatModel(messages=iter([AIMessage("¿Dónde se pueden encontrar aliados en el campus?")]))
    english = ["What should I know about Ten Years of Library Carpentry?", "Where can allies on campus be found?", "What should I know about OPIT’s First Career Fair?"]
    assert lines_to_learner(model, english, "es") == [
        "¿Qué debería saber sobre Ten Years of Library Carpentry?",
        "¿Dónde se pueden encontrar aliados en el campus?",
        "¿Qué debería saber sobre OPIT’s First Career Fair?",
    ]


def test_the_names_of_an_answer_go_to_the_model_as_markers_and_come_back_as_written() -> None:
    """A name is its capitalised words and the small words inside it; the capital that opens
    a sentence is none. The model sees markers, told to copy them, and the learner the names."""
    english = "The MSc in Applied Data Science & AI lasts 18 months [1]. Its chair sits on the Code of Conduct Committee [2]. Tuition is paid per term [1]."
    names = names_in(english)
    assert names == ["The MSc in Applied Data Science & AI", "Code of Conduct Committee"]
    masked = masked_names(english, names)
    assert masked == "<A> lasts 18 months [1]. Its chair sits on the <B> [2]. Tuition is paid per term [1]."
    assert str(reply_messages(masked, "it", marked=True)[0].content).endswith(prompt("keep_markers"))
    assert prompt("keep_markers") not in str(reply_messages("Tuition is paid per term [1].", "it")[0].content)
    italian = "<A> dura 18 mesi [1]. La sua presidente siede nel <B> [2]. La retta si paga a trimestre [1]."
    assert to_learner(GenericFakeChatModel(messages=iter([AIMessage(italian)])), english, "it") == (
        "The MSc in Applied Data Science & AI dura 18 mesi [1]. La sua presidente siede nel Code of Conduct Committee [2]. "
        "La retta si paga a trimestre [1]."
    )
    translated_name = italian.replace("<B>", "Comitato del Codice di Condotta")  # a dropped marker: no translation
    assert to_learner(GenericFakeChatModel(messages=iter([AIMessage(translated_name)])), english, "it") == ""
    # ... unless a second reply, asked for with the names as written, gives every one of them
    kept = "Il MSc in Applied Data Science & AI dura 18 mesi [1]. La presidente siede nel Code of Conduct Committee [2]. La retta si paga a trimestre [1]."
    for second, expected in ((kept, kept), (translated_name.replace("<A>", "Il MSc in Applied Data Science & AI"), "")):
        replies = iter([AIMessage(translated_name), AIMessage(second)])
        assert to_learner(GenericFakeChatModel(messages=replies), english, "it") == expected


def test_a_translation_that_drops_or_moves_a_citation_gets_the_englishs_back_sentence_by_sentence() -> None:
    """dev d043: "<A> currently works for <B>. [2]" came back "<A> actualmente trabaja para
    <B>." and the learner got the English. Sentence for sentence, each translated sentence
    takes its English sentence's markers; a translation that merges sentences is left as
    written, and the faithfulness check turns it down."""
    english = "Marco Lorenzi currently works for RWS Group. [2]"
    reply = "<A> actualmente trabaja para <B>."
    assert to_learner(GenericFakeChatModel(messages=iter([AIMessage(reply)])), english, "es") == "Marco Lorenzi actualmente trabaja para RWS Group. [2]"
    two = "The hackathon runs on 13 February [1]. Registration closes on 1 February. [2]"
    moved = "L'hackathon si tiene il 13 febbraio [2]. Le iscrizioni chiudono il 1 febbraio."
    assert with_citations(moved, two) == "L'hackathon si tiene il 13 febbraio. [1] Le iscrizioni chiudono il 1 febbraio. [2]"
    merged = "L'hackathon si tiene il 13 febbraio e le iscrizioni chiudono il 1 febbraio."
    assert with_citations(merged, two) == merged and not faithful_translation(two, merged)
    listed = "Workshops teach:\n- the Unix shell [1]\n- Git [2]"
    assert with_citations("I workshop insegnano:\n- la shell Unix\n- Git", listed) == "I workshop insegnano:\n- la shell Unix [1]\n- Git [2]"


def test_months_and_days_are_translated_not_masked_as_names() -> None:
    """As a marker, "November 19 and 20" came back "19 y 20 de enero": the model had to guess
    the month. Months and days are words every language has its own for."""
    english = "The career fair was held on Tuesday, November 19 [1]. Riccardo Ocleppo opened it [1]."
    assert names_in(english) == ["Riccardo Ocleppo"]


def test_a_name_inside_a_longer_one_stays_part_of_it() -> None:
    english = "OPIT Hackathon 2026 is open to OPIT students on Plan A [1]."
    assert masked_names(english, names_in(english)) == "<A> 2026 is open to <B> students on <C> [1]."


def test_a_name_spelled_out_with_its_acronym_keeps_its_and() -> None:
    """dev d1035: "Workshops and Instruction Team (WIT)" came back as "Workshops e Instruction
    Team"; two names joined by "and" stay two names. The markers run in the reply's order, and
    a name only ever seen inside a longer one ("The Workshops") takes none."""
    english = "The Workshops and Instruction Team (WIT) recruits two Instructors [1]. Software Carpentry and Data Carpentry merged [2]."
    names = names_in(english)
    assert names == ["Workshops and Instruction Team", "WIT", "Instructors", "Software Carpentry", "Data Carpentry"]
    assert masked_names(english, names) == "The <A> (<B>) recruits two <C> [1]. <D> and <E> merged [2]."


@pytest.mark.parametrize(
    "reply",
    [
        "OPIT es una organización que ofrece programas de formación [1].\nLos hackathons enseñan a innovar [2].",  # answered, not translated
        "¿Qué es OPIT?\n¿Cuáles son los beneficios de participar en hacking马拉松?",  # out of the Latin script
        "¿Qué es OPIT?",  # one line for two
    ],
)
def test_suggestions_stay_english_when_the_model_does_not_translate_them_as_questions(reply: str) -> None:
    english = ["What is OPIT?", "What are the main benefits of taking part in hackathons?"]
    assert lines_to_learner(GenericFakeChatModel(messages=iter([AIMessage(reply)])), english, "es") == english
