"""Shared fixtures: real corpus copies, real indexes, real servers on loopback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tutor.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEEDS = ROOT.parent / "shared" / "seeds"
BIN = Path(sys.executable).parent


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings rooted in a temporary folder (the model cache stays shared: it is read-only)."""
    values = {"corpus_dir": tmp / "corpus", "index_dir": tmp / "index", "data_dir": tmp / "data", "llm": "extractive"}
    values.update(overrides)
    return Settings(**values)


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("pages"))
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


def tutor_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for running the `tutor` CLI as a user would, against `settings`' folders."""
    env = dict(os.environ)
    env.update(
        TUTOR_CORPUS_DIR=str(settings.corpus_dir),
        TUTOR_INDEX_DIR=str(settings.index_dir),
        TUTOR_DATA_DIR=str(settings.data_dir),
        TUTOR_LLM=settings.llm,
    )
    env.update(extra)
    return env


def run_tutor(args: list[str], settings: Settings, timeout: float = 300, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "tutor"), *args], env=tutor_env(settings, **extra), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fresh folders with a copy of the committed corpus, nothing indexed."""
    copy_corpus(tmp_path / "corpus")
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def indexed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The committed corpus, indexed once for the session (read-only for tests)."""
    from tutor.index import build_index

    tmp = tmp_path_factory.mktemp("indexed")
    copy_corpus(tmp / "corpus")
    settings = make_settings(tmp)
    build_index(settings)
    return settings


@pytest.fixture(scope="session")
def retriever(indexed_settings: Settings):
    from tutor.retrieval import open_retriever

    return open_retriever(indexed_settings)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` server on loopback, stopped at the end of the session."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [str(BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=20)
