"""Display formatting, formula-safe exports, identifier exclusion and the HTML report."""

from __future__ import annotations

import dataclasses
import io

import numpy as np
import openpyxl
import pandas as pd
import pytest
import scipy

from cohort_explorer.analysis import analyze
from cohort_explorer.present import exports, report
from cohort_explorer.present import format as fmt
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import SAMPLE_CSV
from tests.results import grouped_data

XSS = "<img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("p", "text"),
    [
        pytest.param(0.0134, "p = 0.013", id="three_decimals"),
        pytest.param(0.25, "p = 0.25", id="two_decimals_above_0.1"),
        pytest.param(0.00099, "p < 0.001", id="below_0.001"),
        pytest.param(1e-12, "p < 0.001", id="tiny"),
        pytest.param(0.0496, "p = 0.0496", id="never_rounded_across_0.05"),
        pytest.param(0.0504, "p = 0.050", id="just_above_0.05"),
        pytest.param(0.999, "p > 0.99", id="never_1"),
        pytest.param(float("nan"), "p = NA", id="nan"),
        pytest.param(None, "p = NA", id="none"),
    ],
)
def test_format_p(p, text):
    assert fmt.format_p(p) == text


def test_format_estimates_with_ci():
    assert fmt.format_hr(1.914, 1.02, 3.581) == "HR 1.91 (95% CI 1.02–3.58)"
    assert fmt.format_hr(np.nan, np.nan, np.nan) == "HR not estimable"
    assert fmt.format_survival(0.8619, 0.701, 0.94) == "86.2% (95% CI 70.1–94.0)"
    assert fmt.format_survival(1.0, np.nan, np.nan) == "100.0%"  # no interval: none shown
    assert fmt.format_survival(0.0, None, None) == "0.0%"  # a curve that dropped to 0
    assert fmt.format_percent(0.514, 0) == "51%"
    assert fmt.format_time(36.0, "months") == "36 months"
    assert fmt.format_time(np.nan) == "NA"
    assert fmt.escape('"><script>') == "&quot;&gt;&lt;script&gt;"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("-1.5", "-1.5"), ("+3e2", "+3e2"),
        ("plain", "plain"), (-5, -5), (2.5, 2.5), (None, None),
    ],
)
def test_neutralize(value, expected):
    assert exports.neutralize(value) == expected


def _hostile_frame():
    return pd.DataFrame({
        "=HYPERLINK(\"http://x\")": ["=HYPERLINK(\"http://evil\",\"x\")", "ok", "-1.5"],
        "value": [-1.25, 0.0, 3.0],
        "count": [-3, 4, 5],
    })


def test_csv_export_neutralises_formulas_but_keeps_numbers():
    text = exports.to_csv_bytes(_hostile_frame()).decode("utf-8-sig")
    back = pd.read_csv(io.StringIO(text), dtype={"value": float, "count": int})
    assert back.columns[0].startswith("'=HYPERLINK")
    assert back.iloc[0, 0].startswith("'=HYPERLINK")
    assert back.iloc[2, 0] == -1.5 or back.iloc[2, 0] == "-1.5"
    assert back["value"].tolist() == [-1.25, 0.0, 3.0]
    assert back["count"].tolist() == [-3, 4, 5]
    assert "\n-1.25," not in text and ",-1.25," in text


def test_xlsx_export_neutralises_formulas_but_keeps_numbers():
    data = exports.to_xlsx_bytes({"groups/[x]": _hostile_frame(), "cox": _hostile_frame()})
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["groups__x_", "cox"]
    sheet = book["groups__x_"]
    header, first = sheet[1], sheet[2]
    assert header[0].value.startswith("'=") and header[0].data_type == "s"
    assert first[0].value.startswith("'=HYPERLINK") and first[0].data_type == "s"
    assert first[1].value == -1.25 and first[1].data_type == "n"
    assert first[2].value == -3 and first[2].data_type == "n"
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_identifier_columns_are_excluded_unless_kept():
    columns = ["patient_id", "name", "age", "pfs_months"]
    assert exports.export_columns(columns, {"patient_id", "name"}) == ["age", "pfs_months"]
    assert exports.export_columns(columns, {"patient_id", "name"}, keep=["name"]) == [
        "name", "age", "pfs_months"]


def _real_result(labels=("Q1", "Q2-Q4"), cox=True, cut=False):
    """A real engine result: groups with a 36-month landmark, a Cox model with a term that is
    not estimable (level B of ``marker`` has no events), optionally an optimal cut point."""
    if cut:
        spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                            group_by="ikzf1:optimal", landmarks=(36.0,))
        return analyze(pd.read_csv(SAMPLE_CSV), spec)
    data = grouped_data(labels)
    data["marker"] = np.where(data.index % 5 == 1, "B", "A")
    data.loc[data["marker"] == "B", "event"] = 0
    spec = AnalysisSpec(time_col="time", event_col="event", group_by="ikzf1", landmarks=(36.0,),
                        covariates=("marker:cat",))
    result = analyze(data, spec)
    return result if cox else dataclasses.replace(result, cox=None, ph_test=None)


def test_result_tables_carry_the_result_numbers():
    result = _real_result()
    tables = report.result_tables(result, time_unit="months")
    groups = tables["groups"]
    assert groups["survival at 36 months"].tolist() == [g.landmarks[0].survival
                                                        for g in result.groups]
    assert groups["median"].tolist() == [g.median.estimate for g in result.groups]
    assert groups["median_lower"].tolist() == [g.median.lower for g in result.groups]
    assert tables["tests"].loc[0, "p"] == result.logrank.p
    cox = tables["cox"]
    assert cox.loc[0, "hr"] == result.cox.terms[0].hr and cox.loc[0, "estimable"]
    assert not cox.loc[1, "estimable"] and cox.loc[1, "term"] == "marker=B"
    assert len(tables["km"]) == sum(len(g.km.time) for g in result.groups)


def test_methods_paragraph_names_the_methods_used():
    text = report.methods_paragraph(_real_result(cut=True), time_unit="months", synthetic=True)
    for phrase in ("Kaplan–Meier", "log-log", "Greenwood", "log-rank", "Efron", "Lau94",
                   "reverse Kaplan–Meier", f"scipy {scipy.__version__}", "synthetic"):
        assert phrase in text
    plain = report.methods_paragraph(_real_result(cox=False))
    assert "Efron" not in plain and "Lau94" not in plain and "synthetic" not in plain


def test_html_report_escapes_user_text_and_is_self_contained():
    from cohort_explorer.present import plots

    result = _real_result(labels=(XSS, "<script>alert(1)</script>"))
    figure = plots.km_figure(result, time_unit="months")
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'></svg>"
    html = report.html_report(result, title=f"Report {XSS}", dataset_name=f"{XSS}.csv",
                              synthetic=True, time_unit="months", figures={"km": figure},
                              captions={"km": f"KM by {XSS}"}, images={("km", "svg"): svg},
                              notes=["javascript:alert(1)"])
    assert "<img src=x" not in html and "<script" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in html
    assert report.SYNTHETIC_NOTICE.split(":")[0] in html
    assert "data:image/svg+xml;base64," in html and "script-src" not in html
    assert 'src="http' not in html and "href=" not in html
    term = result.cox.terms[0]
    assert fmt.format_hr(term.hr, term.lower, term.upper) in html
    landmark = result.groups[0].landmarks[0]
    assert fmt.format_survival(landmark.survival, landmark.lower, landmark.upper) in html
    assert "not estimable" in html and "no events in group" in html


def test_html_report_falls_back_to_inline_plotly_without_images():
    from cohort_explorer.present import plots

    result = _real_result()
    html = report.html_report(result, figures={"km": plots.km_figure(result)})
    assert html.count("<script") >= 1 and 'src="http' not in html
    assert "script-src 'unsafe-inline'" in html


def test_html_report_from_engine_shows_engine_numbers():
    from cohort_explorer.analysis import analyze
    from cohort_explorer.sample import make_sample
    from cohort_explorer.spec import AnalysisSpec

    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                        group_by="ikzf1:q1-vs-rest", landmarks=(36.0,),
                        covariates=("cyto_risk:cat:ref=standard",))
    result = analyze(make_sample(), spec)
    html = report.html_report(result, spec, time_unit="months", synthetic=True)
    assert fmt.format_p(result.logrank.p, prefix=False) in html
    for group in result.groups:
        (landmark,) = group.landmarks
        assert fmt.format_survival(landmark.survival, landmark.lower, landmark.upper) in html
    high = next(t for t in result.cox.terms if t.term == "cyto_risk=high")
    assert fmt.format_hr(high.hr, high.lower, high.upper) in html
    exported = report.result_tables(result, "months")["cox"]
    assert exported.set_index("term").loc["cyto_risk=high", "hr"] == high.hr


def test_report_lists_choices_as_a_reader_writes_them():
    from cohort_explorer.present.report import _choices_html

    html_text = _choices_html({"landmarks": (36.0, 60.5), "group_by": "<b>x</b>", "rmst": None})
    assert "<dd>36, 60.5</dd>" in html_text
    assert "&lt;b&gt;x&lt;/b&gt;" in html_text and "rmst" not in html_text


def test_report_has_rmst_table_and_method_when_asked():
    import pandas as pd

    from cohort_explorer.analysis import analyze
    from cohort_explorer.present.report import html_report
    from cohort_explorer.spec import AnalysisSpec
    from tests.conftest import SAMPLE_CSV

    spec = AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:q1-vs-rest", rmst_tau=36.0)
    result = analyze(pd.read_csv(SAMPLE_CSV), spec)
    text = html_report(result, spec, time_unit="months")
    assert "<h2>Restricted mean survival time</h2>" in text
    assert "Restricted mean survival time up to 36 months" in text
    (diff,) = result.rmst_differences
    assert f"{diff.estimate:.2f}" in text
    plain = html_report(analyze(pd.read_csv(SAMPLE_CSV), AnalysisSpec("pfs_months", "pfs_event")),
                        None)
    assert "Restricted mean" not in plain
