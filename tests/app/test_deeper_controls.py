"""AppTest: the deeper analyses' controls not covered elsewhere, and the defects found in the
issue-10 review (report after the competing-risk choice, the subgroup forest's way in, the
quartile forest's n and events, the Survival page saying it holds the competing risks)."""

from __future__ import annotations

import pandas as pd
import pytest
from tests.app.apptest import (
    deeper_session,
    page,
    run,
    spy_downloads,
    start,
    swapped_competing_event,
)
from tests.conftest import SAMPLE_CSV

from cohort_explorer.analysis import analyze

pytestmark = pytest.mark.slow


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_report_keeps_the_deeper_analyses_after_the_competing_risk_choice(monkeypatch):
    """The issue's journey in its order: Biomarker (bootstrap) -> Survival -> Hazard ratios
    (subgroups, screen) -> competing-risk curves -> Report. The competing choice reads the
    event from pfs_cause; the report left out every PFS analysis before (another endpoint)."""
    downloads = spy_downloads(monkeypatch)
    at = page(deeper_session(["age"]), "pages/survival.py")
    at.selectbox(key="km_cr_col_w").set_value("pfs_cause")
    run(at)
    at.checkbox(key="km_cr_fine_gray_w").check()
    run(at)
    assert at.session_state["km_spec"].event_col == "pfs_cause"
    at = page(at, "pages/report.py")
    assert not any("open the Survival page to update" in i.value for i in at.info)
    assert not any("so this report leaves it out" in i.value for i in at.info)
    assert any("Current analysis: **PFS**" in m.value for m in at.markdown)
    html = downloads["cohort-report-pfs.html"]().decode("utf-8")
    for text in ("Cut-point explorer for ikzf1", "Bootstrap of the cut of ikzf1",
                 "ikzf1 as a spline", "Hazard ratio per quartile against Q1",
                 "Subgroup forest", "Interaction p", "Univariable screen",
                 "Survival differences at the landmarks",
                 "Cumulative incidence with a competing event", "Gray test",
                 "Fine–Gray subdistribution hazard ratios", "Fine–Gray model: subdistribution",
                 "ikzf1 Q4 (&gt; 1.94) vs Q1 (≤ 0.643)"):
        assert text in html, text


def test_subgroup_forest_without_a_survival_grouping_says_where_to_choose_it():
    at = page(start(), "pages/hazard_ratios.py")
    assert any("choose it there, then come back" in i.value for i in at.info)
    assert "survival" in [link.proto.page for link in at.get("page_link")]
    at = page(at, "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")  # the grouping is in: the forest is shown
    assert at.multiselect(key="hr_subgroups_w").value == ["cyto_risk", "sex"]


def test_subgroup_variables_can_be_chosen():
    at = page(start(), "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")
    at.multiselect(key="hr_subgroups_w").set_value(["iss_stage"])
    run(at)
    table = at.dataframe[0].value
    assert {s.split(" = ")[0] for s in table["Subgroup"]} == {"iss_stage"}
    spec = at.session_state["hr_subgroup_spec"]
    assert spec.subgroups == ("iss_stage",)
    expected = analyze(pd.read_csv(SAMPLE_CSV), spec)
    assert [s.variable for s in expected.subgroups] == ["iss_stage"]
    assert table["Interaction p"].notna().any()


def test_prediction_for_a_categorical_grouping():
    at = page(start(), "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    run(at)
    at.selectbox(key="km_cat_w").set_value("cyto_risk")
    run(at)
    at = page(at, "pages/hazard_ratios.py")
    at.selectbox(key="hr_pred_group_cat").set_value("high")
    [b for b in at.get("form_submit_button")][0].click()
    run(at)
    assert any("falls in group **high**" in m.value for m in at.markdown)


def test_event_of_interest_and_competing_event_can_be_swapped():
    at = run(swapped_competing_event(page(start(), "pages/survival.py")))
    spec = at.session_state["km_spec"]
    assert (spec.event_value, spec.competing) == ("2", "pfs_cause=1")


def test_biomarker_endpoint_choice_changes_every_panel():
    at = page(start(), "pages/biomarker.py")
    at.selectbox(key="bio_endpoint_w").set_value("OS")
    run(at)
    cut, spline, quartiles = at.session_state["bio_specs"]
    assert {s.event_col for s in (cut, spline, quartiles)} == {"os_event"}


def test_quartile_forest_shows_n_and_events_of_each_quartile():
    at = page(start(), "pages/biomarker.py")
    charts = [c for c in at.get("plotly_chart") if c.proto.id and "bio_quartile_plot" in
              c.proto.id]
    assert len(charts) == 2  # the wide and the narrow layout (CSS shows the one that fits)
    spec = charts[0].proto.spec
    for count in ('"15"', '"3"', '"12"'):  # n per quartile; events of Q1 and Q4
        assert count in spec, count


def test_survival_page_says_its_choices_hold_the_competing_risks():
    at = page(start(), "pages/survival.py")
    assert at.expander[0].label.endswith("time unit, competing events")
