"""Topics and suggestions derived from whatever content is loaded: the institute's own corpus,
another organisation's pages, an article uploaded later, and an editor's corrections."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from tutor.catalogue import CATALOGUE_ID
from tutor.config import Settings
from tutor.corpus import import_files, load_documents
from tutor.index import (
    build_index,
    current_generation,
    indexed_documents,
    load_topic_map,
)
from tutor.profile import load_profile
from tutor.suggestions import agent_checker
from tutor.topics import topics_of_documents

from .conftest import ROOT, copy_corpus, make_settings

CARPENTRIES = ROOT.parent / "shared" / "corpora" / "carpentries" / "docs"
CARPENTRIES_PROFILE = ROOT / "tests" / "golden" / "carpentries-institute.yaml"
NEW_ARTICLE = """---
title: The Robotics Lab opens for students
kind: article
date: 2026-11-01
---

# The Robotics Lab opens for students

The new Robotics Lab gives every enrolled student remote access to six industrial robot arms.
Students book two-hour sessions in the lab's calendar and program the arms from their browser.

## Who can use the Robotics Lab

Any student in a bachelor's or master's programme can book the Robotics Lab after a short online safety course.
The safety course takes forty minutes and ends with a quiz about emergency stops and safe distances.
"""


def topic_map(settings: Settings):
    return load_topic_map(settings, current_generation(settings))


@pytest.fixture(scope="module")
def carpentries(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The other organisation's pages imported by the product's own importer into an empty corpus."""
    if not CARPENTRIES.is_dir():
        pytest.skip("the second corpus is not beside the repository (../shared/corpora/carpentries)")
    tmp = tmp_path_factory.mktemp("carpentries")
    settings = make_settings(tmp)
    settings.corpus_dir.mkdir(parents=True)
    shutil.copyfile(CARPENTRIES_PROFILE, settings.corpus_dir / "institute.yaml")
    report = import_files(sorted(CARPENTRIES.glob("*.md")), settings.corpus_dir)
    assert not report.problems, report.problems
    build_index(settings)
    return settings


def test_every_page_of_the_other_organisation_is_imported_without_ids(carpentries: Settings) -> None:
    documents, problems = load_documents(carpentries.corpus_dir)
    assert not problems
    assert len(documents) == len(list(CARPENTRIES.glob("*.md")))
    assert sum(d.kind == "course" for d in documents) >= 10  # kind: course is kept


def test_topics_come_from_the_loaded_content(carpentries: Settings) -> None:
    topics = topic_map(carpentries).topics
    documents = {d.id: d for d in indexed_documents(carpentries)[0]}  # with the course catalogue
    assert CATALOGUE_ID in documents
    assert 4 <= len(topics) <= 12
    filed = [doc for topic in topics for doc in topic.documents]
    assert sorted(filed) == sorted(documents), "every document in exactly one topic"
    for topic in topics:
        words = {w.strip("&").lower() for w in topic.label.split()} - {"", "&"}
        text = " ".join(documents[d].title + " " + documents[d].text for d in topic.documents).lower()
        assert all(word in text for word in words), f"label {topic.label!r} is not drawn from its documents"
        assert "opit" not in topic.label.lower()
        assert set(topic.related) <= {t.id for t in topics} - {topic.id}


def test_every_suggestion_is_answered_from_its_topic_by_the_extractive_agent(carpentries: Settings) -> None:
    check = agent_checker(carpentries, current_generation(carpentries))
    topics = topic_map(carpentries).topics
    assert sum(len(t.suggestions) for t in topics) >= 2 * len(topics)
    for topic in topics:
        for question in topic.suggestions:
            assert check(question) & set(topic.documents), f"{question!r} is not answered from {topic.id}"


def test_prompts_and_refusals_name_the_loaded_organisation(carpentries: Settings) -> None:
    from tutor.agent.prompts import for_institute, system_prompt

    profile = load_profile(carpentries.corpus_dir)
    texts = [system_prompt(profile, ""), *(for_institute(name, profile) for name in ("refuse", "unsafe", "smalltalk"))]
    for text in texts:
        assert "The Carpentries" in text
        assert "OPIT" not in text and "Open Institute" not in text


@pytest.fixture(scope="module")
def institute(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The institute's corpus, indexed in its own folder (these tests add and edit content)."""
    tmp = tmp_path_factory.mktemp("institute")
    copy_corpus(tmp / "corpus")
    settings = make_settings(tmp)
    build_index(settings)
    return settings


def test_topic_labels_never_use_the_institutes_own_name(institute: Settings) -> None:
    profile = load_profile(institute.corpus_dir)
    for topic in topic_map(institute).topics:
        assert profile.short_name.lower() not in topic.label.lower()
        assert topic.suggestions, f"topic {topic.id} has no checked suggestion"


def test_an_uploaded_article_gets_a_topic_and_a_suggestion_and_ids_stay_stable(institute: Settings, tmp_path: Path) -> None:
    before = topic_map(institute)
    upload = tmp_path / "robotics-lab.md"
    upload.write_text(NEW_ARTICLE, encoding="utf-8")
    report = import_files([upload], institute.corpus_dir)
    assert report.documents_added == ["the-robotics-lab-opens-for-students"] and not report.problems
    build_index(institute)
    after = topic_map(institute)
    home = next(t for t in after.topics if "the-robotics-lab-opens-for-students" in t.documents)
    assert any("Robotics Lab" in q for q in home.suggestions), home.suggestions
    kept = {t.id for t in after.topics} & {t.id for t in before.topics}
    assert len(kept) >= len(before.topics) - 1, "one new article must not rename every topic"
    assert all(after.resolve(t.id) for t in before.topics), "every old id still resolves"


def test_editors_rename_merge_and_hide_and_learners_old_ids_still_resolve(institute: Settings) -> None:
    topics = topic_map(institute).topics
    first, second, third = topics[0], topics[1], topics[2]
    edits = {"rename": {first.id: "Renamed by the editor"}, "merge": {second.id: first.id}, "hide": [third.id]}
    (institute.corpus_dir / "topics.yaml").write_text(yaml.safe_dump(edits), encoding="utf-8")
    summary = build_index(institute)  # no document changed: the edits alone re-derive the topics
    assert summary.swapped
    edited = topic_map(institute)
    by_id = edited.by_id
    assert by_id[first.id].label == "Renamed by the editor"
    assert set(second.documents) <= set(by_id[first.id].documents)
    assert second.id not in by_id and by_id[third.id].hidden and third not in edited.visible
    assert edited.resolve(second.id) == first.id
    assert not set(topics_of_documents(edited, third.documents)), "nothing is filed under a hidden topic"
    (institute.corpus_dir / "topics.yaml").write_text(yaml.safe_dump({"hide": [third.id]}), encoding="utf-8")
    build_index(institute)  # the editor changed their mind about the merge: the hidden topic stays hidden
    assert topic_map(institute).by_id[third.id].hidden
    assert edited.current({second.id: 2, first.id: 1}) == {first.id: 3}


def test_a_broken_edits_file_is_reported_by_name(institute: Settings) -> None:
    from tutor.topic_build import TopicEditsError, load_edits

    (institute.corpus_dir / "topics.yaml").write_text("rename: [not, a, mapping]\n", encoding="utf-8")
    with pytest.raises(TopicEditsError, match="topics.yaml"):
        load_edits(institute.corpus_dir)


def test_the_page_names_the_loaded_organisation_and_files_its_questions_under_its_topics(carpentries: Settings) -> None:
    from fastapi.testclient import TestClient

    from tutor.service import TutorService
    from tutor.ui.server import create_app

    service = TutorService(carpentries)
    config = TestClient(create_app(service)).get("/config")  # what the page is built from
    assert config.json()["title"] == "Institute Tutor · Carpentries"
    assert "Ask me about The Carpentries" in config.text and "OPIT" not in config.text and "Open Institute" not in config.text
    answer = service.ask("How much does a centrally-organised workshop cost?", learner="ada")
    topics = {t.id for t in topic_map(carpentries).topics}
    assert answer.route == "answer" and answer.topics and set(answer.topics) <= topics
    assert service.learners.profile("ada").explored.keys() <= topics
    refusal = service.ask("What is the capital of Peru?")
    assert refusal.route == "refuse" and "The Carpentries" in refusal.answer and "OPIT" not in refusal.answer
    assert refusal.suggestions and set(refusal.suggestions) <= {q for t in topic_map(carpentries).topics for q in t.suggestions}
