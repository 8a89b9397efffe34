"""What flows through the graph (state) and what every node may use (context)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypedDict

from langchain_core.language_models import BaseChatModel

from tutor.agent.policy import Evidence
from tutor.config import Settings
from tutor.retrieval import HybridRetriever, SearchHit


@dataclass
class TutorContext:
    """Run dependencies, built once per process by the service."""

    settings: Settings
    retriever: HybridRetriever
    chat_model: BaseChatModel
    fallback_model: BaseChatModel  # extractive: always available, always grounded
    llm_name: str
    # Domains an answer may send the learner to (the institute profile's and the corpus's own);
    # an answer with any other e-mail address or link is withheld (tutor/screening.py).
    allowed_domains: frozenset[str] = frozenset()


class TutorState(TypedDict, total=False):
    """One question's journey from guard to record."""

    question: str
    previous_questions: list[str]  # the learner's earlier questions in this conversation
    level: str
    route: str  # answer | refuse | smalltalk | clarify
    refusal_reason: str  # "unsafe", "out_of_scope" or "withheld" (a draft failed the post-check)
    query: str
    rewrites: int
    hits: list[SearchHit]
    evidence: Evidence
    sources: list[str]  # the passages (selected sentences) numbered [1..n] in the prompt
    source_hits: list[SearchHit]  # the chunk each number cites
    draft: str
    blocked: list[str]  # why the post-check withheld the last draft (empty: it passed)
    generations: int
    answer: str
    cited: list[int]
    llm_used: str
    notice: str
    retrieve_s: float
    generate_s: float
