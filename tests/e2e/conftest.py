"""Browser fixtures: the real app on a free loopback port, driven by Debian's Chromium.

The server is ``streamlit run app.py`` started once per session and polled on
``/_stcore/health``. Chromium comes from ``$CHROMIUM`` (default ``/usr/bin/chromium``). When it
is missing the browser tests are skipped locally but FAIL in CI (``CI=true``): CI must never
pass without running them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect
from tests.conftest import require_chromium
from tests.e2e.script_runs import track
from tests.streamlit_server import free_port, start_server, stop_server

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
#: Conditions are awaited up to 30 s (Playwright's 5 s default is too short for a first page
#: run on a loaded 2-core machine); nothing waits a fixed time. Every context is made with
#: ``script_runs.track`` so that a step can wait for the run it caused (``script_runs``).
expect.set_options(timeout=30_000)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return require_chromium()


@pytest.fixture(scope="session")
def app_url(chromium_path: str) -> Iterator[str]:
    """Start the app on a free loopback port; stop it after the session."""
    port = free_port()
    process = start_server(port, ARTIFACTS / "streamlit-server.log",
                           env={"BROWSER_PATH": chromium_path})
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser, app_url: str):
    """A fresh browser context (its own Streamlit session) per test."""
    context = track(browser.new_context(viewport={"width": 1400, "height": 1100},
                                        accept_downloads=True))
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
