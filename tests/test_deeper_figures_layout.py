"""Layout of the deeper analyses' figures, as a clinician reads them (issue-10 review): the
axes say what they show, log axes are labelled in full (0.5, not "5"), the key numbers fit the
figure's width, the cumulative incidence's legend is below its title and its time axis is
labelled, the quartile forest has n and events."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.present import plots
from cohort_explorer.present.competing import display_fine_gray_table
from cohort_explorer.present.plots.forest import forest_rows
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import SAMPLE_CSV

PFS = {"time_col": "pfs_months", "event_col": "pfs_event"}
CAUSE = {"time_col": "pfs_months", "event_col": "pfs_cause", "event_value": "1",
         "competing": "pfs_cause=2"}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_CSV)


def _headline(fig) -> list[str]:
    """The lines of the annotation above the plot (the key numbers)."""
    top = [a for a in fig.layout.annotations if a.yref == "paper" and a.y == 1]
    assert len(top) == 1
    return top[0].text.split("<br>")


def _fits(lines: list[str], font_size: int, width: int) -> bool:
    return all(0.56 * (font_size - 1) * len(line) <= width - 110 for line in lines)


def test_spline_axes_and_key_numbers(sample):
    spline = analyze(sample, AnalysisSpec(**PFS, spline="ikzf1")).spline
    fig = plots.spline_figure(spline)
    assert fig.layout.yaxis.title.text == "Hazard ratio vs the median (log scale)"
    ticks = dict(zip(fig.layout.yaxis.tickvals, fig.layout.yaxis.ticktext, strict=True))
    assert ticks[0.5] == "0.5" and ticks[1] == "1" and ticks[10] == "10"
    assert min(ticks) <= min(spline.lower) * 1.5 and max(ticks) >= max(spline.upper) / 1.5
    assert any("p for non-linearity 0.018" in line for line in _headline(fig))
    phone = plots.spline_figure(spline, font_size=13, width_hint=360)
    assert _fits(_headline(phone), 13, 360) and len(_headline(phone)) == 3
    assert phone.layout.xaxis.title.text.count("<br>") == 2  # marker / method / knots


def test_cut_explorer_axes_and_bootstrap_interval_fit(sample):
    cut = analyze(sample, AnalysisSpec(**PFS, group_by="ikzf1:optimal", bootstrap=1000)).cutpoint
    fig = plots.cut_explorer_figure(cut, column="ikzf1", quartiles=cut.quartiles)
    assert fig.layout.yaxis.title.text == "Standardised log-rank statistic M"
    assert fig.layout.yaxis2.title.text == "Hazard ratio (log scale)"
    assert all(t == f"{v:g}" for v, t in zip(fig.layout.yaxis2.tickvals,
                                               fig.layout.yaxis2.ticktext, strict=True))
    # as the Biomarker page lays it out (800 px; its chart is ~920 px wide at 1440x900): the
    # one line was cut there (its "1000 resamples (seed ...)" ran off the figure)
    boot = plots.bootstrap_figure(cut.bootstrap, cutpoint=cut.cutpoint, column="ikzf1",
                                  width_hint=800)
    lines = _headline(boot)
    assert len(lines) == 2 and _fits(lines, 17, 800)
    assert lines[0].startswith("95% of the cuts between")
    assert boot.layout.margin.t >= 2 * round(16 * 1.45)
    for width, size in ((1000, 17), (800, 17), (360, 13)):
        figure = plots.cut_explorer_figure(cut, column="ikzf1", quartiles=cut.quartiles,
                                           font_size=size, width_hint=width)
        assert _fits(_headline(figure), size, width)


def test_cumulative_incidence_legend_below_title_and_time_axis_labelled(sample):
    result = analyze(sample, AnalysisSpec(**CAUSE, group_by="ikzf1:quartiles",
                                          fine_gray=True))
    fig = plots.cif_figure(result, time_unit="months", endpoint="PFS", group_title="ikzf1")
    assert fig.layout.xaxis.showticklabels is True  # the shared axis hid them on row 1
    assert list(fig.layout.xaxis.ticktext[:3]) == ["0", "12", "24"]
    height, top = fig.layout.height, fig.layout.margin.t
    title_px, sub_px = round(17 * 1.15 * 1.5), round(16 * 1.45)
    # the legend (4 rows at 1000 px) starts below the title and subtitle, above the curves
    assert fig.layout.legend.yref == "container" and fig.layout.legend.yanchor == "top"
    assert fig.layout.legend.y == pytest.approx(1 - (title_px + sub_px + 16) / height)
    assert top >= title_px + sub_px + 16 + 4 * round(17 * 1.6)
    plot_px = (height - top - fig.layout.margin.b) * (fig.layout.yaxis.domain[1]
                                                      - fig.layout.yaxis.domain[0])
    assert plot_px >= 300  # room for the y-axis title (it was cut at both ends)
    phone = plots.cif_figure(result, time_unit="months", endpoint="PFS", group_title="ikzf1",
                             width_hint=360, font_size=13)
    names = [t.name for t in phone.data if t.name]
    assert names[0] == "Q1 (≤ 0.643)"  # counts in the table beneath, not the legend
    assert "<br>by ikzf1" in phone.layout.title.text
    terms = display_fine_gray_table(result)["Term"].tolist()
    assert terms[0] == "ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)"


def test_forest_of_the_grouping_alone_has_n_and_events(sample):
    result = analyze(sample, AnalysisSpec(**PFS, group_by="ikzf1:quartiles"))
    rows = forest_rows(result.cox, groups=result.groups, group_column=result.group_column)
    assert [(r["n"], r["events"], r["reference"]) for r in rows] == [
        (15, 3, True), (15, 2, False), (15, 8, False), (15, 12, False)]
    adjusted = analyze(sample, AnalysisSpec(**PFS, group_by="ikzf1:quartiles",
                                            covariates=("age",)))
    rows = forest_rows(adjusted.cox, groups=adjusted.groups,
                       group_column=adjusted.group_column)
    assert all(r["n"] is None for r in rows)  # complete cases of the model: not the groups'


def test_subgroup_forest_log_axis_in_full_and_phone_rows_on_two_lines(sample):
    spec = AnalysisSpec(**PFS, group_by="ikzf1:quartiles",
                        covariates=("cyto_risk:cat:ref=standard",))
    overall = analyze(sample, spec).cox
    sub = analyze(sample, AnalysisSpec(**PFS, group_by="ikzf1:quartiles",
                                       covariates=("cyto_risk:cat:ref=standard",),
                                       subgroups=("cyto_risk", "sex")))
    fig = plots.subgroup_forest_figure(overall, sub.subgroups, group_column=sub.group_column,
                                       groups=sub.groups)
    ticks = dict(zip(fig.layout.xaxis.tickvals, fig.layout.xaxis.ticktext, strict=True))
    assert ticks[0.2] == "0.2" and ticks[20] == "20"  # both were drawn as "2"
    assert "  standard (n=46, events=12) · Q2 (&gt; 0.643 to ≤ 1.12)" in fig.layout.yaxis.ticktext
    phone = plots.subgroup_forest_figure(overall, sub.subgroups, group_column=sub.group_column,
                                         groups=sub.groups, font_size=11, width_hint=360)
    assert "  standard (n=46, events=12)<br>Q2 (&gt; 0.643 to ≤ 1.12)" in (
        phone.layout.yaxis.ticktext)
    # 320 px of labels left no plot on a 360-px phone
    assert 360 - phone.layout.margin.l - phone.layout.margin.r >= 120
    # its narrow axis: 1-5 ticks, upright (eight were turned on their side)
    assert list(phone.layout.xaxis.ticktext) == ["0.1", "0.5", "1", "5", "10"]
    assert phone.layout.xaxis.tickangle == 0


def test_numbers_at_risk_clear_of_the_group_labels_on_a_phone(sample):
    """The first number at risk is centred on time 0: on a 360-px phone 3% of the axis left
    of 0 is ~8 px, less than half of '15' (Q1's label and its count read 'Q115')."""
    from cohort_explorer.present.plots.km import time_range

    assert time_range(60, font_size=17, width_hint=1000, widest_count=15) == pytest.approx(
        [-1.8, 61.2])  # a desktop: as before
    low, _ = time_range(60, font_size=13, width_hint=360, widest_count=15)
    plot_px = 360 - 94
    assert -low / (61.2 - low) * plot_px >= 0.6 * 13 * 2 / 2 + 6  # half of "15" and a gap
    result = analyze(sample, AnalysisSpec(**CAUSE, group_by="ikzf1:quartiles"))
    km = plots.km_figure(result, time_unit="months", width_hint=360, font_size=13)
    cif = plots.cif_figure(result, time_unit="months", width_hint=360, font_size=13)
    assert km.layout.xaxis.range[0] == cif.layout.xaxis.range[0] == pytest.approx(low)


def test_a_phone_keeps_the_time_title_and_number_at_risk_heading_apart(sample):
    """On a phone the centred 'Time (months)' reached over 'Number at risk' (same height):
    the gap between the curves and the table holds 5.4 lines of text there (4.2 elsewhere)."""
    result = analyze(sample, AnalysisSpec(**CAUSE, group_by="ikzf1:quartiles"))
    for fig, size in ((plots.km_figure(result, time_unit="months", width_hint=360,
                                       font_size=13), 13),
                      (plots.cif_figure(result, time_unit="months", width_hint=360,
                                        font_size=13), 13),
                      (plots.cif_figure(result, time_unit="months"), 17)):
        inner = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
        gap = (fig.layout.yaxis.domain[0] - fig.layout.yaxis2.domain[1]) * inner
        lines = 5.4 if size == 13 else 4.2
        assert gap == pytest.approx(size * lines, rel=0.01)
