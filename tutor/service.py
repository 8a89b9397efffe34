"""The tutor as a service: one object that the CLI and the web page both call.

It owns the long-lived parts (index reader, chat models, learners store), runs the graph for
a question, streams the answer's tokens, and records the learner's topics afterwards.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from langchain_core.messages import HumanMessage, SystemMessage

from tutor.agent.graph import build_graph
from tutor.agent.prompts import prompt, system_prompt
from tutor.agent.state import TutorContext, TutorState
from tutor.config import Settings
from tutor.learners import LearnerStore
from tutor.llm import make_chat_model
from tutor.retrieval import SearchHit, open_retriever
from tutor.screening import AnswerGate
from tutor.topics import level_instruction, returning_hint, suggest_next, tag_topics

CONVERSATION_WINDOW_S = 2 * 3600  # earlier turns older than this don't make a question a follow-up
STREAMED_NODES = {"generate", "fallback"}
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls


@dataclass
class Citation:
    """A numbered source of an answer: always a real chunk of the live index."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    text: str


@dataclass
class TutorAnswer:
    """Everything one question produced; `to_dict` is the `tutor ask --json` contract."""

    question: str
    answer: str
    route: str
    citations: list[Citation]
    topics: list[str]
    learner: str | None
    llm: str
    timings: dict[str, float]
    suggestions: list[str] = field(default_factory=list)
    hint: str | None = None
    notice: str | None = None
    turn_id: int | None = None
    retrieved: list[SearchHit] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "route": self.route,
            "citations": [asdict(c) for c in self.citations],
            "topics": self.topics,
            "learner": self.learner,
            "llm": self.llm,
            "timings": self.timings,
            "suggestions": self.suggestions,
            "hint": self.hint,
            "notice": self.notice,
            "turn_id": self.turn_id,
        }


def clean_question(raw: str) -> str:
    """Control characters out, whitespace folded."""
    return " ".join(CONTROL_CHARS.sub(" ", raw or "").split())


class TutorService:
    """Answers questions for learners. Thread-safe: the UI calls it from several workers."""

    def __init__(self, settings: Settings, llm: str | None = None) -> None:
        self.settings = settings
        self.llm_name = llm or settings.llm
        self.retriever = open_retriever(settings)
        self.store = LearnerStore(settings)
        self.context = TutorContext(
            settings=settings,
            retriever=self.retriever,
            chat_model=make_chat_model(settings, self.llm_name),
            fallback_model=make_chat_model(settings, "extractive"),
            llm_name=self.llm_name,
        )

    def warm_up(self) -> None:
        """Load the local model and read the fixed system prompt once, so the first student
        doesn't wait for either (a few seconds each on two cores)."""
        if self.llm_name != "local":
            return
        messages = [SystemMessage(system_prompt(level_instruction("intermediate"))), HumanMessage("Say OK.")]
        self.context.chat_model.invoke(messages)

    # ------------------------------------------------------------ asking

    def ask(self, question: str, learner: str | None = None, history: list[str] | None = None) -> TutorAnswer:
        """Answer without streaming (the CLI's --json, evaluation, tests)."""
        for kind, payload in self.stream(question, learner, history):
            if kind == "final":
                return payload
        raise RuntimeError("the graph ended without an answer")  # unreachable by construction

    def stream(
        self, question: str, learner: str | None = None, history: list[str] | None = None
    ) -> Iterator[tuple[str, object]]:
        """Yield ("token", text) while the answer is written, ("reset", "") when a draft is
        discarded, and finally ("final", TutorAnswer)."""
        started = time.perf_counter()
        text = clean_question(question)
        if len(text) > self.settings.max_question_chars:
            yield "final", self.too_long(text, learner, started)
            return
        previous = history if history is not None else self.recent_questions(learner)
        level = self.store.profile(learner).level if learner else "intermediate"
        state: TutorState = {"question": text, "previous_questions": previous, "level": level}
        first_token: float | None = None
        last_step = None
        final: TutorState = state
        gate = AnswerGate(self.context.allowed_domains)  # whole sentences, each post-checked, reach the learner
        for mode, payload in build_graph().stream(state, context=self.context, stream_mode=["messages", "values"]):
            if mode == "values":
                final = payload
                continue
            message, meta = payload
            if meta.get("langgraph_node") not in STREAMED_NODES or not message.content:
                continue
            if last_step is not None and meta.get("langgraph_step") != last_step:
                gate.reset()
                yield "reset", ""
            last_step = meta.get("langgraph_step")
            was_blocked = gate.blocked
            text = gate.feed(str(message.content))
            if gate.blocked and not was_blocked:
                yield "reset", ""
            if text:
                first_token = first_token or time.perf_counter() - started
                yield "token", text
        tail = gate.flush()
        if tail:
            first_token = first_token or time.perf_counter() - started
            yield "token", tail
        yield "final", self.finish(final, learner, started, first_token)

    def recent_questions(self, learner: str | None) -> list[str]:
        """The learner's questions of the current conversation (recent turns only)."""
        if not learner:
            return []
        now = time.time()
        return [t.question for t in self.store.history(learner, limit=3) if now - t.created < CONVERSATION_WINDOW_S]

    # ------------------------------------------------------------ composing the result

    def finish(self, state: TutorState, learner: str | None, started: float, first_token: float | None) -> TutorAnswer:
        """Turn the final graph state into an answer, record it for the learner, suggest next steps."""
        route = state["route"]
        cited_hits = state.get("source_hits", [])
        citations = [self.citation(n, cited_hits[n - 1]) for n in state.get("cited", []) if 0 < n <= len(cited_hits)]
        topics = tag_topics(" ".join([state["question"], *(c.title for c in citations)])) if route == "answer" else []
        explored = self.explored(learner)
        asked = {t.question for t in self.store.history(learner, limit=200)} if learner else set()
        suggestions = suggest_next(explored, topics, asked | {state["question"]})
        answer = state.get("answer", "") if route == "answer" else self.canned(state, suggestions)
        result = TutorAnswer(
            question=state["question"],
            answer=answer,
            route=route,
            citations=citations,
            topics=topics,
            learner=learner,
            llm=state.get("llm_used", self.llm_name if route == "answer" else "none"),
            timings={},
            suggestions=suggestions,
            hint=returning_hint(explored, topics) if explored and topics else None,
            notice=state.get("notice"),
            retrieved=state.get("hits", []),
        )
        if learner:
            citations_data = [asdict(c) for c in citations]
            result.turn_id = self.store.record_turn(learner, result.question, answer, route, citations_data, topics).id
        total = time.perf_counter() - started
        result.timings = {
            "retrieve_s": round(state.get("retrieve_s", 0.0), 3),
            "generate_s": round(state.get("generate_s", 0.0), 3),
            "first_token_s": round(first_token if first_token is not None else total, 3),
            "total_s": round(total, 3),
        }
        return result

    def citation(self, n: int, hit: SearchHit) -> Citation:
        c = hit.chunk
        return Citation(n=n, chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, section=c.section, text=c.text)

    def explored(self, learner: str | None) -> dict[str, int]:
        return self.store.profile(learner).explored if learner else {}

    def canned(self, state: TutorState, suggestions: list[str]) -> str:
        """The reply for routes that don't go through the LLM, ending with what we *can* help with."""
        name = {"smalltalk": "smalltalk", "clarify": "clarify"}.get(state["route"])
        name = name or {"unsafe": "unsafe", "withheld": "withheld"}.get(state.get("refusal_reason", ""), "refuse")
        return prompt(name) + "\n" + "\n".join(f"- {s}" for s in suggestions)

    def too_long(self, text: str, learner: str | None, started: float) -> TutorAnswer:
        """A calm answer for a question beyond the length limit; nothing is searched."""
        suggestions = suggest_next(self.explored(learner), [], set())
        limit = self.settings.max_question_chars
        answer = (
            f"Your message is {len(text):,} characters long; please ask in under {limit:,} characters. "
            + prompt("clarify")
            + "\n"
            + "\n".join(f"- {s}" for s in suggestions)
        )
        total = round(time.perf_counter() - started, 3)
        return TutorAnswer(
            question=text[:200] + "…",
            answer=answer,
            route="clarify",
            citations=[],
            topics=[],
            learner=learner,
            llm="none",
            timings={"retrieve_s": 0.0, "generate_s": 0.0, "first_token_s": total, "total_s": total},
            suggestions=suggestions,
        )

    # ------------------------------------------------------------ learners

    def forget(self, learner: str) -> int:
        """Delete every trace of a learner; returns the number of records removed."""
        return self.store.forget(learner)
