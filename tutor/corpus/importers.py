"""Import what admins really have: saved HTML pages, PDF brochures, Markdown, plain text.

Each format has one small reader that turns a file into a `Draft` (title, body text, metadata);
every draft then goes the same way: HTML stripped, checked against the documents already in
the corpus (the same text in another format is reported, not added twice), written as one
Markdown file. Scraped pages (`.txt`, any other text file) are the exception: they go through the page splitter
(`pages.py`), which rebuilds articles from all pages at once.
"""

from __future__ import annotations

import html
import io
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nh3
import yaml

from tutor.corpus.documents import (
    DOCUMENT_ID,
    KINDS,
    CorpusError,
    Document,
    ImportReport,
    Problem,
    derived_title,
    load_documents,
    read_bytes,
    read_text_file,
    slugify,
    split_markdown,
)
from tutor.corpus.holding import hold, reasons_to_hold, was_released
from tutor.corpus.pages import regenerate_articles, unique_id

MARKDOWN_SUFFIXES = {".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
PDF_SUFFIXES = {".pdf"}
RESERVED_META = {"origin_pages"}
SHINGLE_WORDS = 8
SAME_TEXT = 0.6  # share of the smaller text's word runs found in the other  # written only by the page splitter


class Held(Exception):
    """A document was written to `corpus/held/` for an admin's review instead of the corpus."""

    def __init__(self, document_id: str, reasons: list[str]) -> None:
        super().__init__(f"{document_id}: held for review ({'; '.join(reasons)})")
        self.document_id = document_id


@dataclass
class Draft:
    """A document read from a file, before it is checked and written to the corpus."""

    title: str
    body: str
    meta: dict = field(default_factory=dict)


# ---------------------------------------------------------------- readers, one per format


def strip_html(text: str) -> str:
    """Text without tags; scripts and styles lose their content too (nh3/ammonia, not a regex)."""
    if "<" not in text:
        return text
    return html.unescape(nh3.clean(text, tags=set(), clean_content_tags={"script", "style", "iframe", "noscript"}))


def read_markdown(path: Path) -> Draft:
    """A Markdown article; front matter is optional and may omit `id` and `title`."""
    meta, body = split_markdown(read_text_file(path))
    body = strip_html(body)
    return Draft(title=derived_title(meta, body, path), body=body, meta=meta)


def read_html(path: Path) -> Draft:
    """A saved web page: its main content as Markdown (trafilatura drops menus, footers, scripts)."""
    import trafilatura  # imported here: only HTML imports need it

    page = read_text_file(path)
    body = trafilatura.extract(page, output_format="markdown", include_links=False, include_images=False, include_tables=True)
    if not body or not body.strip():
        raise CorpusError("no main text found in this HTML page")
    metadata = trafilatura.extract_metadata(page)
    meta = {"date": metadata.date} if metadata and metadata.date else {}
    title = (metadata.title if metadata and metadata.title else None) or derived_title({}, body, path)
    return Draft(title=strip_html(title), body=strip_html(body), meta=meta)


def read_pdf(path: Path) -> Draft:
    """A PDF brochure's text, page by page (pypdf); a damaged file is reported by name."""
    from pypdf import PdfReader  # imported here: only PDF imports need it
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(read_bytes(path)))
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"not a readable PDF ({type(exc).__name__}: {exc})") from None
    body = "\n\n".join(p.strip() for p in pages if p.strip())
    if not body:
        raise CorpusError("the PDF has no extractable text (a scan? run OCR first)")
    first_line = next((line.strip() for line in body.splitlines() if line.strip()), "")
    title = info_title.strip() or (first_line if len(first_line) <= 100 else "") or derived_title({}, "", path)
    return Draft(title=title, body=body, meta={})


READERS = {
    **dict.fromkeys(MARKDOWN_SUFFIXES, read_markdown),
    **dict.fromkeys(HTML_SUFFIXES, read_html),
    **dict.fromkeys(PDF_SUFFIXES, read_pdf),
}


# ---------------------------------------------------------------- checks and writing


def shingles(text: str) -> set[tuple[str, ...]]:
    """Runs of SHINGLE_WORDS words: survive line wrapping (PDF) and markup (HTML) alike."""
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + SHINGLE_WORDS]) for i in range(max(0, len(words) - SHINGLE_WORDS + 1))}


def duplicate_of(draft: Draft, document_id: str, existing: list[Document]) -> Document | None:
    """An existing document (under another id) holding most of the same text, e.g. the PDF
    of an HTML page: most of the smaller one's word runs appear in the other."""
    mine = shingles(draft.body)
    for document in existing:
        theirs = shingles(document.text)
        if document.id != document_id and mine and theirs and len(mine & theirs) >= SAME_TEXT * min(len(mine), len(theirs)):
            return document
    return None


def render_document(draft: Draft, document_id: str, kind: str, origin: str) -> str:
    """The Markdown file: front matter (id, title, kind, date, origin file), then the body."""
    front = {key: value for key, value in draft.meta.items() if key not in RESERVED_META}
    front.update({"id": document_id, "title": draft.title, "kind": kind})
    front.setdefault("origin_file", origin)
    header = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=1000)
    body = draft.body.strip()
    if not body.lstrip().startswith("# "):
        body = f"# {draft.title}\n\n{body}"
    return f"---\n{header}---\n\n{body}\n"


def add_document(path: Path, corpus_dir: Path, kind: str | None = None) -> str:
    """Turn one HTML, PDF or Markdown file into a corpus document, stored under its id (never
    under the file's own name, which may be hostile); returns the id."""
    draft = READERS[path.suffix.lower()](path)
    if RESERVED_META & set(draft.meta):
        raise CorpusError("origin_pages is reserved for articles generated from pages")
    existing = load_documents(corpus_dir)[0]
    origin = safe_name(path.name)
    document_id = choose_id(draft, origin, existing)
    kind = kind or str(draft.meta.get("kind") or "article")
    folder = next((name for name, folder_kind in KINDS.items() if folder_kind == kind), "articles")
    target = corpus_dir / folder / f"{document_id}.md"
    same_id = next((d for d in existing if d.id == document_id), None)
    if same_id is not None and same_id.path.resolve() != target.resolve():
        raise CorpusError(f"id '{document_id}' is already used by {same_id.path.name}")
    if copy := duplicate_of(draft, document_id, existing):
        raise CorpusError(f"same text as '{copy.id}' ({copy.path.name}), already in the corpus")
    text = render_document(draft, document_id, kind, origin)
    if not was_released(target) and (reasons := reasons_to_hold(f"{draft.title}\n{draft.body}")):
        hold(corpus_dir, document_id, text, reasons)
        raise Held(document_id, reasons)
    write_atomically(target, text)
    return document_id


def choose_id(draft: Draft, origin: str, existing: list[Document]) -> str:
    """The front matter's id; else the title's slug, unless another document (imported from
    another file) has it, then the file name's, then that with `-2`, `-3`... Re-importing a
    file keeps its id."""
    if draft.meta.get("id"):
        candidates = [str(draft.meta["id"]).strip()]
    else:
        candidates = [slugify(draft.title), slugify(Path(origin).stem)]
    owners = {d.id: d.meta.get("origin_file") for d in existing}
    free = [c for c in candidates if owners.get(c, origin) == origin]
    document_id = free[0] if free else unique_id(candidates[-1], owners)
    if not DOCUMENT_ID.fullmatch(document_id):
        raise CorpusError("the id may only contain letters, digits, '.', '_' and '-' (at most 120)")
    return document_id


def write_atomically(target: Path, text: str) -> None:
    """Readers (the indexer) never see half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def copy_page(path: Path, pages_dir: Path, report: ImportReport) -> None:
    """Copy a (validated) scraped page into the corpus under a safe name; an identical copy is skipped."""
    read_text_file(path)
    pages_dir.mkdir(parents=True, exist_ok=True)
    target = pages_dir / safe_name(path.name)
    if target.exists() and target.read_bytes() == path.read_bytes():
        return
    shutil.copyfile(path, target)
    report.pages_added.append(target.name)


def safe_name(name: str) -> str:
    """A file name without any directory part or odd characters."""
    cleaned = re.sub(r"[^\w.\-]+", "_", Path(name).name).lstrip(".")
    return cleaned[:120] or "page.txt"


def import_files(paths: list[Path], corpus_dir: Path, kind: str | None = None) -> ImportReport:
    """Add files to the corpus by format (see the module docstring), then regenerate the
    page-made articles from all pages. Bad files are reported by name, never fatal."""
    report = ImportReport()
    for path in paths:
        try:
            if path.suffix.lower() in READERS:
                report.documents_added.append(add_document(path, corpus_dir, kind))
            else:  # any other text file is a scraped page
                copy_page(path, corpus_dir / "pages", report)
        except Held as held:
            report.held.append(str(held))
        except (CorpusError, OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
            report.problems.append(Problem(path, str(exc)))
    if (corpus_dir / "pages").is_dir():  # without pages there is nothing to regenerate (and nothing to remove)
        regenerate_articles(corpus_dir, report)
    return report
