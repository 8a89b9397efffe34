"""The agent vs a naive LangChain RAG, both on the same local LLM, over the golden set."""

from __future__ import annotations

import statistics

from benchmarks.baseline import build_baseline, naive_answer
from benchmarks.common import GOLDEN, ROOT, print_table, ratio, scratch_settings
from tutor.agent.policy import CITATION, declines
from tutor.evaluation import holds_phrases, load_golden, percentile, run_eval
from tutor.index import build_index
from tutor.service import TutorService


def naive_run(store, model, questions) -> dict:
    """Score the naive chain with the same rules as the agent."""
    rows = []
    for item in questions:
        out = naive_answer(store, model, item.q)
        refused = declines(out["answer"])
        markers = {int(n) for n in CITATION.findall(out["answer"])}
        rows.append(
            {
                "refuse": item.refuse,
                "right": refused if item.refuse else (not refused and holds_phrases(item, out["answer"])),
                "answered": not refused,
                "citations_valid": bool(markers) and markers <= set(range(1, len(out["docs"]) + 1)),
                **out["timings"],
            }
        )
    answerable = [r for r in rows if not r["refuse"]]
    refusals = [r for r in rows if r["refuse"]]
    answered = [r for r in rows if r["answered"]]
    return {
        "answer_accuracy": round(sum(r["right"] for r in answerable) / max(1, len(answerable)), 4),
        "refusal_accuracy": round(sum(r["right"] for r in refusals) / max(1, len(refusals)), 4),
        "citations_valid": round(sum(r["citations_valid"] for r in answered) / max(1, len(answered)), 4),
        "first_token_p50_s": percentile([r["first_token_s"] for r in rows], 50),
        "first_token_p95_s": percentile([r["first_token_s"] for r in rows], 95),
        "latency_p50_s": percentile([r["total_s"] for r in rows], 50),
        "latency_p95_s": percentile([r["total_s"] for r in rows], 95),
    }


def stage_costs(results: list[dict]) -> dict:
    """Mean seconds per stage over answered questions, to say where the time goes."""
    answered = [r["timings"] for r in results if r["route"] == "answer"] or [{"retrieve_s": 0, "generate_s": 0, "total_s": 0}]
    return {key: round(statistics.mean(t[key] for t in answered), 3) for key in ("retrieve_s", "generate_s", "total_s")}


def evenly(items: list, limit: int | None) -> list:
    """`limit` items spread over the whole list (every document and question type), or all."""
    if not limit or limit >= len(items):
        return items
    return [items[i * len(items) // limit] for i in range(limit)]


def run(limit: int | None) -> dict:
    questions = evenly(load_golden(GOLDEN), limit)
    settings = scratch_settings("agent", llm="local")
    build_index(settings)
    service = TutorService(settings, llm="local")
    service.warm_up()  # model loading is a start-up cost, not a first-token time
    ours = run_eval(service, questions)
    store = build_baseline(ROOT / "corpus" / "pages", settings.index_dir.parent / "baseline")
    naive = naive_run(store, service.context.chat_model, questions)
    o = ours["summary"]
    rows = [
        [key, o[key], naive[key], ratio(o[key], naive[key])]
        for key in ("answer_accuracy", "refusal_accuracy", "citations_valid", "first_token_p50_s", "first_token_p95_s",
                    "latency_p50_s", "latency_p95_s")
    ]
    print_table(
        f"agent vs naive RAG, local LLM, {len(questions)} golden questions "
        "(targets: accuracy >= 0.90, refusals >= 0.95, citations 100%, TTFT p50 <= 3 s, total p50 <= 10 s)",
        ["measure", "ours", "naive RAG", "ratio"],
        rows,
    )
    costs = stage_costs(ours["results"])
    print(f"  mean stage cost of answered questions: {costs}")
    print(f"  false refusals: {o['false_refusals']}, retrieval hit@5 inside the agent: {o['hit@5']}")
    return {"ours": o, "naive": naive, "stage_costs": costs, "results": ours["results"]}
