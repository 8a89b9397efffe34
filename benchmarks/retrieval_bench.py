"""Retrieval on both corpora's test parts, by question kind: the agent's search (hybrid retriever,
a comparison searched side by side) vs the naive LangChain baseline (hit@5), with the dev
part's overall line beside it to show any gap. Ours searches what the agent searches
(`nodes.search_query`): a question in another language in its English translation (with
`--llm local`; the extractive agent translates nothing), a follow-up with its conversation
when that reads closer, typos spelt as the content. The naive RAG searches the question as
asked, with the conversation before a follow-up."""

from __future__ import annotations

from langgraph.runtime import Runtime

from benchmarks.baseline import baseline_search, build_baseline
from benchmarks.common import print_table, ratio
from benchmarks.corpora import NAMES, open_corpus
from tutor.agent.nodes import search, search_query
from tutor.evaluation import KINDS, GoldenQuestion, first_hit_rank, retrieval_metrics
from tutor.index import build_index
from tutor.service import TutorService


def ranks(questions: list[GoldenQuestion], searcher, queries: dict[str, str] | None = None) -> dict[str, int | None]:
    """Each question's first-hit rank for its query: the agent's (`queries`) or the naive one."""
    return {q.id: first_hit_rank(q, searcher(queries[q.id] if queries else q.search_query)[:10]) for q in questions}


def agent_queries(service: TutorService, questions: list[GoldenQuestion]) -> dict[str, str]:
    """What the agent searches for each question (one model call per translated question)."""
    runtime = Runtime(context=service.context)
    return {q.id: search_query(q.q, list(q.history), runtime) for q in questions}


def run_corpus(name: str, llm: str) -> dict:
    corpus = open_corpus(name, "retrieval", llm=llm)
    build_index(corpus.settings.model_copy(update={"llm": "extractive"}))  # topics: not measured here
    service = TutorService(corpus.settings, llm=llm)  # translates as the agent does
    retriever = service.retriever
    store = build_baseline(corpus.raw_files, corpus.settings.index_dir.parent / "baseline")

    def ours(query: str) -> list[tuple[str, str]]:
        return [(h.chunk.title, h.chunk.text) for h in search(retriever, query, 10)]

    def ours_text_only(query: str) -> list[tuple[str, str]]:
        return [("", f"{h.chunk.title}\n{h.chunk.text}") for h in search(retriever, query, 10)]

    # the baseline's chunks have no article titles, so the fair comparison matches phrases only
    def untitled(qs: list[GoldenQuestion]) -> list[GoldenQuestion]:
        return [q.__class__(**{**q.__dict__, "source": None}) for q in qs]

    result: dict = {}
    for split in ("test", "dev"):
        answerable = [q for q in corpus.questions(split) if not q.refuse]
        queries = agent_queries(service, answerable)
        found = {
            "ours": ranks(answerable, ours, queries),
            "ours_phrases": ranks(untitled(answerable), ours_text_only, queries),
            "naive_phrases": ranks(untitled(answerable), lambda q: baseline_search(store, q)),
        }
        groups = {"all": answerable} if split == "dev" else {
            **{k: [q for q in answerable if q.kind == k] for k in KINDS if any(q.kind == k for q in answerable)}, "all": answerable}
        result[split] = {
            kind: {"n": len(qs), **{who: retrieval_metrics([r[q.id] for q in qs]) for who, r in found.items()}}
            for kind, qs in groups.items()
        }
    rows = [[kind if split == "test" else "all (dev part)", m["n"], m["ours"]["hit@5"], m["ours_phrases"]["hit@5"],
             m["naive_phrases"]["hit@5"], ratio(m["ours_phrases"]["hit@5"], m["naive_phrases"]["hit@5"]),
             m["ours"]["mrr@10"], m["naive_phrases"]["mrr@10"]]
            for split in ("test", "dev") for kind, m in result[split].items()]
    print_table(f"retrieval ({llm} agent's queries), {name} corpus, answerable test questions by kind (target: hit@5 >= 0.95)",
                ["kind", "n", "ours hit@5 (title+phrases)", "ours hit@5 (phrases)", "naive hit@5 (phrases)",
                 "ratio", "ours MRR@10", "naive MRR@10"], rows)
    return result


def run(llm: str = "local") -> dict:
    return {name: run_corpus(name, llm) for name in NAMES}
