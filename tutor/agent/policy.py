"""Pure, I/O-free decisions of the agent before retrieval: routing, follow-ups, comparisons.
What the retrieved passages are worth is `evidence`; whether an answer keeps to them, `grounding`.

A 1.5B model on two CPU cores is slow (every call costs seconds) and unreliable at judging,
so every decision that a rule can make well is made here, deterministically, and tested on
its own; the LLM is used only to write the answer.
"""

from __future__ import annotations

import re

from tutor.agent.evidence import AUXILIARY, without_tag
from tutor.agent.safety import asks_for_harm, is_self_harm
from tutor.screening import INSTRUCTION_RULES
from tutor.text import CURRENCY, FIGURE, WORD, content_words

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
SIDE_WORD = rf"(?:[\w'’{CURRENCY}&.-]|(?<=\d),(?=\d))+"  # "R&D", "€2,250"
SIDE = rf"{SIDE_WORD}(?:\s+{SIDE_WORD}){{0,7}}?"  # one side of a comparison: up to eight words
SIDE_END = r"(?=\s*[?.!,:]|\s+[-–—]\s|\s*$)"  # punctuation, a spaced dash ("A vs B - which…") or the end


def _choice(anchor: str, separators: str) -> re.Pattern[str]:
    """Two sides after `anchor`, joined by one of `separators`, ending at punctuation, a spaced dash or the end."""
    return re.compile(rf"{anchor}\s*(?P<a>{SIDE})\s+(?:{separators})\s+(?P<b>{SIDE}){SIDE_END}", re.IGNORECASE)


# "between A and B" / "compare A with B"; then "..., A or B?" / "...: A vs B"; then "A or B?" at the
# start. "and" and "with" join two sides only after "between" or "compare": "teach coding with
# slides" and "what do you get with silver membership" are not comparisons.
CHOICES = (
    _choice(r"\b(?:between|compare)\b", r"and|with|or|vs\.?|versus"),
    _choice(r"(?<=[,:])(?=\s)", r"or|vs\.?|versus"),
    _choice(r"^", r"or|vs\.?|versus"),
)
# the first word of a question that opens as one ("Is the MSc taught online or on campus?")
QUESTION_OPENING = re.compile(rf"(?:{AUXILIARY}|what|which|who|how|when|where)$", re.IGNORECASE)
CONTEXT_QUESTIONS = 2  # earlier questions a follow-up may borrow its subject from
FRAGMENT_WORDS = 3  # an earlier question of this many words or fewer ("year?") needs its own predecessor


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
    such words ("Who can take part?") are recognised by retrieval instead (`prefers_context`).
    The "it" of a question tag ("The feedback is collected online, isn't it?") is the
    question's own subject."""
    return bool(FOLLOW_UP.search(without_tag(question)))


def earlier_context(previous_questions: list[str]) -> str:
    """What a follow-up borrows its subject from: the last earlier question, and the one
    before it when the last was itself a fragment ("year?")."""
    earlier = [q.strip() for q in previous_questions if q.strip()][-CONTEXT_QUESTIONS:]
    if len(earlier) > 1 and len(WORD.findall(earlier[-1])) > FRAGMENT_WORDS:
        earlier = earlier[-1:]
    return " ".join(earlier)


def with_context(question: str, previous_questions: list[str]) -> str:
    """The question with the conversation's subject attached, as one search query."""
    earlier = earlier_context(previous_questions)
    return f"{question.strip()} ({earlier})" if earlier else question.strip()


def prefers_context(question: str, alone_similarity: float, context_similarity: float, after_decline: bool = False) -> bool:
    """Is this a follow-up? Yes when it says so ("it", "and ..."), or when adding the
    conversation brings the search closer to some passage than the question alone does:
    "Who can take part?" matches nothing well until "(the hackathon)" is added, while a
    question on a new subject matches best on its own. Relative, so no corpus-fitted cut-off.
    Not by closeness `after_decline`: a question the content almost answers ("instructor
    training at OPIT") brings any next one closer to the content, and a new question ("How
    much is the MSc in Cybersecurity?") would be declined with it."""
    return is_follow_up(question) or (not after_decline and context_similarity > alone_similarity)


def condense(question: str, previous_questions: list[str]) -> str:
    """A standalone search query for evaluation tools without a retriever at hand: the
    question with its conversation when there is one (the agent decides with `prefers_context`)."""
    return with_context(question, previous_questions) if previous_questions else question.strip()


def comparison_parts(question: str) -> list[str]:
    """One search query per side of a comparison ("Which lasts longer, A or B?" ->
    "Which lasts longer, A?" and "... B?"), so both sides are retrieved; [] when the question
    is not a choice between two things."""
    split = _comparison(question)
    if not split:
        return []
    before, sides, after = split
    return [f"{before} {side}{after}".strip() for side in sides]


def comparison_sides(question: str) -> list[str]:
    """The two things a comparison sets side by side ("Which lasts longer, A or B?" -> [A, B]),
    each answered on its own passages; [] when the question is not a choice between two things."""
    split = _comparison(question)
    return list(split[1]) if split else []


def _comparison(question: str) -> tuple[str, tuple[str, str], str] | None:
    """A comparison's words before its sides, its two sides and its words after them. A
    one-word side borrows the other side's head noun ("gold or platinum membership" -> "gold
    membership"); a one-figure side takes the other side's figure's place ("carpentrycon 2020
    vs 2022" -> "carpentrycon 2022")."""
    match = next((found for pattern in CHOICES if (found := pattern.search(question))), None)
    if not match:
        return None
    first, second = match.group("a").strip(), match.group("b").strip()
    a, b = first.split(), second.split()
    if len(a) == 1 and len(b) > 1:
        first = f"{first} {' '.join(b[1:])}"
    elif len(b) == 1 and len(a) > 1 and _is_amount(second) and _is_amount(a[-1]):
        second = f"{' '.join(a[:-1])} {second}"
    elif match.re is CHOICES[-1] and len(b) < len(a):  # "Is the MSc taught online or on campus?"
        first, second = _aligned_sides(a, b)
    return question[: match.start("a")].rstrip(), (first, second), question[match.end("b"):]


def _is_amount(word: str) -> bool:
    """A figure, with or without a currency sign before it ("2", "€2,250")."""
    return bool(FIGURE.fullmatch(word.lstrip(CURRENCY)))


def _aligned_sides(a: list[str], b: list[str]) -> tuple[str, str]:
    """A question that opens with its choice holds its whole stem in the first side: the
    shorter second side takes the place of the first side's tail ("Is the MSc taught online
    or on campus?" -> "Is the MSc taught on campus"). The tail starts at the last word the
    second side starts with ("in English or in Italian"), at the last article when it starts
    with one ("seat price in an upper-middle vs a low income country"); else, in a question
    that opens as one, it is the last word. A choice that opens with its first side has no
    stem to share: "oxford advanced cs msc vs cambridge mphil" sets two programmes side by
    side, not "oxford advanced cs cambridge mphil". "2 or 3 years" lends its unit."""
    articles = {"a", "an", "the"}
    lead = b[0].lower()
    starts = [n for n, w in enumerate(a) if w.lower() == lead or (lead in articles and w.lower() in articles)]
    if not (starts and starts[-1] > 0) and not QUESTION_OPENING.match(a[0]):
        return " ".join(a), " ".join(b)
    tail = starts[-1] if starts and starts[-1] > 0 else len(a) - 1
    if _is_amount(a[-1]) and _is_amount(lead):
        a = [*a, *b[1:]]
    return " ".join(a), " ".join([*a[:tail], *b])
