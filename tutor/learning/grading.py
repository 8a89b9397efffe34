"""Grading without an LLM: exact choice for multiple choice, normalised or fuzzy match for typed
answers. Pure and fast (well under a millisecond), so quiz feedback is immediate.

A typed answer is right when, after normalisation (case, accents, punctuation, articles,
thousands separators), it equals the expected answer, contains it as a whole phrase within a
few extra words ("in Delaware" for "Delaware"), or is within a small edit distance of it
(typos: rapidfuzz's ratio >= `FUZZY_MIN`). Figures are never fuzzy: "1995" is not "1996".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz

FUZZY_MIN = 85.0  # 0..100; one typo in a 7-letter word scores ~86
MAX_EXTRA_WORDS = 3  # "it is in Delaware" still answers "Delaware"; a pasted paragraph does not
ARTICLES = frozenset({"a", "an", "the"})
LETTERS = "abcdefghij"


@dataclass(frozen=True)
class Grade:
    """The verdict on one response, with how it was reached (for feedback and tests)."""

    correct: bool
    expected: str
    how: str  # "exact" | "normalised" | "contained" | "fuzzy" | "wrong" | "empty"


def normalise(text: str) -> str:
    """Lower case, no accents, no punctuation (but 2,250 -> 2250, 3.5 stays), no articles;
    apostrophes vanish (OPIT's = OPIT’s = OPITs) and & is "and"."""
    text = re.sub("['’‘]", "", text).replace("&", " and ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    text = re.sub(r"(?<!\d)\.|\.(?!\d)", " ", text)
    text = re.sub(r"[^\w.%$]+", " ", text)
    return " ".join(word for word in text.split() if word not in ARTICLES)


def _figures(text: str) -> list[str]:
    return re.findall(r"\d+(?:\.\d+)?", text)


def grade_choice(response: str, choices: list[str], answer: str) -> Grade:
    """Right only when the response is the answer's choice: its text, its letter (A, B…) or number."""
    picked = response.strip()
    if not picked:
        return Grade(False, answer, "empty")
    if picked in choices:
        return Grade(picked == answer, answer, "exact" if picked == answer else "wrong")
    index = _choice_index(picked, len(choices))
    if index is not None:
        return Grade(choices[index] == answer, answer, "exact" if choices[index] == answer else "wrong")
    matches = [c for c in choices if normalise(c) == normalise(picked)]
    if len(matches) == 1:
        return Grade(matches[0] == answer, answer, "normalised" if matches[0] == answer else "wrong")
    return Grade(False, answer, "wrong")


def _choice_index(picked: str, count: int) -> int | None:
    """'B', 'b)', '2' -> 1; None when it names no choice."""
    token = picked.strip().rstrip(").:").lower()
    if len(token) == 1 and token in LETTERS[:count]:
        return LETTERS.index(token)
    if token.isdigit() and 1 <= int(token) <= count:
        return int(token) - 1
    return None


def grade_short(response: str, answer: str) -> Grade:
    """A typed answer against the expected one (see the module docstring for the rules)."""
    given, expected = normalise(response), normalise(answer)
    if not given:
        return Grade(False, answer, "empty")
    if response.strip() == answer.strip():
        return Grade(True, answer, "exact")
    if given == expected:
        return Grade(True, answer, "normalised")
    if _figures(expected) and _figures(given) != _figures(expected) and not _contains(given, expected):
        return Grade(False, answer, "wrong")
    if _contains(given, expected) and len(given.split()) <= len(expected.split()) + MAX_EXTRA_WORDS:
        return Grade(True, answer, "contained")
    if not _figures(expected) and fuzz.ratio(given, expected) >= FUZZY_MIN:
        return Grade(True, answer, "fuzzy")
    return Grade(False, answer, "wrong")


def _contains(given: str, expected: str) -> bool:
    """`expected` appears in `given` as whole words."""
    return re.search(rf"(?<!\w){re.escape(expected)}(?!\w)", given) is not None


def grade(response: str, answer: str, choices: list[str]) -> Grade:
    """Grade a response to an item: multiple choice when it has choices, typed otherwise."""
    return grade_choice(response, choices, answer) if choices else grade_short(response, answer)
