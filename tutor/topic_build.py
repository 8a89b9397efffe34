"""Derive the topics of whatever content is loaded, at index time.

Documents are grouped by meaning (agglomerative clustering of their mean chunk embeddings,
scikit-learn) unless an editor tagged them (`topics:` in the front matter wins). Each group is
labelled with the words that set its titles and headings apart from the other groups
(class-based TF-IDF), and related to the groups closest in meaning. Ids stay stable across
re-indexing: a new group that mostly holds an old topic's documents keeps that topic's id and
label, and retired ids become aliases, so learners' records and hand edits survive.
Hand edits (rename, merge, hide) live in `corpus/topics.yaml`, applied last.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import yaml

from tutor.chunking import Chunk
from tutor.corpus import Document, slugify
from tutor.text import as_written
from tutor.topics import Topic, TopicMap

EDITS_FILE = "topics.yaml"
MAX_TOPICS = 12
LABEL_TERMS = 2
TERMS_PER_TOPIC = 8
RELATED_PER_TOPIC = 2
SAME_TOPIC_JACCARD = 0.5
REGROUP_SHARE = 0.25  # documents added or removed since the last build, beyond which topics are regrouped
URL = re.compile(r"https?://\S+|www\.\S+")  # share of documents in common for a new group to keep an old topic's id


class TopicEditsError(ValueError):
    """`corpus/topics.yaml` cannot be applied; the message names the file and the entry."""


@dataclass
class TopicEdits:
    """An editor's corrections to the derived topics (see `corpus/topics.yaml`)."""

    rename: dict[str, str] = field(default_factory=dict)  # topic id -> label
    merge: dict[str, str] = field(default_factory=dict)  # topic id -> the topic id it joins
    hide: list[str] = field(default_factory=list)


def load_edits(corpus_dir: Path) -> TopicEdits:
    """The edits file, or no edits; a malformed file is an error naming what to fix."""
    path = corpus_dir / EDITS_FILE
    if not path.exists():
        return TopicEdits()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise TopicEditsError(f"{path}: broken YAML ({str(exc).splitlines()[0]})") from None
    unknown = set(raw) - {"rename", "merge", "hide"} if isinstance(raw, dict) else {"(not a mapping)"}
    if unknown:
        raise TopicEditsError(f"{path}: unknown entries {sorted(unknown)}; use rename, merge and hide")
    try:
        return TopicEdits(
            rename={str(k): str(v) for k, v in (raw.get("rename") or {}).items()},
            merge={str(k): str(v) for k, v in (raw.get("merge") or {}).items()},
            hide=[str(t) for t in raw.get("hide") or []],
        )
    except AttributeError:
        raise TopicEditsError(f"{path}: rename and merge map topic ids to text; hide lists topic ids") from None


# ---------------------------------------------------------------- grouping


def document_vectors(documents: list[Document], chunks: list[Chunk], vectors: np.ndarray) -> np.ndarray:
    """One unit vector per document: the mean of its chunks' vectors."""
    rows = {doc.id: i for i, doc in enumerate(documents)}
    sums = np.zeros((len(documents), vectors.shape[1]), dtype=np.float32)
    for chunk, vector in zip(chunks, vectors):
        if chunk.doc_id in rows:
            sums[rows[chunk.doc_id]] += vector
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return sums / np.where(norms == 0, 1, norms)


def topic_count(documents: int) -> int:
    """About the square root of the number of documents: a handful for a small site, a dozen at most."""
    return max(1, min(MAX_TOPICS, round(math.sqrt(documents)), documents))


def cluster(doc_vectors: np.ndarray) -> list[int]:
    """A group number per document (Ward linkage on unit vectors, i.e. by cosine distance)."""
    from sklearn.cluster import AgglomerativeClustering

    count = topic_count(len(doc_vectors))
    if count == 1:
        return [0] * len(doc_vectors)
    return AgglomerativeClustering(n_clusters=count, linkage="ward").fit_predict(doc_vectors).tolist()


def groups_of(documents: list[Document], doc_vectors: np.ndarray) -> list[list[int]]:
    """Document indices per group: tagged documents by their first tag, the rest clustered."""
    tagged: dict[str, list[int]] = {}
    untagged = []
    for i, doc in enumerate(documents):
        if doc.topics:
            tagged.setdefault(doc.topics[0], []).append(i)
        else:
            untagged.append(i)
    groups = list(tagged.values())
    if untagged:
        found: dict[int, list[int]] = {}
        for i, label in zip(untagged, cluster(doc_vectors[untagged])):
            found.setdefault(label, []).append(i)
        groups += list(found.values())
    return groups


# ---------------------------------------------------------------- labelling


def distinctive_terms(group_texts: list[str], limit: int, ignore: frozenset[str] = frozenset()) -> list[list[str]]:
    """Per group, the words and two-word phrases that set it apart from the other groups
    (class-based TF-IDF). A phrase is preferred to its own words when it scores at least
    half as high; words in `ignore` (the institute's own name) never label a topic."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(
        stop_words="english", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b[^\W\d_][\w'-]{2,}\b"
    )
    try:
        matrix = vectorizer.fit_transform(group_texts)
    except ValueError:  # no usable words at all
        return [[] for _ in group_texts]
    vocabulary = vectorizer.get_feature_names_out()
    result = []
    for row in matrix.toarray():
        scored = {str(vocabulary[i]): float(row[i]) for i in np.argsort(-row)[: limit * 8] if row[i] > 0}
        scored = {t: v for t, v in scored.items() if not {w.removesuffix("'s") for w in t.split()} & ignore}
        picked: list[str] = []
        for term, score in scored.items():
            if len(picked) == limit:
                break
            phrase = next((p for p, v in scored.items() if " " in p and term in p.split() and v >= score / 2), term)
            if not any(set(phrase.split()) & set(other.split()) for other in picked):
                picked.append(phrase)
        result.append(picked)
    return result


def label_from(terms: list[str], fallback: str, text: str = "") -> str:
    """A short readable label from a group's most distinctive heading words, each written the
    way its headings mostly write it ("msc" -> "MSc", "oxford" -> "Oxford")."""
    if not terms:
        return fallback
    label = " & ".join(as_written(term, text) for term in terms[:LABEL_TERMS])
    return label[:1].upper() + label[1:]


def headings_text(indices: list[int], documents: list[Document], sections: dict[str, set[str]]) -> str:
    """What a group's label is drawn from: its titles (counted twice) and section headings."""
    parts = []
    for i in indices:
        doc = documents[i]
        parts += [doc.title, doc.title, *sorted(sections.get(doc.id, ()))]
    return "\n".join(parts)


# ---------------------------------------------------------------- stable ids, relations, edits


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def keep_old_ids(topics: list[Topic], previous: TopicMap) -> tuple[list[Topic], dict[str, str]]:
    """New topics that mostly hold an old topic's documents keep its id and label; every other
    old id becomes an alias of the new topic that took most of its documents."""
    pairs = sorted(
        ((jaccard(set(t.documents), set(o.documents)), i, o) for i, t in enumerate(topics) for o in previous.topics),
        key=lambda item: -item[0],
    )
    renamed: dict[int, Topic] = {}
    kept_ids: set[str] = set()
    for score, i, old in pairs:
        if score >= SAME_TOPIC_JACCARD and i not in renamed and old.id not in kept_ids:
            renamed[i] = replace(topics[i], id=old.id, label=old.label)
            kept_ids.add(old.id)
    result = [renamed.get(i, topic) for i, topic in enumerate(topics)]
    aliases = {old: new for old, new in previous.aliases.items()}
    for old in previous.topics:
        if old.id in kept_ids:
            continue
        best = max(result, key=lambda t: len(set(t.documents) & set(old.documents)), default=None)
        if best is not None and set(best.documents) & set(old.documents):
            aliases[old.id] = best.id
    return result, aliases


def unique_ids(topics: list[Topic]) -> list[Topic]:
    """Two groups with the same label get `-2`, `-3`... ids."""
    seen: set[str] = set()
    result = []
    for topic in topics:
        candidate, n = topic.id, 2
        while candidate in seen:
            candidate, n = f"{topic.id}-{n}", n + 1
        seen.add(candidate)
        result.append(replace(topic, id=candidate))
    return result


def apply_edits(topics: list[Topic], aliases: dict[str, str], edits: TopicEdits) -> tuple[list[Topic], dict[str, str]]:
    """Merge, then rename, then hide (a hidden topic keeps its documents, so they stay out of
    sight on the next build too); ids that an edit names but no topic has are ignored
    (the content may have moved on), so an old edits file never breaks indexing."""
    by_id = {t.id: t for t in topics}
    for source, target in edits.merge.items():
        if source in by_id and target in by_id and source != target:
            moved = by_id.pop(source)
            into = by_id[target]
            by_id[target] = replace(into, documents=into.documents + moved.documents, terms=into.terms + moved.terms)
            aliases[source] = target
    for topic_id, label in edits.rename.items():
        if topic_id in by_id:
            by_id[topic_id] = replace(by_id[topic_id], label=label)
    for topic_id in edits.hide:
        if topic_id in by_id:
            by_id[topic_id] = replace(by_id[topic_id], hidden=True)
    return list(by_id.values()), aliases


def relate(topics: list[Topic], centroids: dict[str, np.ndarray]) -> list[Topic]:
    """Each topic's nearest topics in meaning (cosine of their centroids)."""
    result = []
    for topic in topics:
        others = [o for o in topics if o.id != topic.id]
        others.sort(key=lambda o: -float(centroids[topic.id] @ centroids[o.id]))
        related = tuple(o.id for o in others if not o.hidden)[:RELATED_PER_TOPIC]
        result.append(replace(topic, related=related))
    return result


def topic_texts(chunks: list[Chunk]) -> tuple[dict[str, set[str]], dict[str, str]]:
    """Per document, its section headings and its full text (what labels and terms come from)."""
    sections: dict[str, set[str]] = {}
    full_text: dict[str, list[str]] = {}
    for chunk in chunks:
        if chunk.section:
            sections.setdefault(chunk.doc_id, set()).add(chunk.section)
        full_text.setdefault(chunk.doc_id, []).append(URL.sub(" ", chunk.text))
    return sections, {doc: "\n".join(parts) for doc, parts in full_text.items()}


def centroid(doc_vectors: np.ndarray, rows: list[int]) -> np.ndarray:
    mean = doc_vectors[rows].mean(axis=0)
    return mean / (np.linalg.norm(mean) or 1.0)


def kept_groups(documents: list[Document], doc_vectors: np.ndarray, previous: TopicMap) -> list[tuple[Topic, list[int]]] | None:
    """The previous topics with their remaining documents, each new document joined to the
    topic its tag names or, untagged, the nearest in meaning; None when so much changed
    (REGROUP_SHARE of the documents) that the content should be grouped afresh."""
    rows = {doc.id: i for i, doc in enumerate(documents)}
    known = {doc for topic in previous.topics for doc in topic.documents}
    new = [i for i, doc in enumerate(documents) if doc.id not in known]
    if not previous.topics or len(new) + len(known - set(rows)) > REGROUP_SHARE * len(documents):
        return None
    kept = [(t, [rows[d] for d in t.documents if d in rows]) for t in previous.topics]
    kept = [(t, group) for t, group in kept if group]
    if not kept:
        return None
    centres = np.stack([centroid(doc_vectors, group) for _, group in kept])
    labels = [t.label for t, _ in kept]
    for i in new:
        tag = documents[i].topics[0] if documents[i].topics else None
        home = labels.index(tag) if tag in labels else int(np.argmax(centres @ doc_vectors[i]))
        kept[home][1].append(i)
    return kept


def fresh_groups(documents: list[Document], doc_vectors: np.ndarray, sections: dict[str, set[str]], ignore: frozenset[str]) -> list[tuple[Topic, list[int]]]:
    """Group the documents anew and label each group from its titles and headings."""
    groups = groups_of(documents, doc_vectors)
    labels = distinctive_terms([headings_text(g, documents, sections) for g in groups], LABEL_TERMS, ignore)
    result = []
    for group, label_terms in zip(groups, labels):
        tag = documents[group[0]].topics[0] if documents[group[0]].topics else None
        label = tag or label_from(label_terms, documents[group[0]].title, headings_text(group, documents, sections))
        result.append((Topic(slugify(label), label, ()), group))
    return result


def derive_topics(
    documents: list[Document],
    chunks: list[Chunk],
    vectors: np.ndarray,
    previous: TopicMap | None = None,
    edits: TopicEdits | None = None,
    ignore: frozenset[str] = frozenset(),
    regroup: bool = False,
) -> TopicMap:
    """The topics of the content (without suggestions: `suggestions.py` adds those). Topics
    stay as they were while the content changes little (new documents join the nearest)
    unless `regroup` (`tutor index --rebuild`); words in `ignore` (the institute's own name)
    never label a topic."""
    if not documents:
        return TopicMap()
    doc_vectors = document_vectors(documents, chunks, vectors)
    sections, full_text = topic_texts(chunks)
    kept = kept_groups(documents, doc_vectors, previous) if previous and not regroup else None
    groups = kept if kept is not None else fresh_groups(documents, doc_vectors, sections, ignore)
    terms = distinctive_terms(["\n".join(full_text.get(documents[i].id, "") for i in g) for _, g in groups], TERMS_PER_TOPIC, ignore)
    topics = [
        replace(topic, documents=tuple(documents[i].id for i in group), terms=tuple(group_terms), related=(), suggestions=(), hidden=False)
        for (topic, group), group_terms in zip(groups, terms)
    ]
    if kept is not None:
        aliases = dict(previous.aliases)
    else:
        topics, aliases = keep_old_ids(unique_ids(topics), previous) if previous else (unique_ids(topics), {})
    topics, aliases = apply_edits(topics, aliases, edits or TopicEdits())
    rows = {doc.id: i for i, doc in enumerate(documents)}
    centroids = {t.id: centroid(doc_vectors, [rows[d] for d in t.documents]) for t in topics}
    current = {t.id for t in topics}
    aliases = {old: new for old, new in aliases.items() if old not in current}
    return TopicMap(tuple(relate(topics, centroids)), aliases)
