"""Index build, incremental updates, atomic swap, crash safety, bad files, Chroma server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.index import (
    IndexMissing,
    build_index,
    current_generation,
    index_stats,
    load_chunks,
    load_topic_map,
)
from tutor.learning.bank import load_bank
from tutor.retrieval import open_retriever

from .conftest import make_settings, run_tutor


def edit_article(settings: Settings, doc_id: str, old: str, new: str) -> None:
    path = settings.corpus_dir / "articles" / f"{doc_id}.md"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_build_then_noop_then_incremental(settings: Settings) -> None:
    first = build_index(settings)
    assert first.swapped and first.rebuilt and first.embedded == first.chunks > 0
    assert len(first.added) == index_stats(settings)["documents"]

    noop = build_index(settings)
    assert not noop.swapped and noop.embedded == 0 and noop.generation == first.generation
    assert len(noop.unchanged) == len(first.added)

    edit_article(settings, "the-value-of-hackathons", "What Is a Hackathon?", "What Exactly Is a Hackathon?")
    (settings.corpus_dir / "articles" / "e-book-ai-agents-in-education.md").unlink()
    update = build_index(settings)
    assert update.updated == ["the-value-of-hackathons"] and update.removed == ["e-book-ai-agents-in-education"]
    assert 0 < update.embedded <= 3, "only the edited section's chunks are embedded again"
    assert update.generation != first.generation
    old_bank, new_bank = (load_bank(settings.index_dir / g) for g in (first.generation, update.generation))
    kept = {item.id for item in new_bank if item.generator == "cloze"} & {item.id for item in old_bank}
    assert len(new_bank) == update.quiz_items and len(kept) >= len(new_bank) * 0.9, "unchanged chunks keep their items"

    hits = open_retriever(settings).search("What exactly is a hackathon?", k=10)
    assert any(h.chunk.section.startswith("What Exactly Is a Hackathon?") for h in hits[:3])
    assert all(h.chunk.doc_id != "e-book-ai-agents-in-education" for h in hits)


def test_every_generation_carries_a_verified_bank_over_its_topics(indexed_settings: Settings) -> None:
    folder = indexed_settings.index_dir / current_generation(indexed_settings)
    chunks = {chunk.chunk_id: chunk for chunk in load_chunks(folder)}
    owners = load_topic_map(indexed_settings, folder.name).owners()
    bank = load_bank(folder)
    per_topic = {topic: sum(item.topic == topic for item in bank) for topic in set(owners.values())}
    assert per_topic and min(per_topic.values()) >= 3, per_topic
    for item in bank:
        assert item.quote in chunks[item.chunk_id].text and item.source_text == chunks[item.chunk_id].text
        assert item.topic == owners[chunks[item.chunk_id].doc_id]  # the topics.json id of its document


def test_changed_chunker_settings_force_a_full_rebuild(settings: Settings) -> None:
    first = build_index(settings)
    other = make_settings(settings.corpus_dir.parent, chunk_tokens=150)
    rebuilt = build_index(other)
    assert rebuilt.rebuilt and rebuilt.embedded == rebuilt.chunks != first.chunks


def test_crash_mid_index_leaves_the_old_index_serving(settings: Settings) -> None:
    build_index(settings)
    live = current_generation(settings)
    reader = open_retriever(settings)
    before = [h.chunk.chunk_id for h in reader.search("peer career mentoring", k=3)]
    edit_article(settings, "opits-peer-career-mentoring-program", "Meet the Mentors", "Meet Our Mentors")

    def crash(stage: str, done: int, total: int) -> None:
        if stage == "storing":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build_index(settings, progress=crash)
    assert current_generation(settings) == live
    assert [h.chunk.chunk_id for h in open_retriever(settings).search("peer career mentoring", k=3)] == before

    completed = build_index(settings)
    assert completed.swapped and completed.updated == ["opits-peer-career-mentoring-program"]
    assert reader.search("Meet Our Mentors", k=1)[0].chunk.section.startswith("Meet Our Mentors"), "open readers follow the swap"
    assert not any(p.name.startswith("g") and p.name not in {live, completed.generation} for p in settings.index_dir.iterdir())


def test_bad_corpus_files_are_named_and_the_rest_indexed(settings: Settings) -> None:
    (settings.corpus_dir / "articles" / "broken.md").write_text("---\ntitle: [oops\n---\ntext\n")
    (settings.corpus_dir / "courses" / "blob.md").write_bytes(b"\x00\xff\x00binary")
    result = run_tutor(["index", "--json"], settings)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {Path(p["file"]).name for p in summary["problems"]} == {"broken.md", "blob.md"}
    assert "broken.md" in result.stderr and summary["chunks"] > 0

    strict = run_tutor(["index", "--strict"], settings)
    assert strict.returncode != 0 and "blob.md" in strict.stderr


def test_missing_index_gives_a_one_line_hint(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    with pytest.raises(IndexMissing):
        open_retriever(settings)
    result = run_tutor(["search", "anything"], settings)
    assert result.returncode == 1
    assert "run `tutor index`" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_chroma_server_backend(settings: Settings, chroma_server: str) -> None:
    server = make_settings(settings.corpus_dir.parent, chroma_url=chroma_server)
    first = build_index(server)
    hits = open_retriever(server).search("How much does OPIT tuition cost per term?", k=3)
    assert any("2,250" in h.chunk.text for h in hits)
    edit_article(server, "the-value-of-hackathons", "What Is a Hackathon?", "What Exactly Is a Hackathon?")
    second = build_index(server)
    assert second.swapped and 0 < second.embedded <= 3

    import chromadb

    host, port = chroma_server.rsplit(":", 1)
    names = {c.name for c in chromadb.HttpClient(host="127.0.0.1", port=int(port)).list_collections()}
    assert f"tutor-{second.generation}" in names and f"tutor-{first.generation}" in names
    assert open_retriever(server).search("What exactly is a hackathon?", k=1)[0].chunk.doc_id == "the-value-of-hackathons"
