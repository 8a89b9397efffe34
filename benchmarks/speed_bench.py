"""Index build, no-op re-index and search latency, on the real corpus and on a synthetic one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.baseline import build_baseline
from benchmarks.common import GOLDEN, ROOT, print_table, ratio, scratch_settings
from tutor.evaluation import load_golden, percentile
from tutor.index import build_index
from tutor.retrieval import open_retriever


def timed(fn, *args, **kwargs) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def latencies(search, queries: list[str], repeats: int = 3) -> list[float]:
    """Per-query wall time in milliseconds (after one warm-up query)."""
    search(queries[0])
    values = []
    for _ in range(repeats):
        for query in queries:
            seconds, _ = timed(search, query)
            values.append(seconds * 1000)
    return values


def run(synthetic_chunks: int) -> dict:
    queries = [q.q for q in load_golden(GOLDEN)]
    settings = scratch_settings("speed")
    build_s, summary = timed(build_index, settings)
    noop_s, _ = timed(build_index, settings)
    env = {**os.environ, "TUTOR_CORPUS_DIR": str(settings.corpus_dir), "TUTOR_INDEX_DIR": str(settings.index_dir)}
    cli_noop_s, _ = timed(subprocess.run, [str(Path(sys.executable).parent / "tutor"), "index"], env=env, capture_output=True, check=True)
    baseline_build_s, store = timed(build_baseline, ROOT / "corpus" / "pages", settings.index_dir.parent / "baseline")

    retriever = open_retriever(settings)
    ours_ms = latencies(lambda q: retriever.search(q, k=5), queries)
    base_ms = latencies(lambda q: store.similarity_search(q, k=5), queries)
    synthetic = json.loads(
        subprocess.run(
            [sys.executable, "-m", "benchmarks.synthetic", str(synthetic_chunks)], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout.strip().splitlines()[-1]
    )
    result = {
        "real": {
            "chunks": summary.chunks,
            "full_build_s": round(build_s, 2),
            "baseline_build_s": round(baseline_build_s, 2),
            "noop_reindex_s": round(noop_s, 3),
            "noop_reindex_cli_s": round(cli_noop_s, 2),
            "search_p50_ms": percentile(ours_ms, 50),
            "search_p95_ms": percentile(ours_ms, 95),
            "baseline_search_p50_ms": percentile(base_ms, 50),
            "baseline_search_p95_ms": percentile(base_ms, 95),
        },
        "synthetic": synthetic,
    }
    r, s = result["real"], synthetic
    print_table(
        "index and search speed (targets: no-op re-index < 3 s, p50 < 50 ms at 100k chunks)",
        ["measure", "ours", "baseline", "ratio"],
        [
            [f"full build, {r['chunks']} chunks (s)", r["full_build_s"], r["baseline_build_s"], ratio(r["full_build_s"], r["baseline_build_s"])],
            ["no-op re-index, library (s)", r["noop_reindex_s"], "-", "-"],
            ["no-op re-index, `tutor index` CLI (s)", r["noop_reindex_cli_s"], "-", "-"],
            ["search p50, real corpus (ms)", r["search_p50_ms"], r["baseline_search_p50_ms"], ratio(r["search_p50_ms"], r["baseline_search_p50_ms"])],
            ["search p95, real corpus (ms)", r["search_p95_ms"], r["baseline_search_p95_ms"], ratio(r["search_p95_ms"], r["baseline_search_p95_ms"])],
            [f"search p50, {s['chunks']:,} synthetic chunks (ms)", s["hybrid_p50_ms"], s["dense_only_p50_ms"], ratio(s["hybrid_p50_ms"], s["dense_only_p50_ms"])],
            [f"search p95, {s['chunks']:,} synthetic chunks (ms)", s["hybrid_p95_ms"], s["dense_only_p95_ms"], ratio(s["hybrid_p95_ms"], s["dense_only_p95_ms"])],
            ["synthetic index write (s)", s["write_s"], "-", "-"],
            ["peak memory, synthetic run (MiB)", s["peak_rss_mib"], "-", "-"],
        ],
    )
    print("  (baseline on the real corpus: naive LangChain Chroma similarity_search; on the synthetic corpus: "
          "dense-only Chroma query on the same collection)")
    return result
