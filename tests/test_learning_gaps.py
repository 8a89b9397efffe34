"""The content-gap report over a real store (both backends), the real embedding model and a real
index: the right turns, grouped by meaning, nearest documents, never a learner id."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tutor.config import Settings
from tutor.embeddings import get_embeddings
from tutor.learners import LearnerStore
from tutor.learning.gaps import cluster, gap_report, parse_since

from .conftest import make_settings

T0 = 1_780_000_000.0
HACKATHON = "hackathon"
CLUSTERS = {
    "weather": ["What will the weather be like tomorrow?", "Is it going to rain this weekend?", "What's the temperature outside today?"],
    "food": ["Can you give me a recipe for lasagna?", "How do I cook lasagna at home?", "What's a good pasta recipe?"],
    "housing": ["Does the institute offer student housing?", "Can I get a dormitory room on campus?", "Where do students live, is there accommodation?"],
}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path: Path) -> LearnerStore:
    if request.param == "postgresql":
        return LearnerStore(Settings(data_dir=tmp_path, database_url=request.getfixturevalue("postgres_schema_url")))
    return LearnerStore(Settings(data_dir=tmp_path, database_url=None))


def fill(store: LearnerStore) -> None:
    """Declined questions in three themes from three learners, plus turns that are no gap."""
    cited = [{"n": 1, "chunk_id": "c1", "doc_id": "d", "title": "T"}]
    for n, (theme, questions) in enumerate(CLUSTERS.items()):
        for m, question in enumerate(questions):
            route = "refuse" if theme != "housing" else "answer"
            store.record_turn(f"learner-{m}", question, "…", route, [], [], now=T0 + 10 * n + m)
    store.record_turn("learner-0", "What is a hackathon?", "…", "answer", cited, [], now=T0 + 100)
    disliked = store.record_turn("learner-1", "Who organises the hackathon?", "…", "answer", cited, [], now=T0 + 101)
    store.add_feedback("learner-1", disliked.id, -1)
    liked = store.record_turn("learner-2", "When is the next hackathon?", "…", "answer", cited, [], now=T0 + 102)
    store.add_feedback("learner-2", liked.id, 1)


def test_gap_turns_are_declined_unsupported_or_disliked_and_anonymous(store):
    fill(store)
    turns = store.gap_turns()
    reasons = {turn["question"]: turn["reason"] for turn in turns}
    assert reasons["Is it going to rain this weekend?"] == "declined"
    assert reasons["Does the institute offer student housing?"] == "unsupported"
    assert reasons["Who organises the hackathon?"] == "thumbs-down"
    assert "What is a hackathon?" not in reasons and "When is the next hackathon?" not in reasons
    assert all(set(turn) == {"question", "reason", "created"} for turn in turns)
    assert next(t["question"] for t in store.gap_turns(since=T0 + 20)) == CLUSTERS["housing"][0]


def test_the_report_groups_questions_by_meaning_with_nearest_documents(store, indexed_settings):
    fill(store)
    clusters = gap_report(indexed_settings, store=store)
    groups = [set(c["examples"]) for c in clusters]
    for questions in CLUSTERS.values():
        assert set(questions) in groups
    assert sum(c["size"] for c in clusters) == 10
    housing = next(c for c in clusters if set(c["examples"]) == set(CLUSTERS["housing"]))
    assert housing["reasons"] == {"unsupported": 3}
    assert len(housing["nearest_documents"]) == 3 and all(d["title"] for d in housing["nearest_documents"])
    hackathon = next(c for c in clusters if any(HACKATHON in e for e in c["examples"]))
    assert "hackathon" in hackathon["nearest_documents"][0]["title"].lower()
    assert "learner-" not in json.dumps(clusters)


def test_the_cut_is_relative_to_the_data():
    vectors = get_embeddings().encode([q for qs in CLUSTERS.values() for q in qs])
    labels = cluster(vectors)
    assert len(set(labels)) == 3
    scaled = np.vstack([vectors, vectors])  # the same questions twice: same grouping, no absolute number
    assert len(set(cluster(scaled))) == 3
    assert cluster(vectors[:1]) == [0] and cluster(vectors[:0]) == []


def test_since_is_a_date(tmp_path):
    assert parse_since("2026-01-31") == 1769817600.0
    assert parse_since(None) == 0.0
    with pytest.raises(ValueError):
        parse_since("last week")
    assert gap_report(make_settings(tmp_path)) == []  # nothing recorded, no index: an empty report
