#!/usr/bin/env python
"""Load test of the web app: N concurrent learners driving `python app.py` with gradio_client.

    python scripts/load.py [--learners 50] [--turns 4] [--llm extractive|local] [--reindex-during]

Everything is private and bounded: a temporary copy of corpus/ (indexed with `tutor index`), the
app on a free loopback port, a fixed number of turns per learner and a global time cap. Each
learner signs in with its own account (created in the app's store) and asks, in turn, a golden question, a follow-up (a golden item
with `history`: the earlier question first, then the follow-up), and one of the suggestions the
app returned. Afterwards the app is stopped and the learners database is checked: every learner's
history must hold exactly the questions that got a complete answer ("data lost" otherwise).

Exit status: 0 when there were no errors and no data was lost, 1 otherwise.
The helpers here (Deployment, Learner, run_load, check_histories) are reused by scripts/faults.py
and tests/test_faults.py.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tutor.config import OFFLINE_ENV  # noqa: E402  (needs the repo on sys.path)

BIN = Path(sys.executable).parent
CORPUS = ROOT / "corpus"
GOLDEN = ROOT / "tests" / "golden" / "questions.jsonl"
ERROR_PREFIX = "⚠️"  # ui.py: a failed answer is shown as "⚠️ message"; a notice as "> ⚠️ ..."

# A Markdown article with a fact that exists nowhere else (for re-index scenarios).
NEW_ARTICLE_ID = "heliotrope-robotics-guild"
NEW_ARTICLE_TITLE = "The Heliotrope Robotics Guild"
NEW_ARTICLE = f"""---
id: {NEW_ARTICLE_ID}
title: {NEW_ARTICLE_TITLE}
kind: article
---

# {NEW_ARTICLE_TITLE}

OPIT students founded the Heliotrope Robotics Guild in 2026. The guild builds solar-powered
sunflower-tracking robots and meets every Wednesday evening in the virtual Zephyr Lab to race them.
"""
NEW_ARTICLE_QUESTION = "When does the Heliotrope Robotics Guild meet?"
NEW_ARTICLE_MARK = "Heliotrope Robotics Guild"


# ---------------------------------------------------------------- small utilities


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listening on port {port} after {timeout} s")


def get_json(url: str, timeout: float = 5) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


def fmt_s(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def print_table(rows: list[tuple[str, ...]], header: tuple[str, ...] | None = None) -> None:
    table = ([header] if header else []) + [tuple(str(c) for c in r) for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(table[0]))]
    line = "+-" + "-+-".join("-" * w for w in widths) + "-+"
    print(line)
    for n, row in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if header and n == 0:
            print(line)
    print(line, flush=True)


def load_golden() -> tuple[list[dict], list[dict]]:
    items = [json.loads(line) for line in GOLDEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    singles = [i for i in items if not i.get("history") and not i.get("refuse")]
    follow_ups = [i for i in items if i.get("history")]
    return singles, follow_ups


# ---------------------------------------------------------------- a private deployment


APP_SETTINGS: dict = {}  # app URL -> its Settings, so a simulated learner can be given an account


def learner_password(url: str, name: str) -> str:
    """The password of learner `name` on the app at `url`, creating the account in the app's
    store first (as an admin would with `tutor users add`)."""
    from tutor.accounts import AccountService
    from tutor.learners import LearnerStore

    settings, password = APP_SETTINGS[url], f"{name}-load-password"
    accounts = AccountService(LearnerStore(settings), settings)
    if accounts.store.account(name) is None:
        accounts.add(name, password, "learner", actor="load")
    return password


class Deployment:
    """A temporary corpus/index/data, the `tutor` CLI and `python app.py` pointed at them."""

    def __init__(self, root: Path, llm: str = "extractive", index_from: Path | None = None, **env: str) -> None:
        self.root = Path(root)
        self.corpus_dir = self.root / "corpus"
        self.index_dir = self.root / "index"
        self.data_dir = self.root / "data"
        self.llm = llm
        self.extra_env = dict(env)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log_path = self.root / "app.log"
        if not self.corpus_dir.exists():
            shutil.copytree(CORPUS, self.corpus_dir)
        if index_from is not None and not self.index_dir.exists():
            shutil.copytree(index_from, self.index_dir, ignore=shutil.ignore_patterns(".lock"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def env(self, **extra: str) -> dict[str, str]:
        env = {**os.environ, **OFFLINE_ENV}
        env.update(
            TUTOR_CORPUS_DIR=str(self.corpus_dir),
            TUTOR_INDEX_DIR=str(self.index_dir),
            TUTOR_DATA_DIR=str(self.data_dir),
            TUTOR_LLM=self.llm,
            TUTOR_PORT=str(self.port),
            TUTOR_HOST="127.0.0.1",
        )
        env.update(self.extra_env)
        env.update(extra)
        return env

    def settings(self):
        from tutor.config import Settings

        return Settings(
            corpus_dir=self.corpus_dir,
            index_dir=self.index_dir,
            data_dir=self.data_dir,
            llm=self.llm,
            chroma_url=self.extra_env.get("TUTOR_CHROMA_URL"),
        )

    def tutor(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "tutor"), *args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )

    def tutor_popen(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [str(BIN / "tutor"), *args], env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )

    def index(self, *args: str, timeout: float = 300) -> dict:
        result = self.tutor("index", "--json", *args, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"tutor index failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return json.loads(result.stdout)

    def current(self) -> str | None:
        try:
            return (self.index_dir / "CURRENT").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None

    def health(self) -> dict | None:
        """The /health payload (also when degraded: 503), or None when nothing answers."""
        try:
            _status, payload = get_json(self.url + "health", timeout=5)
        except OSError:
            return None
        return payload

    def start_app(self, timeout: float = 180) -> Deployment:
        APP_SETTINGS[self.url] = self.settings()
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=self.env(), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_for_port(self.port, self.process, timeout=timeout)
            deadline = time.time() + 60
            while time.time() < deadline:
                if (self.health() or {}).get("status") == "ok":
                    return self
                time.sleep(0.2)
            raise TimeoutError("the app never became healthy")
        except Exception:  # noqa: BLE001 - re-raised with the app's log
            self.stop_app()
            raise RuntimeError(f"app did not start; log:\n{self.log_path.read_text()[-3000:]}") from None

    def stop_app(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def kill_app(self) -> None:
        """kill -9: no shutdown handler runs."""
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def histories(self, learners: list[str]) -> dict[str, list[str]]:
        from tutor.learners import LearnerStore

        store = LearnerStore(self.settings())
        return {name: [t.question for t in store.history(name, limit=100_000)] for name in learners}


# ---------------------------------------------------------------- one learner


@dataclass
class TurnResult:
    learner: str
    question: str
    kind: str  # golden | lead-in | follow-up | suggestion | probe
    submitted: float
    started: float | None = None  # left the queue (processing began)
    finished: float | None = None
    status: str = "unknown"  # ok (answer received in full) | failed (error shown, not stored) | unknown
    error: str = ""
    answer: str = ""
    sources: str = ""

    @property
    def latency(self) -> float | None:
        return None if self.finished is None else self.finished - self.submitted

    @property
    def queue_wait(self) -> float | None:
        return None if self.started is None else self.started - self.submitted


def text_of(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))


def is_sources(message: dict) -> bool:
    return (message.get("metadata") or {}).get("title") == "Sources"


def last_turn(chat: list[dict]) -> tuple[str, str]:
    """(answer text, sources text) of the chat's last turn."""
    users = [i for i, m in enumerate(chat) if m["role"] == "user"]
    if not users:
        return "", ""
    tail = chat[users[-1] + 1 :]
    answer = "\n".join(text_of(m) for m in tail if m["role"] == "assistant" and not is_sources(m))
    sources = "\n".join(text_of(m) for m in tail if is_sources(m))
    return answer, sources


def connect(url: str, retries: int = 3):
    """A gradio_client session whose /ask and /sign_in also return the suggestion buttons
    (gradio_client hides button values by default); `client.button_positions[api]` says where."""
    from gradio_client import Client

    for attempt in range(retries):
        try:
            client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
            break
        except Exception:  # a busy server may drop the config request: retry
            if attempt == retries - 1:
                raise
            time.sleep(1 + attempt)
    buttons = {c["id"] for c in client.config["components"] if c.get("type") == "button"}
    client.button_positions = {}
    for endpoint in client.endpoints.values():
        if endpoint.api_name in ("/ask", "/sign_in"):
            shown = []
            for component_id, kind in zip(endpoint.dependency["outputs"], endpoint.output_component_types):
                if component_id in buttons:
                    kind.skip = False
                if not kind.skip:
                    shown.append(component_id in buttons)
            client.button_positions[endpoint.api_name] = [i for i, is_button in enumerate(shown) if is_button]
    return client


def suggestions_of(client, api_name: str, outputs: tuple) -> list[str]:
    found = []
    for position in client.button_positions.get(api_name, []):
        value = outputs[position] if position < len(outputs) else None
        if isinstance(value, dict) and value.get("visible") and str(value.get("value") or "").strip():
            found.append(str(value["value"]).strip())
    return found


class Learner:
    """One student: a gradio_client session, signed in under its own id."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self.client = None
        self.suggestions: list[str] = []
        self.turns: list[TurnResult] = []
        self.error = ""

    def sign_in(self) -> bool:
        try:
            self.client = connect(self.url)
            outputs = self.client.predict(self.name, learner_password(self.url, self.name), api_name="/sign_in")
            self.suggestions = suggestions_of(self.client, "/sign_in", outputs)
            return True
        except Exception as exc:  # noqa: BLE001 - reported as an error of this learner
            self.error = f"sign-in: {type(exc).__name__}: {exc}"[:300]
            return False

    def ask(self, question: str, kind: str, timeout: float) -> TurnResult:
        from gradio_client.utils import Status

        turn = TurnResult(self.name, question, kind, submitted=time.time())
        self.turns.append(turn)
        try:
            job = self.client.submit(question, api_name="/ask")
        except Exception as exc:  # noqa: BLE001
            turn.status, turn.error = "unknown", f"{type(exc).__name__}: {exc}"[:300]
            return turn
        deadline = time.time() + timeout
        while not job.done() and time.time() < deadline:
            if turn.started is None and job.status().code in (Status.PROCESSING, Status.ITERATING):
                turn.started = time.time()
            time.sleep(0.05)
        try:
            outputs = job.result(timeout=max(0.1, deadline - time.time()))
        except Exception as exc:  # noqa: BLE001 - AppError: the server refused; others: connection lost/timeout
            from gradio_client.exceptions import AppError

            turn.status = "failed" if isinstance(exc, AppError) else "unknown"
            turn.error = f"{type(exc).__name__}: {exc}"[:300]
            return turn
        turn.finished = time.time()
        turn.started = turn.started or turn.finished
        chat = outputs[0] if isinstance(outputs, tuple) else outputs
        turn.answer, turn.sources = last_turn(chat or [])
        if not turn.answer.strip() or turn.answer.startswith(ERROR_PREFIX):
            turn.status, turn.error = "failed", (turn.answer or "no answer")[:300]
        else:
            turn.status = "ok"
            self.suggestions = suggestions_of(self.client, "/ask", outputs) or self.suggestions
        return turn


def learner_script(
    learner: Learner,
    rng: random.Random,
    singles: list[dict],
    follow_ups: list[dict],
    turns: int,
    deadline: float,
    stop: threading.Event,
    turn_timeout: float,
) -> None:
    """golden, lead-in + follow-up, suggestion, golden, ... until `turns` (0: until stopped)."""
    if not learner.sign_in():
        return
    asked: set[str] = set()
    pending_follow_up: str | None = None
    n = 0
    while (turns == 0 or n < turns) and time.time() < deadline and not stop.is_set():
        step = n % 4
        if pending_follow_up:
            question, kind, pending_follow_up = pending_follow_up, "follow-up", None
        elif step == 1 and (turns == 0 or n + 1 < turns):
            item = rng.choice(follow_ups)
            question, kind, pending_follow_up = item["history"][-1], "lead-in", item["q"]
        elif step == 3 and [s for s in learner.suggestions if s not in asked]:
            question, kind = rng.choice([s for s in learner.suggestions if s not in asked]), "suggestion"
        else:
            question = rng.choice([i["q"] for i in singles if i["q"] not in asked] or [singles[0]["q"]])
            kind = "golden"
        asked.add(question)
        remaining = max(1.0, deadline - time.time())
        learner.ask(question, kind, timeout=min(turn_timeout, remaining + 30))
        n += 1


# ---------------------------------------------------------------- checking the stored histories


def check_histories(learners: list[Learner], stored: dict[str, list[str]]) -> dict:
    """Every fully received answer must be stored, in order; a failed one must not be.
    An "unknown" turn (connection lost, time-out, in flight at a crash) may be either."""
    lost, extra, problems = 0, 0, []
    for learner in learners:
        history = list(stored.get(learner.name, []))
        position = 0
        for turn in learner.turns:
            question = " ".join(turn.question.split())
            here = position < len(history) and history[position] == question
            if turn.status == "ok":
                if here:
                    position += 1
                else:
                    lost += 1
                    problems.append(f"{learner.name}: answered but not stored: {question!r}")
            elif here:
                if turn.status == "failed":
                    extra += 1
                    problems.append(f"{learner.name}: failed but stored: {question!r}")
                position += 1
        if position < len(history):
            extra += len(history) - position
            problems.append(f"{learner.name}: unexpected stored turns: {history[position:]!r}")
    return {"lost": lost, "extra": extra, "problems": problems}


# ---------------------------------------------------------------- the load run


@dataclass
class LoadReport:
    crowd: list[Learner]
    seconds: float
    data: dict = field(default_factory=dict)
    extra_rows: list[tuple[str, str]] = field(default_factory=list)

    @property
    def learners(self) -> int:
        return len(self.crowd)

    @property
    def turns(self) -> list[TurnResult]:
        return [t for learner in self.crowd for t in learner.turns]

    @property
    def sign_in_errors(self) -> list[str]:
        return [f"{learner.name}: {learner.error}" for learner in self.crowd if learner.error]

    def check_data(self, dep: Deployment) -> dict:
        self.data = check_histories(self.crowd, dep.histories([learner.name for learner in self.crowd]))
        return self.data

    @property
    def ok(self) -> list[TurnResult]:
        return [t for t in self.turns if t.status == "ok"]

    @property
    def errors(self) -> int:
        return len(self.turns) - len(self.ok) + len(self.sign_in_errors)

    def rows(self) -> list[tuple[str, str]]:
        latencies = [t.latency for t in self.ok]
        waits = [t.queue_wait for t in self.ok if t.queue_wait is not None]
        kinds: dict[str, int] = {}
        for t in self.ok:
            kinds[t.kind] = kinds.get(t.kind, 0) + 1
        span = (max(t.finished for t in self.ok) - min(t.submitted for t in self.turns)) if self.ok else 0.0
        rows = [
            ("learners", str(self.learners)),
            ("turns asked", str(len(self.turns))),
            ("answers received", f"{len(self.ok)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))})"),
            ("wall time", f"{self.seconds:.1f} s"),
            ("throughput", f"{len(self.ok) / span:.2f} answers/s" if span else "-"),
            ("latency p50 / p95 / p99", " / ".join(fmt_s(percentile(latencies, p)) for p in (50, 95, 99))),
            (
                "queue wait p50 / p95 / max",
                " / ".join(fmt_s(v) for v in (percentile(waits, 50), percentile(waits, 95), max(waits, default=None))),
            ),
            ("errors", str(self.errors)),
        ]
        if self.data:
            rows.append(("data lost", f"{self.data['lost']} (stored but not answered: {self.data['extra']})"))
        return rows + self.extra_rows

    def print(self) -> None:
        print_table(self.rows(), header=("metric", "value"))
        for t in [t for t in self.turns if t.status != "ok"][:10]:
            print(f"  error: {t.learner} [{t.kind}] {t.question!r}: {t.status} {t.error}")
        for problem in self.sign_in_errors[:5] + self.data.get("problems", [])[:10]:
            print(f"  {problem}")


def run_load(
    url: str,
    learners: int,
    turns: int,
    time_cap: float,
    seed: int = 7,
    prefix: str = "learner",
    stop: threading.Event | None = None,
    turn_timeout: float = 300,
    live: dict | None = None,
) -> tuple[list[Learner], float]:
    """Run the learners in threads until each has asked `turns` questions (0: until `stop`) or the cap.
    `live["crowd"]` gives another thread the learners (and their turns) while they run."""
    singles, follow_ups = load_golden()
    stop = stop or threading.Event()
    started = time.time()
    deadline = started + time_cap
    crowd = [Learner(url, f"{prefix}-{i:03d}") for i in range(learners)]
    if live is not None:
        live["crowd"] = crowd
    threads = [
        threading.Thread(
            target=learner_script,
            args=(learner, random.Random(seed * 1000 + i), singles, follow_ups, turns, deadline, stop, turn_timeout),
            daemon=True,
        )
        for i, learner in enumerate(crowd)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + turn_timeout - time.time()))
    return crowd, time.time() - started


def report_of(crowd: list[Learner], seconds: float) -> LoadReport:
    return LoadReport(crowd=crowd, seconds=seconds)


# ---------------------------------------------------------------- re-index during the load


def cites_new_article(turn: TurnResult) -> bool:
    return NEW_ARTICLE_MARK in turn.sources


def reindex_during_load(
    dep: Deployment, learners: int, time_cap: float, start_after: float = 2.0, settle: float = 3.0, seed: int = 11
) -> tuple[LoadReport, dict]:
    """Learners ask continuously; a probe asks about a fact that only a new article holds; the
    article is imported and `tutor index` runs mid-load. Returns the load report and the checks."""
    stop = threading.Event()
    generations: list[tuple[float, str]] = []
    probe = Learner(dep.url, "probe")
    outcome: dict = {}

    def watch_health() -> None:
        while not stop.is_set():
            health = dep.health()
            if health and health.get("index") and (not generations or generations[-1][1] != health["index"]["generation"]):
                generations.append((time.time(), health["index"]["generation"]))
            time.sleep(0.1)

    def ask_probe() -> None:
        if not probe.sign_in():
            return
        while not stop.is_set():
            probe.ask(NEW_ARTICLE_QUESTION, "probe", timeout=120)
            time.sleep(0.3)

    def reindex() -> None:
        # Start once the probe has had answers from the old index (the app is warm by then).
        waited = time.time() + time_cap / 2
        time.sleep(start_after)
        while sum(t.status == "ok" for t in probe.turns) < 2 and time.time() < waited and not stop.is_set():
            time.sleep(0.1)
        article = dep.root / f"{NEW_ARTICLE_ID}.md"
        article.write_text(NEW_ARTICLE, encoding="utf-8")
        imported = dep.tutor("corpus", "import", str(article), "--json", timeout=120)
        outcome["import_rc"] = imported.returncode
        outcome["index_started"] = time.time()
        try:
            outcome["summary"] = dep.index(timeout=max(30.0, time_cap - start_after))
        except Exception as exc:  # noqa: BLE001 - reported as a failed check
            outcome["index_error"] = str(exc)
        outcome["index_finished"] = time.time()
        outcome["swap_time"] = (dep.index_dir / "CURRENT").stat().st_mtime
        time.sleep(settle)
        stop.set()

    helpers = [threading.Thread(target=f, daemon=True) for f in (watch_health, ask_probe, reindex)]
    for helper in helpers:
        helper.start()
    crowd, seconds = run_load(dep.url, learners, turns=0, time_cap=time_cap, seed=seed, stop=stop, turn_timeout=120)
    stop.set()
    for helper in helpers:
        helper.join(timeout=130)
    report = report_of(crowd + [probe], seconds)

    swap = outcome.get("swap_time", float("inf"))
    new_seen = next((t for t, g in generations[1:]), None)
    probes = [t for t in probe.turns if t.status == "ok"]
    before = [t for t in probes if t.finished < swap]
    after = [t for t in probes if new_seen is not None and t.submitted > new_seen]
    pattern = "".join("C" if cites_new_article(t) else "-" for t in sorted(probes, key=lambda t: t.submitted))
    checks = {
        "failed questions": len(report.turns) - len(report.ok) + len(report.sign_in_errors),
        "index rebuilt": bool(outcome.get("summary", {}).get("swapped")) and outcome.get("import_rc") == 0,
        "generations seen": [g for _, g in generations],
        "probe answers before swap citing new article": sum(cites_new_article(t) for t in before),
        "probe answers before swap": len(before),
        "probe answers after new generation": len(after),
        "of which cite new article": sum(cites_new_article(t) for t in after),
        "switch pattern": pattern,
        "one switch": "C-" not in pattern and "C" in pattern,
        "index seconds": round(outcome.get("index_finished", 0) - outcome.get("index_started", 0), 1),
        "index error": outcome.get("index_error", ""),
    }
    checks["passed"] = (
        checks["failed questions"] == 0
        and checks["index rebuilt"]
        and len(checks["generations seen"]) == 2
        and checks["probe answers before swap citing new article"] == 0
        and checks["probe answers before swap"] > 0
        and checks["probe answers after new generation"] > 0
        and checks["of which cite new article"] == checks["probe answers after new generation"]
        and checks["one switch"]
    )
    return report, checks


# ---------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--learners", type=int, default=50, help="concurrent learners (default 50)")
    parser.add_argument("--turns", type=int, default=4, help="questions per learner (default 4)")
    parser.add_argument("--llm", choices=["extractive", "local"], default="extractive")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=None,
        help="TUTOR_CONCURRENCY_LIMIT of the chat queue (default: 4 extractive, 1 local)",
    )
    parser.add_argument("--time-cap", type=float, default=None, help="global time cap in s (default 120; local 600)")
    parser.add_argument(
        "--reindex-during",
        action="store_true",
        help="import a new article and run `tutor index` mid-load (learners ask until it is live)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary deployment folder")
    args = parser.parse_args(argv)
    concurrency = args.concurrency or (1 if args.llm == "local" else 4)
    time_cap = args.time_cap or (600.0 if args.llm == "local" else 120.0)

    root = Path(tempfile.mkdtemp(prefix="tutor-load-"))
    dep = Deployment(root, llm=args.llm, TUTOR_CONCURRENCY_LIMIT=str(concurrency))
    try:
        print(f"[load] building the index in {root} …", flush=True)
        dep.index()
        if args.llm == "local":
            dep.tutor("model", "prepare", timeout=600)
        dep.start_app()
        print(
            f"[load] app on {dep.url} (llm={args.llm}, concurrency limit {concurrency}); "
            f"{args.learners} learners × {'until re-indexed' if args.reindex_during else args.turns} turns, cap {time_cap:.0f} s",
            flush=True,
        )
        checks = None
        if args.reindex_during:
            report, checks = reindex_during_load(dep, args.learners, time_cap)
        else:
            report = report_of(*run_load(dep.url, args.learners, args.turns, time_cap))
        dep.stop_app()
        report.check_data(dep)
        report.extra_rows.append(("llm / concurrency limit", f"{args.llm} / {concurrency}"))
        report.print()
        if checks is not None:
            print_table(
                [(k, json.dumps(v) if not isinstance(v, str) else v) for k, v in checks.items()],
                header=("re-index check", "value"),
            )
        failed = (
            report.errors
            or report.data["lost"]
            or report.data["extra"]
            or (checks is not None and not checks["passed"])
        )
        return 1 if failed else 0
    finally:
        dep.stop_app()
        if args.keep:
            print(f"[load] kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
