"""A synthetic index of N chunks made of real corpus sentences, to measure search at scale.

Run as a subprocess (`python -m benchmarks.synthetic N`) so its peak memory is its own.
Vectors are sums of real sentence embeddings plus noise: realistic neighbourhoods without
embedding N texts (which would take an hour on two cores).
"""

from __future__ import annotations

import json
import resource
import sys
import time

import numpy as np

from benchmarks.common import GOLDEN, scratch_settings
from benchmarks.speed_bench import latencies
from tutor.chunking import Chunk, chunk_documents
from tutor.corpus import load_documents
from tutor.embeddings import get_embeddings
from tutor.evaluation import load_golden, percentile
from tutor.index import flip_pointer, new_generation_name, write_generation
from tutor.retrieval import open_retriever
from tutor.text import split_sentences

SENTENCES_PER_CHUNK = 4
CHUNKS_PER_DOC = 20


def synthetic_chunks(n: int, settings) -> tuple[list[Chunk], np.ndarray]:
    documents, _ = load_documents(settings.corpus_dir)
    sentences = sorted({s for c in chunk_documents(documents, 200, 30) for s in split_sentences(c.text) if len(s) > 30})
    vectors = get_embeddings().encode(sentences)
    rng = np.random.default_rng(7)
    picks = rng.integers(0, len(sentences), size=(n, SENTENCES_PER_CHUNK))
    chunk_vectors = vectors[picks].sum(axis=1) + rng.normal(0, 0.05, size=(n, vectors.shape[1]))
    chunk_vectors /= np.linalg.norm(chunk_vectors, axis=1, keepdims=True)
    chunks = [
        Chunk(
            chunk_id=f"syn-{i // CHUNKS_PER_DOC}:{i:08d}",
            doc_id=f"syn-{i // CHUNKS_PER_DOC}",
            title=f"Synthetic document {i // CHUNKS_PER_DOC}",
            section="",
            kind="article",
            date="",
            position=i % CHUNKS_PER_DOC,
            text=" ".join(sentences[j] for j in row),
        )
        for i, row in enumerate(picks)
    ]
    return chunks, chunk_vectors.astype(np.float32)


def main(n: int) -> None:
    settings = scratch_settings("synthetic")
    chunks, vectors = synthetic_chunks(n, settings)
    generation = new_generation_name()
    started = time.perf_counter()
    write_generation(settings, generation, chunks, vectors, {"chunks": n, "documents": {}, "signature": {}, "created": "", "generation": generation})
    flip_pointer(settings, generation)
    write_s = time.perf_counter() - started
    retriever = open_retriever(settings)
    index = retriever.generation()
    queries = [q.q for q in load_golden(GOLDEN)]
    hybrid = latencies(lambda q: retriever.search(q, k=5), queries, repeats=2)
    dense = latencies(lambda q: index.dense(get_embeddings().encode([q])[0], 5, None, None), queries, repeats=2)
    print(
        json.dumps(
            {
                "chunks": n,
                "write_s": round(write_s, 1),
                "hybrid_p50_ms": percentile(hybrid, 50),
                "hybrid_p95_ms": percentile(hybrid, 95),
                "dense_only_p50_ms": percentile(dense, 50),
                "dense_only_p95_ms": percentile(dense, 95),
                "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
