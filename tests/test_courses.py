"""The course files in corpus/courses are grounded in the articles they cite.

These tests read the real corpus (no mocks): every course file loads, cites existing
articles, and every evidence quote is found verbatim in the article it names.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.corpus import load_documents

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
ID_PATTERN = re.compile(r"^course-[a-z0-9]+(?:-[a-z0-9]+)*$")


def squash(text: str) -> str:
    """Normalise only runs of whitespace, so quotes may wrap across lines."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def loaded():
    documents, problems = load_documents(CORPUS)
    return documents, problems


@pytest.fixture(scope="module")
def courses(loaded):
    documents, _ = loaded
    found = [d for d in documents if d.path.parent.name == "courses"]
    assert found, "no course files were loaded from corpus/courses"
    return found


@pytest.fixture(scope="module")
def articles(loaded):
    documents, _ = loaded
    return {d.id: d for d in documents if d.kind == "article"}


def test_course_files_load_without_problems(loaded, courses):
    _, problems = loaded
    assert [str(p) for p in problems] == []
    assert len(courses) == len(list((CORPUS / "courses").glob("*.md")))


def test_every_course_has_kind_course_and_a_valid_id(courses):
    for course in courses:
        assert course.kind == "course", course.path.name
        assert ID_PATTERN.match(course.id), f"{course.path.name}: bad id {course.id!r}"
        assert course.path.stem == course.id, f"{course.path.name}: file name differs from id"


def test_every_source_is_an_existing_article(courses, articles):
    assert articles, "no articles found"
    for course in courses:
        sources = course.meta.get("sources")
        assert isinstance(sources, list) and sources, f"{course.id}: no sources"
        for source in sources:
            assert source in articles, f"{course.id}: unknown article id {source!r}"


def test_every_course_has_at_least_three_evidence_items(courses):
    for course in courses:
        evidence = course.meta.get("evidence")
        assert isinstance(evidence, list), f"{course.id}: evidence is not a list"
        assert len(evidence) >= 3, f"{course.id}: only {len(evidence)} evidence items"
        for item in evidence:
            assert isinstance(item, dict), f"{course.id}: evidence item is not a mapping"
            for key in ("fact", "quote", "source"):
                assert str(item.get(key) or "").strip(), f"{course.id}: evidence item lacks {key!r}"


def test_every_evidence_quote_is_verbatim_in_its_source_article(courses, articles):
    missing = []
    for course in courses:
        sources = set(course.meta.get("sources") or [])
        for item in course.meta.get("evidence") or []:
            source = item.get("source")
            if source not in articles:
                missing.append(f"{course.id}: evidence cites unknown article {source!r}")
                continue
            if source not in sources:
                missing.append(f"{course.id}: evidence cites {source!r}, which is not in sources")
            if squash(item["quote"]) not in squash(articles[source].text):
                missing.append(f"{course.id}: quote not found in {source}: {item['quote'][:80]!r}")
    assert missing == []


def test_every_listed_source_is_used_by_some_evidence(courses):
    for course in courses:
        used = {item.get("source") for item in course.meta.get("evidence") or []}
        unused = set(course.meta.get("sources") or []) - used
        assert not unused, f"{course.id}: sources without evidence: {sorted(unused)}"


def test_course_titles_are_unique(courses):
    titles = [course.title.strip().lower() for course in courses]
    duplicates = sorted({t for t in titles if titles.count(t) > 1})
    assert duplicates == []


def test_course_titles_and_ids_do_not_clash_with_articles(courses, articles):
    article_titles = {a.title.strip().lower() for a in articles.values()}
    for course in courses:
        assert course.id not in articles
        assert course.title.strip().lower() not in article_titles


def test_body_citations_name_articles_listed_in_sources(courses, articles):
    by_title = {a.title: a.id for a in articles.values()}
    for course in courses:
        cited = re.findall(r"\(Source: ([^)]+)\)", course.text)
        assert cited, f"{course.id}: the body cites no source article"
        for title in cited:
            assert title in by_title, f"{course.id}: cites unknown article title {title!r}"
            assert by_title[title] in course.meta["sources"], f"{course.id}: {title!r} not in sources"
