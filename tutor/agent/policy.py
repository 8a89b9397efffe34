"""Pure, I/O-free decisions of the agent: routing, follow-ups, evidence, grounding checks.

A 1.5B model on two CPU cores is slow (every call costs seconds) and unreliable at judging,
so every decision that a rule can make well is made here, deterministically, and tested on
its own; the LLM is used only to write the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches

from tutor.text import STOPWORDS, WORD, content_words, split_sentences, stem, stems

Route = str  # "answer" | "refuse" | "smalltalk" | "clarify"

INJECTION = re.compile(
    r"ignore (all |any |the |your |my )?(previous |prior |above |earlier )?(instructions|rules|prompt)"
    r"|system prompt|your (instructions|prompt|rules)\b|reveal (your|the) (prompt|instructions)"
    r"|jailbreak|developer mode|\bDAN\b|pretend (you are|to be)|act as (an? )?(unfiltered|evil|different)"
    r"|disregard (your|the|all)|override (your|the) (rules|instructions)|<\s*/?\s*(system|script)",
    re.IGNORECASE,
)
UNSAFE = re.compile(
    r"\b(bomb|explosive|weapon|firearm|kill|murder|poison|suicide|self[- ]harm|meth|cocaine|heroin"
    r"|steal|malware|ransomware|hack into|phishing|credit card numbers?)\b",
    re.IGNORECASE,
)
SMALLTALK = re.compile(
    r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|thanks?( you)?|thank you( so much)?|cheers"
    r"|bye|goodbye|see you|how are you|who are you|what are you|what can you do|ok(ay)?|cool|great)"
    r"[\s!.?,]*(tutor|there|bot)?[\s!.?]*$",
    re.IGNORECASE,
)
FOLLOW_UP = re.compile(
    r"^(and|also|so|but|then|what about|how about|what else)\b"
    r"|\b(it|its|it's|they|them|their|he|she|his|her|him|those|these|this one|that one|the same"
    r"|the program(me)?|the course|the degree|the article|the event)\b",
    re.IGNORECASE,
)
# Abbreviations of any English-speaking study context; the corpus's own ("TUM" for "Technical
# University of Munich (TUM)") are read from its text at index time (`acronyms_in`).
ABBREVIATIONS = {
    "ml": "machine learning",
    "ai": "artificial intelligence",
    "msc": "master's MSc",
    "bsc": "bachelor's BSc",
    "cs": "computer science",
    "uni": "university",
    "masters": "master's",
}
ACRONYM_DEFINITION = re.compile(r"((?:[A-Z][\w'’-]*\s+(?:(?:of|for|and|the|in|de|di)\s+)*){1,7})\(([A-Z][A-Za-z]{1,7})\)")
TYPO_SIMILARITY = 0.8  # difflib ratio above which an unknown word is a misspelling of a known one
CITATION = re.compile(r"\[(\d{1,2})\]")


# ---------------------------------------------------------------- routing


def route_question(question: str) -> Route:
    """First cut before any retrieval: clarify, smalltalk, refuse (unsafe/injection) or answer."""
    text = question.strip()
    if len(re.sub(r"[\W_]+", "", text)) < 2:
        return "clarify"
    if INJECTION.search(text) or UNSAFE.search(text):
        return "refuse"
    if SMALLTALK.match(text):
        return "smalltalk"
    if len(content_words(text)) == 0:
        return "clarify"
    return "answer"


def is_follow_up(question: str) -> bool:
    """A question that refers back to the previous turn ("and how much does it cost?").
    A false positive only adds the previous question as search context."""
    return bool(FOLLOW_UP.search(question.strip()))


def condense(question: str, previous_questions: list[str]) -> str:
    """A standalone search query: a follow-up borrows the subject of the last question."""
    if not previous_questions or not is_follow_up(question):
        return question.strip()
    return f"{question.strip()} ({previous_questions[-1].strip()})"


# ---------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved chunks cover the question."""

    similarity: float  # best dense cosine between the query and a retrieved chunk
    overlap: float  # share of the question's content words found in the top chunks
    unknown: tuple[str, ...]  # content words the corpus has never seen, typos excluded
    unknown_names: tuple[str, ...]  # capitalised ones among them: names of things not covered


def acronyms_in(texts: list[str]) -> dict[str, str]:
    """"Technical University of Munich (TUM)" -> {"tum": "Technical University of Munich TUM"}:
    the words before a parenthesised acronym whose letters, in order, spell it."""
    found: dict[str, str] = {}
    for text in texts:
        for match in ACRONYM_DEFINITION.finditer(text):
            words, acronym = match.group(1).split(), match.group(2)
            for start in range(len(words)):
                name = " ".join(words[start:])
                if name[0].lower() == acronym[0].lower() and _spells(acronym.lower(), name.lower()):
                    found.setdefault(acronym.lower(), f"{name} {acronym}")
                    break
    return found


def _spells(acronym: str, name: str) -> bool:
    """Every letter of the acronym appears in the name, in order."""
    position = 0
    for letter in acronym:
        position = name.find(letter, position) + 1
        if position == 0:
            return False
    return True


def unknown_words(question: str, vocabulary: set[str], known: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """Question words the corpus has never seen and that are not a typo of a word it has
    (no close match); capitalised ones after the first word look like names."""
    foreign, names = [], []
    stemmed = {stem(v) for v in vocabulary}
    for i, raw in enumerate(WORD.findall(question)):
        word = raw.lower().strip("'’-")
        if len(word) < 3 or word in STOPWORDS or word[0].isdigit() or word in ABBREVIATIONS or word in known:
            continue
        if word in vocabulary or stem(word) in stemmed or get_close_matches(word, vocabulary, n=1, cutoff=TYPO_SIMILARITY):
            continue
        foreign.append(word)
        if raw[0].isupper() and i > 0:
            names.append(raw)
    return foreign, names


def assess_evidence(
    question: str, query: str, similarity: float, top_text: str, vocabulary: set[str], acronyms: dict[str, str] | None = None
) -> Evidence:
    """Summarise retrieval quality: foreign words come from the student's own `question`,
    word overlap from the search `query` (which may have had its typos fixed)."""
    words = stems(query)
    overlap = len(words & stems(top_text)) / len(words) if words else 0.0
    unknown, names = unknown_words(question, vocabulary, frozenset(acronyms or ()))
    return Evidence(round(similarity, 4), round(overlap, 4), tuple(unknown), tuple(names))


def is_strong(evidence: Evidence) -> bool:
    """Answerable from the corpus? Thresholds fitted on the golden set (see benchmarks):
    a name the corpus never mentions is out of scope; other unseen words need most of the
    question to be found in the evidence; otherwise close chunks or a good word overlap."""
    if evidence.unknown_names:
        return False
    if evidence.unknown:
        return evidence.overlap >= 0.5 and evidence.similarity >= 0.3
    return evidence.similarity >= 0.5 or (evidence.overlap >= 0.5 and evidence.similarity >= 0.25)


def rewrite_query(question: str, vocabulary: set[str], acronyms: dict[str, str] | None = None) -> str:
    """Second try: expand abbreviations (the corpus's own and common ones) and correct words
    the corpus does not know (typos)."""
    expansions = {**ABBREVIATIONS, **(acronyms or {})}
    words = []
    for raw in WORD.findall(question):
        word = raw.lower()
        if word in expansions:
            words.append(expansions[word])
        elif len(word) >= 4 and word not in vocabulary and word not in STOPWORDS:
            match = get_close_matches(word, vocabulary, n=1, cutoff=TYPO_SIMILARITY)
            words.append(match[0] if match else raw)
        else:
            words.append(raw)
    return " ".join(words)


# ---------------------------------------------------------------- grounding of answers


def supported(sentence: str, source: str, min_share: float = 0.3) -> bool:
    """A sentence is backed by a source when enough of its content words occur there, and
    every figure it states occurs there too (small models invent numbers)."""
    words = stems(CITATION.sub("", sentence))
    if not words:
        return True
    figures = set(re.findall(r"\d[\d,.]*\d|\d", CITATION.sub("", sentence)))
    if any(f not in source for f in figures):
        return False
    return len(words & stems(source)) / len(words) >= min_share


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking an answer against its numbered sources."""

    answer: str  # with invalid markers removed and missing citations added where supported
    cited: tuple[int, ...]
    invalid: tuple[int, ...]
    unsupported: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.unsupported and bool(self.cited)


def verify_answer(answer: str, sources: list[str], question: str = "") -> Verdict:
    """Every [n] must name a real source that backs its sentence; uncited but supported
    sentences get the citation of the source that backs them."""
    invalid: set[int] = set()
    unsupported: list[str] = []
    fixed: list[str] = []
    for sentence in split_sentences(answer):
        numbers = [int(n) for n in CITATION.findall(sentence)]
        bad = [n for n in numbers if not 1 <= n <= len(sources)]
        invalid.update(bad)
        good = [n for n in numbers if 1 <= n <= len(sources)]
        if good and any(supported(sentence, sources[n - 1]) for n in good):
            fixed.append(sentence)
            continue
        best = best_source(sentence, sources)
        body = CITATION.sub("", sentence).rstrip()
        if best is not None:
            fixed.append(attach_citation(body, best))
        elif is_meta_sentence(sentence, question):
            fixed.append(body)
        else:
            unsupported.append(sentence)
    text = " ".join(fixed)
    cited = tuple(sorted({int(n) for n in CITATION.findall(text)}))
    return Verdict(text, cited, tuple(sorted(invalid)), tuple(unsupported))


def best_source(sentence: str, sources: list[str]) -> int | None:
    """1-based number of the source that supports the sentence best, if any does."""
    words = stems(CITATION.sub("", sentence))
    scored = [(len(words & stems(s)), i) for i, s in enumerate(sources, start=1) if supported(sentence, s)]
    return max(scored, key=lambda item: (item[0], -item[1]))[1] if scored else None


def attach_citation(sentence: str, n: int) -> str:
    """Put [n] before the sentence's final punctuation mark."""
    match = re.search(r"[.!?]+$", sentence)
    return f"{sentence[: match.start()]} [{n}]{match.group()}" if match else f"{sentence} [{n}]"


def is_meta_sentence(sentence: str, question: str) -> bool:
    """Connective sentences with no facts of their own ("Here is what I found.") need no source."""
    words = stems(CITATION.sub("", sentence)) - stems(question)
    has_figure = bool(re.search(r"\d", sentence))
    return len(words) <= 3 and not has_figure


def declines(answer: str) -> bool:
    """The model said the sources don't answer the question."""
    return bool(
        re.search(
            r"(couldn't|could not|can't|cannot|unable to) find|not (mentioned|covered|stated|in the sources)"
            r"|no information|don't have (any )?information|do not have (any )?information",
            answer,
            re.IGNORECASE,
        )
    )


def faithful_translation(original: str, translation: str) -> bool:
    """A translation may reword, never re-source or change a figure: the same [n] markers
    and the same digit groups ("2,250" and Italian "2.250" both give 2 and 250)."""

    def facts(text: str) -> tuple[list[str], list[str]]:
        return sorted(CITATION.findall(text)), sorted(re.findall(r"\d+", CITATION.sub("", text)))

    return bool(translation.strip()) and facts(original) == facts(translation)
