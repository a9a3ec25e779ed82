"""Browser journeys (Playwright + Debian Chromium) and axe-core WCAG 2.2 A/AA checks.

Each test uses its own browser context (its own Streamlit session). Screenshots of every page
go to ``tests/artifacts/`` for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import SAMPLE_CSV
from tests.e2e.script_runs import REPORT_LIMIT_MS, finished, started, track, wait_idle

from cohort_explorer.analysis import analyze
from cohort_explorer.present.format import format_p
from cohort_explorer.spec import AnalysisSpec

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PAGES = {"data": "", "cohort": "cohort", "survival": "survival", "biomarker": "biomarker",
         "hazard-ratios": "hazard-ratios", "report": "report"}


def _settled(page: Page, after: int = 0) -> None:
    """Wait until Streamlit has finished its runs, as the server reports them (more than
    ``after`` ended, none running, the last not stopped to rerun itself: ``script_runs``), and
    the page shows it: not running, no stale (greyed) element, no skeleton.

    The page's own "not running" is not enough: it is also what a page says before the run a
    click asked for has started, and between the two runs of a page that reruns itself.
    """
    wait_idle(page, after)
    app = page.get_by_test_id("stApp")
    expect(app).to_have_attribute("data-test-script-state", "notRunning")
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    expect(page.locator("[data-stale='true']")).to_have_count(0)
    # Widgets whose code is still loading are drawn as skeletons.
    expect(page.locator("[data-testid^='stSkeleton']")).to_have_count(0)
    expect(app).to_have_attribute("data-test-script-state", "notRunning")


def _rerun(page: Page, action: Callable[[], object]) -> None:
    """Do ``action`` (something that reruns the app: a click on a button, a link, a radio
    option, a key of a shortcut) and wait until the run it caused has ended and is shown."""
    _settled(page)  # a run still under way would be taken for the action's
    before = finished(page)
    action()
    _settled(page, before)


def _no_failure(page: Page) -> None:
    """What must never happen: an exception box or a traceback on screen."""
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def _loaded(page: Page, heading: str) -> None:
    """After a page load (``goto``, ``reload``): wait until the new session's runs have ended
    (up to the runs' limit), then for the page's title ``heading``."""
    wait_idle(page)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    _settled(page)


def _open(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    _loaded(page, heading)


def _title(page: Page) -> str | None:
    """The page's title (its level-1 heading), or None."""
    return page.get_by_test_id("stMain").evaluate(
        "main => { const h = main.querySelector('h1'); return h ? h.textContent.trim() : null; }")


def _go(page: Page, link: str, heading: str | None = None) -> None:
    """Go to another page by the sidebar's link ``link``: wait until its run has ended, its
    title ``heading`` (the link's name by default) is shown and the old page's is gone (until
    then the old page's widgets are still on screen, and a click would hit them)."""
    heading = heading or link
    old = _title(page)
    if old == heading:  # there already
        return
    nav = page.get_by_test_id("stSidebarNav")
    _rerun(page, nav.get_by_role("link", name=link, exact=True).click)
    expect(page.get_by_role("heading", name=heading, level=1)).to_be_visible()
    if old:
        expect(page.get_by_role("heading", name=old, exact=True, level=1)).to_have_count(0)


def _choose(page: Page, label: str, option: str, within: str | None = None) -> None:
    """Choose ``option`` in the select box ``label`` (in the element keyed ``within``) and wait
    until the run that choice caused has ended and the box shows the choice."""
    scope = page.locator(f".st-key-{within}") if within else page
    box = scope.get_by_role("combobox", name=label)
    choice = page.get_by_role("option", name=option, exact=True)
    _settled(page)
    expect(box).to_be_visible()
    if box.input_value() == option:  # chosen already: no run to wait for
        return
    for attempt in range(3):  # a list closed by a redraw of its box is opened again
        if box.get_attribute("aria-expanded") != "true":
            box.click()
        try:
            expect(choice).to_be_visible()
            break
        except AssertionError:
            if attempt == 2:
                raise
            _settled(page)
    _rerun(page, choice.click)
    expect(box).to_have_value(option)


def _add(page: Page, label: str, option: str) -> None:
    """Add ``option`` to the multiselect ``label`` and wait for the run it caused. A click that
    the open list drops while it redraws (seen once at load 4: no run followed in 120 s) is
    given again, unless the option shows as chosen (its tag in the widget) by then."""
    box = page.get_by_role("combobox", name=label)
    chosen = page.get_by_test_id("stMultiSelect").filter(has=box).get_by_text(option, exact=True)
    choice = page.get_by_role("option", name=option, exact=True)
    for _attempt in range(3):
        _settled(page)
        if chosen.count():
            return
        if box.get_attribute("aria-expanded") != "true":
            box.click()
        before = finished(page)
        choice.click()
        if started(page, before):
            _settled(page, before)
            expect(chosen).to_be_visible()
            return
    raise AssertionError(f"choosing {option!r} in {label!r} started no run")


def _pick(page: Page, group: str, option: str) -> None:
    """Pick ``option`` of the radio group ``group`` and wait for the run and the checked radio."""
    radios = page.get_by_role("radiogroup", name=group)
    _rerun(page, radios.get_by_text(option, exact=True).click)
    expect(radios.get_by_role("radio", name=option, exact=True)).to_be_checked()


def _analysis_controls(page: Page) -> None:
    """Open the Survival page's folded "Change the analysis" panel (results come first); a
    panel already open stays open. Waits until its first control can be used. (Opening a panel
    runs nothing: it is the browser's.)"""
    panel = page.get_by_test_id("stExpander").filter(has_text="Change the analysis")
    endpoint = panel.get_by_role("combobox", name="Endpoint")
    expect(panel).to_be_visible()
    _settled(page)
    if not endpoint.is_visible():
        panel.get_by_text("Change the analysis").click()
    expect(endpoint).to_be_visible()
    # The panel grows to its height in an animation (inline style height, cleared at its end);
    # a click on a control inside while it grows can miss.
    expect(panel.locator("details").first).not_to_have_attribute("style", re.compile("height"))


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
    _go(page, "Survival")
    _analysis_controls(page)  # the choices fold away above the results
    _choose(page, "Split", "Q1 vs rest")
    expect(page.get_by_test_id("stPlotlyChart").first.get_by_text(
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
    expect(page).to_have_url(re.compile(r"[?&]km_rule=Quartiles(&|$)"))
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
    _rerun(page, lambda: page.get_by_test_id("stFileUploader").locator("input[type=file]")
           .set_input_files(path))
    expect(page.get_by_test_id("stSidebar").get_by_text("cohort_coded_1_2.csv")).to_be_visible()
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
    _go(page, "Survival")
    expect(page.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first).to_be_visible()
    expect(page.get_by_text(re.compile(r"Log-rank p [=<] ")).first).to_be_visible()
    expect(coding_error).to_have_count(0)
    _no_failure(page)
    page.screenshot(path=str(artifacts / "journey-upload-1-2.png"), full_page=True)


def test_download_the_html_report(page: Page, app_url: str, artifacts):
    _open(page, f"{app_url}/survival", "Survival")
    _go(page, "Report")
    with page.expect_download(timeout=REPORT_LIMIT_MS) as info:  # built on click
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
    context = track(browser.new_context(viewport={"width": 1400, "height": 2600},
                                        color_scheme=scheme))  # tall: Streamlit scrolls inside
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
