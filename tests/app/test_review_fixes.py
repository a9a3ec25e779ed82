"""AppTest: the app defects found in review stay fixed (one test per finding)."""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest
from tests.conftest import REFERENCE, ROOT, SAMPLE_CSV

APP = str(ROOT / "app.py")
LUNG_CSV = REFERENCE / "data" / "analysis_lung.csv"  # R's lung data: times in days


def _run(at: AppTest) -> AppTest:
    at.run(timeout=30)
    assert not at.exception, [e.value for e in at.exception]
    return at


def _start() -> AppTest:
    return _run(AppTest.from_file(APP, default_timeout=30))


def _page(at: AppTest, path: str) -> AppTest:
    at.switch_page(path)
    return _run(at)


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="data_upload").set_value((name, data, "text/csv"))
    return _run(at)


def _sample() -> pd.DataFrame:
    return pd.read_csv(SAMPLE_CSV)


# --------------------------------------------------------------------------- 1. time unit
def test_upload_keeps_its_detected_time_unit_and_landmark():
    at = _start()
    assert at.selectbox(key="data_time_unit_w").value == "months"  # the sample's widget key
    at = _upload(at, "lung.csv", LUNG_CSV.read_bytes())
    assert at.session_state["data_time_unit"] == "days"
    assert at.selectbox(key="data_time_unit_w").value == "days"
    at = _page(at, "pages/survival.py")
    assert at.text_input(key="km_landmarks_w").value == "1095"
    assert "Survival at 1095 days" in at.table[0].value.columns
    at = _page(at, "pages/data.py")  # the user says the unit: the default landmark follows it
    at.selectbox(key="data_time_unit_w").set_value("years")
    at = _page(_run(at), "pages/survival.py")
    assert at.text_input(key="km_landmarks_w").value == "3"
    at.text_input(key="km_landmarks_w").set_value("2")  # typed by the user: kept
    at = _page(_run(at), "pages/data.py")
    at.selectbox(key="data_time_unit_w").set_value("months")
    at = _page(_run(at), "pages/survival.py")
    assert at.text_input(key="km_landmarks_w").value == "2"
