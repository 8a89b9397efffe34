"""Regenerate docs/screenshot.png: the page after a real question answered by the local LLM.

Usage: .venv/bin/python scripts/screenshot.py  (needs Debian's chromium and a built index)
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "How much does it cost to study at OPIT, and are the degrees accredited?"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def learner_account(data_dir: str, name: str = "maria") -> tuple[str, str]:
    """A learner account in the app's store (the page asks for a password): name and password."""
    sys.path.insert(0, str(ROOT))
    from tutor.accounts import open_accounts
    from tutor.config import Settings

    password = secrets.token_urlsafe(12)
    open_accounts(Settings(data_dir=Path(data_dir))).add(name, password)
    return name, password


def sign_in(page, name: str, password: str) -> None:
    """Name, password, Enter: as a student signs in."""
    page.locator("#learner-name textarea, #learner-name input").first.fill(name)
    page.locator("#learner-password input").fill(password)
    page.locator("#learner-password input").press("Enter")
    page.get_by_text(f"Signed in as {name}").wait_for()


@contextmanager
def answered_page(env: dict[str, str], data_dir: str, question: str) -> Iterator:
    """A private app (`env` on top of ours) in a real browser, a learner signed in and `question`
    answered with its sources: what both screenshots start from. Everything stops on exit."""
    name, password = learner_account(data_dir)
    port = free_port()
    env = {**os.environ, "TUTOR_HOST": "127.0.0.1", "TUTOR_PORT": str(port), "TUTOR_DATA_DIR": data_dir, **env}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 960})
            for _ in range(180):  # model warm-up takes a while on first start
                if server.poll() is not None:
                    raise SystemExit("the app stopped (its message is above)")
                try:
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
                    break
                except PlaywrightError:  # not listening yet
                    time.sleep(1)
            sign_in(page, name, password)
            page.locator("#question textarea").fill(question)
            page.locator("#question textarea").press("Enter")
            page.locator(".thought-group .title", has_text="Sources").last.wait_for(timeout=180_000)
            yield page
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def save(page, name: str) -> None:
    """The whole page as docs/<name>."""
    page.wait_for_timeout(800)
    target = ROOT / "docs" / name
    target.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    print(f"saved {target}")


def main() -> None:
    with answered_page({"TUTOR_LLM": "local"}, tempfile.mkdtemp(prefix="tutor-shot-"), QUESTION) as page:
        page.locator(".thought-group .title", has_text="Sources").last.click()
        save(page, "screenshot.png")


if __name__ == "__main__":
    main()
