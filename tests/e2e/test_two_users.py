"""Issue 5, isolation in a real browser: two users (two browser contexts = two Streamlit
sessions on one server) upload different files with the same name and work at the same time;
neither ever sees the other's data, choices or results."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import SAMPLE_CSV
from tests.e2e.script_runs import track
from tests.e2e.test_journeys import (
    _analysis_controls,
    _choose,
    _go,
    _loaded,
    _no_failure,
    _open,
    _pick,
    _rerun,
)

pytestmark = pytest.mark.browser


def _cohort(path, marker: str, rows: int):
    df = pd.read_csv(SAMPLE_CSV).head(rows)
    df["cyto_risk"] = df["cyto_risk"].replace("high", f"high_{marker}")
    df[f"note_{marker}"] = marker
    df.to_csv(path, index=False)
    return path


def _upload(page: Page, path) -> None:
    _rerun(page, lambda: page.get_by_test_id("stFileUploader").locator("input[type=file]")
           .set_input_files(path))
    expect(page.get_by_test_id("stSidebar").get_by_text("cohort.csv")).to_be_visible()


def _survival(page: Page) -> None:
    _go(page, "Survival")
    _analysis_controls(page)


def _text(page: Page) -> str:
    return page.get_by_test_id("stApp").inner_text() + page.content()


def test_two_users_never_see_each_other(browser, app_url, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    alice_file = _cohort(tmp_path / "a" / "cohort.csv", "ALICE", 60)
    bob_file = _cohort(tmp_path / "b" / "cohort.csv", "BOB", 50)
    contexts = [track(browser.new_context(viewport={"width": 1400, "height": 1100}))
                for _ in range(2)]
    try:
        alice, bob = (c.new_page() for c in contexts)
        for page in (alice, bob):
            page.set_default_timeout(30_000)
            _open(page, app_url, "Data")
        _upload(alice, alice_file)
        _upload(bob, bob_file)  # same file name, other content, while Alice's session lives
        expect(alice.get_by_test_id("stSidebar").get_by_text("60 rows × 21 columns")).to_be_visible()
        expect(bob.get_by_test_id("stSidebar").get_by_text("50 rows × 21 columns")).to_be_visible()

        _survival(alice)
        _survival(bob)
        _pick(alice, "Stratify by", "Category")
        _choose(alice, "Category", "cyto_risk")
        _choose(bob, "Split", "Q1 vs rest")
        chart_alice = alice.get_by_test_id("stPlotlyChart").first
        expect(chart_alice.get_by_text(re.compile(r"^high_ALICE, n = \d+"))).to_be_visible()
        expect(bob.get_by_test_id("stPlotlyChart").first.get_by_text(re.compile(r"^Q1 \(.*\), n = 13"))).to_be_visible()

        bob.reload()  # Bob's new session: his URL carries his choices, never Alice's data
        _loaded(bob, "Survival")
        for page, own, other in ((alice, "ALICE", "BOB"), (bob, None, "ALICE")):
            text = _text(page)
            assert other not in text, f"{other} visible to the other user"
            assert "cyto_risk" not in page.url or page is alice
            if own:
                assert own in text
            _no_failure(page)
        assert "ALICE" not in bob.url and "BOB" not in alice.url
        expect(bob.get_by_test_id("stSidebar").get_by_text("Synthetic data")).to_be_visible()
    finally:
        for context in contexts:
            context.close()
