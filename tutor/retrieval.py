"""Hybrid search: dense (Chroma) + BM25, fused by reciprocal rank fusion, with a vote for the
documents closest to the question as a whole, then de-duplicated and diversified across documents.

Dense vectors catch paraphrases; BM25 catches exact names and figures ("€2,250", "TLP") that a
small embedding model blurs. RRF needs no score calibration between the two. The document vote
lifts the one chunk that holds a figure ("16-hour") but reads unlike the question, when the rest
of its article is about what was asked; the answer-type vote lifts the chunks that state the kind
of fact the question asks for, within the documents found (a duration for "How long …?";
`tutor.answer_types`).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np

from tutor.answer_types import asked_kind
from tutor.chunking import Chunk
from tutor.config import Settings
from tutor.embeddings import get_embeddings
from tutor.index import (
    PAIR_JOINER,
    IndexDamaged,
    IndexMissing,
    chroma_client,
    collection_name,
    current_generation,
    keyword_tokens,
    load_chunks,
    read_manifest,
)
from tutor.spelling import corrected
from tutor.text import CASED_WORD

CANDIDATES = 30  # per retriever, before fusion
NEAR_DUPLICATE_COSINE = 0.95
FREE_PER_DOCUMENT = 3  # a focused question may well need three chunks of one article
SAME_DOCUMENT_DISCOUNT = 0.6  # per further chunk of that document
DOCUMENT_WEIGHT = 1.0  # the document ranking votes as much as the chunk-level dense ranking
# as much as the document vote: on both corpora's dev parts 1.0 found one more question each
# ("How long does the instructor training take?" -> "Our 16-hour interactive training"), and
# 2.0 no more
ANSWER_TYPE_WEIGHT = 1.0
ANSWER_TYPE_DOCUMENTS = 5  # the vote stays within the documents of this many best candidates
# A pair of neighbouring words found together ("certified instructors", "member organisations")
# says more than the two words anywhere in a passage, but a pair common in the content
# ("instructor training") must not outweigh the words: 0.5 found 2 more questions on the
# institute's dev part and as many on the Carpentries' (1.0: 3 more and 2 fewer)
WORD_PAIR_WEIGHT = 0.5
# "Who founded …?" asks for the one who did it, whom pages name by the agent noun ("OPIT Founder
# and Director Riccardo Ocleppo"); the stemmer keeps "founder" apart from "found(ed)".
WHO_QUESTION = re.compile(r"^\W*who\b", re.IGNORECASE)
AGENT_ENDINGS = ("er", "or")


class SearchUnavailable(RuntimeError):
    """The vector store (a Chroma server) cannot be reached right now."""


@dataclass(frozen=True)
class SearchHit:
    """One ranked result; `to_dict` is the JSON contract of `tutor search --json`."""

    rank: int
    chunk: Chunk
    score: float  # fused RRF score
    similarity: float = 0.0  # dense cosine to the query: how close the evidence really is

    def to_dict(self) -> dict:
        c = self.chunk
        return {
            "rank": self.rank,
            "chunk_id": c.chunk_id,
            "doc_id": c.doc_id,
            "title": c.title,
            "section": c.section,
            "kind": c.kind,
            "text": c.text,
            "score": round(self.score, 6),
        }


def vocabulary(chunks: list[Chunk]) -> set[str]:
    """Every lower-case word of the chunks' indexed text (the content's own terms)."""
    return {w for c in chunks for w in re.findall(r"[a-z][a-z'’\-]*", c.embed_text.lower())}


class IndexGeneration:
    """One opened, immutable index generation."""

    def __init__(self, settings: Settings, generation: str) -> None:
        folder = settings.index_dir / generation
        if not folder.is_dir():
            raise IndexMissing(settings.index_dir)
        self.name = generation
        self.chunks, self.vectors = read_generation(settings, folder)
        self.position = {c.chunk_id: i for i, c in enumerate(self.chunks)}
        self.kinds = np.array([c.kind for c in self.chunks])
        self.doc_ids = np.array([c.doc_id for c in self.chunks])
        self.keyword_index = bm25s.BM25.load(str(folder / "bm25"))
        client = chroma_client(settings, folder)
        self.collection = client.get_collection(collection_name(settings, generation), embedding_function=None)

    @cached_property
    def vocabulary(self) -> set[str]:
        """Every lower-case word of the indexed text: tells typos and foreign topics apart."""
        return vocabulary(self.chunks)

    @cached_property
    def name_words(self) -> frozenset[str]:
        """Words the indexed text only ever capitalises, in lower case: the parts of people's and
        places' names ("ocleppo", "pickens"), never a word that also appears in running text."""
        words = [w for c in self.chunks for w in CASED_WORD.findall(c.text)]
        in_lower_case = {w for w in words if w[0].islower()}
        return frozenset(w.lower() for w in words if w[0].isupper()) - in_lower_case

    @cached_property
    def document_codes(self) -> np.ndarray:
        """Each chunk's document as a number (documents in id order), to score all documents at once."""
        return np.unique(self.doc_ids, return_inverse=True)[1].reshape(-1)

    @cached_property
    def acronyms(self) -> dict[str, str]:
        """The content's own abbreviations and what they stand for (see `evidence.acronyms_in`)."""
        from tutor.agent.evidence import acronyms_in

        return acronyms_in([c.text for c in self.chunks])

    def dense(self, vector: np.ndarray, n: int, kind: str | None, doc_id: str | None) -> list[int]:
        """Positions of the nearest chunks by cosine similarity."""
        filters = [{"kind": kind}] if kind else []
        filters += [{"doc_id": doc_id}] if doc_id else []
        where = filters[0] if len(filters) == 1 else {"$and": filters} if filters else None
        try:
            result = self.collection.query(
                query_embeddings=[vector], n_results=min(n, len(self.chunks)), where=where, include=[]
            )
        except Exception as exc:  # httpx/chromadb errors of an unreachable or failing server
            raise SearchUnavailable(
                f"The search service is unavailable right now ({type(exc).__name__}); please try again in a moment."
            ) from exc
        return [self.position[i] for i in result["ids"][0] if i in self.position]

    def bm25(self, tokens: list[str]) -> np.ndarray:
        """Each chunk's BM25 score for `tokens` (zeros for none)."""
        return self.keyword_index.get_scores(tokens) if tokens else np.zeros(len(self.chunks))

    def keyword(self, query: str, n: int, kind: str | None, doc_id: str | None) -> list[int]:
        """Positions of the best BM25 matches (only those sharing a word with the query), the
        query's word pairs counting WORD_PAIR_WEIGHT as much as its words. A "who" question also
        matches its verbs' agent nouns ("founded" -> "founder", "directs" -> "director")."""
        tokens = keyword_tokens(query)
        words, pairs = [t for t in tokens if PAIR_JOINER not in t], [t for t in tokens if PAIR_JOINER in t]
        if WHO_QUESTION.match(query):
            words += dict.fromkeys(w + ending for w in words for ending in AGENT_ENDINGS if w + ending not in words)
        words, pairs = ([t for t in part if t in self.keyword_index.vocab_dict] for part in (words, pairs))
        if not words:  # a pair is never found without its words
            return []
        scores = self.bm25(words) + WORD_PAIR_WEIGHT * self.bm25(pairs)
        if kind:
            scores = np.where(self.kinds == kind, scores, 0.0)
        if doc_id:
            scores = np.where(self.doc_ids == doc_id, scores, 0.0)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        return [int(i) for i in top[np.argsort(-scores[top])] if scores[i] > 0]


def read_generation(settings: Settings, folder: Path) -> tuple[list[Chunk], np.ndarray]:
    """Chunks and vectors of a generation, checked against its manifest; any damage is
    reported as IndexDamaged naming the file, never as a deep library error."""
    manifest = read_manifest(settings, folder.name)
    if not isinstance(manifest, dict) or not isinstance(manifest.get("chunks"), int):
        raise IndexDamaged(folder, "manifest.json is missing or unreadable")
    try:
        chunks = load_chunks(folder)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexDamaged(folder, f"chunks.jsonl: {exc}") from None
    try:
        vectors = np.load(folder / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexDamaged(folder, f"vectors.npy: {exc}") from None
    if len(chunks) != manifest["chunks"] or vectors.shape[0] != len(chunks):
        raise IndexDamaged(folder, f"chunks.jsonl and vectors.npy disagree with manifest.json ({manifest['chunks']} chunks)")
    return chunks, vectors


def reciprocal_rank_fusion(
    rankings: list[list[int]], k: int, weights: list[float] | None = None
) -> list[tuple[int, float]]:
    """Σ weight/(k + rank) over the rankings, best first."""
    scores: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, position in enumerate(ranking, start=1):
            scores[position] = scores.get(position, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def document_ranks(similarities: np.ndarray, document_codes: np.ndarray) -> np.ndarray:
    """1-based rank of each document (by code) by the mean cosine of its FREE_PER_DOCUMENT best
    chunks: an article that answers a question tends to be close to it in several passages,
    while a lone close chunk of an unrelated article is often a coincidence of wording.
    Vectorised (one sort of all chunks), so it stays cheap at 100,000 chunks."""
    order = np.lexsort((-similarities, document_codes))  # by document, best chunk first
    grouped = document_codes[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    place = np.arange(len(grouped)) - np.repeat(starts, np.diff(np.r_[starts, len(grouped)]))
    best = place < FREE_PER_DOCUMENT
    documents = int(document_codes.max()) + 1
    totals = np.bincount(grouped[best], weights=similarities[order][best], minlength=documents)
    scores = totals / np.maximum(np.bincount(grouped[best], minlength=documents), 1)
    ranks = np.empty(documents, dtype=int)
    ranks[np.lexsort((np.arange(documents), -scores))] = np.arange(1, documents + 1)  # ties: document id order
    return ranks


def add_document_vote(
    fused: list[tuple[int, float]], document_codes: np.ndarray, ranks: np.ndarray, k: int, weight: float = DOCUMENT_WEIGHT
) -> list[tuple[int, float]]:
    """Each fused candidate gains weight/(k + its document's rank), the RRF term of a ranking of
    documents; re-sorted best first."""
    voted = [(p, score + weight / (k + int(ranks[document_codes[p]]))) for p, score in fused]
    return sorted(voted, key=lambda item: (-item[1], item[0]))


def add_answer_type_vote(
    fused: list[tuple[int, float]], chunks: list[Chunk], answer: re.Pattern | None, k: int, weight: float = ANSWER_TYPE_WEIGHT
) -> list[tuple[int, float]]:
    """Each candidate that holds the asked kind of expression (`answer`) and belongs to a
    document of the ANSWER_TYPE_DOCUMENTS best candidates gains weight/(k + its place among
    such candidates, in fused order): the RRF term of a ranking of them. Only in documents
    already found: the passage of an article about the career fair that gives its price, never
    another page's tuition fee for "How much does the career fair cost?". Re-sorted best
    first; unchanged when the question asks for no such thing."""
    if answer is None:
        return fused
    found = {chunks[p].doc_id for p, _ in fused[:ANSWER_TYPE_DOCUMENTS]}
    holding = [p for p, _ in fused if chunks[p].doc_id in found and answer.search(chunks[p].text)]
    bonus = {p: weight / (k + place) for place, p in enumerate(holding, start=1)}
    return sorted(((p, score + bonus.get(p, 0.0)) for p, score in fused), key=lambda item: (-item[1], item[0]))


def document_discount(already_chosen: int) -> float:
    """1 for a document's first FREE_PER_DOCUMENT chunks, then a growing discount."""
    return SAME_DOCUMENT_DISCOUNT ** max(0, already_chosen - FREE_PER_DOCUMENT + 1)


def select_diverse(
    fused: list[tuple[int, float]], vectors: np.ndarray, chunks: list[Chunk], k: int
) -> list[tuple[int, float]]:
    """Greedy pick: drop near-duplicates of better results, and discount each further chunk of
    a document already chosen, so other documents get a chance without burying the best one."""
    pool = list(fused)
    chosen: list[tuple[int, float]] = []
    per_doc: dict[str, int] = {}
    while pool and len(chosen) < k:
        best = max(pool, key=lambda item: item[1] * document_discount(per_doc.get(chunks[item[0]].doc_id, 0)))
        pool.remove(best)
        if any(float(vectors[best[0]] @ vectors[p]) >= NEAR_DUPLICATE_COSINE for p, _ in chosen):
            continue
        chosen.append(best)
        doc = chunks[best[0]].doc_id
        per_doc[doc] = per_doc.get(doc, 0) + 1
    return chosen


class HybridRetriever:
    """Searches the live index; follows the pointer to a new generation after a re-index.
    Pinned to `generation`, it searches that one only (the indexer checks a generation's
    suggestions before it goes live)."""

    def __init__(self, settings: Settings, generation: str | None = None) -> None:
        self.settings = settings
        self._pinned = generation
        self._lock = threading.Lock()
        self._generation: IndexGeneration | None = None

    def generation(self) -> IndexGeneration:
        """The live generation, reopened when `tutor index` has flipped the pointer."""
        live = self._pinned or current_generation(self.settings)
        if live is None:
            raise IndexMissing(self.settings.index_dir)
        with self._lock:
            if self._generation is None or self._generation.name != live:
                self._generation = IndexGeneration(self.settings, live)
            return self._generation

    def reachable(self) -> bool:
        """Whether the vector store answers (for /health)."""
        try:
            self.generation().collection.count()
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False
        return True

    def search(self, query: str, k: int = 5, kind: str | None = None, doc_id: str | None = None) -> list[SearchHit]:
        """The k best chunks for `query`, best first; typos are searched as the content's words."""
        query = " ".join(query.split())
        if not query or k <= 0:
            return []
        index = self.generation()
        query = corrected(query, index.vocabulary)
        vector = get_embeddings().encode_query(query)
        fused = reciprocal_rank_fusion(
            [index.dense(vector, CANDIDATES, kind, doc_id), index.keyword(query, CANDIDATES, kind, doc_id)],
            self.settings.rrf_k,
            [1.0, self.settings.keyword_weight],
        )
        similarities = index.vectors @ vector
        codes = index.document_codes
        fused = add_document_vote(fused, codes, document_ranks(similarities, codes), self.settings.rrf_k)
        fused = add_answer_type_vote(fused, index.chunks, asked_kind(query), self.settings.rrf_k)
        chosen = select_diverse(fused, index.vectors, index.chunks, k)
        return [
            SearchHit(rank=r, chunk=index.chunks[p], score=s, similarity=float(similarities[p]))
            for r, (p, s) in enumerate(chosen, start=1)
        ]


def open_retriever(settings: Settings) -> HybridRetriever:
    """A retriever over `settings.index_dir`; raises IndexMissing when nothing is built yet."""
    retriever = HybridRetriever(settings)
    retriever.generation()
    return retriever
