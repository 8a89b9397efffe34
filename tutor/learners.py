"""Learner profiles, topic history, conversations and feedback, in SQLite.

All SQL lives in `LearnerStore` and sticks to what SQLite and PostgreSQL share (parameters,
ON CONFLICT upserts, RETURNING), so a PostgreSQL backend behind `settings.database_url` only
has to swap the connection. Every method that touches a learner validates the id first and
filters every query by it, so one learner can never read another's rows. Nothing about
learners is logged: questions and ids are personal data.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tutor.config import Settings
from tutor.topics import DEFAULT_LEVEL, LEVELS, infer_level

MAX_ID_CHARS = 64
LEARNER_ID = re.compile(r"[A-Za-z0-9._@ -]+")
MAX_COMMENT_CHARS = 2000
LEVEL_WINDOW = 20  # the level follows the learner's recent questions, not their first ones
BUSY_TIMEOUT_S = 30.0  # other threads and processes hold the write lock only briefly


def validate_learner_id(raw: object) -> str:
    """The stripped id, or ValueError: ids come from users, so only a small, safe alphabet passes."""
    if not isinstance(raw, str):
        raise ValueError("learner id must be a string")
    value = raw.strip()
    if not 1 <= len(value) <= MAX_ID_CHARS:
        raise ValueError(f"learner id must be 1 to {MAX_ID_CHARS} characters long (got {len(value)})")
    if not LEARNER_ID.fullmatch(value):
        raise ValueError("learner id may contain only letters, digits, spaces and . _ - @")
    return value


@dataclass
class Turn:
    """One question and the tutor's answer, as the learner saw it."""

    id: int
    learner_id: str
    question: str
    answer: str
    route: str
    citations: list[dict]
    topics: list[str]
    created: float


@dataclass
class LearnerProfile:
    """What the tutor knows about a learner; an unknown learner gets an empty profile."""

    id: str
    level: str
    level_source: str  # "inferred" | "set"
    preferences: dict
    topics: dict[str, dict]  # topic id -> {"count": int, "last": float}
    turns: int
    created: float

    @property
    def explored(self) -> dict[str, int]:
        """Topic id -> count, the shape `topics.suggest_next` and `returning_hint` take."""
        return {topic: info["count"] for topic, info in self.topics.items()}


def database_path(settings: Settings) -> Path:
    """The SQLite file: `database_url` if it is a sqlite:/// URL, else under `data_dir`."""
    url = settings.database_url
    if url is None:
        return settings.data_dir / "learners.sqlite3"
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    raise ValueError("TUTOR_DATABASE_URL: only sqlite:///PATH is supported so far")


class LearnerStore:
    """Learner data in one SQLite file (WAL), safe for several threads and processes.

    Each operation opens its own short-lived connection and transaction, so threads share
    nothing, and WAL plus a busy timeout lets processes take turns at writing.
    """

    # Portable DDL except AUTOINCREMENT (an identity column on PostgreSQL): ids are never reused.
    _SCHEMA = (
        """CREATE TABLE IF NOT EXISTS learners (
            id TEXT PRIMARY KEY,
            level TEXT NOT NULL,
            level_source TEXT NOT NULL,
            preferences TEXT NOT NULL,
            created REAL NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS turns (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            learner_id TEXT NOT NULL REFERENCES learners (id),
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            route TEXT NOT NULL,
            citations TEXT NOT NULL,
            topics TEXT NOT NULL,
            created REAL NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS turns_by_learner ON turns (learner_id, created)",
        """CREATE TABLE IF NOT EXISTS topic_visits (
            learner_id TEXT NOT NULL REFERENCES learners (id),
            topic TEXT NOT NULL,
            visits INTEGER NOT NULL,
            last_seen REAL NOT NULL,
            PRIMARY KEY (learner_id, topic))""",
        """CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            learner_id TEXT NOT NULL REFERENCES learners (id),
            turn_id INTEGER NOT NULL UNIQUE REFERENCES turns (id),
            rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            comment TEXT NOT NULL,
            created REAL NOT NULL)""",
    )

    def __init__(self, settings: Settings) -> None:
        self._path = database_path(settings)
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode = WAL")
        with self._transaction(write=True) as db:
            for statement in self._SCHEMA:
                db.execute(statement)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self._path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self, write: bool = False) -> Iterator[sqlite3.Connection]:
        """One atomic unit; writers take the lock up front so they queue instead of deadlocking."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    @staticmethod
    def _ensure_learner(db: sqlite3.Connection, learner_id: str, now: float) -> None:
        db.execute(
            "INSERT INTO learners (id, level, level_source, preferences, created) VALUES (?, ?, 'inferred', '{}', ?) "
            "ON CONFLICT (id) DO NOTHING",
            (learner_id, DEFAULT_LEVEL, now),
        )

    def record_turn(
        self,
        learner_id: str,
        question: str,
        answer: str,
        route: str,
        citations: list[dict],
        topics: list[str],
        now: float | None = None,
    ) -> Turn:
        """Store a turn and count its topics in one transaction; re-infer the level unless set."""
        learner_id = validate_learner_id(learner_id)
        created = time.time() if now is None else now
        topics = list(dict.fromkeys(topics))
        with self._transaction(write=True) as db:
            self._ensure_learner(db, learner_id, created)
            turn_id = db.execute(
                "INSERT INTO turns (learner_id, question, answer, route, citations, topics, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (learner_id, question, answer, route, json.dumps(citations), json.dumps(topics), created),
            ).fetchone()[0]
            for topic in topics:
                db.execute(
                    "INSERT INTO topic_visits (learner_id, topic, visits, last_seen) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT (learner_id, topic) DO UPDATE SET visits = topic_visits.visits + 1, "
                    "last_seen = CASE WHEN excluded.last_seen > topic_visits.last_seen "
                    "THEN excluded.last_seen ELSE topic_visits.last_seen END",
                    (learner_id, topic, created),
                )
            self._reinfer_level(db, learner_id)
        return Turn(turn_id, learner_id, question, answer, route, citations, topics, created)

    @staticmethod
    def _reinfer_level(db: sqlite3.Connection, learner_id: str) -> None:
        rows = db.execute(
            "SELECT question FROM turns WHERE learner_id = ? ORDER BY created DESC, id DESC LIMIT ?",
            (learner_id, LEVEL_WINDOW),
        ).fetchall()
        level = infer_level([row["question"] for row in reversed(rows)])
        db.execute(
            "UPDATE learners SET level = ? WHERE id = ? AND level_source = 'inferred'", (level, learner_id)
        )

    def history(self, learner_id: str, limit: int = 20) -> list[Turn]:
        """The learner's last `limit` turns, oldest first."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            rows = db.execute(
                "SELECT * FROM turns WHERE learner_id = ? ORDER BY created DESC, id DESC LIMIT ?",
                (learner_id, max(int(limit), 0)),
            ).fetchall()
        return [_turn(row) for row in reversed(rows)]

    def profile(self, learner_id: str) -> LearnerProfile:
        """The learner's profile; reading never creates one."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            row = db.execute(
                "SELECT level, level_source, preferences, created FROM learners WHERE id = ?", (learner_id,)
            ).fetchone()
            if row is None:
                return LearnerProfile(learner_id, DEFAULT_LEVEL, "inferred", {}, {}, 0, 0.0)
            visits = db.execute(
                "SELECT topic, visits, last_seen FROM topic_visits WHERE learner_id = ? ORDER BY visits DESC, topic",
                (learner_id,),
            ).fetchall()
            turns = db.execute("SELECT COUNT(*) FROM turns WHERE learner_id = ?", (learner_id,)).fetchone()[0]
        topics = {visit["topic"]: {"count": visit["visits"], "last": visit["last_seen"]} for visit in visits}
        preferences = json.loads(row["preferences"])
        return LearnerProfile(learner_id, row["level"], row["level_source"], preferences, topics, turns, row["created"])

    def set_level(self, learner_id: str, level: str) -> None:
        """Fix the learner's level; inference no longer changes it."""
        learner_id = validate_learner_id(learner_id)
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        with self._transaction(write=True) as db:
            self._ensure_learner(db, learner_id, time.time())
            db.execute("UPDATE learners SET level = ?, level_source = 'set' WHERE id = ?", (level, learner_id))

    def set_preferences(self, learner_id: str, **prefs: object) -> None:
        """Merge `prefs` (JSON values) into the learner's preferences."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction(write=True) as db:
            self._ensure_learner(db, learner_id, time.time())
            row = db.execute("SELECT preferences FROM learners WHERE id = ?", (learner_id,)).fetchone()
            merged = {**json.loads(row["preferences"]), **prefs}
            db.execute("UPDATE learners SET preferences = ? WHERE id = ?", (json.dumps(merged), learner_id))

    def add_feedback(self, learner_id: str, turn_id: int, rating: int, comment: str = "") -> None:
        """Rate one of the learner's own turns (+1/-1); rating again replaces the earlier rating."""
        learner_id = validate_learner_id(learner_id)
        if rating not in (1, -1):
            raise ValueError("rating must be +1 or -1")
        if len(comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"comment must be at most {MAX_COMMENT_CHARS} characters")
        with self._transaction(write=True) as db:
            owned = db.execute(
                "SELECT id FROM turns WHERE id = ? AND learner_id = ?", (int(turn_id), learner_id)
            ).fetchone()
            if owned is None:
                raise PermissionError(f"turn {int(turn_id)} is not one of this learner's turns")
            db.execute(
                "INSERT INTO feedback (learner_id, turn_id, rating, comment, created) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (turn_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, "
                "created = excluded.created",
                (learner_id, int(turn_id), rating, comment.strip(), time.time()),
            )

    def list_feedback(self, limit: int = 100) -> list[dict]:
        """Newest feedback first, with the rated turn, for advisors reviewing answers."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT f.id, f.learner_id, f.turn_id, f.rating, f.comment, f.created, "
                "t.question, t.answer, t.route, t.citations "
                "FROM feedback f JOIN turns t ON t.id = f.turn_id AND t.learner_id = f.learner_id "
                "ORDER BY f.created DESC, f.id DESC LIMIT ?",
                (max(int(limit), 0),),
            ).fetchall()
        return [{**dict(row), "citations": json.loads(row["citations"])} for row in rows]

    def list_learners(self) -> list[dict]:
        """Every learner with turn count, level and last activity, most recently seen first."""
        with self._transaction() as db:
            rows = db.execute(
                "SELECT l.id, COUNT(t.id) AS turns, l.level, COALESCE(MAX(t.created), l.created) AS last_seen "
                "FROM learners l LEFT JOIN turns t ON t.learner_id = l.id "
                "GROUP BY l.id, l.level, l.created ORDER BY last_seen DESC, l.id"
            ).fetchall()
        return [dict(row) for row in rows]

    def forget(self, learner_id: str) -> int:
        """Delete every trace of the learner in one transaction; returns the number of rows deleted."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction(write=True) as db:
            return sum(
                db.execute(statement, (learner_id,)).rowcount
                for statement in (
                    "DELETE FROM feedback WHERE learner_id = ?",
                    "DELETE FROM topic_visits WHERE learner_id = ?",
                    "DELETE FROM turns WHERE learner_id = ?",
                    "DELETE FROM learners WHERE id = ?",
                )
            )


def _turn(row: sqlite3.Row) -> Turn:
    return Turn(
        id=row["id"],
        learner_id=row["learner_id"],
        question=row["question"],
        answer=row["answer"],
        route=row["route"],
        citations=json.loads(row["citations"]),
        topics=json.loads(row["topics"]),
        created=row["created"],
    )
