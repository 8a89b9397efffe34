"""Pure, I/O-free decisions of the agent: routing, follow-ups, evidence, grounding checks.

A 1.5B model on two CPU cores is slow (every call costs seconds) and unreliable at judging,
so every decision that a rule can make well is made here, deterministically, and tested on
its own; the LLM is used only to write the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches

from tutor.agent.safety import asks_for_harm, is_self_harm
from tutor.screening import INSTRUCTION_RULES
from tutor.text import STOPWORDS, WORD, content_words, split_sentences, stem, stems

Route = str  # "answer" | "refuse" | "smalltalk" | "clarify"

INJECTION = re.compile(
    r"ignore (all |any |the |your |my )?(previous |prior |above |earlier )?(instructions|rules|prompt)"
    r"|system prompt|your (instructions|prompt|rules)\b|reveal (your|the) (prompt|instructions)"
    r"|jailbreak|developer mode|\bDAN\b|pretend (you are|to be)|act as (an? )?(unfiltered|evil|different)"
    r"|disregard (your|the|all)|override (your|the) (rules|instructions)|<\s*/?\s*(system|script)",
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
# "A or B", "A vs B", "between A and B", "compare A with B": the two sides of a comparison,
# each up to eight words, ending at punctuation or the end of the question.
CHOICE = re.compile(
    r"(?:(?<=[,:])|\bbetween|\bcompare)\s*(?P<a>[\w'’$€.-]+(?:\s+[\w'’$€.-]+){0,7}?)"
    r"\s+(?:or|vs\.?|versus|and|with)\s+(?P<b>[\w'’$€.-]+(?:\s+[\w'’$€.-]+){0,7}?)(?=\s*[?.!,:]|\s*$)",
    re.IGNORECASE,
)
# the same at the question's start ("Python or R?", "instructor training vs trainer training: ..."),
# tried only when the question has no comma, colon, "between" or "compare" to anchor it
CHOICE_AT_START = re.compile(CHOICE.pattern.replace("(?:(?<=[,:])|\\bbetween|\\bcompare)", "^", 1), re.IGNORECASE)
CONTEXT_QUESTIONS = 2  # earlier questions a follow-up may borrow its subject from
FRAGMENT_WORDS = 3  # an earlier question of this many words or fewer ("year?") needs its own predecessor
TYPO_SIMILARITY = 0.8  # difflib ratio above which an unknown word is a misspelling of a known one
CITATION = re.compile(r"\[(\d{1,2})\]")
YEAR = re.compile(r"(19|20)\d\d")
YES_NO_QUESTION = re.compile(
    r"(is|are|was|were|do|does|did|can|could|will|would|should|has|have|had|isn't|aren't|doesn't|don't)\b", re.IGNORECASE
)


# ---------------------------------------------------------------- routing


def route_question(question: str) -> Route:
    """First cut before any retrieval: clarify, smalltalk, refuse (injection, a request for harm,
    self-harm) or answer. Questions *about* harm (what a course teaches on malware, how to
    defend against phishing) are answered: see `safety`."""
    text = question.strip()
    if len(re.sub(r"[\W_]+", "", text)) < 2:
        return "clarify"
    if is_injection(text) or is_self_harm(text) or asks_for_harm(text):
        return "refuse"
    if SMALLTALK.match(text):
        return "smalltalk"
    if len(content_words(text)) == 0:
        return "clarify"
    return "answer"


def is_injection(text: str) -> bool:
    """Orders to the assistant instead of a question: the question patterns here, and the
    instruction rules that screen documents (an order is an attack wherever it comes from)."""
    return bool(INJECTION.search(text)) or any(rule.search(text) for _, rule in INSTRUCTION_RULES)


def is_follow_up(question: str) -> bool:
    """A question that visibly refers back ("and how much does it cost?"). Follow-ups without
    such words ("Who can take part?") are recognised by retrieval instead (`prefers_context`)."""
    return bool(FOLLOW_UP.search(question.strip()))


def with_context(question: str, previous_questions: list[str]) -> str:
    """The question with the conversation's subject attached: the last earlier question, and
    the one before it when the last was itself a fragment ("year?")."""
    earlier = [q.strip() for q in previous_questions if q.strip()][-CONTEXT_QUESTIONS:]
    if not earlier:
        return question.strip()
    if len(earlier) > 1 and len(WORD.findall(earlier[-1])) > FRAGMENT_WORDS:
        earlier = earlier[-1:]
    return f"{question.strip()} ({' '.join(earlier)})"


def prefers_context(question: str, alone_similarity: float, context_similarity: float) -> bool:
    """Is this a follow-up? Yes when it says so ("it", "and ..."), or when adding the
    conversation brings the search closer to some passage than the question alone does:
    "Who can take part?" matches nothing well until "(the hackathon)" is added, while a
    question on a new subject matches best on its own. Relative, so no corpus-fitted cut-off."""
    return is_follow_up(question) or context_similarity > alone_similarity


def condense(question: str, previous_questions: list[str]) -> str:
    """A standalone search query for evaluation tools without a retriever at hand: the
    question with its conversation when there is one (the agent decides with `prefers_context`)."""
    return with_context(question, previous_questions) if previous_questions else question.strip()


def comparison_parts(question: str) -> list[str]:
    """One search query per side of a comparison ("Which lasts longer, A or B?" ->
    "Which lasts longer, A?" and "... B?"), so both sides are retrieved; [] when the question
    is not a choice between two things. A one-word side borrows the other side's head noun
    ("gold or platinum membership" -> "gold membership")."""
    match = CHOICE.search(question) or CHOICE_AT_START.search(question)
    if not match:
        return []
    first, second = match.group("a").strip(), match.group("b").strip()
    if len(first.split()) == 1 and len(second.split()) > 1:
        first = f"{first} {' '.join(second.split()[1:])}"
    before, after = question[: match.start("a")].rstrip(), question[match.end("b"):]
    return [f"{before} {side}{after}".strip() for side in (first, second)]


# ---------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Evidence:
    """How well the retrieved chunks cover the question."""

    similarity: float  # best dense cosine between the query and a retrieved chunk
    overlap: float  # share of the question's content words found in the top chunks
    unknown: tuple[str, ...]  # content words the corpus has never seen, typos excluded
    unknown_names: tuple[str, ...]  # capitalised ones among them: names of things not covered
    missing: tuple[str, ...] = ()  # names and years the question asks about that the passages never say


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
    return Evidence(round(similarity, 4), round(overlap, 4), tuple(unknown), tuple(names), tuple(missing_specifics(question, top_text)))


def specifics(text: str) -> list[str]:
    """What pins a question or a sentence to one thing: capitalised names (not a sentence's
    first word, not a common abbreviation) and years."""
    found = []
    for sentence in split_sentences(CITATION.sub("", text)):
        for i, raw in enumerate(WORD.findall(sentence)):
            word = raw.strip("'’-.,")
            if YEAR.fullmatch(word) or (i > 0 and word[:1].isupper() and word.lower() not in ABBREVIATIONS and word.lower() not in STOPWORDS):
                found.append(word.removesuffix("'s").removesuffix("’s"))
    return found


def missing_specifics(text: str, passages: str) -> list[str]:
    """The names and years in `text` that `passages` never mention (typos forgiven): "Oxford"
    in a question answered from another university's page, "2026" for a 2024 event."""
    return absent(list(dict.fromkeys(specifics(text))), passages)


def absent(names: list[str], passages: str) -> list[str]:
    """The `names` that `passages` never mention, a close misspelling counting as a mention."""
    words = {w.lower().strip("'’-.,") for w in WORD.findall(passages)}
    return [
        name for name in names
        if name.lower() not in words and not get_close_matches(name.lower(), words, n=1, cutoff=TYPO_SIMILARITY)
    ]


def subject_first(question: str, passages: list[str]) -> list[int]:
    """Indices of `passages`, those naming more of what the question names first (stable):
    "What does a Software Carpentry workshop teach?" is answered from the page that says
    "Software Carpentry", not from a closer-sounding page on another workshop."""
    asked = list(dict.fromkeys(specifics(question)))
    if not asked:
        return list(range(len(passages)))
    return sorted(range(len(passages)), key=lambda i: len(absent(asked, passages[i])))


def is_strong(evidence: Evidence) -> bool:
    """Answerable from the corpus? Thresholds fitted on the golden set (see benchmarks):
    a name the corpus never mentions, or the passages found never mention, is out of scope
    (a near miss: another university's fees, next year's winners); other unseen words need most of the
    question to be found in the evidence; otherwise close chunks or a good word overlap."""
    if evidence.unknown_names or evidence.missing:
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
    every figure, name and year it states occurs there too (small models invent numbers, and
    lend one programme's fee to another's name)."""
    body = CITATION.sub("", sentence)
    words = stems(body)
    if not words:
        return True
    figures = set(re.findall(r"\d[\d,.]*\d|\d", body))
    if any(f not in source for f in figures) or missing_specifics(body, source):
        return False
    return len(words & stems(source)) / len(words) >= min_share


def is_yes_no(question: str) -> bool:
    """Does the question ask for a yes or a no ("Is it taught online?")?"""
    return bool(YES_NO_QUESTION.match(question.strip()))


def unfounded_yes(answer: str, question: str, cited_sources: list[str]) -> bool:
    """A "yes" must find everything the question asks about in the passages it cites: "Is the
    TUM master's taught online?" -> "Yes" is a contradiction when the passage says on campus."""
    if not is_yes_no(question) or not re.match(r"\W*yes\b", answer, re.IGNORECASE):
        return False
    return bool(stems(question) - stems(" ".join(cited_sources)))


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
    if unfounded_yes(text, question, [sources[n - 1] for n in cited]):
        unsupported.append(split_sentences(text)[0])
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
