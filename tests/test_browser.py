"""The student page in a real browser: Debian's chromium driven by Playwright.

One server per module (`python app.py`, extractive LLM); screenshots go to test-output/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.learners import LearnerStore

from .conftest import ROOT
from .test_ui import ADMIN, ML_QUESTION, AppServer, start_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = ROOT / "test-output"
ANSWER_TIMEOUT_MS = 90_000

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="browser tests need Debian's chromium at /usr/bin/chromium")

# Records every text the newest bot message shows, to see the answer arrive in pieces.
WATCH_STREAM = """() => {
  window.__seen = [];
  const chat = document.querySelector('#chat');
  new MutationObserver(() => {
    const bots = chat.querySelectorAll('[data-testid="bot"]');
    if (bots.length) window.__seen.push(bots[bots.length - 1].innerText);
  }).observe(chat, {subtree: true, childList: true, characterData: true});
}"""


@pytest.fixture(scope="module")
def app(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    server = start_app(indexed_settings, tmp_path_factory.mktemp("browser-app"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, app: AppServer):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # any alert() would mean user text ran as script
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(app.url, wait_until="load")
    page.locator("#question textarea").wait_for()
    yield page
    context.close()


def user_messages(page) -> list[str]:
    return [t.strip() for t in page.locator('[data-testid="user"]').all_inner_texts()]


def ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def wait_for_answer(page, after_users: int) -> str:
    """Wait until the question numbered `after_users` is answered; return the answer's text (with Sources)."""
    page.wait_for_function(
        """(n) => {
            const users = document.querySelectorAll('#chat [data-testid="user"]');
            const bots = document.querySelectorAll('#chat .bot-row');
            if (users.length < n || !bots.length) return false;
            const last = bots[bots.length - 1].innerText;
            const ta = document.querySelector('#question textarea');
            return !/Looking through|in line|Checking the sources|▍/.test(last) && ta && !ta.disabled;
        }""",
        arg=after_users,
        timeout=ANSWER_TIMEOUT_MS,
    )
    return page.locator("#chat .bot-row").last.inner_text()


def test_student_journey(page, app: AppServer) -> None:
    OUTPUT.mkdir(exist_ok=True)
    learner = "ada-in-browser"

    # Sign in: a wrong password is refused calmly, the right one (and Enter) signs in.
    app.account(learner)
    fill_credentials(page, learner, "not my password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("don't match").first.wait_for()
    assert page.get_by_text(f"Signed in as {learner}").count() == 0
    sign_in_as(page, app, learner)

    # Ask: the answer streams in, then shows its citations and a Sources section.
    page.evaluate(WATCH_STREAM)
    ask(page, ML_QUESTION)
    answer = wait_for_answer(page, 1)
    assert "[1]" in answer and "Sources" in answer
    seen = [s for s in page.evaluate("window.__seen") if "▍" in s]
    assert len(set(seen)) >= 2, f"the answer did not arrive in pieces: {seen[:5]}"
    page.locator(".thought-group .title", has_text="Sources").last.click()
    page.get_by_text(re.compile(r"\[1\] .*Machine Learning Engineer", re.IGNORECASE)).first.wait_for()
    page.locator(".thought-group blockquote").last.wait_for()
    page.wait_for_timeout(500)  # let the section finish opening
    page.screenshot(path=str(OUTPUT / "tutor-answer.png"), full_page=True)
    assert user_messages(page) == [ML_QUESTION]
    page.locator("#topics", has_text="1 question").wait_for()  # the topics panel

    # Thumbs up on the answer is stored for this learner's turn.
    page.locator('button[aria-label="Like"]').last.click()
    page.get_by_text("Thanks! Your feedback").first.wait_for()
    rows = [r for r in LearnerStore(app.settings()).list_feedback() if r["learner_id"] == learner]
    assert [(r["rating"], r["question"]) for r in rows] == [(1, ML_QUESTION)]

    # A suggested question is asked with one click.
    suggestion = page.locator("button.suggestion:visible").first
    suggested = suggestion.inner_text().strip()
    assert suggested.endswith("?")
    suggestion.click()
    answer = wait_for_answer(page, 2)
    assert user_messages(page)[-1] == suggested
    assert answer.strip() and "went wrong" not in answer

    # A declined question offers questions the content answers, and one click asks one.
    ask(page, "What is the capital of Peru?")
    declined = wait_for_answer(page, 3)
    assert "couldn't find" in declined
    option = page.locator("#chat button.option").first
    offered = option.inner_text().strip()
    assert offered.endswith("?")
    option.click()
    answer = wait_for_answer(page, 4)
    assert user_messages(page)[-1] == offered and "couldn't find" not in answer

    # Script in a question is shown as text and never runs.
    ask(page, "<script>alert(1)</script>")
    wait_for_answer(page, 5)
    assert user_messages(page)[-1] == "<script>alert(1)</script>"
    assert page.locator("#chat script").count() == 0
    assert page.dialogs == []

    page.get_by_text("Thanks! Your feedback").first.wait_for(state="hidden", timeout=15_000)  # toast gone
    page.screenshot(path=str(OUTPUT / "tutor-chat.png"), full_page=True)

    # A reload asks for the password again (nothing about the sign-in is kept in the browser);
    # signing in again brings the history back.
    page.reload(wait_until="load")
    page.locator("#learner-password input").wait_for()
    assert page.get_by_text(f"Signed in as {learner}").count() == 0 and user_messages(page) == []
    sign_in_as(page, app, learner)
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"user\"]').length >= 5")
    assert user_messages(page) == [ML_QUESTION, suggested, "What is the capital of Peru?", offered, "<script>alert(1)</script>"]

    # Forget me: confirm, then everything is gone and the page is reset.
    page.get_by_role("button", name="Forget me").click()
    page.get_by_role("button", name="Yes, delete everything").click()
    page.locator("#learner-name textarea, #learner-name input").first.wait_for()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0")
    store = LearnerStore(app.settings())
    assert store.history(learner) == [] and not [r for r in store.list_feedback() if r["learner_id"] == learner]
    assert page.get_by_text(f"Signed in as {learner}").count() == 0


def test_admin_tab(page, app: AppServer) -> None:
    admin_tab = page.get_by_role("tab", name="Admin")
    sign_in_as(page, app, "plain-learner")
    assert admin_tab.count() == 0, "a learner never sees the Admin tab"
    page.locator("#sign-out").click()
    page.locator("#learner-password input").wait_for()
    sign_in_as(page, app, ADMIN, "admin")
    admin_tab.click()
    page.get_by_text("Corpus and index").wait_for()
    assert page.get_by_text(re.compile(r"chunks:")).count() >= 1
    page.get_by_role("button", name="Re-index now").click()
    page.get_by_text("already up to date").wait_for(timeout=ANSWER_TIMEOUT_MS)
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "tutor-admin.png"), full_page=True)


# ---------------------------------------------------------------- chat controls


def fill_credentials(page, name: str, password: str) -> None:
    page.locator("#learner-name textarea, #learner-name input").first.fill(name)
    page.locator("#learner-password input").fill(password)


def sign_in_as(page, app: AppServer, learner: str, role: str = "learner") -> None:
    """Sign in the way a student does: name, password, Enter."""
    fill_credentials(page, learner, app.account(learner, role))
    page.locator("#learner-password input").press("Enter")
    page.get_by_text(f"Signed in as {learner}").wait_for()


def test_asking_before_signing_in_says_so_in_the_chat_and_keeps_the_question(page, app: AppServer) -> None:
    """The asking step runs unqueued, where a raised error shows only a red "Error" badge."""
    ask(page, ML_QUESTION)
    page.locator("#chat .bot-row", has_text="Please sign in first").wait_for()
    assert page.locator("#question textarea").input_value() == ML_QUESTION
    assert page.get_by_text("Error", exact=True).count() == 0
    sign_in_as(page, app, "late-signer")
    page.locator("#question textarea").press("Enter")
    assert "[1]" in wait_for_answer(page, 1)
    assert user_messages(page) == [ML_QUESTION]
    assert page.get_by_text("Please sign in first").count() == 0, "the reminder goes once signed in"


def test_citation_previews_its_source(page, app: AppServer) -> None:
    sign_in_as(page, app, "hover-reader")
    ask(page, ML_QUESTION)
    wait_for_answer(page, 1)
    marker = page.locator('#chat .bot-row a[title^="[1] "]').first
    marker.wait_for()
    preview = marker.get_attribute("title")
    assert "Machine Learning Engineer" in preview and ": " in preview, preview
    assert marker.inner_text().strip() == "[1]"
    marker.hover()  # the browser shows the title as the preview


def test_new_conversation_and_reopening_an_old_one(page, app: AppServer) -> None:
    learner = "conversation-keeper"
    sign_in_as(page, app, learner)
    ask(page, ML_QUESTION)
    wait_for_answer(page, 1)

    page.locator("#new-conversation").click()
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0")
    ask(page, "What is a hackathon?")
    wait_for_answer(page, 1)
    assert user_messages(page) == ["What is a hackathon?"], "the new conversation starts empty"

    listing = page.locator("#conversations")
    listing.get_by_text(re.compile(r"^What is a hackathon\?")).wait_for()
    listing.get_by_text(re.compile(r"^What does a machine learning engineer do\?")).click()
    page.wait_for_function(
        "(q) => [...document.querySelectorAll('#chat [data-testid=\"user\"]')].map(e => e.innerText.trim()).join('|') === q",
        arg=ML_QUESTION,
    )
    conversations = {t.conversation for t in LearnerStore(app.settings()).history(learner)}
    assert len(conversations) == 2 and None not in conversations

    # A follow-up in the reopened conversation is stored in it.
    ask(page, "Which skills does it need?")
    wait_for_answer(page, 2)
    [first, *_] = LearnerStore(app.settings()).conversations(learner)
    assert first.first_question == ML_QUESTION and first.turns == 2


@pytest.fixture(scope="module")
def hanging_llm():
    """An LLM server that accepts connections and never answers (a hung server)."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"http://127.0.0.1:{server.getsockname()[1]}/v1"
    server.close()


@pytest.fixture(scope="module")
def slow_app(indexed_settings: Settings, tmp_path_factory: pytest.TempPathFactory, hanging_llm: str):
    server = start_app(
        indexed_settings, tmp_path_factory.mktemp("browser-slow"), TUTOR_LLM="openai",
        TUTOR_OPENAI_BASE_URL=hanging_llm, TUTOR_LLM_TIMEOUT_S="90",
    )
    yield server
    server.stop()


def test_stop_ends_an_answer_and_stores_nothing(browser, slow_app: AppServer) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(slow_app.url, wait_until="load")
        page.locator("#question textarea").wait_for()
        sign_in_as(page, slow_app, "impatient")
        ask(page, ML_QUESTION)
        page.get_by_text("Looking through").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        page.locator("#stop").click()
        page.locator("#chat .bot-row", has_text="Stopped").last.wait_for()
        page.wait_for_function("() => !document.querySelector('#question textarea').disabled")
        assert page.locator("#stop").is_hidden()
        assert LearnerStore(slow_app.settings()).history("impatient") == []
    finally:
        context.close()
