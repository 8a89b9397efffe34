"""Fault scenarios (scripts/faults.py) as tests: real processes on loopback, bounded in time.

Re-index under load, kill -9 of the indexer and of the web app (extractive answers), and the
Chroma server going away run in a few minutes; the LLM server scenario loads the 1.5B model
and is marked slow.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from tutor.config import Settings

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "scripts"))

import faults  # scripts/ is not a package


@pytest.fixture(scope="module")
def base_index(indexed_settings: Settings) -> Path:
    """The session's index of the committed corpus (each scenario works on its own copy)."""
    return indexed_settings.index_dir


def explain(outcome: faults.Outcome) -> str:
    return f"{outcome.result}\n{outcome.details}"


def test_reindex_under_load_switches_at_one_moment(base_index: Path, tmp_path: Path) -> None:
    outcome = faults.scenario_reindex(tmp_path, base_index, learners=6, time_cap=120)
    checks = outcome.details
    assert checks["failed questions"] == 0, explain(outcome)
    assert len(checks["generations seen"]) == 2, explain(outcome)
    assert checks["probe answers before swap"] > 0 and checks["probe answers before swap citing new article"] == 0, (
        explain(outcome)
    )
    assert checks["probe answers after new generation"] > 0, explain(outcome)
    assert checks["of which cite new article"] == checks["probe answers after new generation"], explain(outcome)
    assert checks["one switch"], explain(outcome)
    assert checks["data"]["lost"] == 0 and checks["data"]["extra"] == 0, explain(outcome)
    assert outcome.passed, explain(outcome)


def test_kill_9_indexer_keeps_the_live_index(base_index: Path, tmp_path: Path) -> None:
    outcome = faults.scenario_kill_indexer(tmp_path, base_index)
    assert outcome.passed, explain(outcome)
    assert "CURRENT unchanged" in outcome.result and "search rc 0" in outcome.result, explain(outcome)
    assert outcome.details["leftovers"] == [], "the next `tutor index` removes the dead build's folder"


def test_kill_9_app_loses_no_received_answer(base_index: Path, tmp_path: Path) -> None:
    outcome = faults.scenario_kill_app(tmp_path, base_index, learners=6, answers_before_kill=10, time_cap=90)
    data = outcome.details["data"]
    assert data["lost"] == 0, explain(outcome)
    assert data["extra"] == 0, explain(outcome)
    assert max(outcome.details["unknown"].values()) <= 1, explain(outcome)
    assert outcome.passed, explain(outcome)


@pytest.mark.skipif(shutil.which("chroma", path=str(Path(sys.executable).parent)) is None, reason="no chroma CLI")
def test_chroma_server_down_gives_a_clear_message_and_recovers(tmp_path: Path) -> None:
    outcome = faults.scenario_chroma_server(tmp_path)
    up, down, back = outcome.details["steps"]
    assert up["status"] == "ok" and up["sources"], explain(outcome)
    assert down["app_alive"], explain(outcome)
    assert down["status"] == "failed" and "Traceback" not in down["answer"], explain(outcome)
    assert "search service is unavailable" in down["answer"], explain(outcome)
    assert down["health"]["status"] == "degraded", explain(outcome)
    assert back["status"] == "ok" and back["sources"], explain(outcome)
    assert outcome.passed, explain(outcome)


@pytest.mark.slow
def test_llm_server_down_falls_back_with_a_notice_and_recovers(base_index: Path, tmp_path: Path) -> None:
    outcome = faults.scenario_llm_server(tmp_path, base_index)
    up, down, back = outcome.details["steps"]
    assert up["status"] == "ok" and not up["notice"] and up["llm_calls"] > 0, explain(outcome)
    assert down["status"] == "ok" and down["notice"] and down["sources"], explain(outcome)
    assert back["status"] == "ok" and not back["notice"] and back["llm_calls"] > 0, explain(outcome)
