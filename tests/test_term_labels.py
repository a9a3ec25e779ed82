"""Cox terms say what they compare (issue 8 §2): the grouping's levels with the cut-offs of the
Kaplan–Meier legend, covariates by their display names and units, in the forest plot, the Cox
tables and the exports; the JSON keeps the engine's term names (the CLI contract). The forest's
text columns make room for the longer names at every size, and a phone's group line reads
"HR: reference"."""

from __future__ import annotations

import html
import re

import pytest

from cohort_explorer import AnalysisSpec, analyze, read_table
from cohort_explorer.analysis.model_rows import model_rows
from cohort_explorer.present import plots, report
from cohort_explorer.present.plots.forest import forest_rows
from cohort_explorer.present.plots.text_fit import text_px, wrap_px
from cohort_explorer.present.tables import (
    display_cox_table,
    display_group_table,
    group_table_lines,
)
from cohort_explorer.present.term_labels import cox_term_labels
from tests.conftest import SAMPLE_CSV

DF = read_table(SAMPLE_CSV)
SPEC = AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles",
                    covariates=("cyto_risk:cat:ref=standard", "age"))
Q = ["Q1 (≤ 0.643)", "Q2 (> 0.643 to ≤ 1.12)", "Q3 (> 1.12 to ≤ 1.94)", "Q4 (> 1.94)"]
LABELS = {"ikzf1=Q2": f"ikzf1 {Q[1]} vs {Q[0]}", "ikzf1=Q3": f"ikzf1 {Q[2]} vs {Q[0]}",
          "ikzf1=Q4": f"ikzf1 {Q[3]} vs {Q[0]}", "cyto_risk=high": "cyto_risk high vs standard",
          "age": "age (per unit)"}


@pytest.fixture(scope="module")
def model():
    return analyze(DF, SPEC), model_rows(DF, SPEC)


def test_cox_terms_read_as_comparisons_worded_as_the_km_legend(model):
    result, _ = model
    assert cox_term_labels(result) == LABELS
    legend = [html.unescape(t.name) for t in plots.km_figure(result).data if t.name]
    assert [name.split(", n = ")[0] for name in legend] == Q  # the same level names


def test_display_names_units_and_model_references_name_the_terms():
    spec = AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:median",
                        covariates=("cyto_risk:cat", "age:log2", "crbn:z"))
    result = analyze(DF, spec)
    names = {"ikzf1": "IKZF1 mRNA", "cyto_risk": "Cytogenetic risk", "age": "Age"}
    # cyto_risk's reference is the engine's first level ("high"): read from the model rows
    assert cox_term_labels(result, names=names, model=model_rows(DF, spec)) == {
        "ikzf1=High": "IKZF1 mRNA High (> 1.12) vs Low (≤ 1.12)",
        "cyto_risk=standard": "Cytogenetic risk standard vs high",
        "log2(age)": "Age (per doubling)", "z(crbn)": "crbn (per standard deviation)"}
    # without the model rows an unnamed reference is left out rather than guessed
    assert cox_term_labels(result)["cyto_risk=standard"] == "cyto_risk standard"


def test_json_keeps_term_names_and_tables_and_exports_add_the_labels(model):
    result, _ = model
    terms = [t["term"] for t in result.to_dict()["cox"]["terms"]]
    assert terms == list(LABELS)  # the CLI/JSON contract: COL=LABEL, numeric COL
    assert set(result.to_dict()["cox"]["terms"][0]) >= {"term", "hr"}
    assert "label" not in result.to_dict()["cox"]["terms"][0]
    exported = report.result_tables(result)["cox"]
    assert exported.columns[:3].tolist() == ["term", "label", "hr"]
    assert exported["term"].tolist() == terms
    assert exported["label"].tolist() == list(LABELS.values())
    shown = display_cox_table(result.cox, labels=cox_term_labels(result))
    assert shown["Term"].tolist() == list(LABELS.values())
    high = next(t for t in result.cox.terms if t.term == "cyto_risk=high")
    assert shown["Hazard ratio"].tolist()[3] == (
        f"HR {high.hr:.2f} (95% CI {high.lower:.2f}–{high.upper:.2f})")


def test_html_report_names_the_cox_terms(model):
    result, rows = model
    page = report.html_report(result, SPEC, names={"ikzf1": "IKZF1 mRNA"})
    assert html.escape(f"IKZF1 mRNA {Q[1]} vs {Q[0]}", quote=False) in page
    assert "<td>ikzf1=Q2</td>" not in page
    separate = report.html_report(analyze(DF, AnalysisSpec("pfs_months", "pfs_event",
                                                           group_by="ikzf1:quartiles")),
                                  cox=result.cox, cox_spec=SPEC, cox_rows=rows,
                                  cox_labels=cox_term_labels(result, model=rows))
    assert html.escape(LABELS["cyto_risk=high"], quote=False) in separate


def test_forest_rows_name_variables_and_levels_with_their_cut_offs(model):
    result, rows = model
    names = {"ikzf1": "IKZF1 mRNA", "cyto_risk": "Cytogenetic risk"}
    drawn = forest_rows(result.cox, rows, names=names, groups=result.groups,
                        group_column=result.group_column)
    assert [(r["variable"], r["level"], r["reference"], r["n"]) for r in drawn] == [
        ("IKZF1 mRNA", Q[0], True, 15), ("", Q[1], False, 15), ("", Q[2], False, 15),
        ("", Q[3], False, 15), ("Cytogenetic risk", "standard", True, 46),
        ("", "high", False, 14), ("age", "per unit", False, 60)]
    fig = plots.forest_figure(result.cox, model=rows, labels=names, groups=result.groups,
                              group_column=result.group_column,
                              adjusted_for=["ikzf1", "cyto_risk", "age"])
    texts = [html.unescape(a.text.replace("<br>", " ")) for a in fig.layout.annotations]
    assert {"IKZF1 mRNA", "Cytogenetic risk", *Q} <= set(texts)  # (a name may wrap)
    assert any("covariates: IKZF1 mRNA, Cytogenetic risk, age" in t for t in texts)


def test_forest_without_model_rows_puts_the_reference_group_first():
    """The quartile HR figure (Biomarker page, report) has no model rows: Q1 is still a row."""
    result = analyze(DF, AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles"))
    drawn = forest_rows(result.cox, groups=result.groups, group_column="ikzf1")
    assert [(r["variable"], r["level"], r["reference"]) for r in drawn] == [
        ("ikzf1", Q[0], True), ("", Q[1], False), ("", Q[2], False), ("", Q[3], False)]
    assert [r["term"].term for r in drawn[1:]] == ["ikzf1=Q2", "ikzf1=Q3", "ikzf1=Q4"]


def _extents(fig, width_hint: int) -> dict[float, list[tuple[float, float, str]]]:
    """Pixel extent (from the figure's left edge) of every row text, by row (its y), from the
    layout's own measure: paper x in the plot area, plus the annotation's shift."""
    rows: dict[float, list] = {}
    size = fig.layout.font.size
    left_edge = fig.layout.margin.l
    plot_w = width_hint - fig.layout.margin.l - fig.layout.margin.r
    for a in fig.layout.annotations:
        if a.yref != "y" or a.xref != "paper":
            continue
        lines = [html.unescape(re.sub("</?b>", "", s)) for s in a.text.split("<br>")]
        bold = a.font.weight == "bold" or a.text.startswith("<b>")
        w = max(text_px(s, size, bold=bold) for s in lines)
        x = left_edge + a.x * plot_w + (a.xshift or 0)
        left = x - w if a.xanchor == "right" else x
        rows.setdefault(a.y, []).append((left, left + w, a.text))
    return rows


def _assert_room(fig, width_hint: int, font_size: int) -> None:
    """In every row no text runs into another or into the plot, nothing leaves the figure,
    and rows are as tall as their lines."""
    plot = [fig.layout.margin.l, width_hint - fig.layout.margin.r]
    assert plot[1] - plot[0] >= 3 * font_size  # a plot is left between the columns
    for y, cells in _extents(fig, width_hint).items():
        cells.sort()
        for (_, right, text), (left, _, other) in zip(cells, cells[1:], strict=False):
            assert right + 4 <= left, (y, text, other)
        for left, right, text in cells:
            assert -1 <= left and right <= width_hint + 1, (text, left, right)
            assert right <= plot[0] - 2 or left >= plot[1] + 2, (text, plot)
    tall: dict[float, float] = {}  # pixels of each row's tallest text
    for a in fig.layout.annotations:
        if a.yref == "y":
            px = (a.text.count("<br>") + 1) * 1.15 * (a.font.size or font_size)
            tall[a.y] = max(tall.get(a.y, 0.0), px)
    centres = sorted(tall, reverse=True)
    row_px = round(font_size * 1.7)
    for upper, lower in zip(centres, centres[1:], strict=False):
        assert (upper - lower) * row_px >= (tall[upper] + tall[lower]) / 2, (upper, lower)


@pytest.mark.parametrize("width_hint,font_size", [(1800, 27), (1280, 20), (1000, 17),
                                                  (692, 11), (390, 13), (360, 11), (336, 9)])
def test_forest_text_columns_have_room_for_the_cut_offs(model, width_hint, font_size):
    """At presentation, slide, page, journal and phone sizes the longer level names fit."""
    result, rows = model
    fig = plots.forest_figure(result.cox, model=rows, groups=result.groups,
                              group_column=result.group_column, font_size=font_size,
                              width_hint=width_hint)
    shown = " ".join(html.unescape(a.text.replace("<br>", " ")) for a in fig.layout.annotations)
    for level in Q:
        assert level in shown
    _assert_room(fig, width_hint, font_size)


@pytest.mark.parametrize("width_hint,font_size", [(1000, 17), (360, 11)])
def test_forest_reason_of_a_non_estimable_term_fits_its_row(width_hint, font_size):
    from tests.results import not_estimable_result

    cox = not_estimable_result("a rather long marker name").cox
    fig = plots.forest_figure(cox, width_hint=width_hint, font_size=font_size)
    reason = next(a for a in fig.layout.annotations if a.xref == "x domain")
    assert html.unescape(reason.text.replace("<br>", " ")) == next(
        t.reason for t in cox.terms if not t.estimable)
    _assert_room(fig, width_hint, font_size)


def test_text_measure_and_wrap_keep_a_name_with_its_cut_offs():
    assert text_px("Q2", 10) < text_px("Q2 (> 0.643 to ≤ 1.12)", 10) < 130
    assert text_px("ikzf1", 10, bold=True) > text_px("ikzf1", 10)
    assert wrap_px("Q2 (> 0.643 to ≤ 1.12)", 500, 10) == ["Q2 (> 0.643 to ≤ 1.12)"]
    assert wrap_px("Q2 (> 0.643 to ≤ 1.12)", 110, 10) == ["Q2", "(> 0.643 to ≤ 1.12)"]
    assert wrap_px("Q2 (> 0.643 to ≤ 1.12)", 70, 10) == ["Q2", "(> 0.643 to", "≤ 1.12)"]
    pieces = wrap_px("Overall_survival_months", 60, 10)  # one long word: cut to fit
    assert len(pieces) == 3 and "".join(pieces) == "Overall_survival_months"
    assert all(text_px(p, 10) <= 60 for p in pieces)


def test_phone_group_line_reads_hr_reference():
    result = analyze(DF, AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:quartiles",
                                      landmarks=(36.0,)))
    lines = group_table_lines(display_group_table(result, "months", endpoint="PFS",
                                                  with_hr=True))
    assert [name for name, _ in lines] == Q
    first = lines[0][1]
    assert first.endswith("; HR: reference") and "unadjusted reference" not in first
    q2 = next(t for t in result.cox.terms if t.term == "ikzf1=Q2")
    assert lines[1][1].endswith(f"HR (95% CI), unadjusted {q2.hr:.2f} "
                                f"({q2.lower:.2f}–{q2.upper:.2f})")
    assert lines[0][1].startswith("N 15; Events 3; ")
