"""The evidence decision (`agent.evidence.is_strong`) on both corpora's test parts, by kind:
how often the agent's grade, after its one rewrite, judges the passages strong enough to
write an answer. Answerable kinds should be strong, near misses and out-of-scope questions
weak (a near miss the grade lets through must then be declined by the reader). The
similarity range per kind shows whether the floors fitted on one corpus hold on the other."""

from __future__ import annotations

from benchmarks.common import print_table
from benchmarks.corpora import NAMES, open_corpus
from tutor.agent.evidence import is_strong
from tutor.agent.graph import build_graph
from tutor.index import build_index
from tutor.service import TutorService

SKIPPED = ("harmful", "injection", "language")  # routed before any evidence, or searched in English only with an LLM


def graded(service: TutorService, question, history) -> dict | None:
    """The agent's final state for a question (extractive writer), None when it never reached grade."""
    state = build_graph().invoke({"question": question, "previous_questions": list(history)}, context=service.context)
    return state if "evidence" in state else None


def run_corpus(name: str) -> dict:
    corpus = open_corpus(name, "evidence", llm="extractive")
    build_index(corpus.settings)
    service = TutorService(corpus.settings, llm="extractive")
    table: dict[str, dict] = {}
    for q in corpus.questions("test"):
        if q.kind in SKIPPED or (state := graded(service, q.q, q.history)) is None:
            continue
        row = table.setdefault(q.kind, {"n": 0, "right": 0, "similarities": [], "refuse": q.refuse})
        row["n"] += 1
        row["right"] += is_strong(state["evidence"]) != q.refuse
        row["similarities"].append(state["evidence"].similarity)
    rows = [[kind, r["n"], "weak" if r["refuse"] else "strong", round(r["right"] / r["n"], 3),
             round(min(r["similarities"]), 2), round(max(r["similarities"]), 2)] for kind, r in table.items()]
    print_table(f"evidence decision, {name} corpus, test part (the grade alone; the reader may still decline)",
                ["kind", "n", "should be", "judged so", "similarity min", "max"], rows)
    return {kind: {k: v for k, v in r.items() if k != "similarities"} for kind, r in table.items()}


def run() -> dict:
    return {name: run_corpus(name) for name in NAMES}
