"""Issue 8: the events-per-variable warning (and the Cox model's other notices) appears only
where a Cox model is shown, beside it: the Survival page's hazard-ratio table, the Hazard
ratios page, the report's Cox section and presentation mode's figure with hazard ratios."""

from __future__ import annotations

import re

from tests.app.apptest import page, run, spy_downloads, start
from tests.conftest import SAMPLE_CSV

from cohort_explorer import AnalysisSpec, analyze, read_table

EPV = "events per variable"


def _in_order(at) -> list[tuple[str, str]]:
    """(element type, text) of the main area's elements in the order they are drawn."""
    out = []

    def walk(node):
        proto = getattr(node, "proto", None)
        text = getattr(node, "value", None) if proto is not None else None
        if node.type in ("table", "dataframe"):
            text = ""
        if proto is not None and node.type not in ("block",):
            out.append((node.type, str(text) if isinstance(text, str) else ""))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    return out


def _epv_warnings(at) -> list[str]:
    return [w.value for w in at.warning if EPV in w.value]


def test_survival_page_shows_the_epv_warning_beside_its_hazard_ratio_table():
    at = page(start(), "pages/survival.py")  # quartiles: 25 events for 3 coefficients
    expected = analyze(read_table(SAMPLE_CSV), AnalysisSpec(
        "pfs_months", "pfs_event", group_by="ikzf1:quartiles")).cox.events_per_variable
    assert [f"{expected:.1f}" in w for w in _epv_warnings(at)] == [True]  # once
    drawn = _in_order(at)
    heading = next(i for i, (_, text) in enumerate(drawn)
                   if text.startswith("Hazard ratios against"))
    assert drawn[heading + 1][0] == "table"  # the Cox table, then its warning
    assert EPV in drawn[heading + 2][1]
    assert all(EPV not in text for _, text in drawn[:heading])  # not in the general box
    at.selectbox(key="km_rule_w").set_value("Median split")  # 25 events, 1 coefficient
    run(at)
    assert _epv_warnings(at) == []


def test_hazard_ratios_page_shows_its_model_epv_once():
    at = page(start(), "pages/hazard_ratios.py")
    at.multiselect(key="hr_cols_w").set_value(["age", "cyto_risk", "iss_stage", "ikzf1"])
    run(at)
    cox = next(m for m in at.metric if m.label == "Events per variable")
    assert len(_epv_warnings(at)) == 1
    assert f"Only {cox.value} {EPV}" in _epv_warnings(at)[0]


def test_presentation_mode_cautions_beside_the_figure_with_hazard_ratios():
    at = page(start(), "pages/survival.py")
    at.button(key="km_present").click()
    run(at)
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and EPV in warnings[0] and warnings[0].startswith("#### ")
    at.button(key="present_exit").click()
    run(at)
    at.selectbox(key="km_rule_w").set_value("Median split")
    run(at)
    at.button(key="km_present").click()
    run(at)
    assert [w.value for w in at.warning] == []


def test_report_lists_the_epv_warning_in_the_cox_section_not_in_warnings(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = page(start(), "pages/survival.py")
    at = page(at, "pages/report.py")
    at.checkbox(key="report_interactive").check()
    at.checkbox(key="report_cross_check").uncheck()
    run(at)
    html = downloads["cohort-report-pfs.html"]().decode("utf-8")
    sections = dict(re.findall(r"<h2>(.*?)</h2>(.*?)(?=<h2>|$)", html, flags=re.S))
    warnings = sections.get("Warnings", "")
    assert EPV not in warnings  # small_group etc. may stay there
    cox = next(body for title, body in sections.items() if title.startswith("Cox "))
    assert cox.count(EPV) >= 1 and "Only 8.3 events per variable" in cox
