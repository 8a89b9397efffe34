"""Small, pure text helpers shared by the agent's policy and the extractive model."""

from __future__ import annotations

import re
from collections import Counter
from typing import NamedTuple

from breame.spelling import get_american_spelling

STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing done down during each either else
    etc ever every few for from further get gets got give had has have having he her here hers him
    his how i if in into is it its itself just know let like many may me might more most much must
    my need no nor not now of off on once one only or other our ours out over own please really
    same shall she should so some something anything such tell than that the their theirs them then
    there these they thing things this those through to too under until up upon us very want was we
    were what when where which while who whom whose why will with would you your yours""".split()
)
CITATION = re.compile(r"\[(\d{1,2})\]")  # an answer's marker for its n-th numbered source
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*|\d[\d,.]*")
# a word as written, its capital kept and a hyphen between words ("co-founder" is "co", "founder")
CASED_WORD = re.compile(r"[A-Za-zÀ-ÿ][a-zß-ÿ'’]*")
FIGURE = re.compile(r"\d[\d,.]*\d|\d")  # "2,250", "2024", "3": without a trailing full stop
# capitalised words, joined inside a name by "of", "for", "in", "the" or "&"
NAME = re.compile(r"[A-Z][\w'’&.-]*(?:\s+(?:(?:of|for|in|the|&)\s+)*[A-Z][\w'’&.-]*)*")
CURRENCY = "$€£¥"  # signs written before an amount ("€2,250", "£9,000")
# a sentence ends at . ! ? — or at a closing quote or a citation marker placed after them
SENTENCE_END = re.compile(r"(?<=[.!?\]”\"])\s+(?=[A-Z0-9\"“(])")
# English abbreviations written with a full stop that rarely ends a sentence ("Dr. Jane Doe",
# "e.g. Python"); a single capital letter with a full stop is an initial ("J. R. Smith").
DOTTED_ABBREVIATIONS = frozenset(
    "dr drs prof mr mrs ms mx st jr sr mt vs e.g i.e cf viz approx incl esp dept univ fig no nos".split()
)
INITIAL = re.compile(r"[A-Z]\.")
LIST_ITEM = re.compile(r"(?:[-*•+]|\d+[.)])\s+")
HEADING_WORDS = 10  # a short line without closing punctuation, followed by a capital, is a heading
CLOSING_PUNCTUATION = (".", "!", "?", ":", ",", ";")
CLOSING_QUOTES = "\"'”’)]"
# "(Source: …)" credits and "Source: …"/"Sources: …" caption lines quote no facts of the text
SOURCE_CREDIT = re.compile(r"[ \t]*[(\[][ \t]*(?i:sources?)[ \t]*:[^)\]\n]*[)\]]|(?<![\w-])Sources?:(?:[ \t].*)?$", re.MULTILINE)


def content_words(text: str) -> list[str]:
    """Lower-case words that carry meaning (no stop words, no one-letter words), possessives
    read as their noun: "OPIT's" and a passage's "OPIT’s" are both "opit", and "what's" is
    the stop word "what"."""
    words = (m.lower().replace("’", "'").strip("'-.,").removesuffix("'s") for m in WORD.findall(text))
    return [w for w in words if len(w) > 1 and w not in STOPWORDS]


def one_spelling(word: str) -> str:
    """A lower-case word in one spelling of English: British spellings read as American ones
    ("organisations" -> "organizations", "centre" -> "center"), so a question written in one
    matches content written in the other. Other words are returned unchanged."""
    return get_american_spelling(word)


def stem(word: str) -> str:
    """Crude suffix stripping: enough to match 'courses'/'course', 'applies'/'apply',
    'enrolled'/'enrolling', 'programmes'/'programme'; British and American spellings alike."""
    word = one_spelling(word)
    if len(word) > 4 and word.endswith("ies"):
        word = word[:-3] + "y"
    elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    for suffix in ("ing", "ed", "ment", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def stems(text: str) -> set[str]:
    """The stemmed content words of `text`."""
    return {stem(w) for w in content_words(text)}


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph: a full stop, then a capital or a digit, unless the full stop
    closes an abbreviation or an initial. A regex rather than pysbd, which is ~400 times
    slower and hands a citation written after the full stop ("… euros. [1]") to the next
    sentence."""
    text = text.strip()
    sentences, start = [], 0
    for boundary in SENTENCE_END.finditer(text):
        if not _closes_abbreviation(text[start : boundary.start()]):
            sentences.append(text[start : boundary.start()])
            start = boundary.end()
    sentences.append(text[start:])
    return [s.strip() for s in sentences if s.strip()]


def _closes_abbreviation(text: str) -> bool:
    """The text ends in an abbreviation or an initial, so its full stop ends no sentence."""
    last = text.rsplit(None, 1)[-1].lstrip("([\"“") if text.strip() else ""  # "[Dr. Jane Doe](…)": a link's text
    return last[:-1].lower() in DOTTED_ABBREVIATIONS or bool(INITIAL.fullmatch(last))


def is_heading(line: str, following: str) -> bool:
    """A short line without closing punctuation before a line that starts with a capital: a
    heading whose markup was lost (web pages, PDFs), not a sentence wrapped onto the next line."""
    words = line.strip().lstrip("#").split()
    closed = line.rstrip().rstrip(CLOSING_QUOTES).endswith(CLOSING_PUNCTUATION)
    return 0 < len(words) <= HEADING_WORDS and not closed and following.lstrip()[:1].isupper()


class Unit(NamedTuple):
    """A sentence of a passage, and whether it is a heading, a list item or running prose."""

    text: str
    kind: str  # "heading" | "item" | "prose"


def passage_units(passage: str) -> list[Unit]:
    """Sentences of a passage: wrapped lines rejoined, every list item and heading on its own,
    source credits removed."""
    lines = [line.strip() for line in SOURCE_CREDIT.sub("", passage).splitlines()]
    units: list[Unit] = []
    block: list[str] = []
    kind = "prose"
    for line, following in zip(lines, [*lines[1:], ""]):
        item = LIST_ITEM.match(line)
        heading = line.startswith("#") or (not item and _ends_sentence(block) and is_heading(line, following))
        # a short list item without closing punctuation ends at the next capitalised line
        if block and (not line or item or heading or (kind == "item" and is_heading(block[-1], line))):
            units += [Unit(s, kind) for s in split_sentences(" ".join(block))]
            block = []
        if heading:
            units.append(Unit(line.lstrip("#").strip(), "heading"))
        elif line:
            kind = "item" if item else kind if block else "prose"
            block.append(line[item.end() :] if item else line)
    return units + [Unit(s, kind) for s in split_sentences(" ".join(block))]


def written(units: list[Unit]) -> str:
    """Sentences written back as text: prose runs on, each list item starts its own line, and a
    blank line closes a list (Markdown reads a line right after an item into that item)."""
    text = ""
    for before, unit in zip([None, *units], units):
        start = "\n- " if unit.kind == "item" else "\n\n" if before and before.kind == "item" else " "
        text += start + unit.text
    return text.strip()


def _ends_sentence(block: list[str]) -> bool:
    """Nothing is pending, or the last line closed its sentence: a new line may be a heading."""
    return not block or block[-1].rstrip(CLOSING_QUOTES).endswith((".", "!", "?", ":"))


def as_written(phrase: str, text: str) -> str:
    """`phrase` with each word spelled the way `text` mostly spells it, capitals included
    ("msc" -> "MSc", "Machine" -> "machine"); a word `text` lacks stays as it is."""
    return " ".join(_most_written(word, text) for word in phrase.split())


def _most_written(word: str, text: str) -> str:
    """The most frequent spelling; on a tie the lower-case one (a capital at a sentence's start
    is not how a word is written)."""
    spellings = Counter(re.findall(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags=re.IGNORECASE))
    return max(spellings, key=lambda s: (spellings[s], s.islower())) if spellings else word
