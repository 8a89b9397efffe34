"""The content-gap report: what learners asked that the content did not serve, grouped by meaning.

Sources (from the learners store, never with learner ids): declined questions, answers given
without a single citation, and answers rated down. Questions are embedded with the index's
model and clustered by agglomerative clustering (average linkage, cosine distance). The cut is
relative to the data: `CUT_RATIO` times the median distance between the report's questions,
so it needs no tuning per corpus or embedding model. Each cluster names the documents
nearest in meaning (the live index's chunk vectors), the likeliest place to fill the gap.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np

from tutor.config import Settings

CUT_RATIO = 0.75  # merge questions closer than 3/4 of the typical distance between two questions
MAX_EXAMPLES = 5
NEAREST_DOCUMENTS = 3


def parse_since(value: str | None) -> float:
    """A YYYY-MM-DD date (UTC midnight) as seconds since the epoch; None means from the start."""
    if not value:
        return 0.0
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        raise ValueError(f"--since must be a date like 2026-01-31, not {value!r}") from None
    return day.replace(tzinfo=UTC).timestamp()


def cluster(vectors: np.ndarray) -> list[int]:
    """A cluster label per row of unit vectors (see the module docstring for the cut)."""
    if len(vectors) < 2:
        return [0] * len(vectors)
    from scipy.spatial.distance import pdist
    from sklearn.cluster import AgglomerativeClustering

    median = float(np.median(pdist(vectors, metric="cosine")))
    if median <= 0.0:  # every question the same
        return [0] * len(vectors)
    model = AgglomerativeClustering(n_clusters=None, metric="cosine", linkage="average", distance_threshold=CUT_RATIO * median)
    return model.fit_predict(vectors).tolist()


def nearest_documents(centroid: np.ndarray, chunk_vectors: np.ndarray, chunks: list) -> list[dict]:
    """The documents whose best chunk is closest to `centroid`, best first."""
    if not len(chunks):
        return []
    scores = chunk_vectors @ (centroid / (np.linalg.norm(centroid) or 1.0))
    found: dict[str, dict] = {}
    for i in np.argsort(-scores):
        chunk = chunks[int(i)]
        if chunk.doc_id not in found:
            found[chunk.doc_id] = {"doc_id": chunk.doc_id, "title": chunk.title, "score": round(float(scores[i]), 3)}
        if len(found) == NEAREST_DOCUMENTS:
            break
    return list(found.values())


def live_chunk_vectors(settings: Settings) -> tuple[np.ndarray, list]:
    """The live generation's chunks and their stored (unit) vectors; empty without an index."""
    from tutor.index import current_generation, load_chunks

    live = current_generation(settings)
    if live is None:
        return np.zeros((0, 0), dtype=np.float32), []
    folder = settings.index_dir / live
    return np.load(folder / "vectors.npy"), load_chunks(folder)


def build_clusters(turns: list[dict], vectors: np.ndarray, chunk_vectors: np.ndarray, chunks: list) -> list[dict]:
    """Clusters, largest first: size, reasons, examples closest to the centre, nearest documents."""
    labels = cluster(vectors)
    clusters = []
    for label in sorted(set(labels)):
        members = [i for i, lab in enumerate(labels) if lab == label]
        centroid = vectors[members].mean(axis=0)
        closest = sorted(members, key=lambda i: -float(vectors[i] @ centroid))
        examples = list(dict.fromkeys(turns[i]["question"] for i in closest))[:MAX_EXAMPLES]
        clusters.append(
            {
                "size": len(members),
                "reasons": dict(Counter(turns[i]["reason"] for i in members)),
                "examples": examples,
                "first": min(turns[i]["created"] for i in members),
                "last": max(turns[i]["created"] for i in members),
                "nearest_documents": nearest_documents(centroid, chunk_vectors, chunks),
            }
        )
    return sorted(clusters, key=lambda c: (-c["size"], c["examples"][0]))


def gap_report(settings: Settings, since: float = 0.0, store=None) -> list[dict]:
    """The report for `tutor report gaps` and the admin tab (a list of clusters, no learner ids)."""
    from tutor.embeddings import get_embeddings
    from tutor.learners import LearnerStore

    turns = (store or LearnerStore(settings)).gap_turns(since)
    if not turns:
        return []
    vectors = get_embeddings().encode([turn["question"] for turn in turns])
    chunk_vectors, chunks = live_chunk_vectors(settings)
    return build_clusters(turns, vectors, chunk_vectors, chunks)
