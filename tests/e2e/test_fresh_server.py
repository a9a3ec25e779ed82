"""A fresh server's very first visitor, arriving by a shared link."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from tests.e2e.script_runs import track
from tests.e2e.test_journeys import _no_failure, _open
from tests.streamlit_server import free_port, start_server, stop_server

pytestmark = pytest.mark.browser


def test_a_link_to_a_page_is_the_first_request_of_a_fresh_server(browser, artifacts):
    """/hazard-ratios (file hazard_ratios.py) opened first: the page, no "Page not found"
    (Streamlit's legacy pages-directory mode, which serve.py switches off before listening)."""
    port = free_port()
    process = start_server(port, artifacts / "fresh-server.log")
    context = track(browser.new_context(viewport={"width": 1440, "height": 900}))
    try:
        page = context.new_page()
        _open(page, f"http://127.0.0.1:{port}/hazard-ratios", "Hazard ratios")
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.get_by_role("dialog")).to_have_count(0)
        _no_failure(page)
    finally:
        context.close()
        stop_server(process)
