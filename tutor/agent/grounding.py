"""Pure, I/O-free checks that an answer keeps to its numbered sources: every [n] is real and
backs its sentence, every figure, name and year is in the cited passage, a "yes" or "no" agrees with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tutor.agent.evidence import (
    TAG,
    TAG_AFTER_COMMA,
    asks_to_confirm,
    asks_yes_or_no,
    gives_a_premise,
    missing_specifics,
    unstated_words,
    without_tag,
)
from tutor.agent.policy import comparison_sides
from tutor.extractive import quoted, ranked_statements
from tutor.text import (
    CITATION,
    FIGURE,
    NAME,
    STOPWORDS,
    WORD,
    Unit,
    as_written,
    content_words,
    passage_units,
    split_sentences,
    stem,
    stems,
    written,
)

# "not", "never", "nor", "cannot", "rather than", "instead of", "isn't" (or "isn’t", as pages
# write it); "no" but not the answer's "No, ..."
NEGATION = r"(?:\b(?:not|never|nor|cannot|rather than|instead of|other than)\b|n['’]t\b|\bno\b(?!,))"
ANSWERED_NO = re.compile(r"\W*no\b", re.IGNORECASE)  # an answer that begins with its "no"
ANSWERED_YES = re.compile(r"\W*yes\b", re.IGNORECASE)  # ... or with its "yes"
OPENING_YES = re.compile(r"^\W*yes\b\W*", re.IGNORECASE)  # that "yes", with its comma
# (claim, passages) -> do the passages state the claim? A model's reading (tutor/agent/claims.py)
ClaimCheck = Callable[[str, str], bool]
NEGATED = re.compile(rf"(?:{NEGATION}|\bwithout\b)((?:\W+[\w'’-]+){{1,3}})", re.IGNORECASE)  # and the 1-3 words it turns down
EVIDENCE_WORDS = 2  # a quoted statement backs a "yes" with at least this many of its claim's words
EVIDENCE_ADDS = 3  # ... and is worth reading after it with at least this many words it does not give
DENIAL_REACH = 6  # words a negation may stand before the claim it denies ("not on campus in Rome")
# Sentences that state nothing: a citation where the fact should be ("The deadline is [3].",
# "It is held in [1]."), or a pronoun ("The chairperson is She. [1]", from a page that lists
# "She/Her" after a name), or a pointer at the sources instead of what they say ("This
# information is found in sources [2] and [3].").
GAP_BEFORE_CITATION = re.compile(
    r"\b(?:is|are|was|were|be|in|at|on|of|by|for|to|from|the|a|an|with|as|than|per"
    r"|(?:is|are|was|were) (?:he|she|they|him|her|them))\W*\[\d{1,2}\]",
    re.IGNORECASE,
)
# "This can be seen in the sources [3] and [4], which list …": a sentence about where the
# answer stands, whatever follows (POINTER opens it, the sources it names end it)
POINTER = (
    r"^\W*(?:this|that|it|which)(?: information)? (?:is|was|can be|could be|has been) (?:\w+ )?"
    r"(?:seen|found|stated|mentioned|shown|confirmed|noted|listed|described|explained|supported) (?:in|by|from) "
)
POINTS_AT_SOURCES = re.compile(rf"{POINTER}(?:the )?(?:sources?|passages?)\b", re.IGNORECASE)
SOURCE_TALK = re.compile(r"\b(?:sources?|passages?)\W*\[\d{1,2}\]|\b(?:in|from|by|of) (?:the )?(?:sources?|passages?)\b", re.IGNORECASE)
# "the sources", "source [2]", "the sources [2] and [3]", "[1]": where a lead-in says the fact stands
NAMED_SOURCES = (
    r"(?:(?:the )?(?:sources?|passages?)(?:\s*\[\d{1,2}\](?:\s*,?\s*(?:and\s+)?\[\d{1,2}\])*)?"
    r"|\[\d{1,2}\](?:\s*,?\s*(?:and\s+)?\[\d{1,2}\])*)"
)
# "The sources state that …", "According to [1], …", "As stated in the sources [2] and [3], …":
# the fact follows; the lead-in goes (a backing source is cited again after the check), an
# answer's "Yes, " or "No, " before it stays.
SOURCE_LEAD = re.compile(
    rf"^(\W*(?:yes|no),\s*)?(?:(?:according to|as (?:stated|mentioned|noted|shown|described|explained|indicated) (?:in|by)) {NAMED_SOURCES},?\s*"
    rf"|{NAMED_SOURCES} (?:also |further |\w+ly )?(?:states?|says?|mentions?|shows?|indicates?)(?: that)?\s+)",
    re.IGNORECASE,
)
# "This can be seen in the sources [2] and [3], which state that in 2018 …": a pointer at the
# sources that goes on to give the fact; the fact is what stays ("…, which list the
# programmes" gives none: the sentence states nothing)
POINTER_THEN_FACT = re.compile(
    rf"{POINTER}{NAMED_SOURCES},? (?:which|that) (?:also )?(?:states?|says?|mentions?|shows?|indicates?|confirms?) that\s+(?P<fact>\S.*)$",
    re.IGNORECASE,
)
# "…founded in 1998, as stated in [1].": the tail goes, the citation stays; "…, as stated in the
# sources." at the end goes too (the citation is added where a source backs the sentence)
SOURCE_TAIL = re.compile(
    r",?\s+(?:as (?:stated|mentioned|noted|described|shown|explained|indicated|confirmed|listed|outlined)|according to)"
    r"\s+(?:(?:in|by)\s+)?(?:the\s+)?(?:(?:(?:sources?|passages?)\s*)?(?P<cited>(?=\[\d{1,2}\]))|(?:sources?|passages?)(?=[.!?]?\s*$))",
    re.IGNORECASE,
)
# "Yes, around 50 people were interested, right? [2]": the student's tag, copied into the answer
ECHOED_TAG = re.compile(rf",\s*(?:{TAG}|{TAG_AFTER_COMMA})\s*\?((?:\s*\[\d{{1,2}}\])*)\s*$", re.IGNORECASE)
# "This is done through ...", "That means ...", "This figure is stated ...": a sentence that
# stands on the one before it
POINTS_BACK = re.compile(
    r"\W*(?:this|that|these|those)\s+(?:[a-z]+\s+)?(?:is|was|are|were|means|meant|can|will|would|has|have|includes?|allows?|helps?|makes?|gives?)\b",
    re.IGNORECASE,
)
CITATION_MARK = re.compile(rf"\s*{CITATION.pattern}")  # a citation with the space before it
# "not explicitly stated", "do not specifically say": a hedge still declines ("not only" does not)
HEDGE = r"(?:(?!only\b)\w+ly )?"
# "Checkout Instructions › 3\. Get Involved!": a heading's place in its page's numbered list
LIST_NUMBER = re.compile(r"(^|› )\d{1,2}\\?[.)]\s+")


def supported(sentence: str, source: str, min_share: float = 0.3) -> bool:
    """A sentence is backed by a source when enough of its content words occur there, and
    every figure, name and year it states occurs there too (small models invent numbers, and
    lend one programme's fee to another's name)."""
    body = CITATION.sub("", sentence)
    words = stems(body)
    if not words:
        return True
    if not names_and_figures_in(body, source):
        return False
    return len(words & stems(source)) / len(words) >= min_share


def names_and_figures_in(text: str, source: str) -> bool:
    """Does `source` give every figure, name and year `text` states? Whole figures: "2" is not
    stated by a passage that only says "2024"."""
    return not set(FIGURE.findall(text)) - set(FIGURE.findall(source)) and not missing_specifics(text, source)


def without_denied(sentence: str, premise: tuple[str, ...]) -> str:
    """The sentence minus the claims of the question it denies, for checking: "It is taught
    online, not on campus in Rome [1]" is checked as "... not on campus in [1]" against a
    source that never says Rome. A claim stated rather than denied stays, and fails."""
    for claim in premise:
        denied = re.compile(rf"({NEGATION}(?:\W+\w+){{0,{DENIAL_REACH}}}?\W+){re.escape(claim)}\b", re.IGNORECASE)
        sentence = denied.sub(r"\1", sentence)
    return sentence


def corrects_the_claim(answer: str, question: str, premise: tuple[str, ...]) -> bool:
    """A yes/no question's claim that the passages never make is answered by a "no" that says
    what they state instead: "No, it is taught online, not in Rome [1]". "No, Library
    Carpentry does not offer a PhD programme [1]" only repeats the question, denied (the
    passages being silent on a PhD is not a "no"), and quoted sentences that never say "no"
    leave the claim standing."""
    body = CITATION.sub("", answer)
    denies = bool(ANSWERED_NO.match(body) or re.search(NEGATION, body, re.IGNORECASE))
    return denies and says_more_than_asked(answer, question, premise)


def says_more_than_asked(answer: str, question: str, premise: tuple[str, ...] = ()) -> bool:
    """Does a sentence of the answer state something besides the question's own words, once
    its negations (and the denied claims) are set aside?"""
    asked = stems(question) | stems(re.sub(NEGATION, " ", question, flags=re.IGNORECASE))  # "can't" and its "ca"
    sentences = split_sentences(CITATION.sub("", answer))
    return any(stems(re.sub(NEGATION, " ", without_denied(s, premise), flags=re.IGNORECASE)) - asked for s in sentences)


def bare_no(answer: str, question: str) -> bool:
    """A "no" that only turns the question around ("No, CarpentryCon 2018 was an online event
    [1]." to "CarpentryCon 2018 was an online event, wasn't it?") gives the learner nothing to
    check and, from a small model, is as often wrong as right: the fact that makes it a "no"
    must be stated."""
    return asks_to_confirm(question) and bool(ANSWERED_NO.match(answer)) and not says_more_than_asked(answer, question)


def unfounded_yes(answer: str, question: str, cited_sources: list[str], confirms: ClaimCheck | None = None) -> bool:
    """A "yes" must find the question's claim in the passages it cites: "Is the TUM master's
    taught online?" -> "Yes" is a contradiction when the passage says on campus. Every name,
    year and figure of the claim must be there; whether the passages state the rest is for
    `confirms` (a model that reads "inaugural" as "very first" and "wrote up" as "the post was
    written by"). Without one, every content word of the claim must be there (a common
    abbreviation may be spelt out), which turns down a true claim in the student's own words."""
    if not asks_to_confirm(question) or not ANSWERED_YES.match(answer):
        return False
    claim, passages = claim_of(question), "\n\n".join(cited_sources)
    if denies_its_yes(answer, claim):
        return True
    if confirms is None:
        return bool(unstated_words(claim, passages))
    return not names_and_figures_in(claim, passages) or not confirms(claim, passages)


def contradicted_yes(answer: str, question: str, sources: list[str]) -> str:
    """The sentence of a shown passage that turns down the claim a "yes" gives back, or "".
    It names every word of the claim that the passages write as a name and negates another
    word of it: "Platinum memberships include Instructor Training seats, but no Centrally-
    Organised workshops" to "platinum membership includes a couple of centrally organised
    workshops, yeah?". The 1.5B model confirmed that claim with this very sentence in view,
    and the "yes" cited a table instead. A sentence without the claim's names is about
    something else (Bronze's workshops are not Platinum's)."""
    if not asks_to_confirm(question) or not ANSWERED_YES.match(answer):
        return ""
    claim, text = claim_of(question), "\n\n".join(sources)
    names = {stem(word.lower()) for word in content_words(claim) if as_written(word, text)[:1].isupper()}
    turned_down = stems(claim) - negated_words(claim)
    units = (unit.text for source in sources for unit in passage_units(source))
    return next((unit for unit in units if names and names <= stems(unit) and negated_words(unit) & turned_down), "")


def unfounded_fact(sentence: str, answer: str, sources: list[str], confirms: ClaimCheck) -> bool:
    """Does the answer's sentence with the fact asked for say what its cited passages do not?
    Each name and figure of a near miss's answer is in its passage, given for something else
    ("The average salary of a machine learning engineer in Europe is €45,000 [2]", where €45,000
    is what a master's degree costs): only the model's reading `confirms` tells, of the cited
    passages' sentences that hold the same figures (`figure_sentences`), or of the whole
    passages when none does. A sentence that cites nothing is read against the answer's
    cited passages."""
    claim = CITATION_MARK.sub("", sentence).strip()
    cited = [sources[n - 1] for n in cited_in(sentence) or cited_in(answer) if 1 <= n <= len(sources)]
    figures = set(FIGURE.findall(claim))
    held = [where for where in (figure_sentences(passage, figures) for passage in cited) if where]
    return not confirms(claim, "\n\n".join(held or cited))


def figure_sentences(passage: str, figures: set[str]) -> str:
    """The passage's heading with only its sentences that hold one of the `figures`; "" when
    none does. The 1.5B model reads "the total cost for The Carpentries in 2024 was $9,191.54"
    as not stating "The Carpentries spent $9,191.54 on AWS in 2024" when the passage's list of
    instance counts follows it, and as stating it when the sentence stands alone."""
    heading, _, body = passage.partition("\n")
    held = [sentence for sentence in split_sentences(body) if figures & set(FIGURE.findall(sentence))]
    return f"{heading}\n{' '.join(held)}" if held else ""


def unfounded_no(answer: str, question: str, cited_sources: list[str], confirms: ClaimCheck | None = None) -> bool:
    """A "no" that only turns the question's claim down ("No, you cannot do Instructor Training
    as four half days instead of two full days [2].") must not deny what its cited passages
    state ("Most Instructor Training events take place over four half-days"). Word matching
    cannot tell: a passage that contradicts the claim holds its words too, so only the model's
    reading `confirms` decides, and without one the "no" stands. A "no" that states a fact of
    its own ("No, it is taught on campus in Munich [1].") is that fact's to back. So is a
    question that gives a premise first ("Since it is taught online, can I study from home?"):
    read as one claim, the 1.5B model confirmed it from a passage that says on campus. A bare
    "no" with nothing after it is `bare_no`'s to leave out, without a model call."""
    if confirms is None or not asks_to_confirm(question) or not ANSWERED_NO.match(answer) or gives_a_premise(question):
        return False
    sentences = split_sentences(answer)
    if len(sentences) < 2 or says_more_than_asked(sentences[0], question):
        return False
    claim, passages = claim_of(question), "\n\n".join(cited_sources)
    return names_and_figures_in(claim, passages) and confirms(claim, passages)


def without_its_yes(answer: str, question: str) -> str:
    """The answer without the "Yes," it opens with, for an answer given to less than the
    student claimed: "Yes, they merged in 2018 [1]." -> "They merged in 2018 [1].". A sentence
    that then only gives the question back ("The master is held [1].") goes too, unless
    nothing else is left."""
    rest = OPENING_YES.sub("", answer)
    rest = rest[:1].upper() + rest[1:]
    sentences = split_sentences(rest)
    stating = [s for s in sentences if stems(CITATION.sub("", s)) - stems(question) or FIGURE.search(CITATION.sub("", s))]
    return " ".join(stating) if stating and len(stating) < len(sentences) else rest


def with_its_evidence(answer: str, question: str, passages: list[str], headings: list[str]) -> str:
    """A "yes" that only gives the claim back ("Yes, the cyber MSc teaches secure coding [1].")
    leaves the learner to take it on trust: the statement of its cited passages that holds
    most of the claim's words follows it, quoted ("Course content includes: Secure software
    development. [1]"). Words of a passage's heading don't count (every statement of the
    career fair's page is about the fair, not about who came), and a statement that adds
    almost nothing to the answer is left out."""
    if not asks_yes_or_no(question) or not ANSWERED_YES.match(answer) or says_more_than_asked(OPENING_YES.sub("", answer), question):
        return answer
    claim, ranked = claim_of(question), []
    for n in (n for n in cited_in(answer) if 1 <= n <= len(passages)):
        ranked += ranked_statements([(n, passages[n - 1])], words_beside(claim, headings[n - 1]))[:1]
    best = max(ranked, key=lambda scored: scored[0], default=None)
    if best is None or best[0] < EVIDENCE_WORDS:
        return answer
    quote = quoted([best[1]])
    return f"{answer} {quote}" if len(stems(CITATION.sub("", quote)) - stems(answer)) >= EVIDENCE_ADDS else answer


def words_beside(text: str, heading: str) -> str:
    """The words of `text` whose stems the heading lacks, as written: stemmed twice, a stem
    can change ("degree" -> "degre" -> "degr") and no longer match the passage's."""
    heading_stems = stems(heading)
    return " ".join(word for word in WORD.findall(text) if not stems(word) <= heading_stems)


def claim_of(question: str) -> str:
    """What a yes/no question claims: "It is online, right?" -> "It is online"."""
    return without_tag(question).strip(" ,;?!")


def denies_its_yes(answer: str, claim: str) -> bool:
    """A "yes" whose own sentence turns down what the claim says: "Yes, the instructors are
    volunteers and are not paid for their service" to "Do the instructors get paid?". What the
    claim itself turns down is its own ("four half days instead of two full days?" -> "Yes, ...
    instead of two full days")."""
    first = CITATION.sub("", next(iter(split_sentences(answer)), ""))
    return bool((negated_words(first) - negated_words(claim)) & stems(claim))


def negated_words(text: str) -> set[str]:
    """The content words (stems) just after a negation or a "without": what it turns down."""
    return set().union(*(stems(match.group(1)) for match in NEGATED.finditer(text)))


@dataclass(frozen=True)
class Verdict:
    """Outcome of checking an answer against its numbered sources."""

    answer: str  # the supported sentences, missing citations added where a source backs them
    cited: tuple[int, ...]
    invalid: tuple[int, ...]
    unsupported: tuple[str, ...]  # left out of `answer`: no source backs them
    stated: int  # the draft's sentences that state something (those that state nothing are left out uncounted)

    @property
    def ok(self) -> bool:
        return not self.invalid and not self.unsupported and bool(self.cited)

    @property
    def mostly_supported(self) -> bool:
        """At least half of the draft's sentences stand, with valid citations: the answer may
        go out without the rest (a small model often adds a sentence of general knowledge to
        a grounded answer; quoting the passages instead would lose the grounded part too)."""
        return not self.invalid and bool(self.cited) and 2 * len(self.unsupported) <= self.stated


def verify_answer(
    answer: str, sources: list[str], question: str = "", premise: tuple[str, ...] = (), confirms: ClaimCheck | None = None
) -> Verdict:
    """Every [n] must name a real source that backs its sentence; uncited but supported
    sentences get the citation of the source that backs them; sentences that state nothing
    ("This is stated in the first source [1].") or only say again what the answer has said
    are left out, and so is one that points back at a left-out sentence ("This is done
    through ..."). What the question claims and the passages never say (`premise`) may be
    named only to deny it; a "yes" must confirm what the cited passages state, and a bare
    "no" must not deny it (`unfounded_yes`, `unfounded_no`, with the model's reading `confirms`)."""
    invalid: set[int] = set()
    unsupported: list[str] = []
    fixed: list[Unit] = []
    left_out = False
    for unit in passage_units(answer):  # a list's items are sentences of their own
        stated = without_echoed_tag(without_source_phrases(unit.text))
        if states_nothing(stated, question) or restates(stated, [said.text for said in fixed]):  # nothing new to check, nothing new for the learner
            continue
        kept = None if left_out and points_back(stated) else checked(stated, sources, question, premise, invalid)
        if unit.kind == "item" and not cited_in(kept or ""):  # an item is a fact, never a connective: it needs its source
            kept = None
        if kept is None:
            unsupported.append(stated)
        else:
            fixed.append(Unit(kept, unit.kind))
        left_out = kept is None
    text = written(fixed)
    cited_sources = [sources[n - 1] for n in cited_in(text)]
    # the question's own claim answered against its passages: a "no" to a claim the passages
    # never make (`premise`) is the expected answer
    if fixed and (
        unfounded_yes(text, question, cited_sources, confirms)
        or contradicted_yes(text, question, sources)
        or not premise and unfounded_no(text, question, cited_sources, confirms)
    ):
        unsupported.append(fixed.pop(0).text)
        while fixed and points_back(fixed[0].text):
            unsupported.append(fixed.pop(0).text)
        text = written(fixed)
    if fixed and bare_no(text, question):
        unsupported, fixed, text = unsupported + [said.text for said in fixed], [], ""
    return Verdict(text, cited_in(text), tuple(sorted(invalid)), tuple(unsupported), len(fixed) + len(unsupported))


def checked(stated: str, sources: list[str], question: str, premise: tuple[str, ...], invalid: set[int]) -> str | None:
    """The sentence as it may stand, its citation added where a source backs it and it had
    none, or moved where another source backs it better (`outweighs`); None when no source
    backs it. Citations to no source are added to `invalid`."""
    sentence = without_denied(stated, premise)
    body = CITATION_MARK.sub("", stated).rstrip()
    if denies_unasked(body, question, premise):  # only a passage that denies something may back it
        sources = [source if NEGATED.search(source) else "" for source in sources]
    numbers = [int(n) for n in CITATION.findall(sentence)]
    invalid.update(n for n in numbers if not 1 <= n <= len(sources))
    scores = backing_scores(sentence, sources)
    best = best_source(sentence, sources, scores)
    if best is None:
        return body if is_meta_sentence(sentence, question) else None
    backing = [n for n in numbers if 1 <= n <= len(sources) and supported(sentence, sources[n - 1])]
    # the citations stand while one of them backs the sentence as well as any other source
    if backing and not all(outweighs(scores[best - 1], scores[n - 1]) for n in backing):
        return stated
    # "the sources do not state that ..." is checked, not cited: no source says it
    return body if declines(body) else attach_citation(body, best)


def denies_unasked(sentence: str, question: str, premise: tuple[str, ...]) -> bool:
    """Does the sentence deny something the question neither claimed nor asked to confirm?
    Then only a passage that denies something may back it: to "How many certified Instructors
    does The Carpentries have?", a small model that cannot find the figure writes "There are
    currently no certified Instructors [1]", whose words all stand in a passage that denies
    nothing. The "no" of a yes/no question, and a denial of the question's own claim, are the
    claim checks' to judge; "the sources do not state it" declines, and denies nothing."""
    return not (asks_to_confirm(question) or premise or declines(sentence)) and bool(re.search(NEGATION, sentence, re.IGNORECASE))


def points_back(sentence: str) -> bool:
    """Does the sentence open on what the one before it said ("This is done through a
    donation [1].")? After that one is left out, it points at nothing."""
    return bool(POINTS_BACK.match(sentence))


def heading_as_evidence(heading: str) -> str:
    """What a passage's heading states: its names ("MSc in Cybersecurity" backs an answer),
    not its list numbers. "3\\. Get Involved!" is the third step on its page, not a "3" that
    backs "There are 3 people on the Core Team"."""
    return LIST_NUMBER.sub(r"\1", heading)


def without_source_phrases(sentence: str) -> str:
    """The sentence without a lead-in or a tail about the sources: "The sources state that it
    is online [1]." and "It is online, as stated in [1]." -> "It is online [1]."; "According to
    [1], it is online." and "This is stated in [1], which says that it is online." -> "It is
    online." (cited again by the check, where a source backs it)."""
    pointer = POINTER_THEN_FACT.match(sentence)
    rest = pointer["fact"] if pointer else sentence
    rest = SOURCE_TAIL.sub(lambda tail: "" if tail["cited"] is None else " ", SOURCE_LEAD.sub(r"\1", rest, count=1))
    return rest[:1].upper() + rest[1:] if rest != sentence else sentence


def without_echoed_tag(sentence: str) -> str:
    """A statement, not the student's question: "Yes, it is online, right? [2]" -> "Yes, it is
    online. [2]" (a small model copies the claim with its tag)."""
    return ECHOED_TAG.sub(r".\1", sentence)


def states_nothing(sentence: str, question: str = "") -> bool:
    """A citation stands where the fact should be, the sentence only points at the sources, or
    it only gives the question back: no fact to check, and none for the learner."""
    body = CITATION.sub("", sentence)
    return (
        bool(GAP_BEFORE_CITATION.search(sentence))
        or bool(SOURCE_TALK.search(sentence)) and is_meta_sentence(body, question)
        or bool(POINTS_AT_SOURCES.match(body))
        or echoes(body, question)
    )


def echoes(sentence: str, question: str) -> bool:
    """Is every word of the sentence the question's, with no figure? "OPIT has students. [2]"
    to "How many students does OPIT have?" answers nothing. A yes/no question's "Yes, it is
    taught online" may be all its words, and so may the choice made between a question's two
    sides ("The Silver membership includes seats" to "bronze or silver membership?")."""
    if not question or asks_to_confirm(question) or comparison_sides(question):
        return False
    return not stems(sentence) - stems(question) and not FIGURE.search(sentence)


def restates(sentence: str, said: list[str]) -> bool:
    """Does the sentence only say again what the answer has said? A small model restates a
    fact found in two passages ("It builds on OPIT's BSc … [2]." twice), and a comparison's
    two side drafts can both give a fact of a shared page: every content word, figure and
    name of it is already there."""
    before = CITATION.sub("", " ".join(said))
    body = CITATION.sub("", sentence)
    return bool(said) and stems(body) <= stems(before) and names_and_figures_in(body, before)


def cited_in(text: str) -> tuple[int, ...]:
    """The source numbers an answer cites, in order."""
    return tuple(sorted({int(n) for n in CITATION.findall(text)}))


def best_source(sentence: str, sources: list[str], scores: list[tuple[int, int]]) -> int | None:
    """1-based number of the source that supports the sentence best, if any does: the one
    with the best of its `backing_scores`, holding more of its words, then more of its names
    whole."""
    scored = [(score, -i) for i, (source, score) in enumerate(zip(sources, scores), start=1) if supported(sentence, source)]
    return -max(scored)[1] if scored else None


def backing_scores(sentence: str, sources: list[str]) -> list[tuple[int, int]]:
    """How well each source backs a sentence: how many of its content words the source holds,
    and how many of its names it gives whole (`names_phrased`)."""
    words, names = stems(CITATION.sub("", sentence)), multiword_names(sentence)
    return [(len(words & stems(source)), names_phrased(names, source)) for source in sources]


def outweighs(better: tuple[int, int], cited: tuple[int, int]) -> bool:
    """Should a sentence's citation move to another passage that backs it? Only when that one
    gives more of its names whole and holds as many of its words: "Data Carpentry was
    founded in 2014 [2]", cited to a blog post's "In 2014 I fell in love with Software
    Carpentry … NGS data", goes to "In 2014, Data Carpentry was founded" [1]. A passage that
    only names the programme whole ("The Cambridge MPhil in Machine Learning … is an 11-month
    program") takes no citation from the one stating the fact in other words. Words alone move
    nothing: "It was a two-day event organized by OPIT", cited to the fair's dates, shares
    more words with a page on OPIT's career services."""
    (words, names), (cited_words, cited_names) = better, cited
    return names > cited_names and words >= cited_words


def multiword_names(sentence: str) -> list[str]:
    """The names of two words or more a sentence gives ("Data Carpentry", "Dr. James Baker",
    "Code of Conduct Committee"), without a small word before them ("The", "No")."""
    names = []
    for match in NAME.finditer(CITATION.sub("", sentence)):
        words = match.group().rstrip(".").split()
        while words and words[0].lower() in STOPWORDS:
            words.pop(0)
        if len(words) > 1:
            names.append(" ".join(words))
    return names


def names_phrased(names: list[str], source: str) -> int:
    """How many of `names` the source gives whole, its words side by side (across a line
    break or a hyphen, in any case), not scattered ("Data … Carpentry")."""
    return sum(bool(re.search(name_pattern(name), source, re.IGNORECASE)) for name in names)


def name_pattern(name: str) -> str:
    """A name as a pattern: its words side by side, either apostrophe ("OPIT's", "OPIT’s")."""
    words = (re.sub(r"['’]", "['’]", re.escape(word)) for word in name.split())
    return r"(?<!\w)" + r"[\s-]+".join(words) + r"(?!\w)"


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
            rf"(couldn't|could not|can't|cannot|unable to) find|not {HEDGE}(mentioned|covered|stated|in the sources)"
            rf"|not {HEDGE}(specified|provided|given|listed|included) (in|by) the (sources|passages|context|text)"
            rf"|(sources|passages|context) (do|does) not {HEDGE}(say|mention|specify|state|provide|include)"
            r"|no information|don't have (any )?information|do not have (any )?information",
            answer,
            re.IGNORECASE,
        )
    )


def declines_only_the_claim(answer: str, question: str) -> bool:
    """"No, the sources do not state that it is a two-week course. It is a 6-month program."
    turns down what a yes/no question claims, not the question: after its "no", a sentence
    that declines nothing states more than the question asked."""
    if not asks_to_confirm(question) or not ANSWERED_NO.match(answer):
        return False
    facts = [s for s in split_sentences(answer) if not declines(s)]
    return says_more_than_asked(" ".join(facts), question)


def faithful_translation(original: str, translation: str) -> bool:
    """A translation may reword, never re-source or change a figure: the same [n] markers
    and the same digit groups ("2,250" and Italian "2.250" both give 2 and 250)."""

    def facts(text: str) -> tuple[list[str], list[str]]:
        return sorted(CITATION.findall(text)), sorted(re.findall(r"\d+", CITATION.sub("", text)))

    return bool(translation.strip()) and facts(original) == facts(translation)

