"""Corpus documents as reviewable Markdown files with YAML front matter, and loading them.

Every importer (scraped pages, HTML, PDF, Markdown, plain text) ends in the same place: one
Markdown file per document under `corpus/articles/` or `corpus/courses/`. Front matter needs
only what cannot be derived: `id` falls back to the file name's slug,
`title` to the first `#` heading (then the file name), `kind` to the folder's kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

MAX_FILE_BYTES = 2 * 1024 * 1024  # a page, article or brochure's text is a few dozen KB
DOCUMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
FIRST_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
KINDS = {"articles": "article", "courses": "course"}  # folder -> default kind


class CorpusError(Exception):
    """A corpus file that cannot be used; the message names the file."""


@dataclass
class Problem:
    """A file that was skipped, with the reason, for reports and `--strict`."""

    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class Document:
    """One corpus document (article or course) as loaded from its Markdown file."""

    id: str
    title: str
    kind: str
    text: str
    path: Path
    date: str | None = None
    meta: dict = field(default_factory=dict)

    @property
    def topics(self) -> list[str]:
        """Topic labels an editor set in the front matter (`topics:`); they win over clustering."""
        raw = self.meta.get("topics") or []
        return [str(t).strip() for t in ([raw] if isinstance(raw, str) else raw) if str(t).strip()]


@dataclass
class ImportReport:
    """What an import changed."""

    pages_added: list[str] = field(default_factory=list)
    documents_added: list[str] = field(default_factory=list)  # files turned into documents as they are
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # held for the admin's review (see screening)
    problems: list[Problem] = field(default_factory=list)


def read_text_file(path: Path) -> str:
    """Read a UTF-8 text file, or raise CorpusError saying why it is unusable."""
    data = read_bytes(path)
    if b"\x00" in data[:8192]:
        raise CorpusError("binary file (contains NUL bytes)")
    try:
        return data.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None


def read_bytes(path: Path) -> bytes:
    """A file's bytes within the size limit, or CorpusError (too large, empty)."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise CorpusError(f"too large ({size / 1024 / 1024:.1f} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB)")
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError("empty file")
    return data


def slugify(text: str, limit: int = 60) -> str:
    """A file-name-safe id from a title."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower().replace("’", "").replace("'", "")).strip("-")
    return slug[:limit].rstrip("-") or "untitled"


def parse_front_matter(text: str) -> tuple[dict, str]:
    """Split `---` YAML front matter from the body; raise CorpusError when it is broken."""
    if not text.startswith("---"):
        raise CorpusError("missing YAML front matter (the file must start with ---)")
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise CorpusError("front matter is not closed by a --- line")
    try:
        meta = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError as exc:
        raise CorpusError(f"broken YAML front matter: {str(exc).splitlines()[0]}") from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise CorpusError("front matter is not a mapping of fields")
    return meta, parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""


def split_markdown(text: str) -> tuple[dict, str]:
    """Front matter and body of a Markdown file; a file without front matter is all body."""
    return parse_front_matter(text) if text.startswith("---") else ({}, text)


def derived_title(meta: dict, body: str, path: Path) -> str:
    """The front matter's title, else the first `#` heading, else the file name in words."""
    if str(meta.get("title") or "").strip():
        return str(meta["title"]).strip()
    heading = FIRST_HEADING.search(body)
    if heading:
        return heading.group(1).strip()
    return re.sub(r"[-_]+", " ", path.stem).strip().capitalize() or "Untitled"


def derived_id(meta: dict, path: Path) -> str:
    """The front matter's id, else the file name's slug (unique in its folder, and stable)."""
    return str(meta.get("id") or "").strip() or slugify(path.stem)


def load_document(path: Path, default_kind: str) -> Document:
    """Read one Markdown document; raise CorpusError naming what is wrong."""
    meta, body = split_markdown(read_text_file(path))
    if not body.strip():
        raise CorpusError("no text after the front matter")
    title = derived_title(meta, body, path)
    document_id = derived_id(meta, path)
    if not DOCUMENT_ID.fullmatch(document_id):
        raise CorpusError("the id may only contain letters, digits, '.', '_' and '-' (at most 120)")
    date = meta.get("date")
    return Document(
        id=document_id,
        title=title,
        kind=str(meta.get("kind") or default_kind),
        text=body.strip() + "\n",
        path=path,
        date=str(date) if date else None,
        meta=meta,
    )


def load_documents(corpus_dir: Path) -> tuple[list[Document], list[Problem]]:
    """Every usable article and course; unusable files are reported, never fatal."""
    documents: list[Document] = []
    problems: list[Problem] = []
    seen: dict[str, Path] = {}
    for folder, kind in KINDS.items():
        for path in sorted((corpus_dir / folder).glob("*.md")):
            try:
                document = load_document(path, kind)
            except (CorpusError, OSError) as exc:
                problems.append(Problem(path, str(exc)))
                continue
            if document.id in seen:
                problems.append(Problem(path, f"duplicate id '{document.id}' (also in {seen[document.id].name})"))
                continue
            seen[document.id] = path
            documents.append(document)
    return documents, problems
