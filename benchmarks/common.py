"""Shared set-up of the benchmarks: a fresh index of the committed corpus in a temp folder."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tutor.config import Settings

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden" / "questions.jsonl"


def scratch_settings(name: str, **overrides) -> Settings:
    """Settings over a copy of corpus/ in a new temporary folder."""
    tmp = Path(tempfile.mkdtemp(prefix=f"tutor-bench-{name}-"))
    shutil.copytree(ROOT / "corpus", tmp / "corpus")
    return Settings(corpus_dir=tmp / "corpus", index_dir=tmp / "index", data_dir=tmp / "data", **overrides)


def print_table(title: str, header: list[str], rows: list[list]) -> None:
    """A plain aligned table on stdout."""
    cells = [header, *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n== {title}")
    for n, row in enumerate(cells):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}x" if baseline else "n/a"
