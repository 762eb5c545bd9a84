"""Browser tests: Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, against the app served by a real
WSGI server in a thread. No browser download: without Chromium a developer's run skips these tests and says so;
CI (``CI`` set) fails instead."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", Path(__file__).resolve().parents[2] / "screens"))


def pytest_collection_modifyitems(items) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def _playwright():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}: install Debian's chromium package (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served on an ephemeral loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


def watch_content_security_policy(page, violations: list[str]) -> None:
    """Collect what Chromium refuses under the Content-Security-Policy (an inline script or handler, a
    ``javascript:`` URL, a foreign resource): each is a behaviour of the page that silently does not run."""
    def on_console(message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (its own cookies) at desktop size, with ``base_url`` set to the live server. The
    test fails when the page broke the Content-Security-Policy."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    violations: list[str] = []
    watch_content_security_policy(page, violations)
    yield page
    context.close()
    assert not violations, "\n".join(violations)


@pytest.fixture
def new_page(browser, live_server):
    """Factory for further independent browser sessions (a second tab in another browser, a phone)."""
    contexts = []
    violations: list[str] = []

    def make(width: int = 1280, height: int = 900):
        context = browser.new_context(base_url=live_server, viewport={"width": width, "height": height},
                                      locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        watch_content_security_policy(page, violations)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not violations, "\n".join(violations)


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG under screens/ (git-ignored) to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
