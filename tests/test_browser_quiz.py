""""Check my understanding" in a real browser: a quiz after an answer, mastery in the side panel,
a missed item back in review once the app's clock is two days on, and "Forget me" clearing it all.

Its own server (the clock is an app setting, so moving it means a restart); extractive LLM.
"""

from __future__ import annotations

import re

import pytest

from tutor.config import Settings
from tutor.learners import LearnerStore
from tutor.learning.bank import QuizItem
from tutor.learning.review import DAY_S
from tutor.learning.service import QuizService

from .test_browser import CHROMIUM, OUTPUT, ask, browser, sign_in_as, wait_for_answer  # noqa: F401 (fixture)
from .test_ui import ML_QUESTION, AppServer, start_app

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium")
LEARNER = "quiz-in-browser"


@pytest.fixture(scope="module")
def app(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    server = start_app(indexed_settings, tmp_path_factory.mktemp("quiz-app"), TUTOR_CLOCK_OFFSET_S="0")
    yield server
    server.stop()


def open_page(browser, app: AppServer):  # noqa: F811 (the fixture)
    page = browser.new_context(viewport={"width": 1280, "height": 1100}).new_page()
    page.goto(app.url, wait_until="load")
    page.locator("#question textarea").wait_for()
    sign_in_as(page, app, LEARNER)
    page.locator("#quiz").get_by_text("Check my understanding").click()
    return page


def shown_item(page, bank: list[QuizItem]) -> QuizItem:
    """The bank item whose question the page shows."""
    page.locator("#quiz-submit").wait_for()
    text = " ".join(page.locator("#quiz-question").inner_text().split())
    matches = [item for item in bank if " ".join(item.question.split()) in text]
    assert len(matches) == 1, text
    return matches[0]


def answer(page, item: QuizItem, response: str, verdict: str) -> None:
    if item.choices:
        page.locator("#quiz-choices").get_by_label(response, exact=True).check()
    else:
        page.locator("#quiz-typed textarea, #quiz-typed input").first.fill(response)
    page.locator("#quiz-submit").click()
    page.locator("#quiz-feedback").get_by_text(verdict).wait_for()


def mastery_shown(page, label: str) -> int:
    """The percentage the side panel shows for a topic."""
    row = page.locator("#mastery tr", has_text=label).first
    row.wait_for()
    return int(re.search(r"(\d+)%", row.inner_text()).group(1))


def test_quiz_mastery_review_and_forgetting(browser, app: AppServer) -> None:  # noqa: F811 (the fixture)
    service = QuizService.open(app.settings())
    page = open_page(browser, app)
    ask(page, ML_QUESTION)
    wait_for_answer(page, 1)

    # A quiz on the topic of that answer: miss the first item, get the second right.
    page.locator("#quiz-start").click()
    missed = shown_item(page, service.items)
    wrong = next(c for c in missed.choices if c != missed.answer) if missed.choices else "certainly not this"
    answer(page, missed, wrong, "Not quite")
    feedback = " ".join(page.locator("#quiz-feedback").inner_text().split())
    assert " ".join(missed.quote.split())[:60] in feedback and missed.title in feedback  # quoted and cited
    label = service.labels[missed.topic]
    low = mastery_shown(page, label)
    second = shown_item(page, service.items)
    assert second.id != missed.id and second.topic == missed.topic
    answer(page, second, second.answer, "Right.")
    page.wait_for_function("(low) => !document.querySelector('#mastery').innerText.includes(low + '%')", arg=low)
    assert mastery_shown(page, label) > low
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "tutor-quiz.png"), full_page=True)
    store = LearnerStore(app.settings())
    assert [(a["item_id"], bool(a["correct"])) for a in store.attempts(LEARNER)] == [(second.id, True), (missed.id, False)]
    assert page.locator("#mastery").get_by_text("Nothing due for review").count() == 1
    page.context.close()

    # Two days later (the app's clock, moved by its setting) the missed item is due and comes first.
    app.extra_env["TUTOR_CLOCK_OFFSET_S"] = str(2 * DAY_S)
    app.restart()
    page = open_page(browser, app)
    page.locator("#mastery").get_by_text("Due for review: 1").wait_for()
    page.locator("#quiz-start").click()
    assert shown_item(page, service.items).id == missed.id

    # Forget me removes attempts, mastery and reviews; the panel goes with the sign-in.
    page.get_by_role("button", name="Forget me").click()
    page.get_by_role("button", name="Yes, delete everything").click()
    page.locator("#learner-name textarea, #learner-name input").first.wait_for()
    assert store.attempts(LEARNER) == [] and store.mastery(LEARNER) == {} and store.reviews(LEARNER) == []
    assert not page.locator("#mastery").is_visible() and not page.locator("#quiz").is_visible()
    page.context.close()
