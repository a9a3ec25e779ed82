"""Figures say what their numbers are: units, cut-offs, adjustment, CI level; readable colours."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.analysis.model_rows import model_rows
from cohort_explorer.present import plots
from cohort_explorer.present.labels import (
    group_name,
    hr_adjustment,
    interval_text,
    landmark_title,
    time_scale,
)
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import SAMPLE_CSV


def _sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_CSV)


def _spec(**kwargs) -> AnalysisSpec:
    return AnalysisSpec(time_col="pfs_months", event_col="pfs_event", **kwargs)


def _luminance(colour: str) -> float:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #RRGGBB colours."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _text_colours(fig) -> set[str]:
    """Colour of every piece of text the figure draws (explicit or inherited from the layout)."""
    layout = fig.layout
    colours = {layout.font.color}
    colours |= {a.font.color or layout.font.color for a in layout.annotations}
    colours |= {t.textfont.color or layout.font.color for t in fig.data
                if t.mode and "text" in t.mode}
    axes = [name for name in layout.to_plotly_json() if name[1:5] == "axis"]
    for axis in (layout[name] for name in axes):
        if axis.visible is not False:
            colours |= {axis.tickfont.color or layout.font.color,
                        axis.title.font.color or layout.font.color}
    return {c for c in colours if c}


def test_interval_text_reads_like_a_clinician_writes_it():
    assert interval_text({"lower": 0.21, "upper": 0.643, "lower_closed": True,
                          "upper_closed": True}) == "≤ 0.643"
    assert interval_text({"lower": 0.643, "upper": 1.116, "lower_closed": False,
                          "upper_closed": True}) == "> 0.643 to ≤ 1.12"
    assert interval_text(None) == ""
    group = NS(label="Q1", n=15, interval={"lower": 0.2, "upper": 0.643, "lower_closed": True,
                                           "upper_closed": True})
    assert group_name(group, with_n=True) == "Q1 (≤ 0.643), n = 15"


def test_quartile_cut_offs_are_printed_in_the_legend_and_tables():
    result = analyze(_sample(), _spec(group_by="ikzf1:quartiles", landmarks=(36.0,)))
    q25 = float(_sample()["ikzf1"].quantile(0.25))
    fig = plots.km_figure(result)
    legend = [t.name for t in fig.data if t.mode == "lines" and t.showlegend is not False]
    assert legend[0].startswith(f"Q1 (≤ {q25:.3g}), n = 15")
    assert legend[3].startswith("Q4 (&gt; ")  # the highest quartile reads "> q75"
    from cohort_explorer.present.tables import display_group_table

    assert display_group_table(result)["Group"][0] == f"Q1 (≤ {q25:.3g})"


def test_time_scale_and_landmark_titles_use_the_display_unit():
    assert time_scale("days", "years") * 1095.75 == pytest.approx(3.0)
    assert time_scale("months", "months") == 1.0
    assert landmark_title(1095.75, endpoint="PFS", time_unit="years",
                          scale=time_scale("days", "years")) == "PFS at 3 years"
    assert landmark_title(365.25, endpoint="OS", time_unit="years",
                          scale=time_scale("days", "years")) == "OS at 1 year"


def test_hr_adjustment_names_the_covariates_not_the_grouping():
    assert hr_adjustment(NS(), _spec(group_by="ikzf1:quartiles"), group_column="ikzf1") == \
        "unadjusted"
    spec = _spec(group_by="ikzf1:quartiles", covariates=("age", "cyto_risk:cat:ref=standard"))
    assert hr_adjustment(NS(), spec, group_column="ikzf1") == "adjusted for age, cyto_risk"
    assert hr_adjustment(NS(adjusted_for=["sex:cat"]), spec) == "adjusted for sex"


def test_km_figure_in_years_from_days_with_a_labelled_landmark():
    data = _sample().assign(pfs_days=lambda d: d["pfs_months"] * 30.4375)
    spec = AnalysisSpec(time_col="pfs_days", event_col="pfs_event", group_by="ikzf1:q1-vs-rest",
                        landmarks=(1095.75,))
    result = analyze(data, spec)
    scale = time_scale("days", "years")
    fig = plots.km_figure(result, time_unit="years", time_scale=scale, endpoint="PFS",
                          group_title="IKZF1", landmark=1095.75)
    curve = next(t for t in fig.data if t.mode == "lines" and t.showlegend is not False)
    np.testing.assert_allclose(curve.x[1:], np.asarray(result.groups[0].km.time) / 365.25)
    assert fig.layout.xaxis.title.text == "Time (years)"
    assert "3 years" in [a.text for a in fig.layout.annotations]
    marks = [t for t in fig.data if t.mode == "markers" and t.marker.symbol == "diamond"]
    assert [float(m.y[0]) for m in marks] == pytest.approx(
        [g.landmarks[0].survival for g in result.groups])
    labels = [a.text for a in fig.layout.annotations if a.name == "landmark estimate"]
    assert labels == [f"{g.label} {g.landmarks[0].survival * 100:.0f}%" for g in result.groups]
    assert fig.layout.title.text == "PFS by IKZF1"
    assert "unadjusted" in fig.layout.title.subtitle.text


def test_km_bands_are_off_by_default_above_two_groups():
    four = analyze(_sample(), _spec(group_by="ikzf1:quartiles"))
    two = analyze(_sample(), _spec(group_by="ikzf1:median"))

    def bands(fig):
        return sum(1 for t in fig.data if t.fill == "tonexty")

    assert bands(plots.km_figure(four)) == 0
    assert bands(plots.km_figure(two)) == 2
    assert bands(plots.km_figure(four, show_ci=True)) == 4


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_plot_text_contrast_is_at_least_4_5(theme):
    spec = _spec(group_by="ikzf1:quartiles", landmarks=(36.0,), covariates=("age",))
    result = analyze(_sample(), spec)
    background = plots.km_figure(result, theme=theme).layout.paper_bgcolor
    figures = [plots.km_figure(result, theme=theme, landmark=36.0, time_unit="months"),
               plots.forest_figure(result.cox, theme=theme, model=model_rows(_sample(), spec))]
    for fig in figures:
        assert fig.layout.plot_bgcolor == background
        for colour in _text_colours(fig):
            assert contrast(colour, background) >= 4.5, (theme, colour)


def test_forest_ci_label_follows_the_confidence_level():
    spec = _spec(group_by="ikzf1:q1-vs-rest", covariates=("age",), conf_level=0.90)
    result = analyze(_sample(), spec)
    fig = plots.forest_figure(result.cox, conf_level=0.90)
    texts = [a.text for a in fig.layout.annotations]
    assert "HR (90% CI)" in texts and "HR (95% CI)" not in texts
    assert fig.layout.xaxis.title.text == "Hazard ratio (90% CI, log scale)"
    default = plots.forest_figure(result.cox)
    assert "HR (95% CI)" in [a.text for a in default.layout.annotations]


def test_forest_rows_have_references_and_the_counts_of_the_model():
    data = _sample()
    spec = _spec(group_by="ikzf1:q1-vs-rest", covariates=("cyto_risk:cat:ref=standard", "age"))
    result = analyze(data, spec)
    rows = model_rows(data, spec)
    assert [v.variable for v in rows] == ["ikzf1", "cyto_risk", "age"]
    cyto = rows[1]
    assert [(lv.level, lv.reference) for lv in cyto.levels] == [("standard", True),
                                                                ("high", False)]
    used = data.dropna(subset=["pfs_months", "pfs_event", "ikzf1", "cyto_risk", "age"])
    for level in cyto.levels:
        subset = used[used["cyto_risk"] == level.level]
        assert (level.n, level.events) == (len(subset), int(subset["pfs_event"].sum()))
    assert rows[2].levels[0].n == result.cox.n
    fig = plots.forest_figure(result.cox, model=rows, adjusted_for=["age", "cyto_risk"])
    texts = [a.text for a in fig.layout.annotations]
    assert texts.count("reference") == 2
    high = next(t for t in result.cox.terms if t.term == "cyto_risk=high")
    assert f"{high.hr:.2f} ({high.lower:.2f}–{high.upper:.2f})" in texts
    note = next(t for t in texts if t.startswith("Cox model"))
    assert f"n = {result.cox.n}, events = {result.cox.events}" in note
    assert f"C-index {result.cox.concordance:.2f}" in note and "covariates: age, cyto_risk" in note
    margin = fig.layout.margin  # sized to its five rows (29 px each at 17 px type)
    assert fig.layout.height == margin.t + margin.b + round(round(17 * 1.7) * (5 + 0.4))


def test_group_table_never_prints_a_ci_of_two_missing_bounds():
    """Q2 of the sample (2 events) has no median and no CI bound: the table says "not reached",
    not "not reached (95% CI NA–NA)"; Q1's one-sided CI keeps R's NA for the open bound."""
    from cohort_explorer import AnalysisSpec, analyze, read_table
    from cohort_explorer.present.tables import display_group_table
    from tests.conftest import SAMPLE_CSV

    result = analyze(read_table(SAMPLE_CSV), AnalysisSpec(
        time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:quartiles", landmarks=(36,)))
    medians = display_group_table(result, "months")["Median (months)"].tolist()
    assert medians[1] == "not reached"
    assert medians[0] == "not reached (95% CI 47.0–NA)"
