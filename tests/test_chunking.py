"""Heading-aware, token-bounded chunks with stable content-derived ids."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from tutor.chunking import chunk_document, count_tokens, install_offline_encoding
from tutor.corpus import load_documents

from .conftest import CORPUS

TOKENS, OVERLAP = 200, 30


def documents():
    docs, problems = load_documents(CORPUS)
    assert docs and not problems
    return docs


def test_tiktoken_works_offline_from_the_bundled_file(tmp_path: Path) -> None:
    import tiktoken

    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    try:
        install_offline_encoding(tmp_path)
        assert len(list(tmp_path.iterdir())) == 1
        assert tiktoken.get_encoding("cl100k_base").encode("hello world") == [15339, 1917]
    finally:
        if previous is not None:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous


def test_chunks_are_token_bounded_and_carry_their_metadata() -> None:
    for doc in documents():
        chunks = chunk_document(doc, TOKENS, OVERLAP)
        assert chunks, doc.id
        for chunk in chunks:
            assert count_tokens(chunk.text) <= TOKENS
            assert (chunk.doc_id, chunk.title, chunk.kind) == (doc.id, doc.title, doc.kind)
            assert chunk.embed_text.startswith(doc.title)
            assert not chunk.text.startswith("#")


def test_sections_follow_the_headings() -> None:
    doc = next(d for d in documents() if d.id == "the-value-of-hackathons")
    sections = {c.section for c in chunk_document(doc, TOKENS, OVERLAP)}
    assert "Benefits for Participants" in sections or "The Benefits of Hackathons › Benefits for Participants" in sections
    for section in sections - {""}:
        assert section.split(" › ")[-1] in doc.text


def test_every_sentence_of_a_document_is_in_some_chunk() -> None:
    for doc in documents():
        joined = "\n".join(c.text for c in chunk_document(doc, TOKENS, OVERLAP))
        for line in doc.text.split("\n"):
            text = line.strip().lstrip("- ").strip()
            if len(text) > 20 and not text.startswith("#"):  # headings travel as title/section
                assert text[:40] in joined, f"{doc.id}: lost {text[:60]!r}"


def test_ids_are_stable_and_follow_content() -> None:
    doc = documents()[0]
    first = [c.chunk_id for c in chunk_document(doc, TOKENS, OVERLAP)]
    assert first == [c.chunk_id for c in chunk_document(doc, TOKENS, OVERLAP)]
    assert len(set(first)) == len(first)
    changed = dataclasses.replace(doc, text=doc.text.replace("\n\n", "\n\nNew opening sentence.\n\n", 1))
    second = [c.chunk_id for c in chunk_document(changed, TOKENS, OVERLAP)]
    assert set(first) != set(second)
    assert set(first) & set(second), "an edit near the start must not change every chunk id"
