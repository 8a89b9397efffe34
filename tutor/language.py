"""Which language a learner writes in: English, Italian, Spanish, German or French.

The index and the evidence checks are English, so a question in another language is
translated before the search and the answer translated back (tutor/agent/translation.py).
Detection is lingua's offline n-gram models restricted to these five languages, which is
far more accurate on short texts than choosing among all of them.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

from tutor.text import WORD

LANGUAGES = {"en": "English", "it": "Italian", "es": "Spanish", "de": "German", "fr": "French"}
MIN_WORDS = 3  # fewer ordinary words (greetings, names, keywords) say nothing reliable
MIN_CONFIDENCE = 0.3  # lingua's confidence for the winner among the five; below it: unsure


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """Built once, with every language's model loaded at once (about 0.6 s on two cores):
    loaded lazily, they cost the first questions about a second more (`TutorService.warm_up`)."""
    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in LANGUAGES]
    return LanguageDetectorBuilder.from_languages(*languages).with_preloaded_language_models().build()


def ordinary_words(question: str) -> list[str]:
    """The question's words without names: capitalised words after the first ("Software
    Carpentry", "MSc") are mostly English titles that would outvote a French sentence."""
    words = [w for w in WORD.findall(question) if not w[0].isdigit()]
    return [w for i, w in enumerate(words) if i == 0 or not w[0].isupper()]


def detect(question: str) -> str:
    """The ISO 639-1 code of the question's language; "en" when unsure (short questions,
    names only, or no clear winner), because English needs no translation at all."""
    words = ordinary_words(question)
    if len(words) < MIN_WORDS:
        return "en"
    best = detector().compute_language_confidence_values(" ".join(words))[0]
    if best.value < MIN_CONFIDENCE:
        return "en"
    return best.language.iso_code_639_1.name.lower()
