"""AppTest: every page renders on the sample and on uploads; the numbers shown are the engine's."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest
from tests.app.apptest import page as _page
from tests.app.apptest import plain, plain_table
from tests.app.apptest import run as _run
from tests.app.apptest import start as _start
from tests.app.apptest import upload as _upload
from tests.conftest import ROOT, SAMPLE_CSV, require_chromium

from cohort_explorer.analysis import analyze
from cohort_explorer.present.format import format_hr, format_p
from cohort_explorer.present.tables import display_cox_table, display_group_table
from cohort_explorer.spec import AnalysisSpec

APP = str(ROOT / "app.py")
PAGES = ("pages/data.py", "pages/cohort.py", "pages/survival.py", "pages/biomarker.py",
         "pages/hazard_ratios.py", "pages/report.py")
XSS = "<img src=x onerror=alert(1)>"
_LIVE_TAG = re.compile(r"(?<!\\)<\s*/?\s*(img|script|a|svg|iframe)\b", re.IGNORECASE)








def _texts(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def _sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_CSV)




def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def _no_html(at: AppTest) -> None:
    """No element of any kind renders raw HTML, and no markdown-rendered text has a live tag.

    Markdown protos carry ``allow_html`` (it must be off); ``st.html``, iframes and custom
    components have no such switch and must not appear at all; the text that Streamlit renders
    as markdown (``body`` of markdown, alerts and headings, widget ``label`` and ``help``) must
    have its ``<`` escaped.
    """
    markdown = 0
    for node in (n for root in (at.main, at.sidebar) for n in _nodes(root)):
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        assert node.type not in ("html", "iframe", "component_instance", "bidi_component"), \
            node.type
        fields = proto.DESCRIPTOR.fields_by_name
        if "allow_html" in fields:
            assert not proto.allow_html, (node.type, proto.body[:80])
            markdown += 1
        for name in ("body", "label", "help"):
            text = getattr(proto, name) if name in fields else None
            if isinstance(text, str):
                assert not _LIVE_TAG.search(text), (node.type, name, text[:80])
    assert markdown > 0  # the check saw the page


@pytest.fixture(scope="module")
def sample_result():
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                        group_by="ikzf1:q1-vs-rest", landmarks=(36.0,), trend=True)
    return analyze(_sample(), spec)


def test_every_page_renders_on_the_sample():
    at = _start()
    assert at.session_state["data_synthetic"] is True
    assert any("Synthetic data" in i.value for i in at.sidebar.info)
    for path in PAGES:
        _page(at, path)
        assert not at.error, [e.value for e in at.error]


def test_survival_shows_the_engine_numbers(sample_result):
    at = _page(_start(), "pages/survival.py")
    at.selectbox(key="km_rule_w").set_value("Q1 vs rest")
    _run(at)
    shown = plain_table(at.table[0]).reset_index(drop=True)
    expected = display_group_table(sample_result, "months", with_hr=True)
    assert shown.astype(str).values.tolist() == expected.astype(str).values.tolist()
    assert f"Log-rank {format_p(sample_result.logrank.p)}" in _texts(at)
    hr = display_cox_table(sample_result.cox)["Hazard ratio"].tolist()
    assert at.table[2].value["Hazard ratio"].tolist() == hr
    assert at.query_params["km_rule"] == ["Q1 vs rest"] or at.query_params["km_rule"] == "Q1 vs rest"


def test_url_choices_restore_the_view(sample_result):
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"app_endpoint": "OS", "km_rule": "Q1 vs rest", "km_landmarks": "24"})
    _run(at)
    _page(at, "pages/survival.py")
    assert at.selectbox(key="km_endpoint_w").value == "OS"
    assert at.selectbox(key="km_rule_w").value == "Q1 vs rest"
    assert at.text_input(key="km_landmarks_w").value == "24"
    assert "OS at 24 months" in at.table[0].value.columns


def test_upload_with_events_coded_1_2_runs_after_mapping_event_2():
    data = _sample()
    data["pfs_event"] = data["pfs_event"] + 1  # 1 = censored, 2 = progression
    data["os_event"] = data["os_event"] + 1
    at = _upload(_start(), "coded.csv", data.to_csv(index=False).encode())
    assert at.session_state["data_synthetic"] is False
    assert not any("Synthetic data" in i.value for i in at.sidebar.info)
    value_boxes = [s for s in at.selectbox if s.label == "Value that means event"]
    value_boxes[0].set_value("2")
    value_boxes[1].set_value("2")
    _run(at)
    assert [e["event_value"] for e in at.session_state["data_endpoints"]] == ["2", "2"]
    _page(at, "pages/survival.py")
    at.selectbox(key="km_rule_w").set_value("Q1 vs rest")
    _run(at)
    expected = analyze(_sample(), AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                               group_by="ikzf1:q1-vs-rest"))
    assert f"Log-rank {format_p(expected.logrank.p)}" in _texts(at)
    assert at.table[0].value["Events"].tolist() == [g.events for g in expected.groups]


def test_unreadable_upload_keeps_the_previous_dataset():
    at = _start()
    before = at.session_state["data_digest"]
    _upload(at, "garbage.csv", bytes(range(256)) * 40)
    assert at.error, "a readable error message is shown"
    assert "Traceback" not in at.error[0].value
    assert at.session_state["data_digest"] == before
    assert at.session_state["data_synthetic"] is True
    _page(at, "pages/survival.py")
    assert at.table


def test_the_empty_chart_drawn_while_an_upload_is_read_does_not_stay():
    """The Data page draws an empty chart while a file is read (the browser loads plotly's
    code meanwhile); neither a failed nor a successful upload leaves it on the page."""
    at = _start()
    _upload(at, "garbage.csv", bytes(range(256)) * 40)
    assert at.error and not at.get("plotly_chart")
    assert at.session_state["data_plot_code_loaded"] is True
    _upload(at, "cohort.csv", _sample().drop(columns=["bsg"]).to_csv(index=False).encode())
    assert at.session_state["data_name"] == "cohort.csv" and not at.get("plotly_chart")


def test_identifier_columns_are_flagged_and_removed_in_one_click():
    data = _sample()
    data.insert(1, "patient_name", [f"Doe, John{i}" for i in range(len(data))])
    data.insert(2, "email", [f"p{i}@example.org" for i in range(len(data))])
    at = _upload(_start(), "with_ids.csv", data.to_csv(index=False).encode())
    assert any("may identify patients" in w.value for w in at.warning)
    at.button(key="data_remove_ids").click()
    _run(at)
    assert {"patient_name", "email"} <= set(at.session_state["data_removed"])
    assert not any("may identify patients" in w.value for w in at.warning)


def test_user_text_is_escaped_everywhere():
    data = pd.DataFrame({"pfs_months": [5.0, 8, 12, 20, 30, 40] * 4,
                         "pfs_event": [1, 0, 1, 1, 0, 1] * 4,
                         XSS: ["<script>alert(1)</script>", "[x](javascript:alert(1))"] * 12})
    at = _upload(_start(), f"{XSS}.csv", data.to_csv(index=False).encode())
    _page(at, "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    _run(at)
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "<img" not in sidebar.replace("\\<img", "")
    for element in list(at.markdown) + list(at.warning) + list(at.error):
        assert "<script>" not in element.value and "](javascript:" not in element.value
    _no_html(at)


def test_hazard_ratio_page_matches_the_engine():
    at = _page(_start(), "pages/survival.py")
    at.selectbox(key="km_rule_w").set_value("Q1 vs rest")
    _run(at)
    at = _page(at, "pages/hazard_ratios.py")
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                        group_by="ikzf1:q1-vs-rest", covariates=("cyto_risk:cat:ref=standard",))
    cox = analyze(_sample(), spec).cox
    high = next(t for t in cox.terms if t.term == "cyto_risk=high")
    table = at.table[0].value
    assert format_hr(high.hr, high.lower, high.upper) in table["Hazard ratio"].tolist()
    # each term in words: the grouping's groups with the cut-offs of the KM legend
    assert plain_table(at.table[0])["Term"].tolist() == [
        "ikzf1 Q2-Q4 (> 0.643) vs Q1 (≤ 0.643)", "cyto_risk high vs standard"]
    forest = json.loads(at.get("plotly_chart")[0].proto.spec)
    texts = [a["text"] for a in forest["layout"]["annotations"]]
    assert {"ikzf1", "Q1 (≤ 0.643)", "Q2-Q4 (&gt; 0.643)", "cyto_risk", "standard",
            "high"} <= set(texts)
    assert "ikzf1=Q2-Q4" not in json.dumps(texts)
    assert f"{cox.concordance:.3f}" in [m.value for m in at.metric]
    assert any("PH" in s.value or "Proportional" in s.value for s in at.subheader)


def test_response_grouping_offers_a_landmark_analysis():
    at = _page(_start(), "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    _run(at)
    at.selectbox(key="km_cat_w").set_value("best_response")
    _run(at)
    assert any("immortal" in w.value for w in at.warning)
    at.button(key="km_landmark_on").click()
    _run(at)
    assert at.session_state["km_landmark_from"] == "12"
    assert any("Landmark analysis from 12" in i.value for i in at.info)
    spec = at.session_state["km_spec"]
    assert spec.landmark_from == 12.0 and spec.response_time_col == "response_months"


def test_report_page_offers_every_download():
    at = _page(_start(), "pages/survival.py")
    at = _page(at, "pages/report.py")
    labels = [b.label for b in at.download_button]
    assert "Download the HTML report" in labels
    assert "All tables as one Excel workbook (.xlsx)" in labels
    assert {"groups.csv", "tests.csv", "km.csv", "Analysis data (.csv)"} <= set(labels)
    assert any("patient_id" in plain(m.value) for m in at.markdown)  # left out of the export


def test_subgroup_filter_changes_the_analysis_set():
    at = _start()
    at.selectbox(key="data_filter_col").set_value("cyto_risk")
    _run(at)
    at.selectbox(key="data_filter_value_cyto_risk").set_value("standard")
    at.button(key="data_filter_add").click()
    _run(at)
    assert at.session_state["data_where"] == ["cyto_risk=standard"]
    at = _page(at, "pages/survival.py")
    standard = int((_sample()["cyto_risk"] == "standard").sum())
    assert at.table[0].value["N"].astype(int).sum() == standard


@pytest.mark.parametrize("name", ["sample.xlsx", "sample.parquet"])
def test_binary_formats_upload(name):
    data = _sample()
    buffer = io.BytesIO()
    if name.endswith("xlsx"):
        data.to_excel(buffer, index=False)
    else:
        data.to_parquet(buffer, index=False)
    at = _upload(_start(), name, buffer.getvalue())
    assert not at.error and at.session_state["data_shape"] == data.shape


def test_report_figures_and_html_are_drawn_on_click_with_chromium(monkeypatch):
    """No "prepare" step: each figure file and the report's static SVG figures are rendered
    when their button is clicked (deferred downloads); PNG files are 300 dpi."""
    require_chromium()
    from PIL import Image
    from tests.app.apptest import spy_downloads

    downloads = spy_downloads(monkeypatch)
    at = _page(_start(), "pages/survival.py")
    at = _page(at, "pages/hazard_ratios.py")
    at = _page(at, "pages/report.py")
    labels = {b.label for b in at.download_button}
    assert {"Download kaplan-meier-slide.png", "Download forest-slide.png"} <= labels
    png = downloads["kaplan-meier-slide.png"]()
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (4000, 2250)  # 13.33 x 7.5 in at 300 dpi
        assert round(image.info["dpi"][0]) == 300
    html = downloads["cohort-report-pfs.html"]().decode()
    assert html.count("data:image/svg+xml;base64,") >= 2 and "<script" not in html
    assert "HR (95% CI), unadjusted" in html  # the survival table's HRs
    assert "Cox proportional-hazards model (adjusted for cyto_risk)" in html
    assert "<td>ikzf1 Q2 (&gt; 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)</td>" in html  # in words
    assert "<td>cyto_risk high vs standard</td>" in html
    exported = downloads["cox_model.csv"]().decode("utf-8-sig").splitlines()
    assert exported[0].startswith("term,label,hr,")
    assert exported[1].startswith("ikzf1=Q2,ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643),")
    assert "time_col" not in html and "Median follow-up" in html
    assert len(html) < 1_500_000


def test_endpoint_is_one_choice_shown_in_the_sidebar():
    at = _page(_start(), "pages/survival.py")
    at.selectbox(key="km_endpoint_w").set_value("OS")
    _run(at)
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**Active endpoint:** OS" in sidebar
    _page(at, "pages/hazard_ratios.py")
    assert at.selectbox(key="hr_endpoint_w").value == "OS"
    assert "**Active endpoint:** OS" in "\n".join(m.value for m in at.sidebar.markdown)


def test_survival_page_shows_rmst_and_difference_from_the_engine(sample_result):
    at = _page(_start(), "pages/survival.py")
    at.selectbox(key="km_rule_w").set_value("Q1 vs rest")
    at.text_input(key="km_rmst_w").set_value("36")
    _run(at)
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                        group_by="ikzf1:q1-vs-rest", rmst_tau=36.0)
    (diff,) = analyze(_sample(), spec).rmst_differences
    table = next(
        plain_table(t) for t in at.table if any("RMST" in str(c) for c in t.value.columns))
    q25 = float(_sample()["ikzf1"].quantile(0.25))
    assert [plain(g) for g in table["Group"]] == [f"Q1 (≤ {q25:.3g})", f"Q2-Q4 (> {q25:.3g})"]
    assert table["Difference from reference"].iloc[1].startswith(f"{diff.estimate:.2f} (95% CI")
    at.text_input(key="km_rmst_w").set_value("-3")
    _run(at)
    assert any("must be a positive number" in e.value for e in at.error)


def test_url_filter_and_time_unit_survive_the_first_dataset():
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["data_where"] = ["cyto_risk=standard"]
    at.query_params["data_time_unit"] = "weeks"
    _page(_run(at), "pages/survival.py")
    standard = int((_sample()["cyto_risk"] == "standard").sum())
    assert at.table[0].value["N"].astype(int).sum() == standard
    assert at.session_state["data_time_unit"] == "weeks"


def test_survival_page_cox_table_names_the_groups_with_their_cut_offs():
    at = _page(_start(), "pages/survival.py")  # the sample: PFS by ikzf1 quartiles
    assert "Hazard ratios against Q1 (≤ 0.643): Cox, unadjusted" in [
        plain(s.value) for s in at.subheader]
    cox = next(plain_table(t) for t in at.table if "Term" in plain_table(t).columns)
    assert cox["Term"].tolist() == [
        "ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)",
        "ikzf1 Q3 (> 1.12 to ≤ 1.94) vs Q1 (≤ 0.643)", "ikzf1 Q4 (> 1.94) vs Q1 (≤ 0.643)"]
