"""The graph's stages, one small function each. Decisions come from `policy`; I/O from the
runtime context (retriever, chat models)."""

from __future__ import annotations

import time

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from tutor.agent import policy
from tutor.agent.prompts import answer_message, numbered_sources, prompt
from tutor.agent.state import TutorContext, TutorState
from tutor.chunking import count_tokens
from tutor.retrieval import SearchHit
from tutor.text import split_sentences, stems
from tutor.topics import level_instruction

MAX_REWRITES = 1  # grade -> rewrite -> retrieve happens at most this often
MAX_GENERATIONS = 2  # the first draft plus one regeneration, then the extractive fallback
PROMPT_SOURCES = 3  # passages shown to the LLM
SOURCE_TOKEN_BUDGET = 330  # prompt reading runs ~160 tokens/s on 2 cores: this keeps TTFT ~3 s


def guard(state: TutorState) -> TutorState:
    """Route before any work: clarify, small talk, unsafe/injection, or a real question."""
    route = policy.route_question(state["question"])
    update: TutorState = {"route": route, "rewrites": 0, "generations": 0, "retrieve_s": 0.0, "generate_s": 0.0}
    if route == "refuse":
        update["refusal_reason"] = "unsafe"
    return update


def standalone_question(state: TutorState) -> str:
    """The question in the student's words, with its earlier question if it is a follow-up."""
    return policy.condense(state["question"], state.get("previous_questions", []))


def condense(state: TutorState) -> TutorState:
    """Make follow-ups ("and how much does it cost?") searchable on their own."""
    return {"query": standalone_question(state)}


def retrieve(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Hybrid search for the current query."""
    started = time.perf_counter()
    hits = runtime.context.retriever.search(state["query"], k=runtime.context.settings.retrieve_k)
    return {"hits": hits, "retrieve_s": state.get("retrieve_s", 0.0) + time.perf_counter() - started}


def grade(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Measure how well the hits cover the question."""
    generation = runtime.context.retriever.generation()
    hits = state["hits"]
    similarity = max((hit.similarity for hit in hits), default=0.0)
    top_text = " ".join(h.chunk.embed_text for h in hits[:PROMPT_SOURCES])
    # judge the student's own words, not the rewrite (which may have "corrected" a foreign term)
    evidence = policy.assess_evidence(standalone_question(state), state["query"], similarity, top_text, generation.vocabulary)
    return {"evidence": evidence}


def after_grade(state: TutorState) -> str:
    """Strong evidence -> answer; weak -> rewrite once; still weak -> decline honestly."""
    if policy.is_strong(state["evidence"]):
        return "generate"
    return "rewrite" if state["rewrites"] < MAX_REWRITES else "decline"


def rewrite(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Fix typos and expand abbreviations against the corpus vocabulary, then search again."""
    vocabulary = runtime.context.retriever.generation().vocabulary
    return {"query": policy.rewrite_query(state["query"], vocabulary), "rewrites": state["rewrites"] + 1}


def decline(state: TutorState) -> TutorState:
    return {"route": "refuse", "refusal_reason": "out_of_scope"}


def trim_passage(text: str, title: str, query: str, budget: int) -> str:
    """Keep the sentences most related to the query, in their original order, within budget.
    Words of the title don't count: every sentence of the passage is about its title."""
    sentences = split_sentences(text.replace("\n", " "))
    wanted = stems(query) - stems(title)
    ranked = sorted(range(len(sentences)), key=lambda i: (-len(stems(sentences[i]) & wanted), i))
    kept, used = set(), 0
    for i in ranked:
        cost = count_tokens(sentences[i])
        if kept and used + cost > budget:
            continue
        kept.add(i)
        used += cost
    return " ".join(sentences[i] for i in sorted(kept))


def prompt_sources(hits: list[SearchHit], query: str) -> tuple[list[str], list[str]]:
    """Headings and trimmed passages of the best hits for the prompt."""
    chosen = hits[:PROMPT_SOURCES]
    budget = SOURCE_TOKEN_BUDGET // max(1, len(chosen))
    headings = [f"{h.chunk.title} › {h.chunk.section}" if h.chunk.section else h.chunk.title for h in chosen]
    return headings, [trim_passage(h.chunk.text, heading, query, budget) for h, heading in zip(chosen, headings)]


def generate(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Draft a cited answer with the chat model; on a model failure, use the extractive one."""
    started = time.perf_counter()
    headings, passages = prompt_sources(state["hits"], state["query"])
    messages = [
        SystemMessage(prompt("system")),
        HumanMessage(
            answer_message(
                numbered_sources(headings, passages),
                standalone_question(state),
                level_instruction(state.get("level") or "intermediate"),
            )
        ),
    ]
    update: TutorState = {"sources": passages, "generations": state["generations"] + 1}
    try:
        update["draft"] = str(runtime.context.chat_model.invoke(messages).content)
        update["llm_used"] = runtime.context.llm_name
    except Exception as exc:  # a model server that went away must not cost the student an answer
        update["draft"] = str(runtime.context.fallback_model.invoke(messages).content)
        update["llm_used"] = "extractive"
        update["notice"] = f"{prompt('fallback_notice')} ({type(exc).__name__})"
    update["generate_s"] = state.get("generate_s", 0.0) + time.perf_counter() - started
    return update


def verify(state: TutorState) -> TutorState:
    """Check the draft's citations and support; repair what can be repaired."""
    if policy.declines(state["draft"]):
        return {"route": "refuse", "refusal_reason": "out_of_scope", "answer": ""}
    verdict = policy.verify_answer(state["draft"], state["sources"], state["question"])
    if verdict.ok:
        return {"answer": verdict.answer, "cited": list(verdict.cited)}
    return {"answer": "", "cited": []}


def after_verify(state: TutorState) -> str:
    """Accept, regenerate once, or fall back to the extractive answer."""
    if state["route"] == "refuse" or state.get("answer"):
        return "done"
    return "generate" if state["generations"] < MAX_GENERATIONS else "fallback"


def fallback(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Compose the answer from source sentences: grounded by construction."""
    headings, passages = prompt_sources(state["hits"], state["query"])
    message = answer_message(numbered_sources(headings, passages), standalone_question(state), "")
    draft = str(runtime.context.fallback_model.invoke([HumanMessage(message)]).content)
    verdict = policy.verify_answer(draft, passages, state["question"])
    if policy.declines(draft) or not verdict.cited:
        return {"route": "refuse", "refusal_reason": "out_of_scope", "answer": ""}
    return {"answer": verdict.answer, "cited": list(verdict.cited), "sources": passages, "llm_used": "extractive"}
