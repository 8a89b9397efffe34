"""What flows through the graph (state) and what every node may use (context)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict

from langchain_core.language_models import BaseChatModel

from tutor.agent.evidence import Evidence
from tutor.config import Settings
from tutor.profile import InstituteProfile
from tutor.retrieval import HybridRetriever, SearchHit


@dataclass
class TutorContext:
    """Run dependencies, built once per process by the service."""

    settings: Settings
    retriever: HybridRetriever
    chat_model: BaseChatModel
    fallback_model: BaseChatModel  # extractive: always available, always grounded
    llm_name: str
    profile: InstituteProfile = field(default_factory=InstituteProfile)  # whose persona the prompts take
    # translations in a llama.cpp context of their own, so the answers' cached instructions
    # stay cached (`tutor.llm._shared_llama`); None: the chat model translates too
    translation_model: BaseChatModel | None = None

    @property
    def translator(self) -> BaseChatModel:
        """The model that translates questions, answers and suggestions."""
        return self.translation_model or self.chat_model

    @property
    def allowed_domains(self) -> frozenset[str]:
        """Where an answer may send the learner: the institute profile's own domains and
        contact address, never addresses a document mentions (a planted article could
        otherwise allow its own address); anything else is withheld (tutor/screening.py)."""
        return self.profile.allowed_domains


class TutorState(TypedDict, total=False):
    """One question's journey from guard to record."""

    question: str  # in English from `translate` on: what every later stage searches and checks
    asked: str  # the learner's own words when `question` is their translation
    language: str  # the learner's language (ISO 639-1); replies are written in it
    previous_questions: list[str]  # the learner's earlier questions in this conversation
    after_decline: bool  # the last of them was declined: only an explicit follow-up takes its subject
    level: str
    route: str  # answer | refuse | smalltalk | clarify
    refusal_reason: str  # "unsafe", "self_harm", "out_of_scope" or "withheld" (a draft failed the post-check)
    standalone: str  # the question, with its conversation when it is a follow-up
    earlier: str  # the earlier question(s) a follow-up takes its subject from ("" otherwise)
    query: str  # what is searched: `standalone`, or its rewrite with typos fixed
    rewrites: int
    hits: list[SearchHit]
    side_hits: list[list[SearchHit]]  # a comparison's hits for each side, in the order it names them
    evidence: Evidence
    premise: list[str]  # what a yes/no question claims that the passages never say ("Rome"): it may only be denied
    without_setting: str  # the yes/no question without its premise when that is a place or time: what is drafted ("" otherwise)
    sources: list[str]  # the passages (selected sentences) numbered [1..n] in the prompt
    source_hits: list[SearchHit]  # the chunk each number cites
    draft: str
    blocked: list[str]  # why the post-check withheld the last draft (empty: it passed)
    answer: str
    cited: list[int]
    llm_used: str
    notice: str
    retrieve_s: float
    generate_s: float
    translate_s: float
