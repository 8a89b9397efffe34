"""Pure, I/O-free judgement of what retrieval found: does the evidence answer the question?

Names and years the question asks about must be in the passages (a near miss: another
university's fees, next year's winners), the corpus's own acronyms are read from its text, and
typos are told from unknown words by closeness to the corpus's vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches

from tutor.answer_types import DATE, NUMBER, NUMBER_WORD, asked_kind
from tutor.spelling import TYPO_SIMILARITY
from tutor.text import (
    CASED_WORD,
    CITATION,
    FIGURE,
    STOPWORDS,
    WORD,
    split_sentences,
    stem,
    stems,
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
YEAR = re.compile(r"(19|20)\d\d")
# a figure the text states, not a digit inside a code: "501(c)(3)" states no "3", "H2O" no "2"
STATED_FIGURE = re.compile(rf"(?<![\w)]\()(?<!\w)(?:{FIGURE.pattern})(?!\w)")
# A premise stated before the question: "Since the MSc is taught online, can I study from home?"
GIVEN = re.compile(r"^\W*(?:since|as|given that|because)\b[^,?]*,\s*", re.IGNORECASE)
# Questions that ask for a yes or a no: "Is it taught online?", "It is online, isn't it?", and
# the tags students end a claim with: "..., yeah?", "..., no?", "..., is that so?"
TAG = r"(?:right|correct|true|yeah|yep|innit|(?:is|are|was|were|do|does|did|has|have|can|could|wo|would|should)n'?t \w+)"
TAG_AFTER_COMMA = r"(?:yes|no|ok|okay|(?:isn'?t |is )?that so)"  # "What if they say yes?" asks no yes or no
AUXILIARY = r"(?:is|are|was|were|do|does|did|can|could|will|would|should|has|have|had)"  # a yes/no question opens with one
CONFIRMATION = re.compile(
    rf"^\W*(?:{AUXILIARY}|isn't|aren't|doesn't|don't)\b"
    rf"|\b{TAG}\W*$|,\s*{TAG_AFTER_COMMA}\W*$",
    re.IGNORECASE,
)


# "Who founded …?" asks for someone; "Who can take part?" and "Who is it for?" ask who qualifies,
# and "Who is Marco Lorenzi?" about someone already named.
ASKS_FOR_SOMEONE = re.compile(r"^\W*who\b(?!(?:'s|’s|\s+(?:is|was|are|were))\s+(?!the\b|in\b))(?!\s+(?:can|could|may|might|must|should)\b)", re.IGNORECASE)
# A person as pages name one: capitalised words in a row ("Riccardo Ocleppo", "Alfred P. Sloan")
CAPITALISED_RUN = re.compile(r"[A-ZÀ-Þ][a-zß-ÿ'’]+(?:\s+(?:[A-Z]\.\s+)?[A-ZÀ-Þ][a-zß-ÿ'’]+)+")
COUNT = re.compile(rf"{FIGURE.pattern}|{NUMBER_WORD}", re.IGNORECASE)  # one word that counts: "3,400", "two"
IRREGULAR_PLURALS = {"people": "person", "children": "child", "men": "man", "women": "woman"}
COUNTED = re.compile(rf"\b(?:how many|number of)\s+((?:(?!{AUXILIARY}\b)[\w'’-]+\s*){{1,3}})", re.IGNORECASE)


def states_what_is_asked(question: str, answer: str, name_words: frozenset[str]) -> bool:
    """Does the answer state the kind of fact the question asks for (always, for questions
    that ask for no particular kind)? Unless a date is asked for, the question's own years are
    its time frame, not its answer: "Early in 2024, …" gives no count for "How many workshops
    ran in 2024?". (Its other figures may be the answer it wants confirmed: "€2,250?") A count
    must count what is asked for (`counts`), and "Who …?" wants someone named (`names_someone`)."""
    if ASKS_FOR_SOMEONE.search(question):
        return names_someone(CITATION.sub("", answer), name_words)
    kind = asked_kind(question)
    if kind is None:
        return True
    body = CITATION.sub("", answer)
    if kind is not DATE:
        for year in {found.group() for found in YEAR.finditer(question)}:
            body = re.sub(rf"\b{year}\b", "", body)
    if kind is NUMBER and (counted := counted_stems(question)):
        return counts(body, counted)
    return bool(kind.search(body))


def asked_fact(question: str, answer: str, name_words: frozenset[str]) -> str:
    """The answer's first sentence that states the figure the question asks for (an amount for
    "How much …?", a duration, a date, a count), or "" when it asks for none or no sentence
    states one. It is the sentence a near miss gets wrong while every figure in it is in its
    passage: "The average salary of a machine learning engineer in Europe is €45,000", from a
    passage that gives €45,000 as what a master's degree costs. A yes/no question asks for
    none: its claim is checked as a claim. Nor does "Who …?": the 1.5B model read "Tom Vazdar
    is the director of the MSc" as unstated by "The MSc is led by Tom Vazdar", and a name the
    passages never give is a near miss the grade already declines."""
    if asks_to_confirm(question) or not asked_kind(question):
        return ""
    return next((sentence for sentence in split_sentences(answer) if states_what_is_asked(question, sentence, name_words)), "")


def names_someone(text: str, name_words: frozenset[str]) -> bool:
    """Does `text` name a person: two capitalised words in a row that the content never writes in
    lower case (`name_words`)? That tells "Cate Pickens" from "Contact the Board" or "Software
    Carpentry" on any content, which a list of first names or an English dictionary cannot."""
    return any(
        sum(word.lower() in name_words for word in CASED_WORD.findall(run)) >= 2 for run in CAPITALISED_RUN.findall(text)
    )


def counted_stems(question: str) -> set[str]:
    """What "How many certified Instructors does …?" counts: the stems of the (up to three)
    words after "how many" / "number of", up to an auxiliary verb ("does", "are", …)."""
    found = COUNTED.search(question)
    return {counted_stem(w) for w in WORD.findall(found.group(1)) if w.lower() not in STOPWORDS} if found else set()


def counted_stem(word: str) -> str:
    """The stem of a counted noun, its irregular plural as its singular ("people" -> "person")."""
    word = word.lower()
    return stem(IRREGULAR_PLURALS.get(word, word))


def counts(body: str, counted: set[str]) -> bool:
    """Is a count followed, within three words, by what is counted ("3,400+ certified
    Instructors", "a 16-hour course")? "The training runs over two full days" gives a count of
    days, no count of Instructors."""
    words = WORD.findall(body.replace("-", " "))
    return any(
        COUNT.fullmatch(word) and any(counted_stem(after) in counted for after in words[i + 1 : i + 4])
        for i, word in enumerate(words)
    )


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

    def seen(word: str) -> bool:
        if len(word) < 3 or word in STOPWORDS or word[0].isdigit() or word in ABBREVIATIONS or word in known:
            return True
        return word in vocabulary or stem(word) in stemmed or bool(get_close_matches(word, vocabulary, n=1, cutoff=TYPO_SIMILARITY))

    for i, raw in enumerate(WORD.findall(question)):
        word = raw.lower().strip("'’-")
        if seen(word) or ("-" in word and all(seen(part) for part in word.split("-") if part)):  # "ML-specific"
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
    overlap = share_found(stems(query), top_text)
    unknown, names = unknown_words(question, vocabulary, frozenset(acronyms or ()))
    return Evidence(round(similarity, 4), round(overlap, 4), tuple(unknown), tuple(names), tuple(missing_specifics(question, top_text)))


def share_found(words: set[str], text: str) -> float:
    """The share of `words` (stems) that `text` contains; 0 when there are none."""
    return len(words & stems(text)) / len(words) if words else 0.0


def specifics(text: str) -> list[str]:
    """What pins a question or a sentence to one thing: capitalised names (not a sentence's
    first word, not a common abbreviation) and years."""
    found = []
    for sentence in split_sentences(CITATION.sub("", text)):
        for i, raw in enumerate(WORD.findall(sentence)):
            word = raw.strip("'’-.,")
            if YEAR.fullmatch(word):
                found.append(word)
            elif i > 0:  # a hyphenated name by its parts: "ML-specific" names nothing, "Code-of-Conduct" two words
                found += [part.removesuffix("'s").removesuffix("’s") for part in word.split("-")
                          if part[:1].isupper() and part.lower() not in ABBREVIATIONS and part.lower() not in STOPWORDS]
    return found


def unstated_words(text: str, passages: str) -> set[str]:
    """The content words (stems) of `text` that `passages` never use; a common abbreviation
    counts as used where the passages spell it out ("ML engineers", "machine learning engineers")."""
    found = stems(passages)
    return {word for word in stems(text) - found if not (word in ABBREVIATIONS and stems(ABBREVIATIONS[word]) <= found)}


def missing_specifics(text: str, passages: str) -> list[str]:
    """The names and years in `text` that `passages` never mention (typos forgiven): "Oxford"
    in a question answered from another university's page, "2026" for a 2024 event."""
    return absent(list(dict.fromkeys(specifics(text))), passages)


def absent(names: list[str], passages: str) -> list[str]:
    """The `names` that `passages` never mention, a close misspelling counting as a mention."""
    words = {w.lower().strip("'’-.,").removesuffix("'s").removesuffix("’s") for w in WORD.findall(passages)}  # "TUM's" names TUM
    words |= {part for w in words if "-" in w for part in w.split("-")}  # "Code-of-Conduct" names Conduct
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
    """Answerable from the corpus? A name the corpus never mentions, or the passages found never
    mention, is out of scope (a near miss: another university's fees, next year's winners);
    other unseen words need most of the question to be found in the evidence; otherwise close
    chunks or a good word overlap. The cosine floors belong to the embedding model, not to a
    corpus: fitted on the institute's dev part, they hold on The Carpentries' test part too
    (out-of-scope questions reach 0.14-0.21, answerable ones 0.34 and up on both; `python -m
    benchmarks evidence`). A relative signal (the top hit's z-score among all chunks) was
    measured and separates worse: off-topic questions stand out of a flat background too."""
    if evidence.unknown_names or evidence.missing:
        return False
    if evidence.unknown:
        return evidence.overlap >= 0.5 and evidence.similarity >= 0.3
    return evidence.similarity >= 0.5 or (evidence.overlap >= 0.5 and evidence.similarity >= 0.25)


def asks_to_confirm(question: str) -> bool:
    """Does the question ask for a yes or a no ("Is it taught online?", "..., right?", "Since
    it is online, can I study from home?")?"""
    return bool(CONFIRMATION.search(GIVEN.sub("", question.strip())))


def gives_a_premise(question: str) -> bool:
    """Does the question state a premise before it asks ("Since it is online, can I ...?")?"""
    return bool(GIVEN.match(question.strip()))


def without_tag(question: str) -> str:
    """The claim without the words that ask for a yes or a no: "It is online, right?" -> "It is
    online", so "right" is not taken for something the passages must say."""
    return CONFIRMATION.sub("", question.strip())


def asks_yes_or_no(question: str) -> bool:
    """A question answered by a yes or a no, not by picking one of its alternatives ("Is it
    taught live or pre-recorded?")."""
    return asks_to_confirm(question) and not re.search(r"\bor\b", question, re.IGNORECASE)


def claimed_premise(question: str, found: Evidence, top_text: str) -> tuple[str, ...]:
    """What a yes/no question claims that the passages never say: "Is the MSc taught on campus
    in Rome?" -> ("Rome",), "... only 500 instructors, right?" -> ("500",): names, years and
    figures, and the words the corpus has never seen when only they keep the evidence weak
    ("... a one-hour webinar, isn't it?"). The rest of the question must be covered as well as
    any answerable question's, so the claim is the only gap; the answer is then "no" with what
    the passages state, or a decline (a small model told nothing declines such questions: the
    claim is nowhere to be found). () for any other question."""
    confirming = CONFIRMATION.search(question.strip())
    if not confirming:
        return ()
    stated = set(STATED_FIGURE.findall(top_text))
    claimed = found.missing + tuple(f for f in FIGURE.findall(question) if f not in stated)
    if not is_strong(found):
        asking = {n.lower() for n in claimed} | {w.lower() for w in WORD.findall(confirming.group())}  # not "right?"
        claimed += tuple(w for w in found.unknown if w not in asking)
    claimed = tuple(dict.fromkeys(claimed))
    if not claimed:
        return ()
    rest_found = share_found(stems(question) - stems(" ".join(claimed)), top_text)
    return claimed if is_strong(Evidence(found.similarity, rest_found, (), ())) else ()


# A place or time a claim is set in: "... taught in Rome?", "... merged in 2016?"; never a name
# the subject is called by ("the Oxford MSc"), nor an amount ("in 2 weeks", "around 500")
SETTING = r"\b(?:in|at|on|from|since|during|until|before|after|near|outside)\s+(?:the\s+)?"
SETTING_ENDS = r"(?=\W*$|\s*[,;:]|\s+(?:in|at|on|from|since|during|until|before|after|and|or|for|with)\b)"  # not "the Glasgow campus"
OPENS_ON_AUXILIARY = re.compile(rf"^\W*{AUXILIARY}\b", re.IGNORECASE)


def without_setting(question: str, premise: tuple[str, ...]) -> str:
    """The yes/no question without the place or time it claims and the passages never give:
    "Is the MSc taught on campus in Rome?" -> "Is the MSc taught on campus?" (its other claims
    still to be confirmed or denied), and a year asked about as a time: "Did they merge in
    2016?" -> "When did they merge?". The passages can answer that, and the answer then says
    they never mention Rome: declined whole, the student's wrong belief stood. "" when a claim
    names what the question is about ("Is the Oxford MSc online?", "only 500 instructors,
    right?"): the rest would be answered about another subject."""
    rest = question.strip()
    for claim in premise:
        if re.search(r"\d", claim) and not YEAR.fullmatch(claim):
            return ""
        rest, found = re.subn(rf"\s*{SETTING}{re.escape(claim)}\b{SETTING_ENDS}", "", rest, flags=re.IGNORECASE)
        if not found:
            return ""
    if len(stems(without_tag(rest))) < 2:
        return ""
    if all(YEAR.fullmatch(claim) for claim in premise) and OPENS_ON_AUXILIARY.match(rest):
        return f"When {rest[0].lower()}{rest[1:]}"
    return rest


def expand_abbreviations(question: str, acronyms: dict[str, str] | None = None) -> str:
    """Second try: spell out abbreviations, the corpus's own and common ones ("tum" ->
    "Technical University of Munich TUM"); typos are `tutor.spelling`'s to fix."""
    expansions = {**ABBREVIATIONS, **(acronyms or {})}
    return " ".join(expansions.get(raw.lower(), raw) for raw in WORD.findall(question))
