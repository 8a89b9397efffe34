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


PRICING = """## Membership Pricing

Memberships include a bundle of workshops and training seats. {filler}

|                                 | Bronze | Silver | Gold    |
|------------------------         |--------|--------|---------|
|**Centrally-Organised workshops**| 2      | 2      | 1       |
|High Income                      | $3,600 | $8,100 | $16,200 |
|Low Income                       | $900   | $2,025 | $4,050  |

| Week | Lesson |
| :----- |:----|
| 1 | Intro to R|
"""


def test_every_table_row_names_its_columns_even_in_a_later_chunk() -> None:
    """A chunk boundary inside a table must not leave figures without their header."""
    text = PRICING.format(filler="Members get a discount on further seats. " * 40)
    doc = dataclasses.replace(documents()[0], text=text)
    chunks = chunk_document(doc, TOKENS, OVERLAP)
    assert len(chunks) > 1
    rows = [line for c in chunks for line in c.text.splitlines() if "$" in line or "Lesson" in line]
    assert "- High Income: Bronze $3,600; Silver $8,100; Gold $16,200." in rows
    assert "- Centrally-Organised workshops: Bronze 2; Silver 2; Gold 1." in "\n".join(c.text for c in chunks)
    assert "- Week: 1; Lesson: Intro to R." in rows
    assert not any("|" in c.text for c in chunks)


def test_a_malformed_table_is_left_as_written() -> None:
    from tutor.chunking import linearised_tables

    broken = "| Feature | In-person |\nnot a separator\n| networking | excellent |"
    assert linearised_tables(broken) == broken


LINKED = """## 5. Congratulations!

About two weeks after your last step, you will receive your badge by email. Keep
[your profile][trainee-profile] up to date, and [ask us][] if it does not arrive.
A [broken reference][nowhere] stays as written.

[trainee-profile]: https://example.org/profile
[Ask Us]: https://example.org/contact "Contact"
"""


def test_link_definitions_are_dropped_and_their_uses_made_inline() -> None:
    """A section's last sentence must not travel in a chunk of bare link definitions."""
    doc = dataclasses.replace(documents()[0], text=LINKED)
    [chunk] = chunk_document(doc, TOKENS, OVERLAP)
    assert chunk.text.startswith("About two weeks after your last step")
    assert "[your profile](https://example.org/profile)" in chunk.text
    assert "[ask us](https://example.org/contact)" in chunk.text
    assert "A [broken reference][nowhere] stays as written." in chunk.text
    assert "]: https://" not in chunk.text


def test_short_sections_are_packed_with_each_heading_once() -> None:
    from tutor.chunking import pack_small_sections

    tiny = [("FAQ › Is there a template?", "Yes, see the templates page."),
            ("FAQ › Who can help?", "Ask the team."),
            ("FAQ › Can I charge a fee?", "Yes. " + "A small fee reduces no-shows. " * 12)]
    [(label, text)] = pack_small_sections(tiny)
    assert label == "FAQ › Is there a template?"
    for heading, body in tiny:
        assert text.count(heading) == 1 and body in text


def test_a_packed_chunk_is_embedded_with_each_heading_once() -> None:
    """Labelled again by its first heading, a packed FAQ chunk reads as mostly about that question."""
    long_answer = "Yes. " + "A small fee reduces no-shows. " * 12
    text = f"## Is there a template?\n\nYes, see the templates page.\n\n## Can I charge a fee?\n\n{long_answer}\n\n## Who can help?\n\n{long_answer}"
    doc = dataclasses.replace(documents()[0], text=text)
    packed, alone = chunk_document(doc, TOKENS, OVERLAP)
    assert packed.section == "Is there a template?" and packed.embed_text.count("Is there a template?") == 1
    assert packed.embed_text.startswith(f"{doc.title}\nIs there a template?\n") and "Can I charge a fee?" in packed.embed_text
    assert alone.embed_text.startswith(f"{doc.title} › Who can help?\n")


def test_section_labels_read_as_plain_text() -> None:
    from tutor.chunking import sections

    text = "## 5\\. Congratulations!\n\nYour badge arrives by email.\n\n## Steps to [certification](https://example.org/c):\n\nTeach a demo."
    doc = dataclasses.replace(documents()[0], text=text)
    assert [path for path, _ in sections(doc)] == ["5. Congratulations!", "Steps to certification:"]
