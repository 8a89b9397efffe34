"""Which language a learner writes in (`tutor.language.detect`), against lingua alone over the
same five languages (what a pipeline using the library directly would do), in the same run.

Questions: tests/golden/languages.jsonl's test part (students' questions labelled with the
language of their grammar, most borrowing English terms: "como cancelo mi membership"), and
every golden question of each corpus (language kind: not English; every other kind: English).
Each is read against the corpus's own vocabulary, as the tutor does; the vocabulary comes from
the corpus's chunks, so nothing is embedded. A wrong "en" leaves the learner an English answer;
a wrong other language costs an English question a needless translation call.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection

from benchmarks.common import print_table, ratio
from benchmarks.corpora import GOLDEN, NAMES, BenchCorpus, open_corpus
from tutor.chunking import chunk_documents
from tutor.index import indexed_documents
from tutor.language import detect, detector
from tutor.retrieval import vocabulary

Detector = Callable[[str, Collection[str]], str]


def lingua_alone(question: str, content_words: Collection[str] = frozenset()) -> str:
    """The baseline: lingua's most likely language of the whole question."""
    best = detector().detect_language_of(question)
    return best.iso_code_639_1.name.lower() if best else "en"


def labelled(corpus: BenchCorpus, split: str) -> list[tuple[str, str]]:
    """(question, language) pairs: the language probes, then the corpus's golden questions
    ("xx" stands for any language but English)."""
    probes = [json.loads(line) for line in (GOLDEN / "languages.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    pairs = [(p["q"], p["lang"]) for p in probes if p["split"] == split]
    return pairs + [(q.q, "xx" if q.kind == "language" else "en") for q in corpus.questions(split)]


def right(found: str, language: str) -> bool:
    """Whether the detected code is the labelled one ("xx": any but English)."""
    return found != "en" if language == "xx" else found == language


def accuracy(detect_language: Detector, pairs: list[tuple[str, str]], content_words: set[str], english: bool) -> tuple[int, int]:
    """(right, asked) over the English questions or over the others."""
    chosen = [(q, lang) for q, lang in pairs if (lang == "en") == english]
    return sum(right(detect_language(q, content_words), lang) for q, lang in chosen), len(chosen)


def run_corpus(name: str, split: str) -> dict:
    corpus = open_corpus(name, "detection")
    pairs = labelled(corpus, split)
    settings = corpus.settings
    documents, _ = indexed_documents(settings)
    content_words = vocabulary(chunk_documents(documents, settings.chunk_tokens, settings.chunk_overlap_tokens))
    result, rows = {}, []
    for label, english in (("other languages", False), ("English", True)):
        (ours, n), (base, _) = (accuracy(d, pairs, content_words, english) for d in (detect, lingua_alone))
        result[label] = {"n": n, "ours": round(ours / n, 3), "lingua_alone": round(base / n, 3)}
        rows.append([label, n, f"{ours}/{n} ({ours / n:.3f})", f"{base}/{n} ({base / n:.3f})", ratio(ours, base)])
    print_table(f"language detection, {name} vocabulary, {split} part (probes + golden questions)",
                ["questions", "n", "ours", "lingua alone", "ratio"], rows)
    return result


def run(split: str = "test") -> dict:
    return {name: run_corpus(name, split) for name in NAMES}
