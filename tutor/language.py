"""Which language a learner writes in: English, Italian, Spanish, German or French.

The index and the evidence checks are English, so a question in another language is
translated before the search and the answer translated back (tutor/agent/translation.py).
Detection is lingua's offline n-gram models restricted to these five languages, which is
far more accurate on short texts than choosing among all of them. Learners keep the content's
own terms in English whatever language they write in ("il corso di machine learning è
online?"), so those words are left out of the vote when the rest shows another language.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder
from spellchecker import SpellChecker

from tutor.text import STOPWORDS, WORD

LANGUAGES = {"en": "English", "it": "Italian", "es": "Spanish", "de": "German", "fr": "French"}
MIN_WORDS = 3  # fewer ordinary words (greetings, names, keywords) say nothing reliable
MIN_CONFIDENCE = 0.3  # lingua's confidence for the winner among the five; below it: unsure


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
    best = detector().compute_language_confidence_values(" ".join(words))[0]
    if best.value < MIN_CONFIDENCE:
        return "en"
    return best.language.iso_code_639_1.name.lower()
