"""The two corpora the benchmarks run on, each in a scratch folder with a fresh index:

- `institute`: a copy of corpus/ (questions.jsonl + safety.jsonl; naive baseline over corpus/pages);
- `carpentries`: The Carpentries' 59 pages (CC BY, /work/shared/corpora/carpentries), imported
  by the product's own path (`tutor.corpus.import_files`); naive baseline over the same files.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.common import ROOT, scratch_settings
from tutor.config import Settings
from tutor.corpus import import_files
from tutor.evaluation import GoldenQuestion, load_golden, select

GOLDEN = ROOT / "tests" / "golden"
CARPENTRIES_DOCS = next(
    (p for p in (ROOT.parent / "shared" / "corpora" / "carpentries" / "docs",
                 ROOT.parent.parent / "shared" / "corpora" / "carpentries" / "docs") if p.exists()),
    ROOT.parent / "shared" / "corpora" / "carpentries" / "docs",
)
NAMES = ("institute", "carpentries")


@dataclass
class BenchCorpus:
    name: str
    settings: Settings
    golden: list[Path]
    raw_files: list[Path]  # what the naive LangChain baseline indexes

    def questions(self, split: str | None = "test") -> list[GoldenQuestion]:
        return [q for path in self.golden for q in select(load_golden(path), split)]


def institute(purpose: str, **overrides) -> BenchCorpus:
    return BenchCorpus(
        "institute",
        scratch_settings(f"{purpose}-institute", **overrides),
        [GOLDEN / "questions.jsonl", GOLDEN / "safety.jsonl"],
        sorted((ROOT / "corpus" / "pages").glob("*.txt")),
    )


def carpentries(purpose: str, **overrides) -> BenchCorpus:
    if not CARPENTRIES_DOCS.exists():
        raise FileNotFoundError(f"the Carpentries corpus is missing: {CARPENTRIES_DOCS}")
    tmp = Path(tempfile.mkdtemp(prefix=f"tutor-bench-{purpose}-carpentries-"))
    corpus_dir = tmp / "corpus"
    corpus_dir.mkdir(parents=True)
    shutil.copyfile(GOLDEN / "carpentries-institute.yaml", corpus_dir / "institute.yaml")
    docs = sorted(CARPENTRIES_DOCS.glob("*.md"))
    report = import_files(docs, corpus_dir)  # the product's own importer, ids derived from the files
    if report.problems:
        raise RuntimeError("import of the Carpentries corpus failed: " + "; ".join(map(str, report.problems)))
    settings = Settings(corpus_dir=corpus_dir, index_dir=tmp / "index", data_dir=tmp / "data", **overrides)
    return BenchCorpus("carpentries", settings, [GOLDEN / "carpentries.jsonl"], docs)


def open_corpus(name: str, purpose: str, **overrides) -> BenchCorpus:
    return {"institute": institute, "carpentries": carpentries}[name](purpose, **overrides)
