"""Build, update and swap the search index: Chroma vectors + a BM25 index + a manifest.

Every build writes a complete new *generation* beside the live one, then flips the
`index/CURRENT` pointer with an atomic rename. Readers never see a half-built index; a crash
or Ctrl-C mid-build leaves the previous generation serving. Unchanged chunks (same
content-derived id) reuse their stored vectors, so only new or changed text is embedded.
"""

from __future__ import annotations

import fcntl
import hashlib
import itertools
import json
import os
import re
import secrets
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import bm25s
import numpy as np
import Stemmer

from tutor.catalogue import catalogue_document
from tutor.chunking import CHUNKER_VERSION, Chunk, chunk_documents
from tutor.config import Settings
from tutor.corpus import Document, Problem, load_documents
from tutor.embeddings import MODEL_NAME, get_embeddings
from tutor.profile import PROFILE_FILE, load_profile
from tutor.text import one_spelling
from tutor.topics import TopicMap

MANIFEST_FORMAT = 2  # 2: generations carry topics.json
TOPICS_FILE = "topics.json"
EMBED_BATCH = 64
STORE_BATCH = 2000
ProgressCallback = Callable[[str, int, int], None]  # (stage, done, total)


class IndexMissing(RuntimeError):
    """No index has been built yet (or the pointer names a generation that is gone)."""

    def __init__(self, index_dir: Path) -> None:
        super().__init__(f"No search index in {index_dir}/ yet: run `tutor index` first.")


class IndexDamaged(RuntimeError):
    """The live generation's files are missing or unreadable."""

    def __init__(self, generation_dir: Path, detail: str) -> None:
        super().__init__(f"The search index in {generation_dir} is damaged ({detail}): run `tutor index --rebuild`.")


class IndexBusy(RuntimeError):
    """Another process is building the index right now."""


@dataclass
class IndexSummary:
    """What one `tutor index` run did."""

    generation: str
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    rebuilt: bool = False
    swapped: bool = False
    topics: int = 0
    quiz_items: int = 0
    seconds: float = 0.0
    problems: list[Problem] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "generation": self.generation,
            "added": len(self.added),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "unchanged": len(self.unchanged),
            "chunks": self.chunks,
            "embedded": self.embedded,
            "rebuilt": self.rebuilt,
            "swapped": self.swapped,
            "topics": self.topics,
            "quiz_items": self.quiz_items,
            "seconds": round(self.seconds, 3),
            "problems": [{"file": str(p.path), "error": p.message} for p in self.problems],
        }


# ---------------------------------------------------------------- keyword tokens (BM25)

KEYWORD_VERSION = 2  # bump when keyword_tokens changes (2: one spelling, word pairs): forces a full re-index
PAIR_JOINER = "+"  # never inside a WORD
STOPWORDS = frozenset(bm25s.stopwords.STOPWORDS_EN)
WORD = re.compile(r"[a-z0-9€$]+(?:[.,'][a-z0-9]+)*")


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def keyword_tokens(text: str) -> list[str]:
    """Lower-cased, stop-word-free, stemmed words in one spelling of English, then their
    neighbouring pairs (see `word_pairs`); figures like 2,250 stay whole."""
    words = [one_spelling(w) for w in WORD.findall(text.lower().replace("’", "'")) if w not in STOPWORDS]
    stems = _stemmer().stemWords(words)
    return stems + word_pairs(stems)


def word_pairs(stems: list[str]) -> list[str]:
    """Each two neighbouring stems (stop words between them skipped) as one token, in either
    order: "organizations are members" and "member organisations" both give "member+organiz"."""
    return [PAIR_JOINER.join(sorted(pair)) for pair in itertools.pairwise(stems) if pair[0] != pair[1]]


# ---------------------------------------------------------------- vector store


def chroma_client(settings: Settings, generation_dir: Path):
    """An embedded client for this generation's folder, or the configured server."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
    return chromadb.PersistentClient(path=str(generation_dir / "chroma"), settings=chroma_settings)


def collection_name(settings: Settings, generation: str) -> str:
    """Embedded stores are one per folder; on a shared server each generation has its own name."""
    return f"tutor-{generation}" if settings.chroma_url else "chunks"


def store_label(settings: Settings) -> str:
    return settings.chroma_url or "embedded"


# ---------------------------------------------------------------- generations and manifest


def current_generation(settings: Settings) -> str | None:
    """The live generation named by the pointer file, if any."""
    try:
        name = settings.index_pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def read_manifest(settings: Settings, generation: str) -> dict | None:
    """A generation's manifest, or None when it is missing or unreadable."""
    try:
        return json.loads((settings.index_dir / generation / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8, not JSON
        return None


def signature(settings: Settings) -> dict:
    """What the stored vectors and chunks depend on; a change forces a full rebuild."""
    return {
        "format": MANIFEST_FORMAT,
        "embedding_model": MODEL_NAME,
        "chunk_tokens": settings.chunk_tokens,
        "chunk_overlap_tokens": settings.chunk_overlap_tokens,
        "chunker_version": CHUNKER_VERSION,
        "keyword_version": KEYWORD_VERSION,
        "store": store_label(settings),
    }


def document_hash(document: Document) -> str:
    """Changes whenever anything that reaches a chunk changes."""
    payload = json.dumps([document.title, document.kind, document.date, document.topics, document.text])
    return hashlib.sha256(payload.encode()).hexdigest()


def new_generation_name() -> str:
    return datetime.now(timezone.utc).strftime("g%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)


def flip_pointer(settings: Settings, generation: str) -> None:
    """Atomically make `generation` the live index."""
    tmp = settings.index_pointer.with_name(f"CURRENT.tmp{os.getpid()}")
    tmp.write_text(generation + "\n", encoding="utf-8")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, settings.index_pointer)


@contextmanager
def index_lock(settings: Settings) -> Iterator[None]:
    """One indexer at a time; readers never take this lock."""
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    with (settings.index_dir / ".lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexBusy("Another `tutor index` is running; try again when it has finished.") from None
        yield


def load_chunks(generation_dir: Path) -> list[Chunk]:
    """The chunks of a generation, in index order."""
    with (generation_dir / "chunks.jsonl").open(encoding="utf-8") as handle:
        return [Chunk(**json.loads(line)) for line in handle if line.strip()]


def previous_vectors(settings: Settings, generation: str | None) -> dict[str, np.ndarray]:
    """chunk id -> stored vector of the live generation, for reuse."""
    if generation is None:
        return {}
    folder = settings.index_dir / generation
    try:
        vectors = np.load(folder / "vectors.npy")
        chunks = load_chunks(folder)
    except (FileNotFoundError, ValueError, OSError):
        return {}
    return {chunk.chunk_id: vectors[i] for i, chunk in enumerate(chunks) if i < len(vectors)}


# ---------------------------------------------------------------- build


def diff_documents(documents: list[Document], old: dict[str, str], summary: IndexSummary) -> dict[str, str]:
    """Fill the added/updated/removed/unchanged lists; return the new per-document hashes."""
    hashes = {d.id: document_hash(d) for d in documents}
    for doc_id, digest in hashes.items():
        bucket = summary.added if doc_id not in old else summary.unchanged if old[doc_id] == digest else summary.updated
        bucket.append(doc_id)
    summary.removed = sorted(set(old) - set(hashes))
    return hashes


def embed_missing(
    chunks: list[Chunk], reuse: dict[str, np.ndarray], progress: ProgressCallback | None
) -> tuple[np.ndarray, int]:
    """Vectors for all chunks, embedding only those not in `reuse`."""
    missing = [i for i, c in enumerate(chunks) if c.chunk_id not in reuse]
    vectors = np.zeros((len(chunks), get_embeddings().dimension), dtype=np.float32)
    for i, chunk in enumerate(chunks):
        if chunk.chunk_id in reuse:
            vectors[i] = reuse[chunk.chunk_id]
    for start in range(0, len(missing), EMBED_BATCH):
        batch = missing[start : start + EMBED_BATCH]
        vectors[batch] = get_embeddings().encode([chunks[i].embed_text for i in batch])
        if progress:
            progress("embedding", min(start + EMBED_BATCH, len(missing)), len(missing))
    return vectors, len(missing)


def write_generation(
    settings: Settings,
    generation: str,
    chunks: list[Chunk],
    vectors: np.ndarray,
    manifest: dict,
    progress: ProgressCallback | None = None,
) -> Path:
    """Write a complete generation folder (and collection); nothing points at it yet."""
    folder = settings.index_dir / generation
    folder.mkdir(parents=True)
    client = chroma_client(settings, folder)
    collection = client.create_collection(
        collection_name(settings, generation), configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    for start in range(0, len(chunks), STORE_BATCH):
        batch = chunks[start : start + STORE_BATCH]
        collection.add(
            ids=[c.chunk_id for c in batch],
            embeddings=vectors[start : start + len(batch)],
            metadatas=[{"doc_id": c.doc_id, "kind": c.kind, "position": c.position} for c in batch],
        )
        if progress:
            progress("storing", min(start + STORE_BATCH, len(chunks)), len(chunks))
    keyword_index = bm25s.BM25()
    keyword_index.index([keyword_tokens(c.embed_text) for c in chunks], show_progress=False)
    keyword_index.save(str(folder / "bm25"))
    np.save(folder / "vectors.npy", vectors)
    with (folder / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder


def remove_incomplete_generations(settings: Settings) -> None:
    """Folders of builds that died before writing their manifest (it is written last)."""
    for folder in settings.index_dir.glob("g*"):
        if folder.is_dir() and not (folder / "manifest.json").exists():
            shutil.rmtree(folder, ignore_errors=True)


def remove_stale_generations(settings: Settings, keep: set[str]) -> None:
    """Delete generations other than `keep` (live + previous, for readers still on it)."""
    for folder in settings.index_dir.glob("g*"):
        if folder.is_dir() and folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)
    if settings.chroma_url:
        client = chroma_client(settings, settings.index_dir)
        for name in [c.name for c in client.list_collections()]:
            if name.startswith("tutor-g") and name.removeprefix("tutor-") not in keep:
                client.delete_collection(name)


def indexed_documents(settings: Settings) -> tuple[list[Document], list[Problem]]:
    """The corpus's documents plus the course catalogue made from them."""
    documents, problems = load_documents(settings.corpus_dir)
    catalogue = catalogue_document(documents, load_profile(settings.corpus_dir))
    return documents + ([catalogue] if catalogue else []), problems


def build_index(settings: Settings, rebuild: bool = False, progress: ProgressCallback | None = None) -> IndexSummary:
    """Bring the index up to date with the corpus; see the module docstring for guarantees."""
    started = time.perf_counter()
    with index_lock(settings):
        remove_incomplete_generations(settings)  # safe under the lock: no build is writing
        live = current_generation(settings)
        old_manifest = read_manifest(settings, live) if live else None
        documents, problems = indexed_documents(settings)
        compatible = bool(old_manifest) and old_manifest.get("signature") == signature(settings) and not rebuild
        summary = IndexSummary(generation=live or "", problems=problems, rebuilt=not compatible)
        hashes = diff_documents(documents, old_manifest["documents"] if compatible else {}, summary)
        edits = topic_edits_hash(settings)
        same_edits = compatible and old_manifest.get("topic_edits") == edits
        if same_edits and not (summary.added or summary.updated or summary.removed):
            summary.chunks = old_manifest["chunks"]
            summary.seconds = time.perf_counter() - started
            return summary
        chunks = chunk_documents(documents, settings.chunk_tokens, settings.chunk_overlap_tokens)
        reuse = previous_vectors(settings, live) if compatible else {}
        vectors, summary.embedded = embed_missing(chunks, reuse, progress)
        generation = new_generation_name()
        manifest = {
            "signature": signature(settings),
            "generation": generation,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "chunks": len(chunks),
            "documents": hashes,
            "collection": collection_name(settings, generation),
            "topic_edits": edits,
        }
        write_generation(settings, generation, chunks, vectors, manifest, progress)
        topic_map = write_topics(settings, generation, live, documents, chunks, vectors, progress, regroup=rebuild)
        summary.topics = len(topic_map.topics)
        summary.quiz_items = write_bank(settings, generation, live, chunks, topic_map, progress)
        flip_pointer(settings, generation)
        remove_stale_generations(settings, keep={generation, live or generation})
        summary.generation, summary.chunks, summary.swapped = generation, len(chunks), True
        summary.seconds = time.perf_counter() - started
        return summary


def topic_edits_hash(settings: Settings) -> str:
    """Digest of `corpus/topics.yaml` and `corpus/institute.yaml`: editing either re-derives the
    topics and suggestions even if no document changed."""
    digest = hashlib.sha256()
    for name in ("topics.yaml", PROFILE_FILE):
        path = settings.corpus_dir / name
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()


def load_topic_map(settings: Settings, generation: str) -> TopicMap:
    """A generation's topics; one built before topics existed has none."""
    try:
        return TopicMap.from_dict(json.loads((settings.index_dir / generation / TOPICS_FILE).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return TopicMap()


def write_topics(
    settings: Settings,
    generation: str,
    live: str | None,
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    progress: ProgressCallback | None,
    regroup: bool = False,
) -> TopicMap:
    """Derive the new generation's topics and their checked suggestions (before it goes live,
    so the page never shows a topic or a question the live index can't back)."""
    from tutor.suggestions import CACHE_FILE, ModelQuestions, add_suggestions, agent_checker
    from tutor.topic_build import derive_topics, load_edits

    profile = load_profile(settings.corpus_dir)
    own_name = frozenset(f"{profile.name} {profile.short_name}".lower().split())
    previous = load_topic_map(settings, live) if live else None
    topic_map = derive_topics(documents, chunks, vectors, previous, load_edits(settings.corpus_dir), own_name, regroup)
    model_questions = None
    if settings.llm != "extractive":
        from tutor.llm import make_chat_model

        model_questions = ModelQuestions(make_chat_model(settings, settings.llm), settings.index_dir / CACHE_FILE)
    checker = agent_checker(settings, generation)
    topic_map = add_suggestions(topic_map, documents, chunks, vectors, checker, model_questions, progress)
    folder = settings.index_dir / generation
    (folder / TOPICS_FILE).write_text(json.dumps(topic_map.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
    return topic_map


def write_bank(
    settings: Settings,
    generation: str,
    live: str | None,
    chunks: list[Chunk],
    topic_map: TopicMap,
    progress: ProgressCallback | None,
) -> int:
    """The new generation's question bank, before it goes live, so every generation carries one
    over its own topics: the live generation's items of unchanged chunks kept, cloze items made
    for the rest. Model-written items are added on demand (`tutor quiz build --llm local`): asking
    the 1.5B model about every chunk takes minutes and few of its items pass verification, so
    indexing does not wait for it. Returns the item count."""
    from tutor.learning.service import build_generation_bank

    previous = settings.index_dir / live if live else None
    report = build_generation_bank(settings, settings.index_dir / generation, chunks, topic_map, previous, None, progress=progress)
    return len(report.items)


def index_stats(settings: Settings) -> dict:
    """Facts about the live index for `tutor corpus list` and the admin tab."""
    live = current_generation(settings)
    manifest = read_manifest(settings, live) if live else None
    if not manifest:
        raise IndexMissing(settings.index_dir)
    return {
        "generation": live,
        "created": manifest["created"],
        "documents": len(manifest["documents"]),
        "chunks": manifest["chunks"],
        **{k: v for k, v in manifest["signature"].items() if k != "format"},
    }
