"""The topic taxonomy of the OPIT corpus, and the policies built on it.

Pure functions only: no files, no database, no clock (callers pass counts and times in), so
tagging, level inference and suggestions are deterministic and trivially testable.
Every suggestion is a question the corpus really answers (tests check it against the text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import zip_longest

LEVELS = ("beginner", "intermediate", "advanced")
DEFAULT_LEVEL = "intermediate"
MAX_TAGS = 3


@dataclass(frozen=True)
class Topic:
    """One area of the corpus; the first keyword doubles as an example in hints."""

    id: str
    label: str
    keywords: tuple[str, ...]
    suggestions: tuple[str, ...]
    related: tuple[str, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        id="careers-and-skills",
        label="Careers and skills",
        keywords=(
            "career path", "machine learning engineer", "ml engineer", "skill", "soft skill",
            "job role", "job", "career", "data scientist", "research scientist", "product manager",
            "machine learning consultant", "non-tech", "transition", "portfolio", "programming",
            "python", "specialization", "specialisation", "career progression", "career advancement",
        ),
        suggestions=(
            "What does a machine learning engineer do?",
            "What skills do I need to become a machine learning engineer?",
            "How can I move into a machine learning career from a non-tech background?",
            "What job roles are there beyond machine learning engineer?",
        ),
        related=("degrees-and-curricula", "career-services", "events"),
    ),
    Topic(
        id="degrees-and-curricula",
        label="Degrees and curricula",
        keywords=(
            "degree", "curriculum", "curricula", "bsc", "msc", "mphil", "master", "bachelor",
            "programme", "course", "modern computer science", "applied data science",
            "responsible ai", "responsible artificial intelligence", "online", "on campus",
            "oxford", "cambridge", "ku leuven", "tum", "munich", "mit", "executive education",
            "capstone", "dissertation", "final exam", "exam", "lecture",
        ),
        suggestions=(
            "What does the BSc in Modern Computer Science cover?",
            "Are online degrees as valuable as on-campus degrees?",
            "Which master's degree courses in Europe are recommended for machine learning engineers?",
            "What does the MSc in Responsible Artificial Intelligence focus on?",
            "Which MIT executive education programs can support career growth?",
        ),
        related=("admissions-and-costs", "careers-and-skills", "cybersecurity"),
    ),
    Topic(
        id="admissions-and-costs",
        label="Admissions and costs",
        keywords=(
            "tuition", "cost", "fee", "price", "pay", "afford", "affordable", "€", "euro",
            "per term", "accreditation", "accredited", "eqf", "european qualifications framework",
            "eu-accredited", "admission", "enrol", "enroll", "enrolment", "enrollment", "apply",
            "application", "scholarship",
        ),
        suggestions=(
            "How much does tuition at OPIT cost per term?",
            "Are OPIT's degrees accredited by the EQF?",
            "How much does a master's degree in Europe cost?",
            "Why do cost and accreditation matter when choosing a machine learning degree?",
        ),
        related=("degrees-and-curricula", "career-services"),
    ),
    Topic(
        id="career-services",
        label="Career services",
        keywords=(
            "peer mentoring", "peer career mentoring", "mentoring", "mentor", "career coaching",
            "coaching", "coach", "resource hub", "internship", "career services", "career support",
            "career fair", "resume", "cv", "interview", "alumni", "job hunting", "job-hunting",
        ),
        suggestions=(
            "What does the Peer Career Mentoring Program offer?",
            "Who are the mentors in OPIT's Peer Career Mentoring Program?",
            "What career services does OPIT offer besides mentoring?",
            "Does OPIT offer internship opportunities?",
            "What is the OPIT Resource Hub?",
        ),
        related=("events", "careers-and-skills"),
    ),
    Topic(
        id="events",
        label="Hackathons and events",
        keywords=(
            "hackathon", "career fair", "career day", "career event", "event", "workshop",
            "masterclass", "conference", "escphackathon",
        ),
        suggestions=(
            "What is a hackathon, and where does the term come from?",
            "What are the benefits of hackathons for participants?",
            "When is OPIT Hackathon 2026 and who can take part?",
            "Which companies took part in OPIT's first career fair?",
        ),
        related=("career-services", "careers-and-skills"),
    ),
    Topic(
        id="ai-operating-models",
        label="AI operating models",
        keywords=(
            "pilot purgatory", "operating model", "mlops", "governance", "pilot project", "pilot",
            "enterprise", "scaling", "scale", "raconteur", "inference cost", "data silo",
            "vendor lock-in", "interoperability", "modularity", "platformisation", "deployment",
            "compliance",
        ),
        suggestions=(
            "What is an AI operating model and why does it matter?",
            "How can companies escape pilot purgatory when scaling AI projects?",
            "Why does an AI operating model benefit from open source tools?",
            "What role do MLOps pipelines play in an AI operating model?",
        ),
        related=("ai-in-education", "cybersecurity", "careers-and-skills"),
    ),
    Topic(
        id="ai-in-education",
        label="AI in education",
        keywords=(
            "personalization", "personalisation", "personalised learning", "personalized learning",
            "ai agent", "e-book", "ebook", "ai in education", "educator", "teaching",
            "adaptive", "chatbot", "tutor",
        ),
        suggestions=(
            "What is OPIT's e-book on AI agents in education about?",
            "How can AI agents adapt learning to each student?",
            "How do AI agents differ from simple chatbots?",
        ),
        related=("ai-operating-models", "degrees-and-curricula"),
    ),
    Topic(
        id="cybersecurity",
        label="Cybersecurity",
        keywords=(
            "network security", "msc in cybersecurity", "cybersecurity", "cyber security", "cyber",
            "security", "obiora", "ciso", "tom vazdar", "cryptography", "intrusion detection",
            "cloud security", "forensic",
        ),
        suggestions=(
            "What does OPIT's MSc in Cybersecurity cover?",
            "Who leads the MSc in Cybersecurity at OPIT?",
            "How did the MSc in Cybersecurity help Obiora Awogu's career?",
            "Can I study the MSc in Cybersecurity without taking a career break?",
        ),
        related=("degrees-and-curricula", "career-services", "ai-operating-models"),
    ),
)

BY_ID: dict[str, Topic] = {topic.id: topic for topic in TOPICS}

# Vocabulary that signals a learner's level in their own questions.
ADVANCED_TERMS = (
    "mlops", "inference", "reinforcement learning", "feature engineering", "hyperparameter",
    "governance", "gradient", "backpropagation", "transformer", "embedding", "fine-tuning",
    "fine-tune", "overfitting", "regularization", "regularisation", "cross-validation",
    "neural network", "deep learning", "pipeline", "deployment", "latency", "interoperability",
    "vendor lock-in", "llm", "tensorflow", "pytorch", "scikit-learn", "kubernetes",
    "cryptography", "intrusion detection", "model evaluation", "supervised", "unsupervised",
    "clustering", "regression", "classification", "natural language processing", "computer vision",
)
BEGINNER_CUES = (
    "what is", "what's", "explain", "i'm new", "i am new", "new to", "simple", "simply",
    "beginner", "basics", "in plain", "layman", "eli5", "don't understand", "confused",
)
LEVEL_INSTRUCTIONS = {
    "beginner": "Pitch the answer for a newcomer: use plain words, define any technical term, and keep it short.",
    "intermediate": "Pitch the answer for a learner with some background: be clear and explain only less common terms.",
    "advanced": "Pitch the answer for an expert: be concise and precise, technical terms need no definition.",
}


def _phrase_regex(phrase: str) -> str:
    """Regex for one phrase whose spaces also match hyphens ("on campus" ~ "on-campus")."""
    return r"[\s-]+".join(re.escape(word) for word in phrase.split())


@lru_cache(maxsize=None)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One alternation of word-bounded `phrases`, longest first, so "career fair" beats "career".

    A plural or possessive ending is tolerated; group `p<i>` captures phrase i.
    """
    order = sorted(range(len(phrases)), key=lambda i: -len(phrases[i]))
    alternatives = "|".join(f"(?P<p{i}>{_phrase_regex(phrases[i])})" for i in order)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?:s|es|'s)?(?!\w)")


def _matches(text: str, phrases: tuple[str, ...]) -> list[str]:
    """Non-overlapping phrase matches in `text`, each reported as the phrase that matched."""
    normalised = text.lower().replace("\u2019", "'")  # so "master’s" matches "master's"
    return [phrases[int(match.lastgroup[1:])] for match in _pattern(phrases).finditer(normalised)]


KEYWORDS: tuple[str, ...] = tuple(dict.fromkeys(kw for topic in TOPICS for kw in topic.keywords))


def tag_topics(text: str) -> list[str]:
    """Topic ids mentioned in `text`, at most 3, most keyword matches first.

    Ties go to the topic whose matched phrases are longer (more specific), then to taxonomy order.
    """
    found = _matches(text, KEYWORDS)
    scored = []
    for topic in TOPICS:
        hits = [keyword for keyword in found if keyword in topic.keywords]
        if hits:
            scored.append((-len(hits), -sum(map(len, hits)), topic.id))
    return [topic_id for *_, topic_id in sorted(scored, key=lambda item: item[:2])[:MAX_TAGS]]


def infer_level(questions: list[str]) -> str:
    """The learner's level from the vocabulary of their own questions (too few -> intermediate)."""
    if len(questions) < 2:
        return DEFAULT_LEVEL
    score = sum(len(_matches(q, ADVANCED_TERMS)) - len(_matches(q, BEGINNER_CUES)) for q in questions)
    mean = score / len(questions)
    if mean >= 0.5:
        return "advanced"
    if mean <= -0.5:
        return "beginner"
    return DEFAULT_LEVEL


def level_instruction(level: str) -> str:
    """One sentence telling the LLM how to pitch its answer for `level`."""
    if level not in LEVEL_INSTRUCTIONS:
        raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    return LEVEL_INSTRUCTIONS[level]


def _key(question: str) -> str:
    """How questions are compared: a re-typed question with other case or spacing is the same."""
    return question.strip().casefold()


def _least_explored(ids: list[str], explored: dict[str, int]) -> list[str]:
    """`ids` by explored count, ascending; the sort is stable, so ties keep their given order."""
    return sorted(ids, key=lambda tid: explored.get(tid, 0))


def _ranked_topics(explored: dict[str, int], current: list[str]) -> list[Topic]:
    """Topics related to the current ones first, then the rest; least explored first in each group."""
    related = [rid for cid in current if cid in BY_ID for rid in BY_ID[cid].related]
    first = [rid for rid in dict.fromkeys(related) if rid not in current]
    rest = [topic.id for topic in TOPICS if topic.id not in first]
    return [BY_ID[tid] for tid in _least_explored(first, explored) + _least_explored(rest, explored)]


def suggest_next(explored: dict[str, int], current: list[str], asked: set[str], limit: int = 3) -> list[str]:
    """Up to `limit` unasked questions, one per topic in ranked order before any topic gets a second."""
    seen = {_key(question) for question in asked}
    queues = [[q for q in topic.suggestions if _key(q) not in seen] for topic in _ranked_topics(explored, current)]
    picked = [question for round_ in zip_longest(*queues) for question in round_ if question is not None]
    return picked[: max(limit, 0)]


def _example(topic: Topic) -> str:
    """The topic label, with its first keyword as an example when that adds information."""
    keyword = topic.keywords[0]
    return topic.label if keyword in topic.label.lower() else f"{topic.label} (like {keyword})"


def returning_hint(explored: dict[str, int], current: list[str]) -> str | None:
    """One sentence linking a topic explored before to a related, still unexplored one, or None."""
    earlier = [tid for tid in explored if tid in BY_ID and explored[tid] > 0]
    # Prefer an earlier topic the learner is on again now, then the most explored.
    earlier.sort(key=lambda tid: (tid not in current, -explored[tid], tid))
    for tid in earlier:
        for rid in BY_ID[tid].related:
            if explored.get(rid, 0) == 0 and rid not in current:
                return f"You explored {BY_ID[tid].label} before; {_example(BY_ID[rid])} pairs well with it."
    return None
