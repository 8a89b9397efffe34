"""`make attack` itself: every registered attack runs against a fresh store and is blocked,
on SQLite and on PostgreSQL (each attack in its own schema, dropped afterwards)."""

from __future__ import annotations

import psycopg
import pytest
from attack import ATTACKS, run  # scripts/ is on sys.path (conftest)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_attack_is_blocked(backend: str, request) -> None:
    url = request.getfixturevalue("postgres_url") if backend == "postgresql" else None
    results = run(url)
    assert [name for name, _ in results] == [name for name, _ in ATTACKS] and len(results) >= 13
    assert [name for name, outcome in results if not outcome.blocked] == []
    if url:
        with psycopg.connect(url) as db:
            left = db.execute("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE 'attack_%'").fetchone()[0]
        assert left == 0, "the script leaves the database as it found it"
