"""Figures, tables and report sections of the deeper analyses: user text escaped, verdicts."""

from __future__ import annotations

import pandas as pd

from cohort_explorer.analysis import analyze
from cohort_explorer.present import plots
from cohort_explorer.present.deeper_tables import bootstrap_verdict, landmark_difference_table
from cohort_explorer.present.report import html_report
from cohort_explorer.present.report_deeper import deeper_report_parts
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.stats.cut_explorer import CutBootstrap
from tests.conftest import REFERENCE

HOSTILE = "<img src=x onerror=alert(1)>"
SAMPLE = pd.read_csv(REFERENCE / "data" / "deeper_sample.csv")


def _hostile_sample() -> pd.DataFrame:
    data = SAMPLE.rename(columns={"ikzf1": HOSTILE})
    data["sex"] = data["sex"].map({"F": HOSTILE, "M": "M"})
    return data


def _spec(**options) -> AnalysisSpec:
    return AnalysisSpec(time_col="pfs_months", event_col="pfs_event", **options)


def test_user_text_is_escaped_in_every_deeper_figure():
    data = _hostile_sample()
    cut = analyze(data, _spec(group_by=f"{HOSTILE}:optimal", bootstrap=20))
    spline = analyze(data, _spec(spline=HOSTILE))
    forest = analyze(data, _spec(group_by=f"{HOSTILE}:quartiles", subgroups=("sex",),
                                 landmarks=(12,), predict=(f"{HOSTILE}=1",)))
    figures = [
        plots.cut_explorer_figure(cut.cutpoint, column=HOSTILE, quartiles=cut.cutpoint.quartiles),
        plots.bootstrap_figure(cut.cutpoint.bootstrap, cutpoint=1.0, column=HOSTILE),
        plots.spline_figure(spline.spline),
        plots.subgroup_forest_figure(forest.cox, forest.subgroups, group_column=HOSTILE),
        plots.prediction_figure(forest.groups, forest.prediction),
    ]
    for figure in figures:
        text = figure.to_json()
        assert "<img" not in text
    assert "&lt;img" in figures[2].to_json() and "&lt;img" in figures[3].to_json()


def test_bootstrap_verdict_in_plain_words():
    stable = CutBootstrap(B=1000, seed=1, cuts=None, skipped=0, median=1.0, lower=0.95,
                          upper=1.05, same_quartile_share=0.9)
    shaky = CutBootstrap(B=1000, seed=1, cuts=None, skipped=0, median=1.0, lower=0.6,
                         upper=1.4, same_quartile_share=0.4)
    assert "fairly stable" in bootstrap_verdict(stable, "IKZF1")
    assert bootstrap_verdict(shaky, "IKZF1") == (
        "The cut of IKZF1 moves between 0.6 and 1.4 in 95% of 1000 resamples and stays in the "
        "original quartile in 40% of them: treat it as exploratory, not as a threshold for "
        "decisions.")


def test_report_sections_carry_tables_and_method_sentences_escaped():
    data = _hostile_sample()
    survival = analyze(data, _spec(group_by=f"{HOSTILE}:quartiles", landmarks=(12, 36)))
    subgroups = analyze(data, _spec(group_by=f"{HOSTILE}:quartiles", subgroups=("sex",)))
    screen = analyze(data, _spec(screen=("age", "sex:cat")))
    figures, captions, sections = deeper_report_parts(
        survival=survival, subgroups=subgroups, overall_cox=survival.cox, screen=screen,
        time_unit="months")
    assert set(figures) == {"subgroup-forest"}
    assert [s[0] for s in sections] == ["Survival differences at the landmarks",
                                        "Subgroup forest", "Univariable screen"]
    html = html_report(survival, survival.spec, figures=figures, captions=captions,
                       sections=sections)
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Benjamini–Hochberg" in html and "Greenwood" in html
    table = landmark_difference_table(survival, "months")
    assert list(table["Landmark"]) == ["12 months", "36 months"] * 3


def test_subgroup_forest_and_table_name_the_groups_with_their_cut_offs():
    """The subgroup forest says what each HR compares (the groups as the KM legend names
    them) and uses display names; the JSON's term names are unchanged."""
    from cohort_explorer.present.deeper_tables import subgroup_table
    from cohort_explorer.present.term_labels import subgroup_term_labels
    from cohort_explorer.sample import make_sample

    result = analyze(make_sample(), _spec(group_by="ikzf1:quartiles", subgroups=("cyto_risk",)))
    labels = subgroup_term_labels(result, names={"ikzf1": "IKZF1"})
    assert labels["ikzf1=Q2"] == "IKZF1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)"
    table = subgroup_table(result.subgroups, labels=labels, names={"cyto_risk": "Cytogenetics"})
    assert table["Subgroup"].iloc[0] == "Cytogenetics = high"
    assert set(table["Term"]) <= set(labels.values()) and len(set(table["Term"])) == 3
    figure = plots.subgroup_forest_figure(result.cox, result.subgroups, group_column="ikzf1",
                                          groups=result.groups,
                                          names={"cyto_risk": "Cytogenetics"})
    ticks = list(figure.layout.yaxis.ticktext)
    assert any(t.startswith("All patients") and t.endswith("· Q4 (&gt; 1.94)") for t in ticks)
    assert any(t.startswith("<b>Cytogenetics</b> (interaction p") for t in ticks)
    assert figure.layout.xaxis.title.text == "Hazard ratio vs Q1 (≤ 0.643) (log scale)"
    assert [t.term for t in result.subgroups[0].levels[0].terms] == [
        "ikzf1=Q2", "ikzf1=Q3", "ikzf1=Q4"]
