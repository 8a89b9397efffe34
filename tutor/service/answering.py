"""Answering: run the agent graph for a question and stream typed events to a face.

It owns the long-lived heavy parts (index reader, chat models); learners, admin work and
accounts are the sibling services it carries, so a face needs only this one object.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace

from langchain_core.messages import HumanMessage, SystemMessage

from tutor.agent import translation
from tutor.agent.graph import build_graph
from tutor.agent.grounding import declines
from tutor.agent.nodes import titled_sources
from tutor.agent.prompts import for_institute, prompt, system_prompt
from tutor.agent.state import TutorContext, TutorState
from tutor.config import Settings
from tutor.embeddings import get_embeddings
from tutor.language import detect, detector, english, function_words
from tutor.llm import LlamaCppChat, make_chat_model
from tutor.retrieval import SearchHit, open_retriever
from tutor.screening import AnswerGate
from tutor.service import pedagogy
from tutor.service.accounts import account_service
from tutor.service.admin import AdminService
from tutor.service.events import (
    AnswerEvent,
    Citation,
    Final,
    Reset,
    Token,
    TutorAnswer,
    clean_question,
)
from tutor.service.learner import ConversationThread, LearnerService, LearnerState
from tutor.service.quizzes import Quizzes
from tutor.service.search import SearchService

STREAMED_NODES = {"generate", "fallback"}
NEAREST_PASSAGES = 3  # a declined question's suggestions come first from these passages' topics
LOCALISED_NODES = {"localise"}  # a translated answer: only the learner's language reaches them


def same_text(seen: str, answer: str) -> bool:
    """Whether the learner is left reading the answer (line breaks and spacing aside)."""
    return seen.split() == answer.split()


class TutorService:
    """Answers questions for learners. Thread-safe: the page calls it from several workers."""

    def __init__(self, settings: Settings, llm: str | None = None) -> None:
        self.settings = settings
        self.llm_name = llm or settings.llm
        self.retriever = open_retriever(settings)
        self.learners = LearnerService(settings)
        self.quizzes = Quizzes(settings, self.learners.store)
        self.admin = AdminService(settings, learners=self.learners, retriever=self.retriever, llm_name=self.llm_name)
        self.accounts = account_service(self.learners.store, settings)
        self.searcher = SearchService(settings, self.retriever)
        self.context = TutorContext(
            settings=settings,
            retriever=self.retriever,
            chat_model=make_chat_model(settings, self.llm_name),
            fallback_model=make_chat_model(settings, "extractive"),
            llm_name=self.llm_name,
            profile=self.admin.profile(),
            translation_model=make_chat_model(settings, self.llm_name, role="translations"),
        )

    @property
    def store(self):
        """The learners store (tests and scripts inspect it; faces use `learners`)."""
        return self.learners.store

    def warm_up(self) -> None:
        """Load now what the first question would otherwise wait for (seconds on two cores):
        the embedding model (about 5 s), the language detector, its function words and the
        English word list (about 1 s), and the local model, with the fixed system prompt read once, and its
        translations' own context."""
        get_embeddings()
        detector()
        function_words()
        english()
        if self.llm_name != "local":
            return
        system = system_prompt(self.context.profile, pedagogy.pitch(pedagogy.DEFAULT_LEVEL))
        messages = [SystemMessage(system), HumanMessage("Say OK.")]
        self.context.chat_model.invoke(messages)
        if isinstance(self.context.translator, LlamaCppChat):
            self.context.translator.loaded()

    # ------------------------------------------------------------ asking

    def ask(
        self,
        question: str,
        learner: str | None = None,
        history: list[str] | None = None,
        conversation: ConversationThread | None = None,
        llm: str | None = None,
    ) -> TutorAnswer:
        """Answer without streaming (the CLI's --json, evaluation, tests)."""
        for event in self.stream(question, learner, history, conversation, llm):
            if isinstance(event, Final):
                return event.answer
        raise RuntimeError("the graph ended without an answer")  # unreachable by construction

    def stream(
        self,
        question: str,
        learner: str | None = None,
        history: list[str] | None = None,
        conversation: ConversationThread | None = None,
        llm: str | None = None,
    ) -> Iterator[AnswerEvent]:
        """Yield `Token`s while the answer is written, `Reset` when a draft is discarded, then one `Final`.

        Follow-ups read `history` when given, else the `conversation`'s questions, else (a learner
        without a thread, as in the CLI) their questions of the last hours. The learner's state is
        read once, here; a `conversation` also gets the question added once it is answered.
        `llm="extractive"` answers this question without the service's LLM.
        """
        started = time.perf_counter()
        context = self.context_for(llm)
        state = self.learners.state(learner)
        text = clean_question(question)
        if len(text) > self.settings.max_question_chars:
            yield Final(self.too_long(text, state, started))
            return
        after_decline = False
        if history is None:
            history, after_decline = (conversation or state).follow_up_context()
        graph_state: TutorState = {"question": text, "previous_questions": history, "after_decline": after_decline, "level": state.level}
        first_token: float | None = None
        last_step = last_reply = None
        seen = ""  # what the learner has read since the last reset
        names: list[str] = []  # a translation streams its names as markers (<A>): the learner reads the names
        final: TutorState = graph_state
        gate = AnswerGate(context.allowed_domains)  # whole sentences, each post-checked, reach the learner
        for mode, payload in build_graph().stream(graph_state, context=context, stream_mode=["messages", "values"]):
            if mode == "values":
                final = payload
                continue
            message, meta = payload
            if meta.get("langgraph_node") not in self.streamed_nodes(final, context) or not message.content:
                continue
            step = meta.get("langgraph_step")
            # a stage can draft in parts (a comparison's sides), or ask again after the model declined
            # or after a translation lost a name: that reply replaces the one before
            new_reply, separator = step == last_step and message.id != last_reply, ""
            replaces = declines(seen + gate.pending) or meta["langgraph_node"] in LOCALISED_NODES
            if (last_step is not None and step != last_step) or (new_reply and replaces):
                gate.reset()
                seen = ""
                yield Reset()
            elif new_reply:
                separator = " "
            if meta["langgraph_node"] in LOCALISED_NODES and step != last_step:
                names = translation.names_in(final.get("answer", ""))  # of the English answer it translates, once
            last_step, last_reply = step, message.id
            was_blocked = gate.blocked
            text = translation.unmasked(gate.feed(separator + str(message.content)), names)
            if gate.blocked and not was_blocked:
                seen = ""
                yield Reset()
            if text:
                first_token = first_token or time.perf_counter() - started
                seen += text
                yield Token(text)
        if tail := translation.unmasked(gate.flush(), names):
            first_token = first_token or time.perf_counter() - started
            seen += tail
            yield Token(tail)
        answer = self.finish(final, state, started, first_token, conversation, context)
        if last_step is not None and not same_text(seen, answer.answer):
            # the checks declined the draft, trimmed it, cited it or dropped its translation:
            # the learner must be left reading the answer, not the draft they watched
            yield Reset()
            yield Token(answer.answer)
        if conversation is not None:
            conversation.add(answer)
        yield Final(answer)

    @staticmethod
    def streamed_nodes(graph_state: TutorState, context: TutorContext) -> set[str]:
        """Whose tokens the learner sees: the English draft's, or only its translation."""
        translated = translation.translates(graph_state.get("language", "en"), context.llm_name)
        return LOCALISED_NODES if translated else STREAMED_NODES

    def context_for(self, llm: str | None) -> TutorContext:
        """The graph's context for a question: the service's LLM, or none at all (extractive)."""
        if llm in (None, self.llm_name):
            return self.context
        if llm != "extractive":
            raise ValueError(f"this service writes with {self.llm_name!r}; per question only 'extractive' can be chosen")
        return replace(self.context, chat_model=self.context.fallback_model, translation_model=None, llm_name="extractive")

    # ------------------------------------------------------------ composing the result

    def finish(
        self,
        graph_state: TutorState,
        state: LearnerState,
        started: float,
        first_token: float | None,
        conversation: ConversationThread | None,
        context: TutorContext,
    ) -> TutorAnswer:
        """Turn the final graph state into an answer, record it for the learner, suggest next steps."""
        route = graph_state["route"]
        asked = graph_state.get("asked", graph_state["question"])
        cited_hits = graph_state.get("source_hits", [])
        citations = [self.citation(n, cited_hits[n - 1]) for n in graph_state.get("cited", []) if 0 < n <= len(cited_hits)]
        topics = state.pedagogy.topics_of(c.doc_id for c in citations) if route == "answer" else []
        suggestions = self.localised(
            state.suggestions(topics, {asked}, self.nearest_topics(graph_state, state)), graph_state.get("language", "en"), context
        )
        answer = graph_state.get("answer", "") if route == "answer" else self.canned(graph_state, suggestions)
        result = TutorAnswer(
            question=asked,
            answer=answer,
            route=route,
            citations=citations,
            topics=topics,
            learner=state.learner,
            llm=graph_state.get("llm_used", context.llm_name if route == "answer" else "none"),
            timings={},
            suggestions=suggestions,
            hint=state.hint(topics) if topics else None,
            notice=graph_state.get("notice"),
            conversation=conversation.id if conversation else None,
            retrieved=graph_state.get("hits", []),
            shown=titled_sources(graph_state) if graph_state.get("sources") else [],
        )
        if state.learner:
            result.turn_id = self.learners.record(result, result.conversation)
        total = time.perf_counter() - started
        result.timings = {
            "retrieve_s": round(graph_state.get("retrieve_s", 0.0), 3),
            "generate_s": round(graph_state.get("generate_s", 0.0), 3),
            "translate_s": round(graph_state.get("translate_s", 0.0), 3),
            "first_token_s": round(first_token if first_token is not None else total, 3),
            "total_s": round(total, 3),
        }
        return result

    @staticmethod
    def nearest_topics(graph_state: TutorState, state: LearnerState) -> list[str]:
        """For a question declined for want of content: the topics of the passages the search
        found, so the suggestions are what the content says nearby. Not after a withheld answer,
        whose passages may have been planted."""
        if graph_state.get("refusal_reason") != "out_of_scope":
            return []
        return state.pedagogy.topics_of(hit.chunk.doc_id for hit in graph_state.get("hits", [])[:NEAREST_PASSAGES])

    @staticmethod
    def citation(n: int, hit: SearchHit) -> Citation:
        c = hit.chunk
        return Citation(n=n, chunk_id=c.chunk_id, doc_id=c.doc_id, title=c.title, section=c.section, text=c.text, date=c.date or "")

    @staticmethod
    def localised(suggestions: list[str], language: str, context: TutorContext) -> list[str]:
        """Suggested questions in the learner's language, under an answer as under a decline
        (one model call, after the answer has streamed; none when every suggestion is on a
        title); asked, they are translated back like any question. Without an LLM they stay in
        the corpus's English."""
        if not translation.translates(language, context.llm_name):
            return suggestions
        return translation.lines_to_learner(context.translator, suggestions, language)

    def canned(self, graph_state: TutorState, suggestions: list[str]) -> str:
        """The reply for routes that don't go through the LLM, ending with what we *can* help with,
        written out in the learner's language when there is a text for it."""
        name = {"smalltalk": "smalltalk", "clarify": "clarify"}.get(graph_state["route"])
        name = name or {"unsafe": "unsafe", "self_harm": "self_harm", "withheld": "withheld"}.get(graph_state.get("refusal_reason", ""), "refuse")
        intro = for_institute(name, self.context.profile, graph_state.get("language", "en"))
        return intro + "\n" + "\n".join(f"- {s}" for s in suggestions)

    def too_long(self, text: str, state: LearnerState, started: float) -> TutorAnswer:
        """A calm answer for a question beyond the length limit, in the learner's language (a
        fixed text: no model call for a message this long); nothing is searched or stored."""
        language = detect(text[: self.settings.max_question_chars], self.retriever.generation().vocabulary)
        suggestions = state.suggestions()
        intro = prompt("too_long", language).format(length=len(text), limit=self.settings.max_question_chars)
        answer = f"{intro} {prompt('clarify', language)}\n" + "\n".join(f"- {s}" for s in suggestions)
        total = round(time.perf_counter() - started, 3)
        return TutorAnswer(
            question=text[:200] + "…",
            answer=answer,
            route="clarify",
            citations=[],
            topics=[],
            learner=state.learner,
            llm="none",
            timings={"retrieve_s": 0.0, "generate_s": 0.0, "first_token_s": total, "total_s": total},
            suggestions=suggestions,
            follow_up_context=False,
        )
