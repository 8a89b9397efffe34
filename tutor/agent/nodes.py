"""The graph's stages, one small function each. Decisions come from `policy`; I/O from the
runtime context (retriever, chat models)."""

from __future__ import annotations

import time
from dataclasses import replace
from functools import partial
from itertools import zip_longest

from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.runtime import Runtime

from tutor import spelling
from tutor.agent import claims, evidence, grounding, policy, translation
from tutor.agent.passages import (
    PROMPT_SOURCES,
    select_context,
    side_sources,
    uncited_sides,
)
from tutor.agent.prompts import answer_message, numbered_sources, prompt, system_prompt
from tutor.agent.safety import is_self_harm
from tutor.agent.state import TutorContext, TutorState
from tutor.language import detect
from tutor.retrieval import HybridRetriever, SearchHit
from tutor.screening import check_answer, without_outside_addresses
from tutor.topics import level_instruction

MAX_REWRITES = 1  # grade -> rewrite -> retrieve happens at most this often


def routed(question: str) -> TutorState:
    """The route of a question, and why when it is refused."""
    route = policy.route_question(question)
    if route != "refuse":
        return {"route": route}
    return {"route": route, "refusal_reason": "self_harm" if is_self_harm(question) else "unsafe"}


def guard(state: TutorState) -> TutorState:
    """Route before any work: clarify, small talk, unsafe/injection, or a real question."""
    counters: TutorState = {"rewrites": 0, "retrieve_s": 0.0, "generate_s": 0.0, "translate_s": 0.0}
    return {**counters, **routed(state["question"])}


def translate(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Search and check in English, the corpus's language: a question in another language
    goes on as its English translation (one short model call) and is routed again, since
    the guard's patterns read English; the learner's own words are kept in `asked`. A
    "translation" that keeps most words shows the question was English after all."""
    language = detect(state["question"], runtime.context.retriever.generation().vocabulary)
    if not translation.translates(language, runtime.context.llm_name):
        return {"language": language}
    started = time.perf_counter()
    english = translation.to_english(runtime.context.translator, state["question"])
    elapsed = time.perf_counter() - started
    if translation.was_english(state["question"], english):
        return {"language": "en", "translate_s": elapsed}
    return {"language": language, "asked": state["question"], "question": english, "translate_s": elapsed, **routed(english)}


def standalone_question(state: TutorState) -> str:
    """The question in the student's words, with its conversation when it is a follow-up."""
    return state.get("standalone") or state["question"]


def condense(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Make follow-ups searchable on their own. "Who can take part?" after a question on the
    hackathon names no subject; searching with and without the conversation and keeping the
    closer match resolves it without a model call. The query has its typos fixed, so the
    grade and the prompt's choice of sentences read "membership" where the student wrote
    "membrship"; the standalone question keeps the student's words."""
    question, previous = state["question"].strip(), state.get("previous_questions", [])
    retriever = runtime.context.retriever
    if not previous:
        return {"standalone": question, "query": searched(question, retriever)}
    contextual = policy.with_context(question, previous)
    alone, joined = (max((h.similarity for h in retriever.search(q, k=PROMPT_SOURCES)), default=0.0) for q in (question, contextual))
    if policy.prefers_context(question, alone, joined, state.get("after_decline", False)):
        return {"standalone": contextual, "query": searched(contextual, retriever), "earlier": policy.earlier_context(previous)}
    return {"standalone": question, "query": searched(question, retriever)}


def searched(question: str, retriever: HybridRetriever) -> str:
    """The question as the search reads it: misspelt words as the content's (`tutor.spelling`)."""
    return spelling.corrected(question, retriever.generation().vocabulary)


def search_query(question: str, previous_questions: list[str], runtime: Runtime[TutorContext]) -> str:
    """What the agent searches for a question: its `translate` and `condense` stages, so in
    English, with the conversation when a follow-up needs it, and spelt as the content. The
    retrieval benchmark searches this: searched as asked, an Italian question looks like a
    miss the agent never makes."""
    state: TutorState = {"question": question, "previous_questions": previous_questions}
    state = {**state, **translate(state, runtime)}
    return condense(state, runtime)["query"]


def retrieve(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Hybrid search for the current query; a comparison searches each side too, and the
    lists are interleaved so both sides reach the prompt's first passages (each side's own
    list is kept: its answer is drafted from it). Passages that name what the question names
    go first."""
    started = time.perf_counter()
    ranked = ranked_lists(runtime.context.retriever, state["query"], runtime.context.settings.retrieve_k)
    elapsed = time.perf_counter() - started
    return {"hits": interleave(ranked, runtime.context.settings.retrieve_k), "side_hits": ranked[1:], "retrieve_s": state.get("retrieve_s", 0.0) + elapsed}


def search(retriever: HybridRetriever, query: str, k: int) -> list[SearchHit]:
    """The agent's search for a standalone query (the retrieval benchmark measures this too)."""
    return interleave(ranked_lists(retriever, query, k), k)


def ranked_lists(retriever: HybridRetriever, query: str, k: int) -> list[list[SearchHit]]:
    """The query's hits, then each comparison side's (none for other questions)."""
    queries = [query, *policy.comparison_parts(query)]
    return [subject_first(q, retriever.search(q, k=k)) for q in queries]


def subject_first(query: str, hits: list[SearchHit]) -> list[SearchHit]:
    """The hits naming more of what the query names first (see `evidence.subject_first`)."""
    return [hits[i] for i in evidence.subject_first(query, [hit.chunk.embed_text for hit in hits])]


def interleave(ranked_lists: list[list[SearchHit]], k: int) -> list[SearchHit]:
    """Round-robin over the lists (sides of a comparison before the whole question), each chunk
    once, re-ranked 1..k; the best similarity stays the evidence."""
    order = ranked_lists[1:] + ranked_lists[:1] if len(ranked_lists) > 1 else ranked_lists
    seen, merged = set(), []
    for hit in (h for group in zip_longest(*order) for h in group if h is not None):
        if hit.chunk.chunk_id not in seen:
            seen.add(hit.chunk.chunk_id)
            merged.append(replace(hit, rank=len(merged) + 1))
    return merged[:k]


def grade(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Measure how well the hits cover the question, and name what a yes/no question claims
    that they never say."""
    generation = runtime.context.retriever.generation()
    hits = state["hits"]
    similarity = max((hit.similarity for hit in hits), default=0.0)
    top_text = " ".join(h.chunk.embed_text for h in hits[:PROMPT_SOURCES])
    # judge the student's own words, not the rewrite (which may have "corrected" a foreign term)
    question = standalone_question(state)
    found = evidence.assess_evidence(question, state["query"], similarity, top_text, generation.vocabulary, generation.acronyms)
    premise = evidence.claimed_premise(question, found, top_text)
    return {"evidence": found, "premise": list(premise), "without_setting": evidence.without_setting(state["question"], premise) if premise else ""}


def after_grade(state: TutorState) -> str:
    """Strong evidence -> answer; a yes/no question whose only gap is its own claim -> answer
    (only a "no" with the fact, or a decline); weak -> rewrite once; still weak -> decline
    honestly. A question read with its conversation only because that came closer is searched
    as asked instead when that reading is not strong (`alone`): its passages were found for
    the earlier question, and one that never mentions "Ecology" would have its "Data Carpentry
    Ecology workshop" taken for a claim to deny."""
    if state.get("earlier") and not policy.is_follow_up(state["question"]) and not evidence.is_strong(state["evidence"]):
        return "alone"
    if evidence.is_strong(state["evidence"]) or state.get("premise"):
        return "generate"
    return "rewrite" if state["rewrites"] < MAX_REWRITES else "decline"


def alone(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """A question read with its conversation because that search came closer, whose passages
    then fell short, is searched as asked: adding an earlier question brings almost any search
    closer to some passage, and "When did OPIT begin enrolling students?" after a question on
    the mentoring programme found only the programme's pages."""
    question = state["question"].strip()
    return {"standalone": question, "query": searched(question, runtime.context.retriever), "earlier": ""}


def rewrite(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """The first search found too little: spell out abbreviations (the corpus's own and common
    ones) and read every word the corpus lacks as a possible typo of one it has, English or not
    ("manger" -> "manager"), then search again."""
    generation = runtime.context.retriever.generation()
    expanded = evidence.expand_abbreviations(state["query"], generation.acronyms)
    return {"query": spelling.corrected(expanded, generation.vocabulary, trust_english=False), "rewrites": state["rewrites"] + 1}


def decline(state: TutorState) -> TutorState:
    return {"route": "refuse", "refusal_reason": "out_of_scope"}


def heading(hit: SearchHit) -> str:
    return f"{hit.chunk.title} › {hit.chunk.section}" if hit.chunk.section else hit.chunk.title


def sources_update(context: list[tuple[SearchHit, str]]) -> TutorState:
    """The passages as numbered in the prompt, and the chunks those numbers cite."""
    return {"sources": [text for _, text in context], "source_hits": [hit for hit, _ in context]}


def generate(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Draft a cited answer with the chat model; on a model failure, use the extractive one.
    A comparison is drafted one side at a time, each from its own passages: shown both
    sides at once, a small model mixes them up ("both programmes last 6 months") or answers
    one side only. Shown four passages, it can also miss the answer in the first ("how long
    do i have to re-register…" -> "I couldn't find this"): when the evidence is strong, a
    decline is asked again on the best passage alone (on dev: 2 such declines answered, none
    of 24 near misses and out-of-scope questions answered)."""
    started = time.perf_counter()
    context = select_context(state["hits"], [state["query"], state["question"]], runtime.context.settings.prompt_source_tokens)
    drafts = drafted_answers(state, context, runtime)
    if len(drafts) == 1 and is_a_decline(drafts[0][0], state) and evidence.is_strong(state["evidence"]) and not drafted_question(state)[1]:
        context = select_context(state["hits"][:1], [state["query"], state["question"]], runtime.context.settings.prompt_source_tokens)
        drafts = drafted_answers(state, context, runtime)
    answering = [draft for draft, _ in drafts if not is_a_decline(draft, state)] or [drafts[0][0]]
    update: TutorState = {**sources_update(context), "draft": shown_draft(" ".join(d.strip() for d in answering), runtime)}
    notice = next((notice for _, notice in drafts if notice), "")
    update |= {"llm_used": "extractive", "notice": notice} if notice else {"llm_used": runtime.context.llm_name}
    update["generate_s"] = state.get("generate_s", 0.0) + time.perf_counter() - started
    return update


def is_a_decline(draft: str, state: TutorState) -> bool:
    """Does verify take this draft for a decline? "No, the sources do not state that it is
    taught on campus. It is fully online." turns down only the claim: it answers."""
    question, premise = drafted_question(state)
    return grounding.declines(draft) and (bool(premise) or not grounding.declines_only_the_claim(draft, question))


def drafted_question(state: TutorState) -> tuple[str, tuple[str, ...]]:
    """What the draft answers and is checked against, and the claim it may only deny: the
    question and its unstated claim (`premise`), or a yes/no question without the place or
    time it claims (`without_setting`), which leaves none."""
    rest = state.get("without_setting", "")
    return (rest, ()) if rest else (state["question"], tuple(state.get("premise", ())))


def drafted_answers(state: TutorState, context: list[tuple[SearchHit, str]], runtime: Runtime[TutorContext]) -> list[tuple[str, str]]:
    """The drafts for the question's prompts (one, or one per side of a comparison), each
    with its notice ("" unless the extractive model stood in)."""
    system = tutor_system(state, runtime)
    return [drafted(system, message, runtime) for message in answer_messages(state, context)]


def answer_messages(state: TutorState, context: list[tuple[SearchHit, str]]) -> list[str]:
    """The prompts to draft from: one for the question, or one for each side of a comparison,
    which sees only the passages found for its side (numbered as in the whole answer) and its
    own part of the question: told of the other side, a side's draft made claims about it from
    its own passages ("The KU Leuven MSc emphasizes …, while tum data engineering focuses on …")."""
    titles, texts = [heading(hit) for hit, _ in context], [text for _, text in context]
    sides = side_sources(state, context)
    if sides:
        parts = policy.comparison_parts(state["question"])
        asked = parts if len(parts) == len(sides) else [state["question"]] * len(sides)
        return [
            answer_message(numbered_sources([titles[n - 1] for n in numbers], [texts[n - 1] for n in numbers], numbers), part, side=side)
            for (side, numbers), part in zip(sides, asked)
        ]
    question, premise = drafted_question(state)
    return [answer_message(numbered_sources(titles, texts), question, state.get("earlier", ""), premise, evidence.asks_yes_or_no(question))]


def drafted(system: str, message: str, runtime: Runtime[TutorContext]) -> tuple[str, str]:
    """The chat model's draft for one prompt, and no notice; or, when the model fails, the
    extractive model's draft and a notice saying so: a model server that went away must not
    cost the student an answer."""
    messages = [SystemMessage(system), HumanMessage(message)]
    try:
        return str(runtime.context.chat_model.invoke(messages).content), ""
    except Exception as exc:
        return str(runtime.context.fallback_model.invoke(messages).content), f"{prompt('fallback_notice')} ({type(exc).__name__})"


def tutor_system(state: TutorState, runtime: Runtime[TutorContext]) -> str:
    """The system prompt for this learner: the institute's persona and the learner's level."""
    return system_prompt(runtime.context.profile, level_instruction(state.get("level") or "intermediate"))


def model_reading(state: TutorState, runtime: Runtime[TutorContext]) -> grounding.ClaimCheck | None:
    """The model's reading of whether passages state a claim; none without a model (the
    extractive backend), or when the extractive model stood in for one that failed."""
    if runtime.context.llm_name == "extractive" or state.get("llm_used") == "extractive":
        return None
    return partial(claims.passages_state, runtime.context.chat_model, tutor_system(state, runtime))


def claim_check(state: TutorState, runtime: Runtime[TutorContext]) -> grounding.ClaimCheck | None:
    """The model's reading of the question's claim, for a "yes" or a bare "no"; none where a
    "yes" needs the claim's own words in the passages and a "no" stands: without a model, and
    for a question that refers back, whose claim alone ("Is it delivered online?") does not
    say what "it" is. A question read with its conversation only because that search came
    closer states its own claim ("Since instructors are paid staff, ..."): it is checked."""
    return None if policy.is_follow_up(state["question"]) else model_reading(state, runtime)


def states_unfounded_fact(state: TutorState, question: str, answer: str, sources: list[str], runtime: Runtime[TutorContext]) -> bool:
    """Does the answer's sentence with the fact `question` asks for (`evidence.asked_fact`) say
    what its `sources` do not, in the model's reading (`grounding.unfounded_fact`)? The
    sentence names what it is about, so a follow-up's is read too."""
    reading = model_reading(state, runtime)
    sentence = evidence.asked_fact(question, answer, runtime.context.retriever.generation().name_words)
    return bool(reading and sentence) and grounding.unfounded_fact(sentence, answer, sources, reading)


def post_check(answer: str, runtime: Runtime[TutorContext]) -> list[str]:
    """Why an answer must not reach the learner: it asks for credentials or money, or sends
    them to an address outside the allowed domains. A grounded answer can still do that when
    its source was planted, so this check does not trust the sources."""
    return [finding.reason for finding in check_answer(answer, runtime.context.allowed_domains)]


def shown_draft(draft: str, runtime: Runtime[TutorContext]) -> str:
    """The draft as the learner may see it: addresses outside the institute taken out."""
    return without_outside_addresses(draft, runtime.context.allowed_domains)


def verify(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Withhold a harmful draft; check the citations and support of the others and repair
    what can be repaired: a draft mostly backed by its sources goes out without the sentences
    that are not. A yes/no question with an unstated claim is answered by a draft that passes,
    or declined: quoting the passages instead would leave the claim standing; one whose claim
    is only a place or year it is set in was drafted without it, and says nothing mentions
    it (`answered`). A draft that says the sources don't state something is a decline, unless
    the passages hold all the question names and the draft turns down only its claim ("No,
    the sources do not state that it is a two-week course. It is a 6-month program."): with a
    name or figure the passages never give, "they don't mention Oxford; OPIT's fee is..."
    answers a near miss. So does a figure the passages give for something else: an answer
    whose fact asked for they do not state is declined (`states_unfounded_fact`), not quoted."""
    blocked = post_check(state["draft"], runtime)
    if blocked:
        return {"answer": "", "cited": [], "blocked": blocked}
    question, premise = drafted_question(state)
    if is_a_decline(state["draft"], state):
        return draft_declined()
    # the unstated claim may be named only to deny it, also when the draft answered without it
    denied, sources = tuple(state.get("premise", ())), titled_sources(state)
    verdict = grounding.verify_answer(state["draft"], sources, question, denied, claim_check(state, runtime))
    # weak evidence let through for its claim alone: only a "no" with the fact answers it
    for_the_claim = bool(premise) and not evidence.is_strong(state["evidence"])
    passes = verdict.ok and (not for_the_claim or grounding.corrects_the_claim(verdict.answer, question, premise))
    # a mostly backed draft goes out without its unsupported sentences
    if passes or not premise and verdict.mostly_supported:
        if states_unfounded_fact(state, question, verdict.answer, sources, runtime):
            return draft_declined()
        return {**answered(state, verdict.answer, verdict.cited), "blocked": []}
    if premise:
        return draft_declined()
    return {"answer": "", "cited": [], "blocked": []}


def draft_declined() -> TutorState:
    """A draft turned into a decline: the learner is told what the content does cover instead."""
    return {"route": "refuse", "refusal_reason": "out_of_scope", "answer": "", "blocked": []}


def answered(state: TutorState, answer: str, cited: tuple[int, ...]) -> TutorState:
    """An answer that went through, and a notice naming any side of a comparison it leaves
    out ("I found nothing about the Cambridge MPhil …"): one side's facts alone would read
    as the whole comparison. A "yes" that only gives the claim back is followed by the
    passage's statement that backs it. An answer drafted without the question's place or
    time says first that nothing found mentions it, and its "yes" goes: it was given to the rest."""
    answer = grounding.with_its_evidence(answer, drafted_question(state)[0], state["sources"], source_headings(state))
    if state.get("without_setting"):
        unstated = prompt("unstated_setting").format(claim=" or ".join(state["premise"]))
        answer = f"{unstated} {grounding.without_its_yes(answer, state['without_setting'])}"
    update: TutorState = {"answer": answer, "cited": list(cited)}
    missing = uncited_sides(state, cited)
    if missing:
        side_notice = prompt("side_not_found", state.get("language", "en")).format(side=missing[0])
        update["notice"] = " ".join(filter(None, [state.get("notice"), side_notice]))
    return update


def titled_sources(state: TutorState) -> list[str]:
    """Each numbered passage under its heading, as the model saw it: a name the heading gives
    ("MSc in Cybersecurity") backs an answer as well as the text does, a list number does not."""
    return [f"{grounding.heading_as_evidence(title)}\n{text}" for title, text in zip(source_headings(state), state["sources"])]


def source_headings(state: TutorState) -> list[str]:
    """The heading of each numbered passage, as the prompt shows it."""
    return [heading(hit) for hit in state["source_hits"]]


def localise(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """The verified English answer in the learner's language. Grounding was checked on the
    English, so the translation must keep every [n], figure and name and pass the post-check;
    otherwise the learner gets the verified English with a note in their language."""
    language = state.get("language", "en")
    if state["route"] != "answer" or not translation.translates(language, runtime.context.llm_name):
        return {}
    started = time.perf_counter()
    english = state["answer"]
    translated = translation.to_learner(runtime.context.translator, english, language)
    elapsed = state.get("translate_s", 0.0) + time.perf_counter() - started
    if grounding.faithful_translation(english, translated) and not post_check(translated, runtime):
        return {"answer": translated, "translate_s": elapsed}
    notice = " ".join(filter(None, [state.get("notice"), prompt("untranslated", language)]))
    return {"notice": notice, "translate_s": elapsed}


def after_verify(state: TutorState) -> str:
    """Accept the draft, or answer from the passages' own sentences. There is no second draft:
    at temperature 0 the same prompt writes the same or nearly the same draft (on 70 dev
    questions, 4 of 9 second drafts were identical and 1 passed), and a withheld draft's
    planted source would steer any draft."""
    return "done" if state["route"] == "refuse" or state.get("answer") else "fallback"


def fallback(state: TutorState, runtime: Runtime[TutorContext]) -> TutorState:
    """Compose the answer from the same numbered passages' sentences: grounded by construction.
    Quoted sentences that never state the kind of fact asked for (no amount for "What is the
    director's salary?", after the model's draft invented one, or no one named for "Who chairs
    the board?") are no answer: declined."""
    question = drafted_question(state)[0]
    message = answer_message(numbered_sources(source_headings(state), state["sources"]), question, state.get("earlier", ""))
    draft = shown_draft(str(runtime.context.fallback_model.invoke([HumanMessage(message)]).content), runtime)
    if post_check(draft, runtime):
        return {"route": "refuse", "refusal_reason": "withheld", "answer": "", "cited": []}
    verdict = grounding.verify_answer(draft, titled_sources(state), question)
    name_words = runtime.context.retriever.generation().name_words
    if grounding.declines(draft) or not verdict.cited or not evidence.states_what_is_asked(question, verdict.answer, name_words):
        return {"route": "refuse", "refusal_reason": "withheld" if state.get("blocked") else "out_of_scope", "answer": ""}
    return {**answered(state, verdict.answer, verdict.cited), "llm_used": "extractive"}
