"""Issue 5, output safety: user text is data, never markup; spreadsheet exports cannot run.

XSS payloads sit in column names, category labels and the file name, and go through the plotly
figures (their JSON), the HTML report, and every Streamlit element of every page (AppTest).
CSV/XLSX exports neutralise cells starting with ``=``, ``+``, ``-``, ``@``, tab or CR (OWASP)
and leave numbers alone.
"""

from __future__ import annotations

import csv
import io
import json
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cohort_explorer.analysis import analyze
from cohort_explorer.present import exports, plots, report
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import ROOT, SAMPLE_CSV

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "<script>alert('risk')</script>"
LINK = "[click](javascript:alert(2))"
ANCHOR = '<a href="javascript:alert(3)">x</a>'
BREAKOUT = "</script><script>alert(4)</script>"
#: Column names (no colon in the grouping/covariate ones: ':' separates a spec's rule).
RISK_COL = f"risk {SCRIPT}"
MARKER_COL = f"ikzf1 {IMG}"
#: Raw markup that must never reach a browser unescaped.
RAW = re.compile(r"<\s*/?\s*(img|script|a|svg|iframe)\b", re.IGNORECASE)
INJECTIONS = ["=HYPERLINK(\"http://x.example\",\"y\")", "+cmd|' /C calc'!A0", "-2+3+cmd|x",
              "@SUM(1+1)*cmd", "\t=1+1", "\r=1+1"]


def _hostile() -> pd.DataFrame:
    df = pd.read_csv(SAMPLE_CSV)
    df["cyto_risk"] = df["cyto_risk"].map({"high": IMG, "standard": f"{LINK} {BREAKOUT}"})
    df[ANCHOR] = np.arange(len(df)) % 3  # a colon-containing name, not used in a spec
    return df.rename(columns={"cyto_risk": RISK_COL, "ikzf1": MARKER_COL})


@pytest.fixture(scope="module")
def hostile_result():
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by=RISK_COL,
                        covariates=(MARKER_COL, f"{MARKER_COL}:z"), landmarks=(36.0,))
    return analyze(_hostile(), spec), spec


def _strings(node):
    """Every string inside a JSON-like structure."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _strings(value)


def _assert_inert(figure_json: str, *expected_escaped: str) -> None:
    texts = list(_strings(json.loads(figure_json)))
    joined = "\n".join(texts)
    assert not RAW.search(joined), RAW.search(joined)
    for text in expected_escaped:
        assert text in joined, text


def test_km_figure_escapes_labels_titles_and_hover(hostile_result):
    result, _ = hostile_result
    assert {g.label for g in result.groups} == {IMG, f"{LINK} {BREAKOUT}"}
    figure = plots.km_figure(result, endpoint=f"PFS {IMG}", group_title=RISK_COL,
                             time_unit=f"months {SCRIPT}", landmark=36)
    _assert_inert(figure.to_json(), "&lt;img src=x onerror=alert(1)&gt;",
                  "&lt;script&gt;alert(&#x27;risk&#x27;)&lt;/script&gt;", "&lt;/script&gt;")


def test_forest_and_cutpoint_figures_escape_names(hostile_result):
    result, _ = hostile_result
    forest = plots.forest_figure(result.cox, title=f"Cox {IMG}")
    _assert_inert(forest.to_json(), "Cox &lt;img src=x onerror=alert(1)&gt;", "ikzf1 &lt;img")
    wide = plots.forest_figure(result.cox, width_hint=3000)  # room for the whole name
    _assert_inert(wide.to_json(), "ikzf1 &lt;img src=x onerror=alert(1)&gt;")
    cut = analyze(_hostile(), AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                           group_by=f"{MARKER_COL}:optimal"))
    _assert_inert(plots.cutpoint_figure(cut.cutpoint, column=MARKER_COL).to_json(),
                  "&lt;img src=x onerror=alert(1)&gt;")
    km = plots.km_figure(cut, group_title=MARKER_COL)
    _assert_inert(km.to_json(), "&lt;img")


def test_biomarker_figure_escapes_levels_and_axis_titles():
    df = _hostile()
    levels = sorted(df[RISK_COL].unique())
    figure = plots.biomarker_figure(df, MARKER_COL, RISK_COL, levels)
    _assert_inert(figure.to_json(), "&lt;img", "&lt;script&gt;")


def test_cox_term_labels_stay_text_in_the_forest_tables_and_exports(hostile_result):
    """The term labels carry user text (group labels, display names): escaped in the forest
    and the report, neutralised in the CSV/XLSX export of the Cox table."""
    from cohort_explorer.analysis.model_rows import model_rows
    from cohort_explorer.present.term_labels import cox_term_labels

    result, spec = hostile_result
    names = {MARKER_COL: f"Marker {SCRIPT}", RISK_COL: INJECTIONS[0]}
    rows = model_rows(_hostile(), spec)
    forest = plots.forest_figure(result.cox, model=rows, labels=names, groups=result.groups,
                                 group_column=result.group_column, width_hint=3000,
                                 adjusted_for=[RISK_COL, MARKER_COL])
    _assert_inert(forest.to_json(), "Marker &lt;script&gt;alert(&#x27;risk&#x27;)&lt;/script&gt;",
                  "&lt;img src=x onerror=alert(1)&gt;")
    phone = plots.forest_figure(result.cox, model=rows, labels=names, groups=result.groups,
                                group_column=result.group_column, width_hint=360, font_size=11)
    _assert_inert(phone.to_json(), "&lt;img")  # wrapped on a phone, escaped line by line
    labels = cox_term_labels(result, names=names, model=rows)
    assert labels[f"{RISK_COL}={LINK} {BREAKOUT}"] == f"{INJECTIONS[0]} {LINK} {BREAKOUT} vs {IMG}"
    table = report.result_tables(result, names=names)["cox"]
    text = exports.to_csv_bytes(table).decode("utf-8-sig")
    cells = list(csv.reader(io.StringIO(text, newline="")))
    assert any(c.startswith("'" + INJECTIONS[0]) for row in cells for c in row)
    assert not any(c.startswith("=") for row in cells for c in row)
    page = report.html_report(result, spec, names=names)
    assert SCRIPT not in page and IMG not in page


def test_html_report_escapes_every_user_string(hostile_result):
    result, spec = hostile_result
    figure = plots.km_figure(result, group_title=RISK_COL)
    html = report.html_report(result, spec, dataset_name=f"{IMG}.csv", time_unit="months",
                              endpoint=f"PFS {ANCHOR}", figures={"km": figure},
                              notes=[f"note {SCRIPT}"], choices={RISK_COL: IMG})
    for payload in (IMG, SCRIPT, ANCHOR, BREAKOUT, "<script>alert", '<a href="javascript'):
        assert payload not in html, payload
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in html
    assert "Content-Security-Policy" in html
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", html, re.DOTALL | re.IGNORECASE)
    for body in scripts:  # embedded figure data cannot close its script element
        assert "alert(" not in body or "&lt;" in body
        assert "</script" not in body.lower()


def _sheet_values(data: bytes) -> list[list]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.worksheets[0]
    return [[cell for cell in row] for row in sheet.iter_rows()]


def test_csv_export_neutralises_formulas_and_keeps_numbers():
    df = pd.DataFrame({
        "label": INJECTIONS + ["plain", "-1.5"],
        "value": [1.5, -2.0, 3, 0, -0.25, 1e-9, 7, -8],
        "=bad()": ["x"] * 8,
    })
    text = exports.to_csv_bytes(df).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["label", "value", "'=bad()"]
    assert [r[0] for r in rows[1:]] == ["'" + v for v in INJECTIONS] + ["plain", "-1.5"]
    assert [float(r[1]) for r in rows[1:]] == df["value"].tolist()  # numbers, sign kept
    assert [r[1] for r in rows[1:3]] == ["1.5", "-2.0"]
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), row
            assert not cell.startswith("-") or re.fullmatch(r"-[\d.]+", cell), row


def test_xlsx_export_has_no_formulas_and_numbers_stay_numbers():
    df = pd.DataFrame({"label": INJECTIONS, "value": [1.5, -2.0, 3, 0, -0.25, -1e6]})
    data = exports.to_xlsx_bytes({"t": df, "=sheet": df.rename(columns={"label": "@lab"})})
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        rows = list(sheet.iter_rows())
        for cell in list(rows[0]) + [r[0] for r in rows[1:]]:
            assert cell.data_type == "s", cell.value  # never "f" (formula)
            assert not str(cell.value).startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
        assert [r[1].value for r in rows[1:]] == df["value"].tolist()
        assert all(r[1].data_type == "n" for r in rows[1:])
    # (XML turns a stored CR into LF on reading; the cell is text either way)
    assert [r[0].value for r in list(workbook.worksheets[0].iter_rows())[1:]] == [
        "'" + v.replace("\r", "\n") for v in INJECTIONS]


def test_result_tables_of_hostile_labels_are_neutralised(hostile_result):
    """A category label that looks like a formula is neutralised in the exported tables."""
    df = pd.read_csv(SAMPLE_CSV)
    df["cyto_risk"] = df["cyto_risk"].map({"high": "=cmd|' /C calc'!A0", "standard": "@x"})
    result = analyze(df, AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                      group_by="cyto_risk"))
    tables = report.result_tables(result, "months")
    csv = exports.to_csv_bytes(tables["groups"]).decode("utf-8-sig")
    assert "'=cmd|" in csv and "\n=cmd" not in csv and ",=cmd" not in csv
    workbook = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(tables)))
    cells = [c for s in workbook.worksheets for row in s.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert any(c.value == "'=cmd|' /C calc'!A0" for c in cells)


# --------------------------------------------------------------------------- the app
_LIVE_TAG = re.compile(r"(?<!\\)<\s*/?\s*(img|script|a|svg|iframe)\b", re.IGNORECASE)
_LIVE_LINK = re.compile(r"(?<!\\)\]\(\s*javascript", re.IGNORECASE)


def _check_markdown_body(body: str, where: str) -> None:
    """No live tag (an unescaped '<img', '<script', ...) and no live markdown link."""
    assert not _LIVE_TAG.search(body), (where, body[:200])
    assert not _LIVE_LINK.search(body), (where, body[:200])


def _check_page(at: AppTest, path: str) -> int:
    checked = 0
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "title",
                 "subheader", "header"):
        for element in getattr(at, kind):
            proto = element.proto
            if hasattr(proto, "allow_html"):
                assert not proto.allow_html, (path, kind)
            body = proto.body if hasattr(proto, "body") else str(element.value)
            _check_markdown_body(body, f"{path} {kind}")
            checked += 1
    for chart in at.get("plotly_chart"):
        spec = chart.proto.spec
        texts = "\n".join(_strings(json.loads(spec)))
        assert not RAW.search(texts), (path, RAW.search(texts))
        checked += 1
    return checked


def test_every_page_shows_hostile_text_inertly():
    data = _hostile().to_csv(index=False).encode()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.file_uploader(key="data_upload").set_value((f"{IMG}.csv", data, "text/csv")).run()
    assert not at.exception
    assert at.session_state["data_name"] == f"{IMG}.csv"
    checked = _check_page(at, "data")
    at.switch_page("pages/survival.py").run()
    at.radio(key="km_kind_w").set_value("Category").run()
    at.selectbox(key="km_cat_w").set_value(RISK_COL).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert len(at.get("plotly_chart")) >= 1
    checked += _check_page(at, "survival")
    for path in ("pages/cohort.py", "pages/hazard_ratios.py", "pages/report.py"):
        at.switch_page(path).run()
        assert not at.exception, path
        checked += _check_page(at, path)
    assert checked > 30
    shown = "\n".join(m.value for m in at.sidebar.markdown)
    assert "\\<img src=x onerror=alert(1)\\>" in shown  # the file name, escaped
