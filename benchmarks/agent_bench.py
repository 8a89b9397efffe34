"""The agent vs a naive LangChain RAG on the same local LLM, on both corpora's test parts, by
question kind; plus llama.cpp's own prompt-reading and generation rates measured in the run.
"prompt_holds" is the share of answerable questions whose golden phrases were in the passages
the model was shown: about the most "answers_right" could reach with a perfect reader."""

from __future__ import annotations

import statistics

from benchmarks import llama_perf
from benchmarks.baseline import build_baseline, naive_answer
from benchmarks.common import print_table, ratio
from benchmarks.corpora import NAMES, open_corpus
from tutor.agent.grounding import declines
from tutor.evaluation import (
    after_another,
    answered_right,
    by_kind,
    evenly_by_kind,
    holds_phrases,
    run_eval,
)
from tutor.index import build_index
from tutor.service import TutorService
from tutor.text import CITATION

MEASURES = ("answers_right", "prompt_holds", "declines_right", "false_refusals", "citations_valid", "first_token_p50_s", "latency_p50_s")


def naive_run(store, model, questions, perf: llama_perf.Meter | None) -> list[dict]:
    """Score the naive chain with the same rules as the agent (as rows `by_kind` reads)."""
    rows = []
    for item in questions:
        out = naive_answer(store, model, item.search_query)  # the chain has no memory: give it the condensed question
        refused = declines(out["answer"])
        markers = {int(n) for n in CITATION.findall(out["answer"])}
        rows.append({
            "id": item.id,
            "route": "refuse" if refused else "answer",
            "answer": out["answer"],
            "right": refused if item.refuse else (not refused and answered_right(item, out["answer"])),
            "prompt_holds": None if item.refuse else holds_phrases(item, "\n".join(d.page_content for d in out["docs"])),
            "citations_valid": bool(markers) and markers <= set(range(1, len(out["docs"]) + 1)),
            "hit_rank": None,
            "timings": out["timings"],
        })
        if perf:
            perf.answer_done()
    return rows


def stage_costs(results: list[dict]) -> dict:
    """Mean seconds per stage over answered questions, to say where the time goes."""
    answered = [r["timings"] for r in results if r["route"] == "answer"] or [{"retrieve_s": 0, "generate_s": 0, "total_s": 0}]
    return {key: round(statistics.mean(t.get(key, 0) for t in answered), 3) for key in ("retrieve_s", "generate_s", "total_s")}


def fmt(value) -> str:
    return "-" if value is None else str(value)


def run_corpus(
    name: str, limit: int | None, llm: str, split: str = "test", kinds: list[str] | None = None, in_conversation: bool = False
) -> dict:
    corpus = open_corpus(name, "agent", llm=llm)
    questions = evenly_by_kind([q for q in corpus.questions(split) if not kinds or q.kind in kinds], limit)
    if in_conversation:
        questions = after_another(questions)
    # topics and suggestions by the extractive agent: what this suite measures is the answers,
    # and model-written suggestions would add many minutes of LLM time to every run
    build_index(corpus.settings.model_copy(update={"llm": "extractive"}))
    service = TutorService(corpus.settings, llm=llm)
    service.warm_up()  # model loading is a start-up cost, not a first-token time
    perf = llama_perf.Meter() if llm == "local" else None
    if perf:
        perf.start()
    ours = run_eval(service, questions, progress=(lambda done, total: perf.answer_done()) if perf else None)
    ours_tokens = perf.per_answer() if perf else None
    naive_rows, naive_tokens = None, None
    if llm == "local":
        store = build_baseline(corpus.raw_files, corpus.settings.index_dir.parent / "baseline")
        perf.start()
        naive_rows = naive_run(store, service.context.chat_model, questions, perf)
        naive_tokens = perf.per_answer()
    ours_kinds = by_kind(questions, ours["results"])
    naive_kinds = by_kind(questions, naive_rows) if naive_rows else {}
    header, rows = ["kind", "n"], []
    for m in MEASURES:
        header += [f"{m} ours", "naive", "ratio"] if naive_kinds else [m]
    for kind, o in ours_kinds.items():
        b = naive_kinds.get(kind, {})
        row = [kind, o["n"]]
        for m in MEASURES:
            row += [fmt(o[m]), fmt(b.get(m)), ratio(o[m], b[m]) if b.get(m) is not None and o[m] is not None else "-"] if naive_kinds else [fmt(o[m])]
        rows.append(row)
    versus = "vs naive LangChain RAG (same model)" if naive_kinds else "(no naive RAG: it needs an LLM)"
    asked = " each asked after another question of the set" if in_conversation else ""
    print_table(f"agent ({llm}) {versus}, {name} corpus, {len(questions)} {split} questions{asked} by kind "
                "(targets: answers >= 0.85, follow-ups >= 0.90, declines >= 0.95, citations 1.0, false refusals <= 3%; "
                "first token p50 <= 4 s, total p50 <= 8 s on the machine that measured 3.7 s / 5.4 s)", header, rows)
    print(f"  retrieval hit@5 inside the agent: {ours['summary']['hit@5']}; mean stage cost: {stage_costs(ours['results'])}")
    if perf:
        for who, t in (("ours", ours_tokens), ("naive", naive_tokens)):
            print(f"  {who}: p50 uncached prompt tokens per answer {t['prompt_tokens_p50']}, "
                  f"p50 generated tokens per answer {t['generated_tokens_p50']} (llama.cpp counters)")
    return {"questions": [q.id for q in questions], "ours": ours_kinds, "naive": naive_kinds, "summary": ours["summary"],
            "ours_tokens": ours_tokens, "naive_tokens": naive_tokens, "results": ours["results"],
            "naive_results": naive_rows}  # kept so that a run can be read, or scored again, answer by answer


def run(limit: int | None, llm: str = "local", split: str = "test", kinds: list[str] | None = None, in_conversation: bool = False) -> dict:
    report = {name: run_corpus(name, limit, llm, split, kinds, in_conversation) for name in NAMES}
    if llm == "local":
        report["llama_rates"] = llama_perf.report_rates()
    return report
