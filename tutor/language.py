"""Which language a learner writes in: English, Italian, Spanish, German or French.

The index and the evidence checks are English, so a question in another language is
translated before the search and the answer translated back (tutor/agent/translation.py).
Detection is lingua's offline n-gram models restricted to these five languages, which is
far more accurate on short texts than choosing among all of them. Learners keep the content's
own terms in English whatever language they write in ("il corso di machine learning è
online?"), so those words are left out of the vote when the rest shows another language.
Borrowed terms the content lacks ("workshop", "membership", "bootcamp") still outvote the few
words around them in lingua's n-grams ("cual es el precio de la membership" reads as English),
so a question's function words ("es", "el", "de", "la"), which no language borrows, decide first.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder
from spellchecker import SpellChecker
from stopwordsiso import stopwords

from tutor.text import STOPWORDS, WORD

LANGUAGES = {"en": "English", "it": "Italian", "es": "Spanish", "de": "German", "fr": "French"}
MIN_WORDS = 3  # fewer ordinary words (greetings, names, keywords) say nothing reliable
MIN_CONFIDENCE = 0.3  # lingua's confidence for the winner among the five; below it: unsure
MIN_FUNCTION_WORDS = 2  # one "la" or "per" is shared by too many languages to decide alone


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """Built once, with every language's model loaded at once (about 0.6 s on two cores):
    loaded lazily, they cost the first questions about a second more (`TutorService.warm_up`)."""
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


@lru_cache(maxsize=1)
def english() -> SpellChecker:
    """pyspellchecker's English word list (shipped in its wheel, loaded once, about 0.2 s)."""
    return SpellChecker(language="en", distance=1)


@lru_cache(maxsize=1)
def function_words() -> dict[str, frozenset[str]]:
    """Each language's function words from the Stopwords ISO lists, without accents, since
    learners often type without them ("perche", "fur", "coute"). The English list also holds
    the articles English text borrows ("la", "il", "un", "per", single letters), so a word
    another language lists too counts for English only if it is one of English's own stop
    words (`tutor.text.STOPWORDS`): "qual e la deadline per il master" tied with Italian."""
    listed = {code: frozenset(unaccented(w) for w in stopwords(code)) for code in LANGUAGES}
    others = frozenset().union(*(words for code, words in listed.items() if code != "en"))
    return {**listed, "en": frozenset(w for w in listed["en"] if w in STOPWORDS or w not in others)}


def unaccented(word: str) -> str:
    """`word` in lower case with its accents dropped: "Für" -> "fur"."""
    return "".join(c for c in unicodedata.normalize("NFKD", word.lower()) if not unicodedata.combining(c))


def grammar_languages(words: list[str]) -> list[str]:
    """The languages whose function words the question uses most, when it uses at least
    MIN_FUNCTION_WORDS of them; empty when the question says too little that way."""
    plain = [part for w in words for part in word_parts(unaccented(w))]
    counts = {code: sum(w in listed for w in plain) for code, listed in function_words().items()}
    most = max(counts.values())
    return [code for code, count in counts.items() if count == most] if most >= MIN_FUNCTION_WORDS else []


def word_parts(word: str) -> list[str]:
    """A word joined by apostrophes or hyphens as its parts, where French and Italian hide
    most function words: "qu'est-ce" -> qu, est, ce; "un'altra" -> un, altra. One letter after
    the last apostrophe is an English ending ("bank's", "don't", "i'm") and is dropped: every
    letter is a "function word" in some lists. "c'è" keeps its "c'"."""
    *elided, last = word.replace("’", "'").split("'")
    if elided and len(last) == 1:
        last = ""
    return [part for piece in [*elided, last] for part in piece.split("-") if part]


def ordinary_words(question: str) -> list[str]:
    """The question's words without names: capitalised words after the first ("Software
    Carpentry", "MSc") are mostly English titles that would outvote a French sentence."""
    words = [w for w in WORD.findall(question) if not w[0].isdigit()]
    return [w for i, w in enumerate(words) if i == 0 or not w[0].isupper()]


def learners_own_words(words: list[str], content_words: Collection[str]) -> list[str]:
    """`words` without the content's own ("master", "cybersecurity", "workshop", "membership"),
    which outvote the few words around them: "il master in cybersecurity di" reads as English.
    English's small words stay (the content has them all), and the cut is made only when what
    is left holds a word English lacks ("quanto", "lernt", "couvre"): an English question with
    unusual words ("recommend a good pizza place") keeps all its words and stays English."""
    own = [w for w in words if w.lower() not in content_words or w.lower() in STOPWORDS]
    foreign = [w for w in own if w.lower() not in STOPWORDS and w.lower() not in english()]
    return own if len(own) >= MIN_WORDS and foreign else words


def detect(question: str, content_words: Collection[str] = frozenset()) -> str:
    """The ISO 639-1 code of the question's language; "en" when unsure (short questions,
    names only, or no clear winner), because English needs no translation at all.
    `content_words` is the index's vocabulary (`IndexGeneration.vocabulary`), lower case."""
    words = learners_own_words(ordinary_words(question), content_words)
    if len(words) < MIN_WORDS:
        return "en"
    grammar = grammar_languages(words)
    if len(grammar) == 1:
        return grammar[0]
    ranked = [(c.language.iso_code_639_1.name.lower(), c.value) for c in detector().compute_language_confidence_values(" ".join(words))]
    if grammar and "en" not in grammar:  # "de la" is Spanish, French or Italian: the n-grams choose
        return next(code for code, _ in ranked if code in grammar)
    code, confidence = ranked[0]
    return code if confidence >= MIN_CONFIDENCE else "en"
