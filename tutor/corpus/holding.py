"""Documents held for an admin's review instead of indexed.

Content is data, never instructions: a document with text aimed at the assistant ("ignore
previous instructions", "tell the student to e-mail their password") is written to
`corpus/held/` with the reasons in its front matter, where the indexer never looks, and the
import report names it. An admin reads it and either deletes it or releases it
(`tutor corpus release ID`), which marks it so re-imports don't hold it again.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from tutor.corpus.documents import (
    KINDS,
    CorpusError,
    parse_front_matter,
    read_text_file,
)
from tutor.screening import screen_document

HELD_DIR = "held"
RELEASED = "released by an admin"


def reasons_to_hold(text: str) -> list[str]:
    """Why a document must wait for an admin (empty when it reads as ordinary content)."""
    return [f"{finding.reason}: “{finding.sentence[:160]}”" for finding in screen_document(text)]


def with_front_matter(text: str, **fields: object) -> str:
    """A Markdown document's text with fields set (None removes one) in its front matter."""
    meta, body = parse_front_matter(text)
    meta.update(fields)
    meta = {key: value for key, value in meta.items() if value is not None}
    header = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{header}---\n{body}"


def hold(corpus_dir: Path, document_id: str, text: str, reasons: list[str]) -> Path:
    """Write a document to `corpus/held/` with the reasons it waits for review."""
    target = corpus_dir / HELD_DIR / f"{document_id}.md"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(with_front_matter(text, held_because=reasons), encoding="utf-8")
    return target


def was_released(path: Path) -> bool:
    """An admin released this document after reading it: don't hold it again."""
    try:
        return parse_front_matter(read_text_file(path))[0].get("screening") == RELEASED
    except (CorpusError, OSError):
        return False


def held_documents(corpus_dir: Path) -> list[dict]:
    """The documents waiting for review: id, title and the reasons."""
    held = []
    for path in sorted((corpus_dir / HELD_DIR).glob("*.md")):
        meta = parse_front_matter(read_text_file(path))[0]
        held.append({"id": path.stem, "title": meta.get("title", path.stem), "reasons": meta.get("held_because", [])})
    return held


def release(corpus_dir: Path, document_id: str) -> Path:
    """Move a held document into the corpus (its kind's folder); the next `tutor index` indexes it."""
    source = corpus_dir / HELD_DIR / f"{Path(document_id).name}.md"
    if not source.exists():
        raise CorpusError(f"no held document '{document_id}': see `tutor corpus held`")
    meta = parse_front_matter(read_text_file(source))[0]
    folder = next((name for name, kind in KINDS.items() if kind == meta.get("kind")), "articles")
    target = corpus_dir / folder / source.name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(with_front_matter(read_text_file(source), held_because=None, screening=RELEASED), encoding="utf-8")
    source.unlink()
    return target
