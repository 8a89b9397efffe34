"""`make bench`: python -m benchmarks [retrieval] [evidence] [detection] [speed] [cli] [agent] [quiz] [--agent-questions N] [--agent-kinds K ...] [--agent-in-conversation] [--llm local|extractive] [--split test|dev] [--quiz-llm-chunks N]."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks import (
    agent_bench,
    cli_bench,
    detection_bench,
    evidence_bench,
    quiz_bench,
    retrieval_bench,
    speed_bench,
)
from tutor.evaluation import KINDS

RESULTS = Path(__file__).parent / "results"
SUITES = ("retrieval", "evidence", "detection", "speed", "cli", "agent", "quiz")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("suites", nargs="*", help="retrieval, evidence, detection, speed, cli, agent, quiz (default: all)")
    parser.add_argument("--agent-questions", type=int, default=None,
                        help="Per corpus, run the agent suite on N test questions shared evenly between kinds (default: all).")
    parser.add_argument("--agent-kinds", nargs="+", choices=KINDS, default=None, metavar="KIND",
                        help=f"Run the agent suite on these question kinds only ({', '.join(KINDS)}; default: all).")
    parser.add_argument("--agent-in-conversation", action="store_true",
                        help="Ask each agent question that has no conversation of its own after another question of the set, "
                             "as a student who changes the subject; compare with a run without it.")
    parser.add_argument("--llm", choices=("local", "extractive"), default="local",
                        help="The agent's backend, which also translates the retrieval suite's questions in other languages; "
                             "`extractive` is cheap, translates nothing and skips the naive RAG (it needs an LLM).")
    parser.add_argument("--split", choices=("test", "dev"), default="test",
                        help="The agent and detection suites' question part: report on `test`; tune only on `dev`.")
    parser.add_argument("--synthetic-chunks", type=int, default=100_000)
    parser.add_argument("--quiz-llm-chunks", type=int, default=3, help="Chunks the local LLM writes questions for (0: cloze only).")
    args = parser.parse_args()
    args.suites = args.suites or list(SUITES)
    if unknown := set(args.suites) - set(SUITES):
        parser.error(f"unknown suite(s) {sorted(unknown)}; choose from {', '.join(SUITES)}")
    RESULTS.mkdir(exist_ok=True)
    report: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args)}
    if "retrieval" in args.suites:
        report["retrieval"] = retrieval_bench.run(args.llm)
    if "evidence" in args.suites:
        report["evidence"] = evidence_bench.run()
    if "detection" in args.suites:
        report["detection"] = detection_bench.run(args.split)
    if "speed" in args.suites:
        report["speed"] = speed_bench.run(args.synthetic_chunks)
    if "cli" in args.suites:
        report["cli"] = cli_bench.run()
    if "agent" in args.suites:
        report["agent"] = agent_bench.run(args.agent_questions, args.llm, args.split, args.agent_kinds, args.agent_in_conversation)
    if "quiz" in args.suites:
        report["quiz"] = quiz_bench.run(args.quiz_llm_chunks)
    path = RESULTS / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    print(f"\nfull report: {path}")


if __name__ == "__main__":
    main()
