"""Issue 8 §5, the small defects, each checked in the browser where it was seen: a group label
starting with ">" stays text (not a Markdown quote), a column name with a dot keeps a clean
accessible label, and on a phone the sidebar closes after navigation and the figures keep
their legends and numbers uncovered and uncut. (``/data`` opening the Data page and the
synthetic notice shown once: test_clinician_views.test_data_url_opens_the_data_page.)"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import SAMPLE_CSV
from tests.e2e.script_runs import track
from tests.e2e.test_clinician_views import _CUT_TEXTS, _OVERLAPPING_TEXTS, PHONE_AGENT
from tests.e2e.test_journeys import (
    _add,
    _analysis_controls,
    _choose,
    _go,
    _no_failure,
    _open,
    _pick,
    _rerun,
)

pytestmark = pytest.mark.browser

def test_quote_like_labels_and_dotted_names_stay_plain(page: Page, app_url: str, tmp_path):
    data = pd.read_csv(SAMPLE_CSV)
    data["ldh_ratio"] = np.where(data["ikzf1"] > data["ikzf1"].median(), ">0.75", "<=0.75")
    data["ph.ecog"] = np.arange(len(data)) % 3
    path = tmp_path / "quoted.csv"
    data.to_csv(path, index=False)
    _open(page, app_url, "Data")
    _rerun(page, lambda: page.get_by_test_id("stFileUploader").locator("input[type=file]")
           .set_input_files(path))
    expect(page.get_by_test_id("stSidebar").get_by_text("quoted.csv")).to_be_visible()
    _go(page, "Survival")
    _analysis_controls(page)
    _pick(page, "Stratify by", "Category")
    _choose(page, "Category", "ldh_ratio")
    table = page.get_by_test_id("stTable").first
    expect(table.get_by_text(">0.75", exact=False).first).to_be_visible()
    expect(table.locator("blockquote")).to_have_count(0)  # not a Markdown quote
    _go(page, "Hazard ratios")
    _add(page, "Covariates", "ph.ecog")
    page.keyboard.press("Escape")  # closes the list (runs nothing)
    coding = page.get_by_role("combobox", name="ph.ecog: coding")  # no "ph\.ecog"
    expect(coding).to_be_visible()
    assert "\\" not in (coding.get_attribute("aria-label") or "")
    _no_failure(page)


def test_phone_sidebar_closes_after_navigation_and_figures_are_whole(browser, app_url,
                                                                     artifacts):
    context = track(browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                        has_touch=True, user_agent=PHONE_AGENT))
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        _open(page, f"{app_url}/survival", "Survival")
        sidebar = page.get_by_test_id("stSidebar")
        expect(sidebar).not_to_be_in_viewport()  # closed on a phone
        page.get_by_test_id("stExpandSidebarButton").click()
        expect(sidebar.get_by_role("link", name="Hazard ratios")).to_be_in_viewport()
        _go(page, "Hazard ratios")
        expect(sidebar).not_to_be_in_viewport()  # closed again after navigation
        forest = page.get_by_test_id("stPlotlyChart").first
        expect(forest.locator(".main-svg").first).to_be_visible()
        forest.scroll_into_view_if_needed()
        expect(forest.locator(".modebar")).not_to_be_visible()  # no toolbar over the plot
        assert forest.evaluate(_CUT_TEXTS) == []  # HR, CI and p columns not cut
        # the groups with their cut-offs (on two lines when the column needs it), none over
        # another text
        expect(forest.get_by_text("(> 0.643 to ≤ 1.12)", exact=True)).to_be_visible()
        expect(forest.get_by_text("Q4 (> 1.94)", exact=True)).to_be_visible()
        assert forest.evaluate(_OVERLAPPING_TEXTS) == []
        page.screenshot(path=str(artifacts / "phone-forest-390x844.png"))
        _open(page, f"{app_url}/survival", "Survival")
        chart = page.get_by_test_id("stPlotlyChart").first
        expect(chart.locator(".main-svg").first).to_be_visible()
        expect(chart.locator(".modebar")).not_to_be_visible()  # the legend stays uncovered
        assert chart.evaluate(_CUT_TEXTS) == []
        expect(page.get_by_text("HR: reference")).to_be_visible()  # the group lines
        expect(page.get_by_text("unadjusted reference")).to_have_count(0)
        _no_failure(page)
    finally:
        context.close()
