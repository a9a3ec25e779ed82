"""Browser journey of the deeper analyses, in the issue's order: sample -> Biomarker page
(spline and bootstrap shown) -> subgroup forest on the Hazard ratios page -> competing-risk
curves on the Survival page -> the HTML report containing them all."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from tests.e2e.script_runs import REPORT_LIMIT_MS, track
from tests.e2e.test_clinician_views import _CUT_TEXTS, _OVERLAPPING_TEXTS, PHONE_AGENT
from tests.e2e.test_competing_journey import competing_curves
from tests.e2e.test_journeys import _go, _no_failure, _open, _rerun

pytestmark = pytest.mark.browser

#: The legend's top is below the title and subtitle's bottom (it lay over Gray's p).
_LEGEND_BELOW_TITLE = """(chart) => {
  const title = [...chart.querySelectorAll('.g-gtitle text')].filter(t => t.textContent.trim())
    .map(t => t.getBoundingClientRect().bottom);
  const legend = [...chart.querySelectorAll('g.legend text')]
    .map(t => t.getBoundingClientRect().top);
  return title.length > 0 && legend.length > 0 && Math.min(...legend) >= Math.max(...title);
}"""


def test_biomarker_spline_bootstrap_subgroups_and_report(page: Page, app_url: str, artifacts):
    _open(page, app_url, "Data")
    expect(page.get_by_test_id("stSidebar").get_by_text("Synthetic data")).to_be_visible()
    _go(page, "Biomarker")
    expect(page.get_by_text("p for non-linearity 0.").first).to_be_visible()
    expect(page.get_by_text("Selected cut 1.049")).to_be_visible()
    _rerun(page, page.get_by_role("button", name="Run the bootstrap").click)
    expect(page.get_by_text("moves between")).to_be_visible()
    # cut, bootstrap, spline, quartiles (its narrow layout is sent too, hidden by CSS here)
    expect(page.locator("[data-testid='stPlotlyChart']:visible")).to_have_count(4)
    for chart in page.locator("[data-testid='stPlotlyChart']:visible").all():
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".main-svg").first).to_be_visible()
        assert chart.evaluate(_CUT_TEXTS) == []  # the bootstrap's key numbers ran off it
    page.screenshot(path=str(artifacts / "journey-biomarker.png"), full_page=True)
    _no_failure(page)
    _go(page, "Survival")
    _go(page, "Hazard ratios")
    expect(page.get_by_role("heading", name="Subgroup forest")).to_be_visible()
    expect(page.locator(".st-key-hr_subgroup_plot")).to_be_visible()
    page.screenshot(path=str(artifacts / "journey-subgroups.png"), full_page=True)
    _no_failure(page)
    _go(page, "Survival")  # the competing-risk curves last: the report keeps the PFS analyses
    competing_curves(page)
    expect(page.get_by_text("overstates", exact=False).first).to_be_visible()
    cif = page.locator(".st-key-km_cif_chart")
    cif.scroll_into_view_if_needed()
    expect(cif.locator("g.legend text").first).to_be_visible()
    expect(cif.locator("g.xtick text", has_text="12").first).to_be_visible()  # time labelled
    assert cif.evaluate(_LEGEND_BELOW_TITLE)
    assert cif.evaluate(_CUT_TEXTS) == []
    _no_failure(page)
    _go(page, "Report")
    with page.expect_download(timeout=REPORT_LIMIT_MS) as info:  # built on click
        page.get_by_role("button", name="Download the HTML report").click()
    download = info.value
    target = artifacts / "journey-deeper-report.html"
    download.save_as(target)
    html = target.read_text(encoding="utf-8")
    for text in ("Cut-point explorer for ikzf1", "Bootstrap of the cut of ikzf1", "moves between",
                 "ikzf1 as a spline", "Subgroup forest", "Interaction p",
                 "Survival differences at the landmarks", "Hazard ratio per quartile against Q1",
                 "Cumulative incidence with a competing event", "Aalen–Johansen", "Gray test"):
        assert text in html, text
    _no_failure(page)


def test_phone_deeper_figures_keep_their_texts(browser, app_url, artifacts):
    """At 390x844 (a phone's user agent) the Biomarker figures' key numbers, the subgroup
    forest's rows and the cumulative incidence figure are whole: the review of issue 10 found
    the key numbers cut at the figure's edge, the toolbar over them, every subgroup label cut
    (320 px of labels) and the first number at risk run into its group's label."""
    context = track(browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                        has_touch=True, user_agent=PHONE_AGENT))
    context.set_default_timeout(30_000)
    page = context.new_page()

    def whole(charts) -> None:
        for chart in charts:
            chart.scroll_into_view_if_needed()
            expect(chart.locator(".main-svg").first).to_be_visible()
            expect(chart.locator(".modebar")).not_to_be_visible()
            assert chart.evaluate(_CUT_TEXTS) == []
            assert chart.evaluate(_OVERLAPPING_TEXTS) == []

    try:
        _open(page, f"{app_url}/biomarker", "Biomarker")
        _rerun(page, page.get_by_role("button", name="Run the bootstrap").click)
        expect(page.get_by_text("moves between")).to_be_visible()
        whole(page.locator("[data-testid='stPlotlyChart']:visible").all())
        page.screenshot(path=str(artifacts / "phone-biomarker-390x844.png"))
        _open(page, f"{app_url}/survival", "Survival")
        competing_curves(page)
        whole([page.locator(".st-key-km_cif_chart")])
        page.get_by_test_id("stExpandSidebarButton").click()  # the same session: its grouping
        expect(page.get_by_test_id("stSidebar").get_by_role("link", name="Hazard ratios")
               ).to_be_in_viewport()
        _go(page, "Hazard ratios")
        forest = page.locator(".st-key-hr_subgroup_plot")
        expect(forest).to_be_visible()
        whole([forest])
        expect(forest.get_by_text("standard (n=46, events=12)").first).to_be_visible()
        _no_failure(page)
    finally:
        context.close()
