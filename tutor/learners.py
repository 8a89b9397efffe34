"""Learner profiles, topic history, conversations and feedback, in SQLite or PostgreSQL.

All SQL lives in `LearnerStore` and is written once, in what SQLite and PostgreSQL share
(ON CONFLICT upserts, RETURNING, `?` parameters); a small `Dialect` fills in the few
differences (parameter style, identity column, row locks, how a write transaction starts).
SQLite (WAL, under `data_dir`) is the default; `TUTOR_DATABASE_URL=postgresql://...` selects
PostgreSQL (psycopg 3). Every method that touches a learner validates the id first and filters
every query by it, so one learner can never read another's rows. Nothing about learners is
logged: questions and ids are personal data.
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tutor.config import Settings
from tutor.learning.mastery import LEVEL_SUSTAIN, quiz_standing, settled_level
from tutor.topics import DEFAULT_LEVEL, LEVELS

MAX_ID_CHARS = 64
LEARNER_ID = re.compile(r"[A-Za-z0-9._@ -]+")
MAX_COMMENT_CHARS = 2000
LEVEL_WINDOW = 20  # the level follows the learner's recent questions, not their first ones
BUSY_TIMEOUT_S = 30.0  # other threads and processes hold the write lock only briefly
CONNECT_TIMEOUT_S = 10
POSTGRES_SCHEMES = ("postgresql://", "postgres://")
SCHEMA_LOCK_KEY = 0x7475746F72  # "tutor": serialises concurrent schema creation on PostgreSQL


class LearnerStoreUnavailable(RuntimeError):
    """The learners database cannot be reached or opened (the message never holds a password)."""


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
    conversation: str | None = None  # None for turns stored before conversations existed


@dataclass
class Conversation:
    """One conversation of a learner, for listing: its id ("" for turns stored before
    conversations existed), its first question and when it was last continued."""

    id: str
    first_question: str
    turns: int
    started: float
    last: float


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


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and url.startswith(POSTGRES_SCHEMES)


def database_path(settings: Settings) -> Path:
    """The SQLite file: `database_url` if it is a sqlite:/// URL, else under `data_dir`."""
    url = settings.database_url
    if url is None:
        return settings.data_dir / "learners.sqlite3"
    if url.startswith("sqlite:///"):
        return Path(url.removeprefix("sqlite:///"))
    if is_postgres_url(url):
        raise ValueError("TUTOR_DATABASE_URL names a PostgreSQL server, not a SQLite file")
    raise ValueError("TUTOR_DATABASE_URL must be sqlite:///PATH or postgresql://USER@HOST:PORT/DB")


def server_address(url: str) -> str:
    """`host:port` of a database URL, for messages (never the user or password)."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        return "(unparseable URL)"
    return f"{host or 'localhost'}:{port or 5432}"


# ---------------------------------------------------------------- the two dialects


class _Db:
    """One open transaction: the same three calls over sqlite3 and psycopg, rows as dicts."""

    def __init__(self, cursor: Any, sql: Callable[[str], str]) -> None:
        self._cursor = cursor
        self._sql = sql

    def run(self, statement: str, params: tuple = ()) -> int:
        """Execute; the number of rows changed."""
        return self._execute(statement, params).rowcount

    def one(self, statement: str, params: tuple = ()) -> dict | None:
        row = self._execute(statement, params).fetchone()
        return None if row is None else dict(row)

    def all(self, statement: str, params: tuple = ()) -> list[dict]:
        return [dict(row) for row in self._execute(statement, params).fetchall()]

    def columns(self, table: str) -> set[str]:
        """The column names of `table` (both drivers describe an empty result)."""
        return {column[0] for column in self._execute(f"SELECT * FROM {table} WHERE 1 = 0", ()).description}

    def _execute(self, statement: str, params: tuple) -> Any:
        return self._cursor.execute(self._sql(statement), params)


@dataclass(frozen=True)
class Dialect:
    """What differs between the backends; the statements themselves are shared."""

    name: str
    identity: str  # an auto-numbered primary key, never reused
    for_update: str  # row lock for read-modify-write, where the engine has one

    def sql(self, statement: str) -> str:
        return statement.replace("{identity}", self.identity).replace("{for_update}", self.for_update)


SQLITE = Dialect("sqlite", identity="INTEGER PRIMARY KEY AUTOINCREMENT", for_update="")
POSTGRES = Dialect("postgresql", identity="BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY", for_update=" FOR UPDATE")


class _SQLite:
    """One SQLite file (WAL): a short-lived connection per operation; writers queue on the lock."""

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
        finally:
            db.close()

    @contextmanager
    def transaction(self, write: bool, schema: bool = False) -> Iterator[_Db]:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA foreign_keys = ON")
            # Writers take the lock up front so they queue instead of deadlocking.
            db.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield _Db(db.cursor(), self.dialect.sql)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            db.close()


class _Postgres:
    """A PostgreSQL server: a connection per operation (cheap on loopback), one transaction each."""

    dialect = POSTGRES

    def __init__(self, url: str) -> None:
        import psycopg  # only needed with a PostgreSQL URL

        self._psycopg = psycopg
        self.url = url
        self.address = server_address(url)

    def _sql(self, statement: str) -> str:
        # Our statements hold no literal '?' or '%', so the parameter style is a plain swap.
        return self.dialect.sql(statement).replace("?", "%s")

    def _connect(self):
        psycopg = self._psycopg
        from psycopg.rows import dict_row

        try:
            return psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_S, row_factory=dict_row)
        except psycopg.OperationalError as exc:
            detail = _scrub(str(exc), self.url)
            if "FATAL" in detail or "authentication" in detail:
                last = detail.strip().splitlines()[-1].split("FATAL:", 1)[-1].strip()
                raise LearnerStoreUnavailable(
                    f"learners database at {self.address} refused the connection ({last}) — check TUTOR_DATABASE_URL"
                ) from None
            raise LearnerStoreUnavailable(
                f"learners database unreachable at {self.address} — check TUTOR_DATABASE_URL"
            ) from None
        except psycopg.ProgrammingError:  # a malformed URL: libpq's message may quote it
            raise LearnerStoreUnavailable(
                f"TUTOR_DATABASE_URL is not a valid PostgreSQL URL ({self.address})"
            ) from None

    @contextmanager
    def transaction(self, write: bool, schema: bool = False) -> Iterator[_Db]:
        conn = self._connect()
        try:
            with conn.transaction(), conn.cursor() as cursor:
                if schema:  # CREATE ... IF NOT EXISTS races between processes otherwise
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
                yield _Db(cursor, self._sql)
        finally:
            conn.close()


def _scrub(message: str, url: str) -> str:
    """Remove the URL's password from a driver message, wherever it appears."""
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    for secret in filter(None, {password, password and unquote(password)}):
        message = message.replace(secret, "***")
    return message


def _clean(text: str) -> str:
    """PostgreSQL text cannot hold NUL; drop it on both backends so they behave the same."""
    return text.replace("\x00", "")


# ---------------------------------------------------------------- the store


class LearnerStore:
    """Learner data in SQLite (default) or PostgreSQL, safe for several threads and processes.

    Each operation opens its own short-lived connection and transaction, so threads share
    nothing; SQLite's WAL plus a busy timeout, or PostgreSQL's row locks, let writers take turns.
    """

    _SCHEMA = (
        """CREATE TABLE IF NOT EXISTS learners (
            id TEXT PRIMARY KEY,
            level TEXT NOT NULL,
            level_source TEXT NOT NULL,
            preferences TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS turns (
            id {identity},
            learner_id TEXT NOT NULL REFERENCES learners (id),
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            route TEXT NOT NULL,
            citations TEXT NOT NULL,
            topics TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS turns_by_learner ON turns (learner_id, created)",
        """CREATE TABLE IF NOT EXISTS topic_visits (
            learner_id TEXT NOT NULL REFERENCES learners (id),
            topic TEXT NOT NULL,
            visits INTEGER NOT NULL,
            last_seen DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (learner_id, topic))""",
        """CREATE TABLE IF NOT EXISTS feedback (
            id {identity},
            learner_id TEXT NOT NULL REFERENCES learners (id),
            turn_id BIGINT NOT NULL UNIQUE REFERENCES turns (id),
            rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
            comment TEXT NOT NULL,
            created DOUBLE PRECISION NOT NULL)""",
        # Accounts (tutor/accounts.py holds the rules; the SQL lives here with the rest).
        # The account name is the learner id. Passwords are stored only as argon2 hashes and
        # session tokens only as SHA-256 digests, so a copy of the database signs nobody in.
        """CREATE TABLE IF NOT EXISTS accounts (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('learner', 'admin')),
            disabled INTEGER NOT NULL CHECK (disabled IN (0, 1)),
            created DOUBLE PRECISION NOT NULL,
            last_sign_in DOUBLE PRECISION)""",
        """CREATE TABLE IF NOT EXISTS sessions (
            token_hash TEXT PRIMARY KEY,
            account TEXT NOT NULL REFERENCES accounts (name),
            created DOUBLE PRECISION NOT NULL,
            expires DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account)",
        """CREATE TABLE IF NOT EXISTS sign_in_throttle (
            subject TEXT PRIMARY KEY,
            failures INTEGER NOT NULL,
            last_failure DOUBLE PRECISION NOT NULL,
            blocked_until DOUBLE PRECISION NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS audit_log (
            id {identity},
            at DOUBLE PRECISION NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL,
            outcome TEXT NOT NULL,
            address TEXT NOT NULL)""",
        # quizzes (tutor/learning): every attempt, BKT mastery per topic, the review schedule
        """CREATE TABLE IF NOT EXISTS quiz_attempts (
            id {identity},
            learner_id TEXT NOT NULL REFERENCES learners (id),
            item_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            response TEXT NOT NULL,
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            created DOUBLE PRECISION NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS quiz_attempts_by_learner ON quiz_attempts (learner_id, created)",
        """CREATE TABLE IF NOT EXISTS topic_mastery (
            learner_id TEXT NOT NULL REFERENCES learners (id),
            topic TEXT NOT NULL,
            p_known DOUBLE PRECISION NOT NULL,
            attempts INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            updated DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (learner_id, topic))""",
        """CREATE TABLE IF NOT EXISTS reviews (
            learner_id TEXT NOT NULL REFERENCES learners (id),
            kind TEXT NOT NULL CHECK (kind IN ('item', 'topic')),
            subject TEXT NOT NULL,
            topic TEXT NOT NULL,
            step INTEGER NOT NULL,
            due DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (learner_id, kind, subject))""",
    )

    def __init__(self, settings: Settings) -> None:
        url = settings.database_url
        self._backend: _SQLite | _Postgres = _Postgres(url) if is_postgres_url(url) else _SQLite(database_path(settings))
        with self._transaction(write=True, schema=True) as db:
            for statement in self._SCHEMA:
                db.run(statement)
            self._add_conversations(db)

    @staticmethod
    def _add_conversations(db: _Db) -> None:
        """Databases made before conversations existed gain the column (their turns keep NULL)."""
        if "conversation" not in db.columns("turns"):
            db.run("ALTER TABLE turns ADD COLUMN conversation TEXT")
        db.run("CREATE INDEX IF NOT EXISTS turns_by_conversation ON turns (learner_id, conversation, created)")

    @property
    def backend(self) -> str:
        """"sqlite" or "postgresql"."""
        return self._backend.dialect.name

    def _transaction(self, write: bool = False, schema: bool = False):
        """One atomic unit: committed when the block ends, rolled back when it raises."""
        return self._backend.transaction(write, schema)

    @staticmethod
    def _ensure_learner(db: _Db, learner_id: str, now: float) -> None:
        db.run(
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
        conversation: str | None = None,
        technical_terms: Collection[str] = (),
    ) -> Turn:
        """Store a turn and count its topics in one transaction; re-infer the level unless set."""
        learner_id = validate_learner_id(learner_id)
        created = time.time() if now is None else now
        question, answer, route = _clean(question), _clean(answer), _clean(route)
        topics = list(dict.fromkeys(_clean(t) for t in topics))
        citations_json, topics_json = json.dumps(citations), json.dumps(topics)  # fails before any write
        with self._transaction(write=True) as db:
            self._ensure_learner(db, learner_id, created)
            turn_id = db.one(
                "INSERT INTO turns (learner_id, question, answer, route, citations, topics, created, conversation) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (learner_id, question, answer, route, citations_json, topics_json, created, conversation),
            )["id"]
            for topic in sorted(topics):  # one lock order for every writer (no deadlocks on PostgreSQL)
                db.run(
                    "INSERT INTO topic_visits (learner_id, topic, visits, last_seen) VALUES (?, ?, 1, ?) "
                    "ON CONFLICT (learner_id, topic) DO UPDATE SET visits = topic_visits.visits + 1, "
                    "last_seen = CASE WHEN excluded.last_seen > topic_visits.last_seen "
                    "THEN excluded.last_seen ELSE topic_visits.last_seen END",
                    (learner_id, topic, created),
                )
            self._reinfer_level(db, learner_id, technical_terms, created)
        return Turn(turn_id, learner_id, question, answer, route, citations, topics, created, conversation)

    @staticmethod
    def _reinfer_level(db: _Db, learner_id: str, technical_terms: Collection[str], now: float) -> None:
        """The level from recent questions and quiz mastery together, moving only on sustained
        evidence (tutor.learning.mastery.settled_level); a level the learner set stays."""
        rows = db.all(
            "SELECT question FROM turns WHERE learner_id = ? ORDER BY created DESC, id DESC LIMIT ?",
            (learner_id, LEVEL_WINDOW + LEVEL_SUSTAIN - 1),
        )
        current = db.one("SELECT level FROM learners WHERE id = ?", (learner_id,))["level"]
        standing = db.all("SELECT p_known, attempts, updated FROM topic_mastery WHERE learner_id = ?", (learner_id,))
        mean, attempts = quiz_standing(standing, now)
        questions = [row["question"] for row in reversed(rows)]
        level = settled_level(current, questions, technical_terms, mean, attempts, LEVEL_WINDOW)
        db.run("UPDATE learners SET level = ? WHERE id = ? AND level_source = 'inferred'", (level, learner_id))

    def history(self, learner_id: str, limit: int = 20, conversation: str | None = None) -> list[Turn]:
        """The learner's last `limit` turns, oldest first; only one conversation's when given
        ("" names the turns stored before conversations existed)."""
        learner_id = validate_learner_id(learner_id)
        where, params = "learner_id = ?", (learner_id,)
        if conversation is not None:
            where, params = "learner_id = ? AND COALESCE(conversation, '') = ?", (learner_id, conversation)
        with self._transaction() as db:
            rows = db.all(
                f"SELECT * FROM turns WHERE {where} ORDER BY created DESC, id DESC LIMIT ?",
                (*params, max(int(limit), 0)),
            )
        return [_turn(row) for row in reversed(rows)]

    def conversations(self, learner_id: str, limit: int = 50) -> list[Conversation]:
        """The learner's conversations, most recently continued first."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            rows = db.all(
                "SELECT g.id, g.turns, g.started, g.last, (SELECT f.question FROM turns f WHERE f.learner_id = ? "
                "AND COALESCE(f.conversation, '') = g.id ORDER BY f.created, f.id LIMIT 1) AS first_question "
                "FROM (SELECT COALESCE(conversation, '') AS id, COUNT(*) AS turns, MIN(created) AS started, "
                "MAX(created) AS last FROM turns WHERE learner_id = ? GROUP BY COALESCE(conversation, '')) g "
                "ORDER BY g.last DESC, g.id LIMIT ?",
                (learner_id, learner_id, max(int(limit), 0)),
            )
        return [Conversation(r["id"], r["first_question"], r["turns"], r["started"], r["last"]) for r in rows]

    def profile(self, learner_id: str) -> LearnerProfile:
        """The learner's profile; reading never creates one."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            row = db.one("SELECT level, level_source, preferences, created FROM learners WHERE id = ?", (learner_id,))
            if row is None:
                return LearnerProfile(learner_id, DEFAULT_LEVEL, "inferred", {}, {}, 0, 0.0)
            visits = db.all(
                "SELECT topic, visits, last_seen FROM topic_visits WHERE learner_id = ? ORDER BY visits DESC, topic",
                (learner_id,),
            )
            turns = db.one("SELECT COUNT(*) AS n FROM turns WHERE learner_id = ?", (learner_id,))["n"]
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
            db.run("UPDATE learners SET level = ?, level_source = 'set' WHERE id = ?", (level, learner_id))

    def set_preferences(self, learner_id: str, **prefs: object) -> None:
        """Merge `prefs` (JSON values) into the learner's preferences."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction(write=True) as db:
            self._ensure_learner(db, learner_id, time.time())
            row = db.one("SELECT preferences FROM learners WHERE id = ?{for_update}", (learner_id,))
            merged = {**json.loads(row["preferences"]), **prefs}
            db.run("UPDATE learners SET preferences = ? WHERE id = ?", (json.dumps(merged), learner_id))

    def add_feedback(self, learner_id: str, turn_id: int, rating: int, comment: str = "") -> None:
        """Rate one of the learner's own turns (+1/-1); rating again replaces the earlier rating."""
        learner_id = validate_learner_id(learner_id)
        if rating not in (1, -1):
            raise ValueError("rating must be +1 or -1")
        if len(comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"comment must be at most {MAX_COMMENT_CHARS} characters")
        turn_id = int(turn_id)
        if not -(2**63) <= turn_id < 2**63:  # beyond any stored id, and beyond what the engines accept
            raise PermissionError(f"turn {turn_id} is not one of this learner's turns")
        with self._transaction(write=True) as db:
            owned = db.one("SELECT id FROM turns WHERE id = ? AND learner_id = ?", (turn_id, learner_id))
            if owned is None:
                raise PermissionError(f"turn {turn_id} is not one of this learner's turns")
            db.run(
                "INSERT INTO feedback (learner_id, turn_id, rating, comment, created) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (turn_id) DO UPDATE SET rating = excluded.rating, comment = excluded.comment, "
                "created = excluded.created",
                (learner_id, turn_id, rating, _clean(comment).strip(), time.time()),
            )

    def list_feedback(self, limit: int = 100) -> list[dict]:
        """Newest feedback first, with the rated turn, for advisors reviewing answers."""
        with self._transaction() as db:
            rows = db.all(
                "SELECT f.id, f.learner_id, f.turn_id, f.rating, f.comment, f.created, "
                "t.question, t.answer, t.route, t.citations "
                "FROM feedback f JOIN turns t ON t.id = f.turn_id AND t.learner_id = f.learner_id "
                "ORDER BY f.created DESC, f.id DESC LIMIT ?",
                (max(int(limit), 0),),
            )
        return [{**row, "citations": json.loads(row["citations"])} for row in rows]

    def list_learners(self) -> list[dict]:
        """Every learner with turn count, level and last activity, most recently seen first."""
        with self._transaction() as db:
            return db.all(
                "SELECT l.id, COUNT(t.id) AS turns, l.level, COALESCE(MAX(t.created), l.created) AS last_seen "
                "FROM learners l LEFT JOIN turns t ON t.learner_id = l.id "
                "GROUP BY l.id, l.level, l.created ORDER BY last_seen DESC, l.id"
            )

    def forget(self, learner_id: str) -> int:
        """Delete every trace of the learner's learning in one transaction and end their sessions;
        returns the number of rows deleted. The account itself (name, password hash, role) stays:
        whether a person may sign in is an admin's decision (`tutor users disable`), and the
        audit log keeps its security record of sign-ins."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction(write=True) as db:
            return sum(
                db.run(statement, (learner_id,))
                for statement in (
                    "DELETE FROM sessions WHERE account = ?",
                    "DELETE FROM reviews WHERE learner_id = ?",
                    "DELETE FROM topic_mastery WHERE learner_id = ?",
                    "DELETE FROM quiz_attempts WHERE learner_id = ?",
                    "DELETE FROM feedback WHERE learner_id = ?",
                    "DELETE FROM topic_visits WHERE learner_id = ?",
                    "DELETE FROM turns WHERE learner_id = ?",
                    "DELETE FROM learners WHERE id = ?",
                )
            )

    # ------------------------------------------------------------ accounts and sessions

    def create_account(self, name: str, password_hash: str, role: str, now: float) -> bool:
        """Add an account; False (and nothing changed) when the name is taken."""
        with self._transaction(write=True) as db:
            return db.run(
                "INSERT INTO accounts (name, password_hash, role, disabled, created) VALUES (?, ?, ?, 0, ?) "
                "ON CONFLICT (name) DO NOTHING",
                (validate_learner_id(name), password_hash, role, now),
            ) == 1

    def account(self, name: str) -> dict | None:
        """The account row (with its password hash), or None."""
        with self._transaction() as db:
            return db.one("SELECT * FROM accounts WHERE name = ?", (validate_learner_id(name),))

    def list_accounts(self) -> list[dict]:
        """Every account without its password hash, by name."""
        with self._transaction() as db:
            return db.all("SELECT name, role, disabled, created, last_sign_in FROM accounts ORDER BY name")

    def count_admins(self) -> int:
        """Enabled admin accounts."""
        with self._transaction() as db:
            return db.one("SELECT COUNT(*) AS n FROM accounts WHERE role = 'admin' AND disabled = 0")["n"]

    def set_password_hash(self, name: str, password_hash: str, end_sessions: bool) -> bool:
        """Replace the hash; with `end_sessions`, every session of the account ends in the same
        transaction. False when there is no such account."""
        name = validate_learner_id(name)
        with self._transaction(write=True) as db:
            if end_sessions:
                db.run("DELETE FROM sessions WHERE account = ?", (name,))
            return db.run("UPDATE accounts SET password_hash = ? WHERE name = ?", (password_hash, name)) == 1

    def set_disabled(self, name: str, disabled: bool) -> bool:
        """Disable (ending every session at once) or enable; False when there is no such account."""
        name = validate_learner_id(name)
        with self._transaction(write=True) as db:
            if disabled:
                db.run("DELETE FROM sessions WHERE account = ?", (name,))
            return db.run("UPDATE accounts SET disabled = ? WHERE name = ?", (int(disabled), name)) == 1

    def start_session(self, token_hash: str, name: str, now: float, expires: float) -> None:
        """Store a new session and note the sign-in; expired sessions are swept on the way."""
        with self._transaction(write=True) as db:
            db.run("DELETE FROM sessions WHERE expires <= ?", (now,))
            db.run(
                "INSERT INTO sessions (token_hash, account, created, expires) VALUES (?, ?, ?, ?)",
                (token_hash, name, now, expires),
            )
            db.run("UPDATE accounts SET last_sign_in = ? WHERE name = ?", (now, name))

    def live_session(self, token_hash: str, now: float) -> dict | None:
        """The session's account, role and expiry if it has not expired and its account is enabled."""
        with self._transaction() as db:
            return db.one(
                "SELECT s.account, a.role, s.expires FROM sessions s JOIN accounts a ON a.name = s.account "
                "WHERE s.token_hash = ? AND s.expires > ? AND a.disabled = 0",
                (token_hash, now),
            )

    def end_session(self, token_hash: str) -> bool:
        """Delete the session; False when it did not exist (already ended or never was)."""
        with self._transaction(write=True) as db:
            return db.run("DELETE FROM sessions WHERE token_hash = ?", (token_hash,)) == 1

    # ------------------------------------------------------------ sign-in throttling and audit

    def blocked_until(self, subjects: list[str]) -> float:
        """The latest time until which any of `subjects` may not try to sign in (0 if none)."""
        placeholders = ", ".join("?" for _ in subjects)
        with self._transaction() as db:
            row = db.one(
                f"SELECT MAX(blocked_until) AS until FROM sign_in_throttle WHERE subject IN ({placeholders})",
                tuple(subjects),
            )
        return row["until"] or 0.0

    def record_failure(self, subject: str, now: float, forget_after_s: float, delay_s: Callable[[int], float]) -> int:
        """Count one failed attempt for `subject` (read and written under a row lock, so
        processes don't lose counts) and block it for `delay_s(failures)` seconds. A count whose
        last failure is older than `forget_after_s` starts again. Returns the new count."""
        with self._transaction(write=True) as db:
            # counts nobody is blocked by any more go, so guessed names cannot fill the table
            db.run("DELETE FROM sign_in_throttle WHERE last_failure < ? AND blocked_until < ?", (now - forget_after_s, now))
            db.run(
                "INSERT INTO sign_in_throttle (subject, failures, last_failure, blocked_until) VALUES (?, 0, ?, 0) "
                "ON CONFLICT (subject) DO NOTHING",
                (subject, now),
            )
            row = db.one("SELECT failures, last_failure FROM sign_in_throttle WHERE subject = ?{for_update}", (subject,))
            failures = (row["failures"] if now - row["last_failure"] <= forget_after_s else 0) + 1
            db.run(
                "UPDATE sign_in_throttle SET failures = ?, last_failure = ?, blocked_until = ? WHERE subject = ?",
                (failures, now, now + delay_s(failures), subject),
            )
        return failures

    def clear_failures(self, subject: str) -> None:
        with self._transaction(write=True) as db:
            db.run("DELETE FROM sign_in_throttle WHERE subject = ?", (subject,))

    def add_audit(self, at: float, actor: str, action: str, target: str, outcome: str, address: str) -> None:
        """Append one audit record (callers pass names and outcomes, never secrets or questions)."""
        with self._transaction(write=True) as db:
            db.run(
                "INSERT INTO audit_log (at, actor, action, target, outcome, address) VALUES (?, ?, ?, ?, ?, ?)",
                (at, *(_clean(value)[:200] for value in (actor, action, target, outcome, address))),
            )

    def audit_log(self, limit: int = 100) -> list[dict]:
        """Newest audit records first."""
        with self._transaction() as db:
            return db.all(
                "SELECT at, actor, action, target, outcome, address FROM audit_log ORDER BY at DESC, id DESC LIMIT ?",
                (max(int(limit), 0),),
            )


    # ------------------------------------------------------------ quizzes (tutor/learning)

    def record_attempt(
        self, learner_id: str, item_id: str, topic: str, response: str, correct: bool, now: float, update: QuizUpdate
    ) -> QuizState:
        """Store an attempt and apply `update` (the policy) to the topic's mastery and reviews,
        read and written in one transaction with the rows locked; returns the new state."""
        learner_id = validate_learner_id(learner_id)
        item_id, topic, response = _clean(item_id), _clean(topic), _clean(response)
        with self._transaction(write=True) as db:
            self._ensure_learner(db, learner_id, now)
            db.run(
                "INSERT INTO quiz_attempts (learner_id, item_id, topic, response, correct, created) VALUES (?, ?, ?, ?, ?, ?)",
                (learner_id, item_id, topic, response, int(correct), now),
            )
            before = self._quiz_state(db, learner_id, item_id, topic)
            after = update(before)
            db.run(
                "INSERT INTO topic_mastery (learner_id, topic, p_known, attempts, correct, updated) VALUES (?, ?, ?, 1, ?, ?) "
                "ON CONFLICT (learner_id, topic) DO UPDATE SET p_known = excluded.p_known, "
                "attempts = topic_mastery.attempts + 1, correct = topic_mastery.correct + excluded.correct, "
                "updated = excluded.updated",
                (learner_id, topic, after.p_known, int(correct), now),
            )
            for kind, subject, schedule in (("item", item_id, after.item_review), ("topic", topic, after.topic_review)):
                self._set_review(db, learner_id, kind, subject, topic, schedule)
            return self._quiz_state(db, learner_id, item_id, topic)

    def _quiz_state(self, db: _Db, learner_id: str, item_id: str, topic: str) -> QuizState:
        row = db.one(
            "SELECT p_known, attempts, correct, updated FROM topic_mastery WHERE learner_id = ? AND topic = ?{for_update}",
            (learner_id, topic),
        )
        reviews = {
            r["kind"]: (r["step"], r["due"])
            for r in db.all(
                "SELECT kind, step, due FROM reviews WHERE learner_id = ? AND "
                "((kind = 'item' AND subject = ?) OR (kind = 'topic' AND subject = ?)){for_update}",
                (learner_id, item_id, topic),
            )
        }
        return QuizState(
            p_known=None if row is None else row["p_known"],
            attempts=0 if row is None else row["attempts"],
            correct=0 if row is None else row["correct"],
            updated=None if row is None else row["updated"],
            item_review=reviews.get("item"),
            topic_review=reviews.get("topic"),
        )

    @staticmethod
    def _set_review(db: _Db, learner_id: str, kind: str, subject: str, topic: str, schedule: tuple[int, float] | None) -> None:
        if schedule is None:
            db.run("DELETE FROM reviews WHERE learner_id = ? AND kind = ? AND subject = ?", (learner_id, kind, subject))
            return
        db.run(
            "INSERT INTO reviews (learner_id, kind, subject, topic, step, due) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (learner_id, kind, subject) DO UPDATE SET topic = excluded.topic, step = excluded.step, "
            "due = excluded.due",
            (learner_id, kind, subject, topic, schedule[0], schedule[1]),
        )

    def mastery(self, learner_id: str) -> dict[str, dict]:
        """Topic -> {"p_known", "attempts", "correct", "updated"} for every topic the learner was quizzed on."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            rows = db.all(
                "SELECT topic, p_known, attempts, correct, updated FROM topic_mastery WHERE learner_id = ? ORDER BY topic",
                (learner_id,),
            )
        return {row.pop("topic"): row for row in rows}

    def reviews(self, learner_id: str, due_by: float | None = None) -> list[dict]:
        """The learner's scheduled reviews ({"kind", "subject", "topic", "step", "due"}), soonest first;
        only those due by `due_by` when given."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            return db.all(
                "SELECT kind, subject, topic, step, due FROM reviews WHERE learner_id = ? AND due <= ? "
                "ORDER BY due, kind, subject",
                (learner_id, float("inf") if due_by is None else due_by),
            )

    def attempts(self, learner_id: str, limit: int = 50) -> list[dict]:
        """The learner's last `limit` quiz attempts, newest first."""
        learner_id = validate_learner_id(learner_id)
        with self._transaction() as db:
            rows = db.all(
                "SELECT id, item_id, topic, response, correct, created FROM quiz_attempts WHERE learner_id = ? "
                "ORDER BY created DESC, id DESC LIMIT ?",
                (learner_id, max(int(limit), 0)),
            )
        return [{**row, "correct": bool(row["correct"])} for row in rows]

    def gap_turns(self, since: float = 0.0) -> list[dict]:
        """Turns that point at gaps in the content, for advisors, with no learner id: declined
        (route refuse), answered without a single citation, or rated down. Oldest first."""
        with self._transaction() as db:
            rows = db.all(
                "SELECT t.question, t.route, t.citations, t.created, f.rating FROM turns t "
                "LEFT JOIN feedback f ON f.turn_id = t.id WHERE t.created >= ? AND "
                "(t.route = 'refuse' OR (t.route = 'answer' AND t.citations = '[]') OR f.rating = -1) "
                "ORDER BY t.created, t.id",
                (since,),
            )
        return [
            {
                "question": row["question"],
                "reason": "declined" if row["route"] == "refuse" else "thumbs-down" if row["rating"] == -1 else "unsupported",
                "created": row["created"],
            }
            for row in rows
        ]


@dataclass(frozen=True)
class QuizState:
    """A learner's standing on one topic and item, as the quiz policy reads and rewrites it.

    `p_known` is None before the first attempt on the topic; reviews are (step, due) or None."""

    p_known: float | None
    attempts: int
    correct: int
    updated: float | None
    item_review: tuple[int, float] | None
    topic_review: tuple[int, float] | None


QuizUpdate = Callable[[QuizState], QuizState]  # the policy: state before -> state after


def _turn(row: dict) -> Turn:
    return Turn(
        id=row["id"],
        learner_id=row["learner_id"],
        question=row["question"],
        answer=row["answer"],
        route=row["route"],
        citations=json.loads(row["citations"]),
        topics=json.loads(row["topics"]),
        created=row["created"],
        conversation=row["conversation"],
    )
