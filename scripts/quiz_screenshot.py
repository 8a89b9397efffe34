"""Regenerate docs/quiz.png: "Check my understanding" and the mastery panel after a short quiz.

Usage: .venv/bin/python scripts/quiz_screenshot.py  (needs Debian's chromium; indexes a copy of
the corpus in a temporary folder with the extractive backend, so no model is needed)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's `tutor`, not whatever is installed

from screenshot import answered_page, save

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
    env = {"TUTOR_LLM": "extractive", "TUTOR_CORPUS_DIR": str(settings.corpus_dir), "TUTOR_INDEX_DIR": str(settings.index_dir)}
    with answered_page(env, str(settings.data_dir), QUESTION) as page:
        page.locator("#quiz").get_by_text("Check my understanding").click()
        page.locator("#quiz-start").click()
        for right in (True, False, True):
            answer_shown(page, service, right)
        save(page, "quiz.png")


if __name__ == "__main__":
    main()
