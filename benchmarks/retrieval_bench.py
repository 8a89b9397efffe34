"""Retrieval quality on the golden set: our hybrid retriever vs the naive LangChain baseline."""

from __future__ import annotations

from benchmarks.baseline import baseline_search, build_baseline
from benchmarks.common import GOLDEN, ROOT, print_table, ratio, scratch_settings
from tutor.evaluation import evaluate_retrieval, load_golden
from tutor.index import build_index
from tutor.retrieval import open_retriever


def run() -> dict:
    questions = load_golden(GOLDEN)
    settings = scratch_settings("retrieval")
    build_index(settings)
    retriever = open_retriever(settings)

    def ours(query: str) -> list[tuple[str, str]]:
        return [(h.chunk.title, h.chunk.text) for h in retriever.search(query, k=10)]

    def ours_text_only(query: str) -> list[tuple[str, str]]:
        return [("", f"{h.chunk.title}\n{h.chunk.text}") for h in retriever.search(query, k=10)]

    store = build_baseline(ROOT / "corpus" / "pages", settings.index_dir.parent / "baseline")
    # raw pages have no article titles, so the fair comparison matches phrases only
    untitled = [q.__class__(**{**q.__dict__, "source": None}) for q in questions]
    result = {
        "ours": evaluate_retrieval(questions, ours),
        "ours_phrases_only": evaluate_retrieval(untitled, ours_text_only),
        "baseline_phrases_only": evaluate_retrieval(untitled, lambda q: baseline_search(store, q)),
        "questions": sum(1 for q in questions if not q.refuse),
    }
    rows = [
        [name, m["hit@1"], m["hit@5"], m["mrr@10"]]
        for name, m in (("ours (title+phrases)", result["ours"]), ("ours (phrases)", result["ours_phrases_only"]),
                        ("naive LangChain (phrases)", result["baseline_phrases_only"]))
    ]
    b, o = result["baseline_phrases_only"], result["ours_phrases_only"]
    rows.append(["ratio ours/baseline", ratio(o["hit@1"], b["hit@1"]), ratio(o["hit@5"], b["hit@5"]), ratio(o["mrr@10"], b["mrr@10"])])
    print_table(f"retrieval on {result['questions']} answerable golden questions (targets: hit@5 >= 0.95, MRR@10 >= 0.85)",
                ["retriever", "hit@1", "hit@5", "MRR@10"], rows)
    return result
