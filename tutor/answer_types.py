"""What kind of fact a question asks for, and how a sentence that states it looks: a duration
for "How long …?", an amount of money for "How much …?", a date for "When …?", a count for "How
many …?". Told by English question words: the agent searches and checks in English, a question
in another language in its English translation. Patterns of the language, not of any corpus.

Two stages use it: the search lifts the passages of the documents found that state the asked
kind (`tutor.retrieval`: "Our 16-hour interactive training…" reads less like "How long is
Instructor Training?" than the pages *about* the training), and the grounding checks that an
answer states it (`tutor.agent.evidence.states_what_is_asked`): quoted sentences without the
kind of fact asked for only share the question's subject, they don't answer it.
"""

from __future__ import annotations

import re

from tutor.text import CURRENCY

NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundreds?|thousands?|dozens?|couple|half|several|few)"
# "one" after these is a pronoun ("this one went well", "no one"), not a count ("the two courses" is)
NOT_A_PRONOUN = "".join(rf"(?<!\b{word} )" for word in ("this", "that", "which", "any", "each", "every", "no", "the"))
TIME_UNIT = r"(?:minutes?|hours?|days?|weeks?|months?|years?|semesters?|terms?|sessions?)"
NUMBER = re.compile(rf"\d|{NOT_A_PRONOUN}\bone\b|\b(?!one\b){NUMBER_WORD}\b", re.IGNORECASE)
DATE = re.compile(r"\b(?:19|20)\d\d\b|\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b", re.IGNORECASE)
ASKED_KINDS = (
    ("duration", re.compile(r"\bhow long\b|\bhow much time\b|\b(?:duration|length) of\b", re.IGNORECASE),
     re.compile(rf"(?:\d|\b{NUMBER_WORD})[\w,.-]*[\s-]+(?:\w+[\s-]+)?{TIME_UNIT}\b|\b(?:full|half)[\s-]days?\b", re.IGNORECASE)),
    ("money", re.compile(r"\bhow much\b(?!\s+(?:more|less))|\b(?:cost|costs|price|fee|fees|tuition|salary|budget)\b", re.IGNORECASE),
     re.compile(rf"[{CURRENCY}]\s?\d|\d[\d,.]*\s?(?:euros?|dollars?|pounds?|usd|eur|gbp)\b|\bfree\b", re.IGNORECASE)),
    ("date", re.compile(r"^\W*when\b|\b(?:what|which) (?:year|date|month|day)\b", re.IGNORECASE), DATE),
    ("number", re.compile(r"\bhow many\b|\bnumber of\b", re.IGNORECASE), NUMBER),
)


def asked_kind(question: str) -> re.Pattern[str] | None:
    """How a sentence stating what the question asks for looks ("How long …?" -> a duration,
    "How much …?" -> an amount of money), or None for questions of other kinds."""
    return next((states for _, asks, states in ASKED_KINDS if asks.search(question)), None)
