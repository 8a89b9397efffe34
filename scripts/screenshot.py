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
from pathlib import Path

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


def main() -> None:
    port = free_port()
    data = tempfile.mkdtemp(prefix="tutor-shot-")
    name, password = learner_account(data)
    env = {**os.environ, "TUTOR_LLM": "local", "TUTOR_PORT": str(port), "TUTOR_DATA_DIR": data}
    server = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 960})
            for _ in range(180):  # model warm-up takes a while on first start
                try:
                    page.goto(f"http://127.0.0.1:{port}/", wait_until="load")
                    break
                except Exception:
                    time.sleep(1)
            sign_in(page, name, password)
            page.locator("#question textarea").fill(QUESTION)
            page.locator("#question textarea").press("Enter")
            page.locator(".thought-group .title", has_text="Sources").last.wait_for(timeout=180_000)
            page.locator(".thought-group .title", has_text="Sources").last.click()
            page.wait_for_timeout(800)
            target = ROOT / "docs" / "screenshot.png"
            target.parent.mkdir(exist_ok=True)
            page.screenshot(path=str(target), full_page=True)
            print(f"saved {target}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
