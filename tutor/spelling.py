"""Typos in a search query, corrected toward the content's own words.

A word is a misspelling when it is neither the content's (the index's vocabulary) nor an
English word (pyspellchecker's offline dictionary); it then becomes the content's closest
word, if one is close enough ("membrship" -> "membership", "chekout" -> "checkout"). The
dictionary is what keeps ordinary words the content happens not to use as they are: against
the content alone, "catch" reads as a typo of "watch", "earn" of "learn" and "call" of "all".
A query in another language is left alone: its words are not misspelt English.
"""

from __future__ import annotations

from difflib import SequenceMatcher, get_close_matches

from tutor.language import detect, english
from tutor.text import STOPWORDS, WORD

TYPO_SIMILARITY = 0.8  # difflib ratio above which an unknown word is a misspelling of a known one
SHORTEST_TYPO = 4  # shorter words ("wen", "abt") have too many close neighbours to guess from


def is_known(word: str, vocabulary: set[str]) -> bool:
    """Whether a lower-case word is the content's or English, as students write it too: each
    part of "co-founded", the owner in "obiora's", "wasnt" for "wasn't"."""
    word = word.replace("’", "'")
    if word in vocabulary or word in english():
        return True
    if "-" in word.strip("-"):
        return all(is_known(part, vocabulary) for part in word.split("-") if part)
    if word.endswith("'s"):
        return is_known(word[:-2], vocabulary)
    return word.endswith("nt") and f"{word[:-1]}'t" in english()


def correction(word: str, vocabulary: set[str], trust_english: bool = True) -> str | None:
    """The content's word that `word` misspells, or None when it is no typo or no content word is
    close. Of the English words one letter away, a content word is the likeliest reading
    ("carrer" is the content's "career" although difflib rates "carrier" closer); when none is
    the content's and one reads the word more closely than the content's nearest, the word is
    left for the dense search to read ("cours" is more likely "course" than the content's "colours").
    Without `trust_english`, any word the content lacks may be a typo ("manger" -> "manager"):
    the agent's second search, once the first found too little."""
    lower = word.lower()
    if len(lower) < SHORTEST_TYPO or lower[0].isdigit() or lower in STOPWORDS or lower in vocabulary:
        return None
    if trust_english and is_known(lower, vocabulary):
        return None
    match = get_close_matches(lower, vocabulary, n=1, cutoff=TYPO_SIMILARITY)
    if not match:
        return None
    if not trust_english:
        return match[0]
    readings = english().candidates(lower) or set()
    # sorted: of equally close readings, the same one on every run (a set has no order)
    own_readings = sorted(w for w in readings if w in vocabulary and ratio(lower, w) >= TYPO_SIMILARITY)
    if own_readings:
        return max(own_readings, key=lambda w: ratio(lower, w))
    if any(ratio(lower, w) > ratio(lower, match[0]) for w in readings):
        return None
    return match[0]


def ratio(a: str, b: str) -> float:
    """difflib's similarity of two words, the measure `get_close_matches` ranks by."""
    return SequenceMatcher(None, a, b).ratio()


def corrected(query: str, vocabulary: set[str], trust_english: bool = True) -> str:
    """`query` with its misspelt words replaced by the content's; unchanged unless English."""
    if detect(query, vocabulary) != "en":
        return query
    return WORD.sub(lambda m: correction(m.group(), vocabulary, trust_english) or m.group(), query)
