"""Regenerate docs/quiz.png: "Check my understanding" and the mastery panel after a short quiz.

Usage: .venv/bin/python scripts/quiz_screenshot.py  (needs Debian's chromium; indexes a copy of
the corpus in a temporary folder with the extractive backend, so no model is needed)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `tutor`, not whatever is installed

from screenshot import ARGS, free_port, learner_account, sign_in

from tutor.config import Settings
from tutor.index import build_index
from tutor.learning.service import QuizService

QUESTION = "What does a machine learning engineer do?"


def indexed_copy(folder: Path) -> Settings:
    """The committed corpus indexed in `folder` (its bank is built with it)."""
    shutil.copytree(ROOT / "corpus", folder / "corpus", ignore=shutil.ignore_patterns("pages"))
    settings = Settings(corpus_dir=folder / "corpus", index_dir=folder / "index", data_dir=folder / "data", llm="extractive")
    build_index(settings)
    return settings


def answer_shown(page, service: QuizService, right: bool) -> None:
    """Answer the item on screen, rightly or not, and wait for the verdict."""
    page.locator("#quiz-submit").wait_for()
    text = " ".join(page.locator("#quiz-question").inner_text().split())
    item = next(item for item in service.items if " ".join(item.question.split()) in text)
    response = item.answer if right else next(c for c in item.choices if c != item.answer)
    if item.choices:
        page.locator("#quiz-choices").get_by_label(response, exact=True).check()
    else:
        page.locator("#quiz-typed textarea, #quiz-typed input").first.fill(response)
    page.locator("#quiz-submit").click()
    page.locator("#quiz-feedback").get_by_text("Right." if right else "Not quite").wait_for()


def main() -> None:
    settings = indexed_copy(Path(tempfile.mkdtemp(prefix="tutor-quiz-shot-")))
    service = QuizService.open(settings)
    name, password = learner_account(str(settings.data_dir))
    port = free_port()
    env = {**os.environ, "TUTOR_LLM": "extractive", "TUTOR_PORT": str(port), "TUTOR_HOST": "127.0.0.1",
           "TUTOR_CORPUS_DIR": str(settings.corpus_dir), "TUTOR_INDEX_DIR": str(settings.index_dir),
           "TUTOR_DATA_DIR": str(settings.data_dir)}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 960})
            for _ in range(180):
                try:
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
                    break
                except PlaywrightError:  # not listening yet
                    page.wait_for_timeout(1000)
            sign_in(page, name, password)
            page.locator("#question textarea").fill(QUESTION)
            page.locator("#question textarea").press("Enter")
            page.locator(".thought-group .title", has_text="Sources").last.wait_for(timeout=180_000)
            page.locator("#quiz").get_by_text("Check my understanding").click()
            page.locator("#quiz-start").click()
            for right in (True, False, True):
                answer_shown(page, service, right)
            page.wait_for_timeout(800)
            target = ROOT / "docs" / "quiz.png"
            page.screenshot(path=str(target), full_page=True)
            print(f"saved {target}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
