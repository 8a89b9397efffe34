"""Write `kind` defaults and the deterministic dev/test `split` into golden files.

    python -m benchmarks.golden_split tests/golden/carpentries.jsonl tests/golden/safety.jsonl

Questions that already carry a `split` keep it (e.g. questions written for the test part only);
the others are split by `tutor.evaluation.assign_splits` (stratified by kind, follow-up pairs
kept together, hash-ordered). Fields keep their order; one JSON object a line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tutor.evaluation import assign_splits, load_golden


def write_splits(path: Path) -> None:
    raws = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    unsplit = [q for q, raw in zip(load_golden(path), raws) if "split" not in raw]
    splits = assign_splits(unsplit)
    for raw in raws:
        raw.setdefault("kind", "plain")
        raw.setdefault("split", splits.get(raw["id"], "test"))
    path.write_text("".join(json.dumps(raw, ensure_ascii=False) + "\n" for raw in raws), encoding="utf-8")


if __name__ == "__main__":
    for name in sys.argv[1:]:
        write_splits(Path(name))
