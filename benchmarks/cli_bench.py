"""CLI start-up: wall time of `tutor search` and `tutor ask --llm extractive`, before and after.

"before": the command loads the heavy stack itself (torch, sentence-transformers, the index,
LangGraph), as every call of the old CLI did; "after": the same command while an app serves the
same index, which the CLI now asks instead. Light commands (`--help`, `learner list`) show that
they import none of it. Runs on a private copy of the corpus and index; no LLM involved.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import ROOT, print_table

sys.path.insert(0, str(ROOT / "scripts"))  # scripts/ is not a package
from load import Deployment  # noqa: E402

SEARCH = ["search", "What does a machine learning engineer do?", "-k", "3", "--json"]
ASK = ["ask", "What is a hackathon?", "--llm", "extractive", "--json"]
LIGHT = {"tutor --help": ["--help"], "tutor learner list": ["learner", "list", "--json"]}
REPEATS = 3
TARGET_S = 3.0
CLI = [sys.executable, "-c", "from tutor.cli import app; app()"]  # this checkout's CLI, as `tutor` runs it


def wall_time(deployment: Deployment, args: list[str]) -> float:
    """Best of REPEATS runs of `tutor ARGS` (the page cache warm, as for an advisor's second call)."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = subprocess.run([*CLI, *args], cwd=ROOT, env=deployment.env(), capture_output=True, text=True, timeout=300)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise RuntimeError(f"tutor {' '.join(args)} failed:\n{result.stderr[-2000:]}")
    return min(times)


def run() -> dict:
    import tempfile

    deployment = Deployment(Path(tempfile.mkdtemp(prefix="tutor-bench-cli-")))
    deployment.index()
    rows, report = [], {}
    for name, args in (("tutor search", SEARCH), ("tutor ask --llm extractive", ASK)):
        report[name] = {"before_s": round(wall_time(deployment, args), 2)}
    deployment.start_app()
    try:
        for name, args in (("tutor search", SEARCH), ("tutor ask --llm extractive", ASK)):
            report[name]["after_s"] = round(wall_time(deployment, args), 2)
    finally:
        deployment.stop_app()
    for name, args in LIGHT.items():
        report[name] = {"after_s": round(wall_time(deployment, args), 2)}
    for name, times in report.items():
        after = times["after_s"]
        rows.append([name, times.get("before_s", "-"), after, "yes" if after < TARGET_S else "NO"])
    print_table(f"CLI start-up (best of {REPEATS}, seconds; target < {TARGET_S:.0f} s)", ["command", "before", "after", "< target"], rows)
    return report
