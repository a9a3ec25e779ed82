"""Browser checks of issue 8 (a clinician's screens): results first, readable, accessible.

At 1440×900, 1920×1080, 1024×768 and 390×844 (a phone) in light and dark: the Kaplan–Meier
chart starts in the upper half of the window on the two desktop sizes, no legend or table text
is clipped, every text of the figure has a contrast of at least 4.5:1 against the figure's
background (read from the drawn SVG), the cut-offs of the groups are printed, and axe-core
finds no WCAG 2.2 A/AA violation. Presentation mode: large type, arrow keys between figures,
Esc back with the choices kept. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from tests.conftest import SAMPLE_CSV
from tests.e2e.script_runs import track
from tests.e2e.test_journeys import (
    _analysis_controls,
    _axe,
    _choose,
    _go,
    _no_failure,
    _open,
    _rerun,
)
from tests.test_figure_labels import contrast

from cohort_explorer.analysis import analyze
from cohort_explorer.present.labels import group_names
from cohort_explorer.spec import AnalysisSpec

pytestmark = pytest.mark.browser

SIZES = [(1440, 900), (1920, 1080), (1024, 768), (390, 844)]
PHONE_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1")

_SVG_TEXT = """(chart) => {
  const svgs = [...chart.querySelectorAll('svg.main-svg')];
  const background = getComputedStyle(svgs[0]).backgroundColor;
  const texts = svgs.flatMap(s => [...s.querySelectorAll('text')])
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => ({text: t.textContent, fill: getComputedStyle(t).fill,
                size: parseFloat(getComputedStyle(t).fontSize)}));
  const outer = svgs[0].getBoundingClientRect();
  const legend = chart.querySelector('g.legend');
  const box = legend ? legend.getBoundingClientRect() : null;
  return {background, texts, svgRight: outer.right, svgLeft: outer.left,
          legendRight: box ? box.right : null, legendLeft: box ? box.left : null};
}"""

_CLIPPED_CELLS = """() => [...document.querySelectorAll('[data-testid="stTable"] td, '
  + '[data-testid="stTable"] th, [data-testid="stMarkdownContainer"] p')]
  .filter(c => c.scrollWidth > c.clientWidth + 1 && getComputedStyle(c).overflowX !== 'visible')
  .map(c => c.textContent)"""


_TEXT_SIZES = """(root) => {
  const out = [], walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const text = walk.currentNode.textContent.trim(), element = walk.currentNode.parentElement;
    if (element.closest('[data-testid="stIconMaterial"]')) continue;  // an icon's ligature
    if (text && element.getClientRects().length)
      out.push([text, parseFloat(getComputedStyle(element).fontSize)]);
  }
  return out;
}"""

_LANDMARK_LABELS = """(chart) => [...chart.querySelectorAll('g.annotation')]
  .filter(g => /^\\S.* \\d+%$/.test(g.textContent.trim()))
  .map(g => { const r = g.querySelector('text').getBoundingClientRect();
              return {text: g.textContent.trim(), top: r.top, bottom: r.bottom,
                      left: r.left, right: r.right}; })"""

_PLOT_AREA = """(chart) => { const r = chart.querySelector('.draglayer .xy .nsewdrag')
  .getBoundingClientRect(); return {width: r.width, height: r.height}; }"""


#: Texts of a chart drawn outside its SVG (cut by the frame).
_CUT_TEXTS = """(chart) => {
  const svg = chart.querySelector('svg.main-svg').getBoundingClientRect();
  return [...chart.querySelectorAll('svg.main-svg text')]
    .filter(t => t.textContent.trim() && t.getBBox().width > 0)
    .map(t => [t.textContent, t.getBoundingClientRect()])
    .filter(([, r]) => r.left < svg.left - 1 || r.right > svg.right + 1)
    .map(([text]) => text);
}"""


#: Pairs of a chart's annotation texts drawn over each other (forest columns running together).
_OVERLAPPING_TEXTS = """(chart) => {
  const boxes = [...chart.querySelectorAll('svg.main-svg g.annotation text')]
    .filter(t => t.textContent.trim())
    .map(t => [t.textContent, t.getBoundingClientRect()]);
  const out = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, r] = boxes[i], [b, q] = boxes[j];
    if (Math.min(r.right, q.right) - Math.max(r.left, q.left) > 1 &&
        Math.min(r.bottom, q.bottom) - Math.max(r.top, q.top) > 1) out.push([a, b]);
  }
  return out;
}"""


def _hex(rgb: str) -> str:
    r, g, b = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return f"#{r:02X}{g:02X}{b:02X}"


def _context(browser, width: int, height: int, scheme: str):
    phone = width < 500
    return track(browser.new_context(
        viewport={"width": width, "height": height}, color_scheme=scheme, is_mobile=phone,
        has_touch=phone, user_agent=PHONE_AGENT if phone else None, accept_downloads=True))


def _open_survival(page: Page, app_url: str) -> None:
    _open(page, f"{app_url}/survival", "Survival")
    expect(page.get_by_test_id("stPlotlyChart").first.locator(".main-svg").first).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_survival_results_first_readable_and_accessible(browser, app_url, artifacts, size,
                                                        scheme):
    width, height = size
    context = _context(browser, width, height, scheme)
    page = context.new_page()
    try:
        _open_survival(page, app_url)
        chart = page.get_by_test_id("stPlotlyChart").first
        if size in SIZES[:2]:  # desktop and tumor-board screens: the answer on the first screen
            assert chart.bounding_box()["y"] < height / 2
        drawn = chart.evaluate(_SVG_TEXT)
        background = _hex(drawn["background"])
        low = [(t["text"], t["fill"]) for t in drawn["texts"]
               if contrast(_hex(t["fill"]), background) < 4.5]
        assert low == []
        assert drawn["legendLeft"] >= drawn["svgLeft"] - 1
        assert drawn["legendRight"] <= drawn["svgRight"] + 1  # the legend is not cut
        assert page.evaluate(_CLIPPED_CELLS) == []
        labels = sorted(chart.evaluate(_LANDMARK_LABELS), key=lambda b: b["top"])
        assert len(labels) == 4  # "Q1 86%", "Q2 86%", ... each drawn, none over another
        for upper, lower in zip(labels, labels[1:], strict=False):
            assert lower["top"] >= upper["bottom"] - 1, (upper, lower)
        if width == 1920:  # the chart is as wide as the table, its plot area not flat
            table_box = page.get_by_test_id("stTable").first.bounding_box()
            assert chart.bounding_box()["width"] >= table_box["width"] - 2
            area = chart.evaluate(_PLOT_AREA)
            assert area["width"] / area["height"] <= 2.6, area
        result = analyze(pd.read_csv(SAMPLE_CSV), AnalysisSpec(
            "pfs_months", "pfs_event", group_by="ikzf1:quartiles", landmarks=(36.0,)))
        assert all(g.interval is not None for g in result.groups)  # the engine's cut-offs
        table = page.get_by_test_id("stTable").first if width > 500 else page
        for name in group_names(result.groups):  # printed in the legend and the group table
            expect(chart.get_by_text(re.compile(rf"^{re.escape(name)}, n = 15"))).to_be_visible()
            expect(table.get_by_text(name, exact=False).first).to_be_visible()
        _no_failure(page)
        page.screenshot(path=str(artifacts / f"survival-{width}x{height}-{scheme}.png"))
        violations = _axe(page, f"survival {width}x{height} {scheme}")
    finally:
        context.close()
    assert violations == [], violations


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_presentation_mode_is_large_navigable_and_keeps_the_choices(browser, app_url,
                                                                    artifacts, scheme):
    context = _context(browser, 1920, 1080, scheme)
    page = context.new_page()
    try:
        _open_survival(page, app_url)
        _analysis_controls(page)
        _choose(page, "Split", "Median split")
        _go(page, "Hazard ratios")
        # The Survival page must be drawn before its button is clicked: a click on the Hazard
        # ratios page's own (still shown) button would rightly present the forest plot (_go).
        _go(page, "Survival")
        _rerun(page, page.get_by_role("button", name="Present full screen").click)
        expect(page.get_by_text("Figure 1 of 2")).to_be_visible()
        expect(page.get_by_test_id("stSidebar")).not_to_be_in_viewport()  # the figure's room
        chart = page.get_by_test_id("stPlotlyChart").first
        expect(chart.get_by_text("Number at risk")).to_be_visible()
        drawn = chart.evaluate(_SVG_TEXT)
        small = [(t["text"], t["size"]) for t in drawn["texts"] if t["size"] < 24]
        assert small == []  # axis, legend, at-risk and every other text >= 24 px
        sizes = page.get_by_test_id("stMetricValue").evaluate_all(
            "els => els.map(e => parseFloat(getComputedStyle(e).fontSize))")
        assert len(sizes) >= 4 and min(sizes) >= 36  # key numbers
        tiles = page.locator(".st-key-present_numbers").evaluate(_TEXT_SIZES)
        assert {"Patients", "Log-rank"} <= {text for text, _ in tiles}
        assert [(text, size) for text, size in tiles if size < 24] == []  # labels, CIs, HRs
        page.screenshot(path=str(artifacts / f"present-km-1920x1080-{scheme}.png"))
        violations = _axe(page, f"presentation {scheme}")
        _rerun(page, lambda: page.keyboard.press("ArrowRight"))
        expect(page.get_by_text("Figure 2 of 2")).to_be_visible()
        forest = page.get_by_test_id("stPlotlyChart").first
        expect(forest.get_by_text("HR (95% CI)")).to_be_visible()
        median = analyze(pd.read_csv(SAMPLE_CSV), AnalysisSpec(
            "pfs_months", "pfs_event", group_by="ikzf1:median"))
        for level in group_names(median.groups):  # the forest's levels carry their cut-offs
            expect(forest.get_by_text(level, exact=True)).to_be_visible()
        assert forest.evaluate(_CUT_TEXTS) == []
        assert forest.evaluate(_OVERLAPPING_TEXTS) == []  # no column runs into the next
        page.screenshot(path=str(artifacts / f"present-forest-1920x1080-{scheme}.png"))
        _rerun(page, lambda: page.keyboard.press("Escape"))
        expect(page.get_by_role("heading", name="Survival", level=1)).to_be_visible()
        expect(page.get_by_test_id("stSidebar")).to_be_in_viewport()
        expect(page).to_have_url(re.compile(r"[?&]km_rule=Median(\+|%20)split(&|$)"))
        expect(page.get_by_test_id("stPlotlyChart").first.get_by_text(
            re.compile(r"^High \(> .*\), n = 30"))).to_be_visible()
        _no_failure(page)
    finally:
        context.close()
    assert violations == [], violations


def test_data_url_opens_the_data_page(page: Page, app_url: str):
    _open(page, f"{app_url}/data", "Data")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.get_by_text("Synthetic data")).to_have_count(1)  # once, in the sidebar


def test_presentation_of_four_groups_fits_one_screen(browser, app_url, artifacts):
    """The default quartiles: six key numbers (two a row), the figure and its EPV caution all
    on the 1920x1080 screen, every text of the numbers >= 24 px."""
    context = _context(browser, 1920, 1080, "light")
    page = context.new_page()
    try:
        _open_survival(page, app_url)
        _rerun(page, page.get_by_role("button", name="Present full screen").click)
        expect(page.get_by_text("Figure 1 of 1")).to_be_visible()
        chart = page.get_by_test_id("stPlotlyChart").first
        expect(chart.get_by_text("Number at risk")).to_be_visible()
        caution = page.get_by_test_id("stAlert").filter(has_text="events per variable")
        expect(caution).to_have_count(1)
        tiles = page.locator(".st-key-present_numbers [data-testid='stMetricValue']")
        expect(tiles).to_have_count(6)
        bottoms = [box["y"] + box["height"] for box in
                   [tiles.nth(i).bounding_box() for i in range(6)]
                   + [chart.bounding_box(), caution.bounding_box()]]
        page.screenshot(path=str(artifacts / "present-km-quartiles-1920x1080-light.png"))
        assert max(bottoms) <= 1080, bottoms  # nothing below the screen
        expect(caution).to_be_in_viewport(ratio=1)  # nor above it (the page does not scroll)
        expect(page.get_by_role("button", name="Back to the analysis")).to_be_in_viewport()
        assert chart.evaluate(_CUT_TEXTS) == []  # the subtitle wraps, nothing is cut
        sizes = page.locator(".st-key-present_numbers").evaluate(_TEXT_SIZES)
        assert [(text, size) for text, size in sizes if size < 24] == []
        page.screenshot(path=str(artifacts / "present-km-quartiles-1920x1080-light.png"))
        _no_failure(page)
    finally:
        context.close()


#: The width (px) of a chart's plot area (its xy subplot's drag rectangle).
_PLOT_AREA_WIDTH = """(chart) => chart.querySelector('.nsewdrag').getBoundingClientRect().width"""


@pytest.mark.parametrize(("width", "height"), [(1024, 768), (1440, 900), (1920, 1080)])
def test_the_forest_plot_fits_the_page_width(browser, app_url, artifacts, width, height):
    """The wide forest (Variable, Level, n, Events columns) where the page has room for it,
    the compact one where it has not (1024 px with the sidebar open): one shown, whole, no
    text over another, a plot area of at least 100 px."""
    context = _context(browser, width, height, "light")
    page = context.new_page()
    try:
        _open(page, f"{app_url}/hazard-ratios", "Hazard ratios")
        expect(page.get_by_test_id("stSidebar")).to_be_in_viewport()
        charts = page.locator(".st-key-hr_forest_box").get_by_test_id("stPlotlyChart")
        visible = charts.locator("visible=true")
        expect(visible).to_have_count(1)
        forest = visible.first
        expect(forest.locator(".main-svg").first).to_be_visible()
        wide = width >= 1440
        expect(forest.get_by_text("Events", exact=True)).to_have_count(1 if wide else 0)
        forest.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"forest-{width}x{height}.png"))
        expect(forest.get_by_text("HR (95% CI)", exact=True)).to_be_visible()
        assert forest.evaluate(_CUT_TEXTS) == []
        assert forest.evaluate(_OVERLAPPING_TEXTS) == []
        assert forest.evaluate(_PLOT_AREA_WIDTH) >= 100
        _no_failure(page)
    finally:
        context.close()
