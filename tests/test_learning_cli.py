"""The quiz, progress and gap commands as a user runs them, over a real index of the corpus."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tutor.config import Settings
from tutor.learners import LearnerStore
from tutor.learning.bank import BANK_FILE, CONTRACT_KEYS
from tutor.learning.service import QuizService

from .conftest import ROOT, copy_corpus, make_settings, tutor_env


def cli(args: list[str], settings: Settings, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`tutor ARGS` from this checkout (not whatever `tutor` is installed)."""
    return subprocess.run(
        [sys.executable, "-c", "from tutor.cli import app; app()", *args],
        cwd=ROOT, env=tutor_env(settings), input=stdin, capture_output=True, text=True, timeout=300, check=False,
    )


@pytest.fixture(scope="module")
def indexed(tmp_path_factory) -> Settings:
    from tutor.index import build_index

    tmp = tmp_path_factory.mktemp("quiz-cli")
    copy_corpus(tmp / "corpus")
    settings = make_settings(tmp)
    build_index(settings)
    return settings


@pytest.fixture(scope="module")
def built(indexed) -> dict:
    result = cli(["quiz", "build", "--json"], indexed)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_index_build_leaves_quiz_build_nothing_to_redo(indexed, built):
    from tutor.index import current_generation

    assert (indexed.index_dir / current_generation(indexed) / BANK_FILE).exists()
    assert built["items"] >= 3 * len(built["topics"])
    assert built["reused"] == built["items"] and built["generated"] == 0  # `tutor index` built it all


def test_quiz_bank_json_is_the_contract(indexed, built):
    items = json.loads(cli(["quiz", "bank", "--json"], indexed).stdout)
    assert len(items) == built["items"]
    for item in items:
        assert tuple(item) == CONTRACT_KEYS
        assert item["quote"] in item["source_text"]
    topic = items[0]["topic"]
    only = json.loads(cli(["quiz", "bank", "--topic", topic, "--json"], indexed).stdout)
    assert only and {item["topic"] for item in only} == {topic}


def test_an_interactive_quiz_grades_records_and_shows_in_learner_show(indexed, built):
    service = QuizService.open(indexed)
    first = service.next_item("quinn")
    result = cli(["quiz", "--learner", "quinn"], indexed, stdin=f"{first.answer}\nsurely not the answer\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "Right." in result.stdout and "Not quite" in result.stdout and first.quote[:40] in " ".join(result.stdout.split())
    shown = json.loads(cli(["learner", "show", "quinn", "--json"], indexed).stdout)
    practised = [t for t in shown["mastery"] if t["attempts"]]
    assert sum(t["attempts"] for t in practised) == 2
    assert "mastery" in cli(["learner", "show", "quinn"], indexed).stdout
    forgot = json.loads(cli(["learner", "forget", "quinn", "--json"], indexed).stdout)
    assert forgot["removed"] >= 5
    assert LearnerStore(indexed).attempts("quinn") == [] and LearnerStore(indexed).mastery("quinn") == {}


def test_report_gaps_json_clusters_without_learner_ids(indexed):
    store = LearnerStore(indexed)
    for n, question in enumerate(["Is there student housing on campus?", "Can I get a dormitory room?", "What's the weather tomorrow?"]):
        store.record_turn(f"gap-learner-{n}", question, "…", "refuse", [], [])
    clusters = json.loads(cli(["report", "gaps", "--json"], indexed).stdout)
    assert sum(c["size"] for c in clusters) == 3 and "gap-learner" not in json.dumps(clusters)
    assert cli(["report", "gaps", "--since", "2999-01-01", "--json"], indexed).stdout.strip() == "[]"
    bad = cli(["report", "gaps", "--since", "yesterday"], indexed)
    assert bad.returncode == 1 and "--since" in bad.stderr


def test_quiz_without_an_index_says_what_to_do(tmp_path):
    result = cli(["quiz", "bank", "--json"], make_settings(tmp_path))
    assert result.returncode == 1 and "tutor index" in result.stderr


def test_quiz_bank_builds_a_missing_bank_first(indexed, built):
    from tutor.index import current_generation

    bank = indexed.index_dir / current_generation(indexed) / BANK_FILE
    bank.unlink()
    result = cli(["quiz", "bank", "--json"], indexed)
    assert result.returncode == 0 and "building it" in result.stderr
    assert bank.exists() and len(json.loads(result.stdout)) == built["items"]


def test_the_service_layer_reopens_the_bank_when_a_reindex_swaps_the_generation(indexed, built):
    import shutil

    from tutor.index import current_generation, flip_pointer
    from tutor.learning.bank import load_bank, save_bank
    from tutor.service.quizzes import Quizzes

    quizzes = Quizzes(indexed, LearnerStore(indexed))
    live = current_generation(indexed)
    before = quizzes.bank()
    assert len(before) == built["items"]
    swapped = indexed.index_dir / f"{live}-swapped"
    shutil.copytree(indexed.index_dir / live, swapped)
    save_bank(swapped, load_bank(swapped)[:5])
    flip_pointer(indexed, swapped.name)
    try:
        assert len(quizzes.bank()) == 5 and {item.id for item in quizzes.bank()} == {item.id for item in load_bank(swapped)}
        assert quizzes.next_item("rhea").id in {item.id for item in quizzes.bank()}
    finally:
        flip_pointer(indexed, live)
    assert len(quizzes.bank()) == built["items"]
