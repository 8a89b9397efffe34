"""The learner store against a real SQLite file and a real PostgreSQL server: history, profiles,
isolation, forgetting, concurrency. Every store test runs on both backends."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.learners import (
    LearnerStore,
    LearnerStoreUnavailable,
    database_path,
    validate_learner_id,
)

from .conftest import free_port

TABLES = ("learners", "turns", "topic_visits", "feedback")
HOSTILE_IDS = ["../../etc", "x'; DROP TABLE turns;--", "a" * 10_000, "", "   ", "alice\nbob", "bob/../x", None]


@pytest.fixture(params=["sqlite", "postgresql"])
def settings(request, tmp_path: Path) -> Settings:
    if request.param == "postgresql":
        return Settings(data_dir=tmp_path / "data", database_url=request.getfixturevalue("postgres_schema_url"))
    return Settings(data_dir=tmp_path / "data", database_url=None)


@pytest.fixture
def store(settings: Settings) -> LearnerStore:
    return LearnerStore(settings)


def query(settings: Settings, sql: str, params: tuple = ()) -> list[tuple]:
    """Raw rows straight from the backend, bypassing the store (`?` parameters)."""
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url) as db:
            return db.execute(sql.replace("?", "%s"), params).fetchall()
    with sqlite3.connect(database_path(settings)) as db:
        return db.execute(sql, params).fetchall()


def row_counts(settings: Settings) -> dict[str, int]:
    return {table: query(settings, f"SELECT COUNT(*) FROM {table}")[0][0] for table in TABLES}


def ask(store: LearnerStore, learner: str, question: str, topics=("events",), now: float | None = None):
    citations = [{"n": 1, "chunk_id": "c1", "doc_id": "the-value-of-hackathons", "title": "The Value of Hackathons"}]
    return store.record_turn(learner, question, f"answer to {question}", "answer", citations, list(topics), now=now)


# --- record, history, profile ----------------------------------------------------------------


def test_record_turn_round_trips_through_history(store):
    turn = ask(store, "alice", "What is a hackathon?", now=100.0)
    assert turn.id > 0 and turn.learner_id == "alice" and turn.created == 100.0
    [stored] = store.history("alice")
    assert stored == turn
    assert stored.citations[0]["doc_id"] == "the-value-of-hackathons"
    assert stored.topics == ["events"]


def test_history_is_oldest_first_and_keeps_the_last_turns(store):
    for i in range(5):
        ask(store, "alice", f"question {i}", now=100.0 + i)
    assert [t.question for t in store.history("alice")] == [f"question {i}" for i in range(5)]
    assert [t.question for t in store.history("alice", limit=2)] == ["question 3", "question 4"]
    assert store.history("alice", limit=0) == []


def test_profile_of_unknown_learner_is_empty_and_creates_nothing(store, settings):
    profile = store.profile("nobody")
    assert (profile.level, profile.level_source, profile.turns, profile.topics) == ("intermediate", "inferred", 0, {})
    assert store.list_learners() == []
    assert row_counts(settings)["learners"] == 0


def test_profile_counts_topics_with_last_time(store):
    ask(store, "alice", "q1", topics=["events", "career-services"], now=10.0)
    ask(store, "alice", "q2", topics=["events", "events"], now=20.0)
    ask(store, "alice", "q3", topics=["cybersecurity"], now=30.0)
    profile = store.profile("alice")
    assert profile.turns == 3
    assert profile.topics == {
        "events": {"count": 2, "last": 20.0},
        "career-services": {"count": 1, "last": 10.0},
        "cybersecurity": {"count": 1, "last": 30.0},
    }
    assert profile.explored == {"events": 2, "career-services": 1, "cybersecurity": 1}
    assert profile.created == 10.0


def test_level_is_inferred_from_questions(store):
    ask(store, "alice", "What is a hackathon? I'm new here.")
    assert store.profile("alice").level == "intermediate"  # one question is not enough
    ask(store, "alice", "Can you explain it in simple words?")
    assert store.profile("alice").level == "intermediate"  # one question's evidence is not a sustained change
    ask(store, "alice", "What is MLOps? Explain simply, I'm new.")
    assert store.profile("alice").level == "beginner"
    terms = {"mlops", "inference", "governance"}  # the content's own technical vocabulary (from its topics)
    seen = []
    for question in ["How do MLOps pipelines cut inference costs?", "How does governance fit MLOps?"] * 4:
        store.record_turn("alice", question, "answer", "answer", [], [], technical_terms=terms)
        seen.append(store.profile("alice").level)
    assert list(dict.fromkeys(seen)) == ["beginner", "intermediate", "advanced"]  # one step at a time, on sustained evidence
    profile = store.profile("alice")
    assert (profile.level, profile.level_source) == ("advanced", "inferred")


def test_set_level_sticks_against_inference(store):
    store.set_level("bob", "advanced")
    for question in ["What is AI? I'm new.", "Please explain simply.", "What is a degree?"]:
        ask(store, "bob", question)
    profile = store.profile("bob")
    assert (profile.level, profile.level_source) == ("advanced", "set")
    with pytest.raises(ValueError, match="unknown level"):
        store.set_level("bob", "expert")
    assert store.profile("bob").level == "advanced"


def test_preferences_merge(store):
    store.set_preferences("alice", language="en")
    store.set_preferences("alice", show_sources=True)
    assert store.profile("alice").preferences == {"language": "en", "show_sources": True}


def test_a_failed_record_writes_nothing(store, settings):
    with pytest.raises(TypeError):
        store.record_turn("alice", "q", "a", "answer", [{"bad": object()}], ["events"])
    assert row_counts(settings) == dict.fromkeys(TABLES, 0)


# --- feedback and isolation ------------------------------------------------------------------


def test_feedback_is_listed_with_its_turn_and_can_be_changed(store):
    turn = ask(store, "alice", "When is OPIT Hackathon 2026?")
    store.add_feedback("alice", turn.id, -1, "missing the date")
    store.add_feedback("alice", turn.id, 1, " better now ")
    [item] = store.list_feedback()
    assert item["learner_id"] == "alice" and item["turn_id"] == turn.id
    assert (item["rating"], item["comment"]) == (1, "better now")
    assert item["question"] == turn.question and item["answer"] == turn.answer
    assert item["citations"] == turn.citations and item["created"] > 0
    with pytest.raises(ValueError):
        store.add_feedback("alice", turn.id, 0)


def test_learners_never_see_each_other(store):
    a = ask(store, "alice", "alice's private question", topics=["cybersecurity"])
    b = ask(store, "bob", "bob's private question", topics=["events"])
    assert [t.question for t in store.history("bob")] == ["bob's private question"]
    assert set(store.profile("bob").topics) == {"events"}
    with pytest.raises(PermissionError):
        store.add_feedback("alice", b.id, -1, "rating someone else's turn")
    with pytest.raises(PermissionError):
        store.add_feedback("alice", 999_999, 1)
    store.add_feedback("alice", a.id, 1)
    assert [(f["learner_id"], f["turn_id"]) for f in store.list_feedback()] == [("alice", a.id)]


def test_list_learners_reports_turns_level_and_last_seen(store):
    ask(store, "alice", "q1", now=10.0)
    ask(store, "alice", "q2", now=50.0)
    ask(store, "bob", "q1", now=30.0)
    assert store.list_learners() == [
        {"id": "alice", "turns": 2, "level": "intermediate", "last_seen": 50.0},
        {"id": "bob", "turns": 1, "level": "intermediate", "last_seen": 30.0},
    ]


def test_forget_removes_every_trace_and_spares_others(store, settings):
    for learner in ("alice", "bob"):
        turn = ask(store, learner, f"{learner} asks", topics=["events", "cybersecurity"])
        store.add_feedback(learner, turn.id, 1)
    store.set_preferences("alice", language="en")
    before = row_counts(settings)
    deleted = store.forget("alice")
    assert deleted == 1 + 1 + 2 + 1  # learner, turn, two topics, feedback
    for table in TABLES:
        column = "id" if table == "learners" else "learner_id"
        assert query(settings, f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", ("alice",))[0][0] == 0
    assert sum(before.values()) - sum(row_counts(settings).values()) == deleted
    assert store.history("alice") == [] and store.profile("alice").turns == 0
    assert [t.question for t in store.history("bob")] == ["bob asks"]
    assert [f["learner_id"] for f in store.list_feedback()] == ["bob"]
    assert store.forget("alice") == 0


# --- learner ids -----------------------------------------------------------------------------


def test_valid_ids_are_stripped_and_accepted():
    assert validate_learner_id("  Ada Lovelace ") == "Ada Lovelace"
    assert validate_learner_id("ada.l_1-x@opit.eu") == "ada.l_1-x@opit.eu"
    assert validate_learner_id("a" * 64) == "a" * 64
    with pytest.raises(ValueError, match="1 to 64"):
        validate_learner_id("a" * 65)


@pytest.mark.parametrize("hostile", HOSTILE_IDS, ids=repr)
def test_hostile_ids_are_rejected_everywhere_and_nothing_is_written(store, settings, tmp_path, hostile):
    calls = [
        lambda: ask(store, hostile, "q"),
        lambda: store.history(hostile),
        lambda: store.profile(hostile),
        lambda: store.set_level(hostile, "beginner"),
        lambda: store.set_preferences(hostile, language="en"),
        lambda: store.add_feedback(hostile, 1, 1),
        lambda: store.forget(hostile),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="learner id"):
            call()
    assert row_counts(settings) == dict.fromkeys(TABLES, 0)
    if store.backend == "postgresql":
        assert list(tmp_path.iterdir()) == []  # nothing on disk at all
        return
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]
    database = database_path(settings).name
    assert {p.name for p in settings.data_dir.iterdir()} <= {database, f"{database}-wal", f"{database}-shm"}


# --- durability and concurrency --------------------------------------------------------------


def test_data_survives_a_restart(settings):
    first = LearnerStore(settings)
    turn = ask(first, "alice", "Who leads the MSc in Cybersecurity?", topics=["cybersecurity"])
    first.set_level("alice", "beginner")
    del first
    second = LearnerStore(settings)
    assert second.history("alice") == [turn]
    assert second.profile("alice").level == "beginner"
    if second.backend == "sqlite":
        assert query(settings, "PRAGMA journal_mode")[0][0] == "wal"


def test_concurrent_writes_from_threads_lose_nothing(store):
    threads, turns = 8, 20
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        start.wait()
        try:
            for i in range(turns):
                ask(store, "shared", f"thread {n} turn {i}", topics=["events"])
                ask(store, f"own {n}", f"turn {i}", topics=["events"])
        except BaseException as error:  # surfaced below: a thread's exception is otherwise lost
            errors.append(error)

    workers = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    questions = [t.question for t in store.history("shared", limit=10_000)]
    assert sorted(questions) == sorted(f"thread {n} turn {i}" for n in range(threads) for i in range(turns))
    assert store.profile("shared").topics["events"]["count"] == threads * turns
    assert all(store.profile(f"own {n}").turns == turns for n in range(threads))


def test_concurrent_writes_from_processes_lose_nothing(settings):
    script = (
        "import sys\n"
        "from tutor.config import Settings\n"
        "from tutor.learners import LearnerStore\n"
        "store = LearnerStore(Settings(data_dir=sys.argv[1], database_url=sys.argv[3] or None))\n"
        "for i in range(20):\n"
        "    store.record_turn('shared', f'{sys.argv[2]} {i}', 'a', 'answer', [], ['events'])\n"
    )
    root = Path(__file__).resolve().parents[1]
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(settings.data_dir), f"process {n}", settings.database_url or ""], cwd=root)
        for n in range(3)
    ]
    assert [process.wait(timeout=120) for process in processes] == [0, 0, 0]
    store = LearnerStore(settings)
    assert store.profile("shared").turns == 60
    assert store.profile("shared").topics["events"]["count"] == 60


# --- backend specifics -----------------------------------------------------------------------


def test_a_failure_mid_transaction_rolls_everything_back(store, settings, monkeypatch):
    ask(store, "alice", "kept", topics=["events"])
    before = row_counts(settings)

    def explode(db, learner_id, technical_terms, now):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(LearnerStore, "_reinfer_level", staticmethod(explode))
    with pytest.raises(RuntimeError, match="disk on fire"):
        ask(store, "alice", "lost", topics=["events", "cybersecurity"])
    with pytest.raises(RuntimeError):
        ask(store, "carol", "lost too", topics=["events"])
    assert row_counts(settings) == before
    monkeypatch.undo()
    assert [t.question for t in store.history("alice")] == ["kept"]
    assert store.profile("alice").topics["events"]["count"] == 1


def test_timestamps_and_odd_text_round_trip_exactly(store):
    now = 1_767_225_600.123456  # needs a double: a 4-byte REAL would round it to minutes
    question = "Qu'est-ce que l'IA ? 人工智能 🤖 'quoted' \"double\" %s ? $1 \\ ; -- DROP"
    turn = store.record_turn("ada", question + "\x00", "réponse", "answer", [{"n": 1, "t": "ü"}], ["events"], now=now)
    assert turn.question == question  # NUL is dropped on both backends (PostgreSQL text cannot hold it)
    [stored] = store.history("ada")
    assert stored == turn and stored.created == now
    assert store.profile("ada").topics["events"]["last"] == now


def test_ids_keep_increasing_after_deletes(store):
    first = ask(store, "alice", "one")
    store.forget("alice")
    second = ask(store, "alice", "two")
    assert second.id > first.id


def test_unreachable_postgres_names_the_server_but_never_the_password(tmp_path):
    port = free_port()  # nothing listens there
    url = f"postgresql://tutor:s3cret-pw@127.0.0.1:{port}/learners"
    with pytest.raises(LearnerStoreUnavailable) as caught:
        LearnerStore(Settings(data_dir=tmp_path, database_url=url))
    message = str(caught.value)
    assert message == f"learners database unreachable at 127.0.0.1:{port} — check TUTOR_DATABASE_URL"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "s3cret" not in repr(caught.value) and "s3cret" not in message


def test_wrong_database_names_the_problem_without_the_password(postgres_url, tmp_path):
    url = postgres_url.replace("postgres@", "postgres:hunter2-pw@").rsplit("/", 1)[0] + "/no_such_db"
    with pytest.raises(LearnerStoreUnavailable) as caught:
        LearnerStore(Settings(data_dir=tmp_path, database_url=url))
    message = str(caught.value)
    assert "no_such_db" in message and "TUTOR_DATABASE_URL" in message
    assert "hunter2" not in message


def test_unknown_database_url_scheme_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="TUTOR_DATABASE_URL"):
        LearnerStore(Settings(data_dir=tmp_path, database_url="mysql://x@y/z"))


# --- conversations ---------------------------------------------------------------------------


def test_turns_are_grouped_into_conversations(store):
    ask(store, "alice", "What is a hackathon?", now=100.0)
    store.record_turn("alice", "first of A", "a", "answer", [], [], now=200.0, conversation="conv-a")
    store.record_turn("alice", "second of A", "a", "answer", [], [], now=300.0, conversation="conv-a")
    store.record_turn("alice", "only of B", "b", "answer", [], [], now=400.0, conversation="conv-b")
    store.record_turn("bob", "bob's", "b", "answer", [], [], now=500.0, conversation="conv-a")

    listed = store.conversations("alice")
    assert [(c.id, c.first_question, c.turns) for c in listed] == [
        ("conv-b", "only of B", 1),
        ("conv-a", "first of A", 2),
        ("", "What is a hackathon?", 1),
    ]
    assert (listed[1].started, listed[1].last) == (200.0, 300.0)
    assert [t.question for t in store.history("alice", conversation="conv-a")] == ["first of A", "second of A"]
    assert [t.question for t in store.history("alice", conversation="")] == ["What is a hackathon?"]
    assert store.history("alice", conversation="conv-a")[0].conversation == "conv-a"


def test_a_database_from_before_conversations_is_migrated(settings):
    old_turns = (
        "CREATE TABLE turns (id {identity}, learner_id TEXT NOT NULL REFERENCES learners (id), "
        "question TEXT NOT NULL, answer TEXT NOT NULL, route TEXT NOT NULL, citations TEXT NOT NULL, "
        "topics TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)"
    )
    identity = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY" if settings.database_url else "INTEGER PRIMARY KEY AUTOINCREMENT"
    statements = [
        "CREATE TABLE learners (id TEXT PRIMARY KEY, level TEXT NOT NULL, level_source TEXT NOT NULL, "
        "preferences TEXT NOT NULL, created DOUBLE PRECISION NOT NULL)",
        old_turns.replace("{identity}", identity),
        "INSERT INTO learners VALUES ('old-timer', 'intermediate', 'inferred', '{}', 1.0)",
        "INSERT INTO turns (learner_id, question, answer, route, citations, topics, created) "
        "VALUES ('old-timer', 'an old question', 'an old answer', 'answer', '[]', '[]', 2.0)",
    ]
    if settings.database_url:
        import psycopg

        with psycopg.connect(settings.database_url) as db:
            for statement in statements:
                db.execute(statement)
    else:
        database_path(settings).parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(database_path(settings)) as db:
            for statement in statements:
                db.execute(statement)

    store = LearnerStore(settings)
    [old] = store.history("old-timer")
    assert (old.question, old.conversation) == ("an old question", None)
    new = store.record_turn("old-timer", "a new question", "a", "answer", [], [], now=3.0, conversation="c1")
    assert store.history("old-timer", conversation="c1") == [new]
    assert [c.id for c in store.conversations("old-timer")] == ["c1", ""]
    LearnerStore(settings)  # opening a migrated database again changes nothing
    assert len(store.history("old-timer")) == 2
