"""Issue 8: the Kaplan–Meier figure keeps a sensible plot area at every width and never draws
two landmark labels over each other (the sample's Q1 and Q2 are both 86% at 36 months)."""

from __future__ import annotations

import pytest

from cohort_explorer import AnalysisSpec, analyze, read_table
from cohort_explorer.present import plots
from cohort_explorer.present.plots.km import (
    LANDMARK_LABEL,
    PLOT_ASPECT,
    Y_TOP,
    landmark_label_positions,
    plot_area_height,
)
from tests.conftest import SAMPLE_CSV

DF = read_table(SAMPLE_CSV)


@pytest.fixture(scope="module")
def quartiles():
    return analyze(DF, AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles",
                                    landmarks=(36.0,)))


def _label_boxes(fig) -> list[tuple[str, float, float]]:
    """(text, bottom px, top px) of each landmark label, from the figure's own layout."""
    pixels = plot_area_height(fig) / Y_TOP  # px per unit of survival
    boxes = []
    for note in fig.layout.annotations:
        if note.name != LANDMARK_LABEL:
            continue
        assert note.ayref == "y" and note.yanchor == "middle"
        half = note.font.size * 1.3 / 2  # one line of text
        boxes.append((note.text, note.ay * pixels - half, note.ay * pixels + half))
    return boxes


@pytest.mark.parametrize(("width", "font_size", "height"),
                         [(1000, 17, None), (1440, 17, None), (360, 13, None), (1350, 27, 860),
                          (1063, 9, 600)], ids=["page", "wide", "phone", "present", "slide"])
def test_no_two_landmark_labels_overlap(quartiles, width, font_size, height):
    fig = plots.km_figure(quartiles, time_unit="months", endpoint="PFS", landmark=36.0,
                          width_hint=width, font_size=font_size, height=height)
    boxes = sorted(_label_boxes(fig), key=lambda b: b[1])
    estimates = {f"{g.label} {round(g.landmarks[0].survival * 100)}%" for g in quartiles.groups}
    assert {text for text, _, _ in boxes} == estimates == {"Q1 86%", "Q2 86%", "Q3 42%",
                                                            "Q4 33%"}
    for (_, _, top), (text, bottom, _) in zip(boxes, boxes[1:], strict=False):
        assert bottom >= top - 1e-6, text  # stacked, not drawn over each other
    plot_px = plot_area_height(fig)
    assert all(0 <= b and t <= plot_px + 1e-6 for _, b, t in boxes)  # inside the plot area
    arrows = {n.text: n.y for n in fig.layout.annotations if n.name == LANDMARK_LABEL}
    by_label = {f"{g.label} {round(g.landmarks[0].survival * 100)}%": g.landmarks[0].survival
                for g in quartiles.groups}
    assert arrows == pytest.approx(by_label)  # each leader points at its own estimate


def test_label_positions_stay_at_the_estimates_when_they_can():
    assert landmark_label_positions([0.9, 0.5, 0.1], 0.05) == pytest.approx([0.9, 0.5, 0.1])
    assert landmark_label_positions([0.86, 0.856], 0.05) == pytest.approx([0.86, 0.81])
    # at the top and at the floor the stack is pushed inside the frame
    assert landmark_label_positions([1.0, 1.0, 1.0], 0.1, top=1.04) == pytest.approx(
        [0.99, 0.89, 0.79])
    assert landmark_label_positions([0.0, 0.01], 0.1) == pytest.approx([0.05, 0.15])


@pytest.mark.parametrize("width", [1000, 1440, 1920])
def test_the_plot_area_is_never_flat(quartiles, width):
    """The default height follows the width: the curves' area is PLOT_ASPECT of the width
    (a fixed 640 px left a 310 px-high plot area 1400 px wide at 1920)."""
    fig = plots.km_figure(quartiles, time_unit="months", landmark=36.0, width_hint=width)
    plot_width = width - 130  # margins and the y-axis title
    assert plot_area_height(fig) == pytest.approx(PLOT_ASPECT * plot_width, rel=0.02)
    assert plot_width / plot_area_height(fig) <= 2.6


def test_the_legend_and_the_height_can_be_sized_for_different_widths(quartiles):
    narrow = plots.km_figure(quartiles, width_hint=1000)
    page = plots.km_figure(quartiles, width_hint=1000, height_for_width=1440)
    assert page.layout.margin.t == narrow.layout.margin.t  # legend rows reserved for 1000 px
    assert plot_area_height(page) == pytest.approx(PLOT_ASPECT * (1440 - 130), rel=0.02)


def test_forest_on_a_phone_has_one_label_column_and_keeps_its_numbers():
    """Issue 8 §5: on a 390 px phone the forest plot's HR (CI) and p columns were cut; the
    compact layout drops n/events and puts variable and level in one column."""
    from cohort_explorer.analysis.model_rows import model_rows

    spec = AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles",
                        covariates=("cyto_risk:cat:ref=standard",))
    result = analyze(DF, spec)
    rows = model_rows(DF, spec)
    groups = {"groups": result.groups, "group_column": result.group_column}
    wide = plots.forest_figure(result.cox, model=rows, width_hint=1000, **groups)
    phone = plots.forest_figure(result.cox, model=rows, width_hint=360, font_size=11, **groups)
    headers = [a.text for a in phone.layout.annotations if a.yref == "paper" and a.y == 1.0]
    assert headers == ["Variable", "HR (95% CI)", "p"]
    assert {"n", "Events", "Level"} <= {a.text for a in wide.layout.annotations}
    labels = [a.text for a in phone.layout.annotations if a.x == 0.0 and a.yref == "y"]
    # one column: the variable bold before its first level; a level too long for the column
    # goes on two lines, its cut-offs under its name
    assert labels == ["<b>ikzf1</b> Q1 (≤ 0.643)", "Q2<br>(&gt; 0.643 to ≤ 1.12)",
                      "Q3<br>(&gt; 1.12 to ≤ 1.94)", "Q4 (&gt; 1.94)",
                      "<b>cyto_risk</b> standard", "high"]
    hr_column = next(a for a in phone.layout.annotations if a.text == "HR (95% CI)")
    assert hr_column.x == 1.0 and hr_column.xshift > 0  # the numbers start right of the plot
    estimates = [a.text for a in phone.layout.annotations
                 if (a.x, a.xshift, a.yref) == (1.0, hr_column.xshift, "y")]
    assert sum(1 for t in estimates if t == "reference") == 2 and len(estimates) == 6
