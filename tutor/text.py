"""Small, pure text helpers shared by the agent's policy and the extractive model."""

from __future__ import annotations

import re
from collections import Counter

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
WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*|\d[\d,.]*")
# a sentence ends at . ! ? — or at a closing quote or a citation marker placed after them
SENTENCE_END = re.compile(r"(?<=[.!?\]”\"])\s+(?=[A-Z0-9\"“(])")


def content_words(text: str) -> list[str]:
    """Lower-case words that carry meaning (no stop words, no one-letter words)."""
    words = (m.lower().strip("'’-.,") for m in WORD.findall(text))
    return [w for w in words if len(w) > 1 and w not in STOPWORDS]


def stem(word: str) -> str:
    """Crude suffix stripping: enough to match 'courses'/'course', 'applies'/'apply',
    'enrolled'/'enrolling', 'programmes'/'programme'."""
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
    """Sentences of a paragraph (a full stop, then a capital or a digit)."""
    return [s.strip() for s in SENTENCE_END.split(text.strip()) if s.strip()]


def as_written(phrase: str, text: str) -> str:
    """`phrase` with each word spelled the way `text` mostly spells it, capitals included
    ("msc" -> "MSc", "Machine" -> "machine"); a word `text` lacks stays as it is."""
    return " ".join(_most_written(word, text) for word in phrase.split())


def _most_written(word: str, text: str) -> str:
    """The most frequent spelling; on a tie the lower-case one (a capital at a sentence's start
    is not how a word is written)."""
    spellings = Counter(re.findall(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text, flags=re.IGNORECASE))
    return max(spellings, key=lambda s: (spellings[s], s.islower())) if spellings else word
