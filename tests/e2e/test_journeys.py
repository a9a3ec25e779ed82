"""Browser journeys (Playwright + Debian Chromium) and axe-core WCAG 2.2 A/AA checks.

Each test uses its own browser context (its own Streamlit session). Screenshots of every page
go to ``tests/artifacts/`` for review.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import SAMPLE_CSV

from cohort_explorer.analysis import analyze
from cohort_explorer.present.format import format_p
from cohort_explorer.spec import AnalysisSpec

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {"data": "", "cohort": "cohort", "survival": "survival", "biomarker": "biomarker",
         "hazard-ratios": "hazard-ratios", "report": "report"}


def _settled(page: Page) -> None:
    """Wait until Streamlit has finished its runs: not running and no stale (greyed) element.

    A first load can run twice (the viewer's theme is reported, ``st.context.theme`` reruns).
    """
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    expect(page.locator("[data-stale='true']")).to_have_count(0)
    # Widgets whose code is still loading are drawn as skeletons.
    expect(page.locator("[data-testid^='stSkeleton']")).to_have_count(0)
    expect(app).to_have_attribute("data-test-script-state", "notRunning")


def _no_failure(page: Page) -> None:
    """What must never happen: an exception box or a traceback on screen."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    _settled(page)


def _choose(page: Page, label: str, option: str, within: str | None = None) -> None:
    scope = page.locator(f".st-key-{within}") if within else page
    box = scope.get_by_role("combobox", name=label)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(3):  # a late rerun (e.g. the theme's) redraws the box and closes its list
        box.click()
        try:
            expect(choice).to_be_visible(timeout=10_000)
            break
        except AssertionError:
            _settled(page)
    choice.click()
    _settled(page)


def _analysis_controls(page: Page) -> None:
    """Open the Survival page's folded "Change the analysis" panel (results come first); a
    panel already open stays open. Waits until its first control can be used."""
    panel = page.get_by_test_id("stExpander").filter(has_text="Change the analysis")
    endpoint = panel.get_by_role("combobox", name="Endpoint")
    expect(panel).to_be_visible()
    if not endpoint.is_visible():
        panel.get_by_text("Change the analysis").click()
    expect(endpoint).to_be_visible()
    _settled(page)


def _axe(page: Page, name: str) -> list[dict]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                       "resultTypes": ["violations"]})
    return [{"page": name, "rule": v["id"], "impact": v["impact"],
             "targets": [n["target"] for n in v["nodes"][:5]]}
            for v in results.response["violations"]]


def test_sample_to_survival_quartiles_shows_km_and_p(page: Page, app_url: str, artifacts):
    _open(page, app_url, "Data")
    expect(page.get_by_test_id("stSidebar").get_by_text("Synthetic data")).to_be_visible()
    page.get_by_role("link", name="Survival").click()
    expect(page.get_by_role("heading", name="Survival", level=1)).to_be_visible()
    _settled(page)
    _analysis_controls(page)  # the choices fold away above the results
    _choose(page, "Split", "Q1 vs rest")
    expect(page.get_by_test_id("stPlotlyChart").get_by_text(
        re.compile(r"^Q2-Q4.*n = 45"))).to_be_visible()
    _choose(page, "Split", "Quartiles")
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart.get_by_text(re.compile(r"^Q4.*n = 15"))).to_be_visible()
    expect(chart.get_by_text("Number at risk")).to_be_visible()
    result = analyze(pd.read_csv(SAMPLE_CSV),
                     AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                  group_by="ikzf1:quartiles", landmarks=(36.0,), trend=True))
    expect(page.get_by_text(f"Log-rank {format_p(result.logrank.p)}").first).to_be_visible()
    assert "km_rule=Quartiles" in page.url
    _no_failure(page)
    page.screenshot(path=str(artifacts / "journey-survival-quartiles.png"), full_page=True)


def test_upload_csv_coded_1_2_and_map_event_2(page: Page, app_url: str, artifacts, tmp_path):
    data = pd.read_csv(SAMPLE_CSV).rename(columns={"pfs_event": "pfs_status",
                                                   "os_event": "os_status"})
    data["pfs_status"] += 1  # 1 = censored, 2 = progression (R's Surv convention)
    data["os_status"] += 1
    path = tmp_path / "cohort_coded_1_2.csv"
    data.to_csv(path, index=False)
    _open(page, app_url, "Data")
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(path)
    expect(page.get_by_test_id("stSidebar").get_by_text("cohort_coded_1_2.csv")).to_be_visible()
    _settled(page)
    expect(page.get_by_test_id("stSidebar").get_by_text("Synthetic data")).to_have_count(0)
    _choose(page, "Value that means event", "0/1 coding (1 = event)", within="data_ep_row_0")
    expect(page.get_by_text("PFS: 1 errors")).to_be_visible()
    expect(page.get_by_test_id("stTable").first).to_contain_text("pfs_status")
    coding_error = page.get_by_text(
        re.compile(r"Which value of 'pfs_status' means the event happened\? The column holds 1, 2"))
    expect(coding_error.first).to_be_visible()  # the engine's coded error, in the app's words
    _choose(page, "Value that means event", "2", within="data_ep_row_0")
    expect(page.get_by_text("PFS: 0 errors")).to_be_visible()
    expect(coding_error).to_have_count(0)
    page.get_by_role("link", name="Survival").click()
    expect(page.get_by_role("heading", name="Survival", level=1)).to_be_visible()
    _settled(page)
    expect(page.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Log-rank p [=<] ")).first).to_be_visible()
    expect(coding_error).to_have_count(0)
    _no_failure(page)
    page.screenshot(path=str(artifacts / "journey-upload-1-2.png"), full_page=True)


def test_download_the_html_report(page: Page, app_url: str, artifacts):
    _open(page, f"{app_url}/survival", "Survival")
    page.get_by_role("link", name="Report").click()
    expect(page.get_by_role("heading", name="Report", level=1)).to_be_visible()
    _settled(page)
    with page.expect_download() as info:
        page.get_by_role("button", name="Download the HTML report").click()
    download = info.value
    target = artifacts / download.suggested_filename
    download.save_as(target)
    html = target.read_text(encoding="utf-8")
    assert download.suggested_filename == "cohort-report-pfs.html"
    assert html.startswith("<!DOCTYPE html>") and "Synthetic data" in html
    assert "Kaplan–Meier" in html and "Methods" in html and "Greenwood" in html
    assert 'src="http' not in html
    _no_failure(page)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_passes_axe_wcag22_and_is_captured(browser, app_url, artifacts, scheme):
    context = browser.new_context(viewport={"width": 1400, "height": 2600},
                                  color_scheme=scheme)  # tall: Streamlit scrolls inside
    page = context.new_page()
    violations = []
    try:
        for name, path in PAGES.items():
            heading = {"hazard-ratios": "Hazard ratios"}.get(name, name.capitalize())
            _open(page, f"{app_url}/{path}", heading)
            charts = page.get_by_test_id("stPlotlyChart")
            if charts.count():
                expect(charts.first.locator(".main-svg").first).to_be_visible()
            _no_failure(page)
            page.screenshot(path=str(artifacts / f"page-{name}-{scheme}.png"), full_page=True)
            violations += _axe(page, name)
    finally:
        context.close()
    assert violations == [], violations
