"""The graph's stages, one small function each. Decisions come from `policy`; I/O from the
runtime context (retriever, chat models)."""

from __future__ import annotations

import time

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from tutor.agent import policy
from tutor.agent.prompts import answer_message, numbered_sources, prompt, system_prompt
from tutor.agent.state import TutorContext, TutorState
from tutor.chunking import count_tokens
from tutor.embeddings import get_embeddings
from tutor.retrieval import SearchHit
from tutor.screening import check_answer, screen_document
from tutor.text import passage_units, stems
from tutor.topics import level_instruction

MAX_REWRITES = 1  # grade -> rewrite -> retrieve happens at most this often
MAX_GENERATIONS = 2  # the first draft plus one regeneration, then the extractive fallback
PROMPT_SOURCES = 3  # passages the prompt's sentences are drawn from
OVERLAP_WEIGHT = 0.05  # per shared content word, next to a cosine similarity in [0, 1]


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
    evidence = policy.assess_evidence(
        standalone_question(state), state["query"], similarity, top_text, generation.vocabulary, generation.acronyms
    )
    return {"evidence": evidence}


def after_grade(state: TutorState) -> str:
    """Strong evidence -> answer; weak -> rewrite once; still weak -> decline honestly."""
    if policy.is_strong(state["evidence"]):
        return "generate"
    return "rewrite" if state["rewrites"] < MAX_REWRITES else "decline"


def rewrite(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Fix typos and expand abbreviations against the corpus vocabulary, then search again."""
    generation = runtime.context.retriever.generation()
    query = policy.rewrite_query(state["query"], generation.vocabulary, generation.acronyms)
    return {"query": query, "rewrites": state["rewrites"] + 1}


def decline(state: TutorState) -> TutorState:
    return {"route": "refuse", "refusal_reason": "out_of_scope"}


def context_units(text: str) -> list[str]:
    """Sentences of a passage, the same the extractive model quotes from; headings and every
    bullet item stand on their own, items keep a "- " so the prompt still shows them as such."""
    return [f"- {unit.text}" if unit.kind == "item" else unit.text for unit in passage_units(text)]


def select_context(hits: list[SearchHit], query: str, budget_tokens: int) -> list[tuple[SearchHit, str]]:
    """The sentences of the best passages that matter most to the question, within the token
    budget, regrouped by passage in their original order. Ranking by meaning (embeddings)
    finds paraphrases ("partnered" ~ "teams up"); word overlap, minus the passage's own title
    words, breaks ties toward the figures and names asked for."""
    chosen = hits[:PROMPT_SOURCES]
    # Sources are quoted material: a sentence that reads as an order to the assistant is never shown to it.
    units = [(i, text) for i, hit in enumerate(chosen) for text in context_units(hit.chunk.text) if not screen_document(text)]
    if not units:
        return []
    vectors = get_embeddings().encode([query] + [text for _, text in units])
    wanted = stems(query)
    scores = [
        float(vectors[0] @ vector) + OVERLAP_WEIGHT * len(stems(text) & (wanted - stems(chosen[i].chunk.title)))
        for (i, text), vector in zip(units, vectors[1:])
    ]
    kept, used = set(), 0
    for k in sorted(range(len(units)), key=lambda k: (-scores[k], k)):
        cost = count_tokens(units[k][1])
        if kept and used + cost > budget_tokens:
            continue
        kept.add(k)
        used += cost
    # one unit per line: a heading joined to the next sentence would read as part of it
    grouped = [(hit, "\n".join(units[k][1] for k in sorted(kept) if units[k][0] == i)) for i, hit in enumerate(chosen)]
    return [(hit, text) for hit, text in grouped if text]


def heading(hit: SearchHit) -> str:
    return f"{hit.chunk.title} › {hit.chunk.section}" if hit.chunk.section else hit.chunk.title


def sources_update(context: list[tuple[SearchHit, str]]) -> TutorState:
    """The passages as numbered in the prompt, and the chunks those numbers cite."""
    return {"sources": [text for _, text in context], "source_hits": [hit for hit, _ in context]}


def generate(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Draft a cited answer with the chat model; on a model failure, use the extractive one."""
    started = time.perf_counter()
    context = select_context(state["hits"], state["query"], runtime.context.settings.prompt_source_tokens)
    sources = numbered_sources([heading(hit) for hit, _ in context], [text for _, text in context])
    system = system_prompt(runtime.context.profile, level_instruction(state.get("level") or "intermediate"))
    messages = [SystemMessage(system), HumanMessage(answer_message(sources, standalone_question(state)))]
    update: TutorState = {**sources_update(context), "generations": state["generations"] + 1}
    try:
        update["draft"] = str(runtime.context.chat_model.invoke(messages).content)
        update["llm_used"] = runtime.context.llm_name
    except Exception as exc:  # a model server that went away must not cost the student an answer
        update["draft"] = str(runtime.context.fallback_model.invoke(messages).content)
        update["llm_used"] = "extractive"
        update["notice"] = f"{prompt('fallback_notice')} ({type(exc).__name__})"
    update["generate_s"] = state.get("generate_s", 0.0) + time.perf_counter() - started
    return update


def post_check(answer: str, runtime: Runtime[TutorContext]) -> list[str]:
    """Why an answer must not reach the learner: it asks for credentials or money, or sends
    them to an address outside the allowed domains. A grounded answer can still do that when
    its source was planted, so this check does not trust the sources."""
    return [finding.reason for finding in check_answer(answer, runtime.context.allowed_domains)]


def verify(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Withhold a harmful draft; check the citations and support of the others and repair
    what can be repaired."""
    blocked = post_check(state["draft"], runtime)
    if blocked:
        return {"answer": "", "cited": [], "blocked": blocked}
    if policy.declines(state["draft"]):
        return {"route": "refuse", "refusal_reason": "out_of_scope", "answer": "", "blocked": []}
    verdict = policy.verify_answer(state["draft"], state["sources"], state["question"])
    if verdict.ok:
        return {"answer": verdict.answer, "cited": list(verdict.cited), "blocked": []}
    return {"answer": "", "cited": [], "blocked": []}


def after_verify(state: TutorState) -> str:
    """Accept, regenerate once, or fall back to the extractive answer. A withheld draft goes
    straight to the fallback: the same planted source would steer a second draft too."""
    if state["route"] == "refuse" or state.get("answer"):
        return "done"
    if state.get("blocked"):
        return "fallback"
    return "generate" if state["generations"] < MAX_GENERATIONS else "fallback"


def fallback(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Compose the answer from the same numbered passages' sentences: grounded by construction."""
    passages = state["sources"]
    headings = [heading(hit) for hit in state["source_hits"]]
    message = answer_message(numbered_sources(headings, passages), standalone_question(state))
    draft = str(runtime.context.fallback_model.invoke([HumanMessage(message)]).content)
    if post_check(draft, runtime):
        return {"route": "refuse", "refusal_reason": "withheld", "answer": "", "cited": []}
    verdict = policy.verify_answer(draft, passages, state["question"])
    if policy.declines(draft) or not verdict.cited:
        return {"route": "refuse", "refusal_reason": "withheld" if state.get("blocked") else "out_of_scope", "answer": ""}
    return {"answer": verdict.answer, "cited": list(verdict.cited), "llm_used": "extractive"}
