"""The question bank and the quiz loop: bank size, share of items kept after verification,
generation time per item (no-LLM cloze against the local LLM on a small sample), and the
quiz round trip (pick + grade + record) p50/p95, which must stay under 200 ms with no LLM."""

from __future__ import annotations

import time

from benchmarks.common import print_table, scratch_settings
from tutor.chunking import chunk_documents
from tutor.corpus import load_documents
from tutor.evaluation import percentile
from tutor.learners import LearnerStore
from tutor.learning.bank import ClozeGenerator, LLMGenerator, build_bank
from tutor.learning.service import QuizService

ROUNDS = 100


def bank_rows(chunks, topic_of, llm_chunks: int) -> tuple[list[list], object]:
    """One row per generator: items, kept share, seconds per item."""
    cloze = build_bank(chunks, topic_of, generators=[ClozeGenerator()])
    rows = [row("cloze (no LLM)", cloze, "cloze", len(chunks))]
    if llm_chunks:
        from tutor.llm import ModelUnavailable, make_chat_model

        try:
            model = make_chat_model(scratch_settings("quiz-llm", llm="local"), streaming=False)
        except ModelUnavailable as exc:
            print(f"local LLM unavailable, LLM sample skipped: {exc}")
        else:
            sample = chunks[:: max(1, len(chunks) // llm_chunks)][:llm_chunks]
            llm = build_bank(sample, topic_of, generators=[LLMGenerator(model)])
            rows.append(row("local LLM", llm, "llm", len(sample)))
    return rows, cloze


def row(name: str, report, generator: str, chunks: int) -> list:
    """Seconds per item include loading the model, as a build pays it; rejections by reason."""
    made = sum(1 for item in report.items if item.generator == generator)
    seconds = report.seconds.get(generator, 0.0)
    per_item = f"{seconds / made * 1000:.1f}" if made else f"n/a ({seconds:.0f} s, none kept)"
    rejected = ", ".join(f"{reason}: {n}" for reason, n in report.rejected.items()) or "-"
    return [name, chunks, report.generated, made, f"{report.kept_share:.0%}", per_item, len(report.per_topic()), rejected]


def round_trips(items) -> list[float]:
    """Milliseconds per next_item + answer against a fresh SQLite store."""
    settings = scratch_settings("quiz-loop")
    service = QuizService(LearnerStore(settings), items)
    values, now = [], time.time()
    for n in range(ROUNDS):
        started = time.perf_counter()
        item = service.next_item("bench-learner", now=now + n)
        service.answer("bench-learner", item.id, item.answer if n % 3 else "not it", now=now + n)
        values.append((time.perf_counter() - started) * 1000)
    return values


def run(llm_chunks: int = 3) -> dict:
    settings = scratch_settings("quiz")
    documents, _ = load_documents(settings.corpus_dir)
    chunks = chunk_documents(documents, settings.chunk_tokens, settings.chunk_overlap_tokens)
    topic_of = {chunk.chunk_id: chunk.doc_id for chunk in chunks}  # one topic per document
    rows, cloze = bank_rows(chunks, topic_of, llm_chunks)
    print_table(
        "question bank",
        ["generator", "chunks", "generated", "kept", "kept after verification", "ms per kept item", "topics", "rejected"],
        rows,
    )
    per_topic = cloze.per_topic()
    latencies = round_trips(cloze.items)
    p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
    print_table(
        "quiz loop (no LLM)",
        ["bank size", "min items per topic", "rounds", "round trip p50 ms", "p95 ms", "budget"],
        [[len(cloze.items), min(per_topic.values()), ROUNDS, f"{p50:.1f}", f"{p95:.1f}", "200 ms: " + ("ok" if p95 < 200 else "OVER")]],
    )
    return {
        "bank": cloze.summary(),
        "generators": [dict(zip(["generator", "chunks", "generated", "kept", "kept_share", "ms_per_item", "topics", "rejected"], r)) for r in rows],
        "round_trip_ms": {"p50": round(p50, 2), "p95": round(p95, 2), "rounds": ROUNDS},
    }
