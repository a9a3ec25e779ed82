"""AppTest: the app defects found in review stay fixed (one test per finding)."""

from __future__ import annotations

import pandas as pd
from pages._widgets import column_key
from streamlit.testing.v1 import AppTest
from tests.app.apptest import page as _page
from tests.app.apptest import plain, spy_downloads
from tests.app.apptest import run as _run
from tests.app.apptest import start as _start
from tests.app.apptest import upload as _upload
from tests.conftest import REFERENCE, ROOT, SAMPLE_CSV

from cohort_explorer.analysis import analyze
from cohort_explorer.present.cutoffs import group_labels
from cohort_explorer.present.tables import display_cox_table
from cohort_explorer.spec import AnalysisSpec

APP = str(ROOT / "app.py")
LUNG_CSV = REFERENCE / "data" / "analysis_lung.csv"  # R's lung data: times in days










def _sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_CSV)


# --------------------------------------------------------------------------- 1. time unit
def test_upload_keeps_its_detected_time_unit_and_landmark():
    at = _start()
    assert at.selectbox(key="data_time_unit_w").value == "months"  # the sample's widget key
    at = _upload(at, "lung.csv", LUNG_CSV.read_bytes())
    assert at.session_state["data_time_unit"] == "days"
    assert at.selectbox(key="data_time_unit_w").value == "days"
    at = _page(at, "pages/survival.py")  # shown in months, the landmark too (3 years)
    assert at.selectbox(key="km_display_unit_w").value == "months"
    assert at.text_input(key="km_landmarks_w").value == "36"
    spec = at.session_state["km_spec"]
    assert abs(spec.landmarks[0] - 36 * 30.4375) < 1e-9  # the engine gets days
    assert any(c.endswith(" at 36 months") for c in at.table[0].value.columns)
    # Q4's curve dropped to 0 at 814 days: its estimate is 0 (R extend=TRUE); the others have none
    assert any("No estimate at 36 months for Q1, Q2, Q3: follow-up ends at" in i.value
               for i in at.info)
    at.selectbox(key="km_display_unit_w").set_value("years")
    at = _run(at)
    assert at.text_input(key="km_landmarks_w").value == "3"
    assert abs(at.session_state["km_spec"].landmarks[0] - 3 * 365.25) < 1e-9
    at = _page(at, "pages/data.py")  # the user says the unit: the default landmark follows it
    at.selectbox(key="data_time_unit_w").set_value("years")
    at = _page(_run(at), "pages/survival.py")
    assert at.selectbox(key="km_display_unit_w").value == "years"
    assert at.text_input(key="km_landmarks_w").value == "3"
    at.text_input(key="km_landmarks_w").set_value("2")  # typed by the user: kept
    at = _page(_run(at), "pages/data.py")
    at.selectbox(key="data_time_unit_w").set_value("months")
    at = _page(_run(at), "pages/survival.py")
    assert at.text_input(key="km_landmarks_w").value == "2"


# --------------------------------------------------------------------------- 2. report endpoint
def test_report_names_the_endpoint_of_the_survival_analysis(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    sample = _sample()
    at = _page(_start(), "pages/survival.py")  # PFS
    at = _page(at, "pages/hazard_ratios.py")
    at.selectbox(key="hr_endpoint_w").set_value("OS")  # the app-wide endpoint is now OS
    at = _page(_run(at), "pages/report.py")
    texts = "\n".join(m.value for m in at.markdown)
    assert f"Current analysis: **PFS** by ikzf1, quartiles; 60 patients, " \
           f"{int(sample['pfs_event'].sum())} events." in texts
    infos = [i.value for i in at.info]
    assert "The Survival analysis is for PFS; open the Survival page to update it for OS." in infos
    assert ("The Cox model of the Hazard ratios page is for OS, not PFS, so this report leaves "
            "it out; it is included once the Survival analysis is for OS too.") in infos
    assert "cohort-report-os.html" not in downloads
    html = downloads["cohort-report-pfs.html"]().decode("utf-8")
    import base64
    import re

    figures = html + "".join(base64.b64decode(b).decode("utf-8", "replace") for b in re.findall(
        r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html))  # static SVG figures
    assert "Kaplan–Meier estimate of PFS" in html and "PFS probability" in figures
    assert "OS probability" not in figures
    assert "cox_model.csv" not in downloads
    downloads.clear()
    at = _page(_page(at, "pages/survival.py"), "pages/report.py")  # Survival follows: OS
    texts = "\n".join(m.value for m in at.markdown)
    assert f"Current analysis: **OS** by ikzf1, quartiles; 60 patients, " \
           f"{int(sample['os_event'].sum())} events." in texts
    assert not [i.value for i in at.info if "endpoint" in i.value or "is for" in i.value]
    assert "cohort-report-os.html" in downloads and "cox_model.csv" in downloads


# --------------------------------------------------------------------------- 3. float categories
def test_categorical_covariate_of_a_float_column_uses_the_engine_levels():
    data = _sample()
    data.loc[3, "del17p"] = None  # one blank: pandas reads the column as 0.0/1.0
    at = _upload(_start(), "blank.csv", data.to_csv(index=False).encode())
    at = _page(at, "pages/hazard_ratios.py")
    at.multiselect(key="hr_cols_w").set_value(["del17p"])
    at = _run(at)
    reference = at.selectbox(key=column_key("hr_ref", "del17p") + "_w")
    assert list(reference.options) == ["0", "1"] and reference.value == "0"
    assert not at.error, [e.value for e in at.error]
    assert "del17p 1 vs 0" in at.table[0].value["Term"].tolist()  # del17p=1, in words


# --------------------------------------------------------------------------- 4. invalid filter
NOT_A_NUMBER = ("The filter cyto_risk<standard compares with 'standard', which is not a number: "
                "use = or ≠ for a category, or compare with a number.")


def test_invalid_subgroup_filter_is_refused_on_the_data_page():
    at = _start()
    at.selectbox(key="data_filter_col").set_value("cyto_risk")
    at = _run(at)
    at.selectbox(key="data_filter_op").set_value("<")
    at = _run(at)
    at.selectbox(key="data_filter_value_cyto_risk").set_value("standard")
    at.button(key="data_filter_add").click()
    at = _run(at)
    assert at.session_state["data_where"] == []
    assert [plain(e.value) for e in at.error] == [NOT_A_NUMBER]
    at = _page(at, "pages/cohort.py")
    assert not at.error and at.table  # Table 1 of every patient


def test_a_filter_that_does_not_fit_the_data_is_an_error_not_a_traceback():
    at = _page(_start(), "pages/survival.py")  # the Report page has an analysis
    at.session_state["data_where"] = ["cyto_risk<standard"]  # e.g. kept from another dataset
    message = NOT_A_NUMBER  # the app's words for the engine's filter_not_a_number
    for path in ("pages/cohort.py", "pages/report.py"):
        at = _page(at, path)
        assert [plain(e.value) for e in at.error] == [message], path


# --------------------------------------------------------------------------- 5. landmark mode
def _landmark_mode() -> AppTest:
    at = _page(_start(), "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    at = _run(at)
    at.selectbox(key="km_cat_w").set_value("best_response")
    at = _run(at)
    at.button(key="km_landmark_on").click()
    at = _run(at)
    assert at.session_state["km_spec"].landmark_from == 12.0
    return at


def test_upload_ends_the_landmark_analysis():
    at = _page(_landmark_mode(), "pages/data.py")
    at = _upload(at, "lung.csv", LUNG_CSV.read_bytes())
    at = _page(at, "pages/survival.py")
    assert not at.error, [e.value for e in at.error]
    assert not at.session_state["km_landmark_from"]
    assert at.session_state["km_spec"].landmark_from is None
    assert at.table[0].value["N"].astype(int).sum() == 228


def test_landmark_mode_can_be_left_when_its_analysis_fails():
    at = _page(_landmark_mode(), "pages/data.py")
    at.session_state["km_response_col"] = "no_such_column"  # e.g. removed from the session
    at = _page(at, "pages/survival.py")
    assert [plain(e.value) for e in at.error] == [
        "The data has no column 'no_such_column'. Choose one of the columns of this file."]
    at.button(key="km_landmark_off").click()
    at = _run(at)
    assert not at.error and at.session_state["km_spec"].landmark_from is None


# --------------------------------------------------------------------------- 6. HR landmark
def test_hazard_ratios_keep_the_landmark_analysis_of_the_survival_page():
    at = _landmark_mode()
    km_spec = at.session_state["km_spec"]
    at = _page(at, "pages/hazard_ratios.py")
    spec = at.session_state["hr_spec"]
    assert (spec.landmark_from, spec.response_time_col) == (12.0, "response_months")
    assert spec.group_by == km_spec.group_by
    expected = analyze(_sample(), AnalysisSpec(
        time_col="pfs_months", event_col="pfs_event", group_by=km_spec.group_by,
        landmark_from=12.0, response_time_col="response_months",
        covariates=("cyto_risk:cat:ref=standard",))).cox
    assert at.metric[0].value == str(expected.n) and expected.n < len(_sample())
    shown = at.table[0].value["Hazard ratio"].tolist()
    assert shown == display_cox_table(expected)["Hazard ratio"].tolist()
    assert any(i.value.startswith("Landmark model from 12 months") for i in at.info)


# --------------------------------------------------------------------------- 7. Table 1 rows
def test_table_one_groups_are_those_of_the_survival_analysis():
    data = _sample()
    data.loc[data["ikzf1"].nlargest(6).index, "pfs_months"] = None  # no PFS time: not analysed
    expected = analyze(data, AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                          group_by="ikzf1:quartiles"))
    at = _upload(_start(), "missing_times.csv", data.to_csv(index=False).encode())
    at = _page(at, "pages/cohort.py")
    assert at.selectbox(key="cohort_endpoint_w").value == "PFS"
    assert at.selectbox(key="cohort_group_rule_w").value == "Quartiles"
    columns = [plain(c) for c in at.table[0].value.columns]
    assert columns[1:6] == [f"Overall, n = {expected.n}"] + [  # groups with their cut-offs
        f"{name}, n = {g.n}" for name, g in zip(group_labels(expected.groups), expected.groups,
                                                 strict=True)]
    assert expected.n == 54
    assert ("Table 1 describes the 54 patients with a valid PFS time and event, the rows of the "
            "Survival analysis (quantile cut points are computed on them); 6 rows without are "
            "left out.") in [m.value for m in at.markdown]


def test_report_after_an_upload_does_not_rerun_the_previous_analysis():
    at = _page(_landmark_mode(), "pages/data.py")
    at = _upload(at, "lung.csv", LUNG_CSV.read_bytes())
    assert "km_spec" not in at.session_state and "hr_spec" not in at.session_state
    at = _page(at, "pages/report.py")
    assert not at.error
    assert any("No analysis yet" in i.value for i in at.info)
