"""Model calls that carry a learner's question into English and the reply back.

The corpus, the index and every grounding check are English, so the agent works in English
throughout and only the edges speak the learner's language. Without an LLM (the extractive
backend) nothing is translated: the question goes on as asked.
"""

from __future__ import annotations

import calendar
import re
import string

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from tutor.agent.evidence import acronyms_in
from tutor.agent.prompts import prompt
from tutor.language import LANGUAGES, ordinary_words
from tutor.text import CITATION, NAME, WORD, split_sentences

# a name's stand-in while the model translates: nothing in it to translate, and no number to
# take for a citation's (with <1>, "… founded in 1998. [1]" came back without its [1])
MARKERS = tuple(f"<{letter}>" for letter in string.ascii_uppercase)
NOT_LATIN = re.compile(r"[^\u0000-\u024F\u2000-\u20CF]")  # beyond Latin letters, punctuation and currency signs
CITED = re.compile(rf"\s*{CITATION.pattern}")  # a citation marker with the space before it
# capitalised in English, yet words every language has its own for: translated, never masked
# (as a marker, "November 19" came back "19 de enero")
CALENDAR_WORDS = frozenset([*calendar.month_name[1:], *calendar.day_name])


def translates(language: str, llm_name: str) -> bool:
    """Whether this question is translated: another language and a model that can write it."""
    return language != "en" and llm_name != "extractive"


def reply_of(model: BaseChatModel, messages: list[BaseMessage]) -> str:
    """The model's reply; empty when it fails, and the caller keeps the learner's or the
    English words."""
    try:
        return str(model.invoke(messages).content).strip()
    except Exception:  # a model server that went away
        return ""


def to_english(model: BaseChatModel, question: str) -> str:
    """The question in English; as asked when the model fails or replies with nothing."""
    return " ".join(reply_of(model, [SystemMessage(prompt("translate")), HumanMessage(question)]).split()) or question


def was_english(question: str, english: str) -> bool:
    """Whether the "translation" kept most of the question's ordinary words: then it was
    English all along, misspelt or full of names ("wich panel was obiora on for comercio ltd"
    reads as Italian to the n-grams), and the reply must not come in another language. Names
    are left out of the count, since a translation keeps them ("Chi insegna nel Bachelor…")."""
    words = [w.lower() for w in ordinary_words(question)]
    kept = {w.lower() for w in WORD.findall(english)}
    return bool(words) and sum(w in kept for w in words) > len(words) / 2


def reply_messages(text: str, language: str, marked: bool = False) -> list[BaseMessage]:
    """The request to write an English reply in the learner's language; `marked` when its
    names stand as markers (`masked_names`), which the model is told to copy."""
    system = prompt("translate_reply").format(language=LANGUAGES[language])
    if marked:
        system += " " + prompt("keep_markers")
    return [SystemMessage(system), HumanMessage(text)]


def names_in(text: str) -> list[str]:
    """The names an English reply gives ("Code of Conduct Committee", "MSc in Applied Data
    Science & AI"), each once, in the order the reply first gives them on their own (the model
    keeps markers best when they run <A>, <B>, …): capitalised words, and the small words that
    join them inside a name. A lone capital that opens a sentence is no name. "and" joins two
    names ("Software Carpentry and Data Carpentry"), except in a name the reply spells out with
    its acronym: "Workshops and Instruction Team (WIT)" came back as "Workshops e Instruction Team"."""
    text = CITATION.sub("", text)
    found = [defined.rsplit(" ", 1)[0] for defined in acronyms_in([text]).values()]
    for sentence in split_sentences(text):
        for match in NAME.finditer(sentence):
            name = match.group().rstrip(".")
            if (match.start() > 0 or " " in name) and name not in CALENDAR_WORDS:
                found.append(name)
    found = list(dict.fromkeys(found))
    alone = {name: first_alone(name, text, found) for name in found}
    return sorted((name for name in found if alone[name] is not None), key=lambda name: alone[name])


def first_alone(name: str, text: str, names: list[str]) -> int | None:
    """Where `name` first stands in `text` clear of the longer `names`, which are masked first
    ("OPIT" in "OPIT students", not in "OPIT Hackathon"; "The Workshops" never, when it
    overlaps "Workshops and Instruction Team"); None when it never does."""
    longer = [span for other in names if len(other) > len(name) for span in spans(other, text)]
    return next((start for start, end in spans(name, text) if not any(s < end and start < e for s, e in longer)), None)


def spans(name: str, text: str) -> list[tuple[int, int]]:
    """Where `name` stands in `text` as a whole name (not inside a word or a marker)."""
    return [found.span() for found in re.finditer(rf"(?<![\w<]){re.escape(name)}(?![\w>])", text)]


def to_learner(model: BaseChatModel, text: str, language: str) -> str:
    """An English reply in the learner's language, its names as written; empty when the model
    fails or drops a name. Each name goes to the model as a marker ("<A> was founded in 1998.
    [1]") and is put back after: listed and told to keep them, the 1.5B model still translated
    the names of 3 of 13 dev answers ("The Carpentries" -> "Los carpentistas"); given markers,
    of none. A reply that drops a marker has lost a name ("professionals like <B>" came back
    "occupati di lavoro"): the reply is asked for once more with the names as written, and
    kept if it gives every one of them (its "The" aside: "Il MSc in Cybersecurity"); else
    the learner gets the English."""
    names = names_in(text)
    masked = masked_names(text, names)
    translated = reply_of(model, reply_messages(masked, language, marked=masked != text))
    kept = with_names(with_citations(translated, masked), names, masked)
    if kept or masked == text:
        return kept
    plain = with_citations(reply_of(model, reply_messages(text, language)), text)
    return plain if all(name.removeprefix("The ") in plain for name in names) else ""


def with_citations(translated: str, english: str) -> str:
    """The translation with the English's [n] markers back on their sentences, when the model
    dropped or moved them ("<A> actualmente trabaja para <B>." for "<A> currently works for
    <B>. [2]"): each line and each sentence must then match the English one for one, so every
    sentence gets the markers of the sentence it translates. Otherwise the translation is
    left as written, and the faithfulness check judges it."""
    if sorted(CITATION.findall(translated)) == sorted(CITATION.findall(english)):
        return translated
    ours, theirs = english.split("\n"), translated.split("\n")
    if len(ours) != len(theirs):
        return translated
    lines = [cited_line(mine, line) for mine, line in zip(ours, theirs)]
    return translated if None in lines else "\n".join(lines)


def cited_line(english: str, translated: str) -> str | None:
    """One translated line with each sentence ending in its English sentence's markers; None
    when the two lines do not hold as many sentences."""
    ours, theirs = split_sentences(english), split_sentences(CITED.sub("", translated))
    if len(ours) != len(theirs):
        return None
    return " ".join(" ".join([sentence, *(f"[{n}]" for n in CITATION.findall(source))]) for sentence, source in zip(theirs, ours))


def masked_names(text: str, names: list[str]) -> str:
    """The text with each name replaced by its marker, <A> for the first: the longest first,
    so "OPIT" inside "OPIT Hackathon" stays part of the longer name (and a name "A" is not
    the A of a marker). Names past the 26th stay as they are."""
    for name, marker in sorted(zip(names, MARKERS), key=lambda pair: -len(pair[0])):
        for start, end in reversed(spans(name, text)):
            text = text[:start] + marker + text[end:]
    return text


def with_names(translated: str, names: list[str], masked: str) -> str:
    """The translation with its names back in place of their markers; empty when a marker of
    `masked` is missing from it (a name the learner would not read)."""
    if any(marker in masked and marker not in translated for marker in MARKERS[: len(names)]):
        return ""
    return unmasked(translated, names)


def unmasked(text: str, names: list[str]) -> str:
    """The text with each marker replaced by its name: the translation, or the part of it the
    learner watches being written."""
    for name, marker in zip(names, MARKERS):
        text = text.replace(marker, name)
    return text


def lines_to_learner(model: BaseChatModel, lines: list[str], language: str) -> list[str]:
    """Suggested questions in the learner's language. One about a title ("What should I know
    about Ten Years of Library Carpentry?") takes the language's own wording with the title as
    the content writes it: the model translated titles word for word ("Libros de carpintería
    de diez años"), which names nothing the learner can find, and asked back, searches worse.
    The others go to the model in one call (`model_lines`)."""
    about = [about_title_in(line, language) for line in lines]
    others = [line for line, localised in zip(lines, about) if localised is None]
    translated = iter(model_lines(model, others, language))
    return [localised if localised is not None else next(translated) for localised in about]


def about_title_in(line: str, language: str) -> str | None:
    """A suggestion on a title in the learner's language, or None for any other line."""
    before, after = prompt("about_title").split("{title}")
    title = line[len(before) : len(line) - len(after)] if line.startswith(before) and line.endswith(after) else ""
    return prompt("about_title", language).format(title=title) if title.strip() else None


def model_lines(model: BaseChatModel, lines: list[str], language: str) -> list[str]:
    """Several suggested questions in one model call, with a prompt of their own: given the
    reply's prompt, the model answered them ("What is OPIT?" -> "OPIT es una organización…").
    The English ones when the model fails, does not give back one question for each, or
    writes outside the Latin script all five languages use ("hacking马拉松")."""
    if not lines:
        return lines
    messages = [SystemMessage(prompt("translate_questions").format(language=LANGUAGES[language])), HumanMessage("\n".join(lines))]
    translated = [line.strip().removeprefix("- ") for line in reply_of(model, messages).splitlines() if line.strip()]
    asked = len(translated) == len(lines) and all(mine.endswith("?") == theirs.endswith("?") for mine, theirs in zip(translated, lines))
    return translated if asked and not any(NOT_LATIN.search(line) for line in translated) else lines
