"""Browser journey of the deeper analyses: sample -> Biomarker page (spline and bootstrap shown)
-> subgroup forest on the Hazard ratios page -> the HTML report containing them."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.script_runs import RUN_LIMIT_MS
from tests.e2e.test_journeys import _go, _no_failure, _open, _rerun

pytestmark = pytest.mark.browser


def test_biomarker_spline_bootstrap_subgroups_and_report(page: Page, app_url: str, artifacts):
    _open(page, app_url, "Data")
    expect(page.get_by_test_id("stSidebar").get_by_text("Synthetic data")).to_be_visible()
    _go(page, "Biomarker")
    expect(page.get_by_text("p for non-linearity 0.").first).to_be_visible()
    expect(page.get_by_text("Selected cut 1.049")).to_be_visible()
    _rerun(page, page.get_by_role("button", name="Run the bootstrap").click)
    expect(page.get_by_text("moves between")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(4)  # cut, bootstrap, spline, Q
    page.screenshot(path=str(artifacts / "journey-biomarker.png"), full_page=True)
    _no_failure(page)
    _go(page, "Survival")
    _go(page, "Hazard ratios")
    expect(page.get_by_role("heading", name="Subgroup forest")).to_be_visible()
    expect(page.locator(".st-key-hr_subgroup_plot")).to_be_visible()
    page.screenshot(path=str(artifacts / "journey-subgroups.png"), full_page=True)
    _no_failure(page)
    _go(page, "Report")
    with page.expect_download(timeout=RUN_LIMIT_MS) as info:  # built on click
        page.get_by_role("button", name="Download the HTML report").click()
    download = info.value
    target = artifacts / "journey-deeper-report.html"
    download.save_as(target)
    html = target.read_text(encoding="utf-8")
    for text in ("Cut-point explorer for ikzf1", "Bootstrap of the cut of ikzf1", "moves between",
                 "ikzf1 as a spline", "Subgroup forest", "Interaction p",
                 "Survival differences at the landmarks"):
        assert text in html, text
    _no_failure(page)
