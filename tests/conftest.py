"""Shared fixtures: real corpus copies, real indexes, real servers on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tutor.config import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SEEDS = ROOT.parent / "shared" / "seeds"
BIN = Path(sys.executable).parent

sys.path.insert(0, str(ROOT / "scripts"))  # scripts/ is not a package
from load import Deployment, free_port, get_json, wait_for_port  # noqa: E402,F401  (one copy, shared)


def make_settings(tmp: Path, **overrides) -> Settings:
    """Settings rooted in a temporary folder (the model cache stays shared: it is read-only)."""
    values = {"corpus_dir": tmp / "corpus", "index_dir": tmp / "index", "data_dir": tmp / "data", "llm": "extractive"}
    values.update(overrides)
    return Settings(**values)


def copy_corpus(target: Path) -> Path:
    shutil.copytree(CORPUS, target, ignore=shutil.ignore_patterns("pages"))
    return target


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


# ---------------------------------------------------------------- a private PostgreSQL server


def postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL binaries (`apt-get install -y postgresql`), if installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


def missing_service(message: str):
    """Fail in CI (the service must be there), skip on a developer's machine."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL on a free loopback port, in a temporary folder, for the session.

    Runs as the `postgres` OS user when we are root (the server refuses to run as root).
    Yields the URL of an empty database; the server is stopped and its folder removed at the end.
    """
    import tempfile

    bin_dir = postgres_bin()
    if bin_dir is None:
        missing_service("PostgreSQL binaries not found in /usr/lib/postgresql/*/bin: run `scripts/setup.sh --dev` "
                        "(apt-get install -y postgresql)")
    as_root = os.geteuid() == 0
    # Not under pytest's basetemp: that is 0700 root, which the postgres user cannot traverse.
    tmp = Path(tempfile.mkdtemp(prefix="tutor-pg-"))
    data, log = tmp / "data", tmp / "server.log"
    if as_root:
        shutil.chown(tmp, user="postgres", group="postgres")

    def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
        command = [str(bin_dir / args[0]), *args[1:]]
        if as_root:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, cwd=tmp, **kwargs)

    port = free_port()
    started = False
    try:
        result = run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync")
        if result.returncode != 0:
            pytest.fail(f"initdb failed: {result.stderr.strip()}", pytrace=False)
        options = f"-k {tmp} -c listen_addresses=127.0.0.1 -p {port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = run("pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options, "start")
        started = True
        if result.returncode != 0:
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(f"pg_ctl start failed: {result.stderr.strip()}\n{server_log[-2000:]}", pytrace=False)
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{port}/postgres", autocommit=True) as db:
            db.execute("CREATE DATABASE tutor_test")
        yield f"postgresql://postgres@127.0.0.1:{port}/tutor_test"
    finally:
        if started:
            run("pg_ctl", "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def postgres_schema_url(postgres_url: str) -> str:
    """The server's URL with a fresh, empty schema first on the search path: one per test."""
    import secrets

    import psycopg

    schema = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    return f"{postgres_url}?options=-csearch_path%3D{schema}"
