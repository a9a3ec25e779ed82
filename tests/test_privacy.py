"""Issue 5, privacy: no user data on disk or in logs.

An analysis (engine and exports) and a whole app session (upload, every page, PNG/SVG export
through Chromium) run with the working directory and ``tempfile.gettempdir()`` pointed at
fresh, empty folders; afterwards both must still be empty, and nothing logged (Python logging
at DEBUG, and everything the process wrote to stdout/stderr) may contain a data value.
"""

from __future__ import annotations

import gc
import logging
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

# Imported before any sandbox: AppTest makes its own scratch folder (for from_string scripts,
# unused here) at import time; that folder belongs to the test harness, not to the app.
from streamlit.testing.v1 import AppTest

from cohort_explorer import io as cio
from cohort_explorer.analysis import analyze
from cohort_explorer.present import exports, plots, report
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import ROOT, SAMPLE_CSV, require_chromium

#: Unusual strings planted in the data: a category label, a patient ID and a column name.
LABEL = "Qxzvbniqo"
PATIENT = "PX-Wqplmz"
COLUMN = "kzqjwv_marker"
MARKERS = (LABEL, PATIENT, COLUMN)


def _marked_cohort() -> bytes:
    df = pd.read_csv(SAMPLE_CSV)
    df["cyto_risk"] = df["cyto_risk"].replace("high", f"high {LABEL}")
    df["patient_id"] = [f"{PATIENT}{i:03d}" for i in range(len(df))]
    df[COLUMN] = df["ikzf1"]
    return df.to_csv(index=False).encode()


@pytest.fixture
def sandbox(monkeypatch):
    """Fresh, empty working directory and temp directory (also for child processes).

    Short paths under /tmp: Chromium's profile socket path must stay under 108 characters.
    """
    work, temp = Path(tempfile.mkdtemp(prefix="ce-cwd-")), Path(tempfile.mkdtemp(prefix="ce-t-"))
    monkeypatch.chdir(work)
    monkeypatch.setenv("TMPDIR", str(temp))
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    assert tempfile.gettempdir() == str(temp)
    yield work, temp
    monkeypatch.undo()
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(temp, ignore_errors=True)


def _left_behind(*folders: Path) -> list[str]:
    return [str(p) for folder in folders for p in folder.rglob("*")]


def _assert_no_markers(text: str, where: str) -> None:
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} found in {where}"


def test_engine_and_exports_write_nothing(sandbox, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    df = cio.read_table(_marked_cohort(), filename="cohort.csv", max_bytes=cio.DEFAULT_APP_MAX_BYTES)
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by="cyto_risk",
                        covariates=(COLUMN,), landmarks=(36.0,))
    result = analyze(df, spec)
    assert [g.label for g in result.groups] == ["high " + LABEL, "standard"]
    html = report.html_report(result, spec, dataset_name="cohort.csv", synthetic=False,
                              time_unit="months", endpoint="PFS",
                              figures={"km": plots.km_figure(result, time_unit="months")})
    tables = report.result_tables(result, "months")
    outputs = [html.encode(), exports.to_csv_bytes(df), exports.to_xlsx_bytes(tables)]
    assert LABEL.encode() in outputs[0] and PATIENT.encode() in outputs[1]  # data is in memory
    gc.collect()
    assert _left_behind(*sandbox) == []
    out, err = capfd.readouterr()
    _assert_no_markers(caplog.text + out + err, "logs/output")


def _app_session(sandbox, caplog, capfd, *, images: bool, monkeypatch):
    from tests.app.apptest import spy_downloads

    downloads = spy_downloads(monkeypatch)
    caplog.set_level(logging.DEBUG)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.file_uploader(key="data_upload").set_value(("cohort.csv", _marked_cohort(), "text/csv"))
    at.run()
    assert at.session_state["data_name"] == "cohort.csv"
    at.switch_page("pages/survival.py").run()
    at.radio(key="km_kind_w").set_value("Category").run()
    at.selectbox(key="km_cat_w").set_value("cyto_risk").run()
    assert any(LABEL in str(t.value) for t in at.table)
    for page in ("pages/cohort.py", "pages/hazard_ratios.py", "pages/report.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
    if images:  # static SVG figures of the report through kaleido + Chromium: its profile too
        report = downloads["cohort-report-pfs.html"]()
        assert b"data:image/svg+xml;base64," in report
    assert not at.exception
    del at
    gc.collect()
    assert _left_behind(*sandbox) == []
    out, err = capfd.readouterr()
    _assert_no_markers(caplog.text + out + err, "logs/output")


def test_app_session_writes_nothing_and_logs_no_data(sandbox, caplog, capfd, monkeypatch):
    _app_session(sandbox, caplog, capfd, images=False, monkeypatch=monkeypatch)


def test_app_image_export_writes_nothing_and_logs_no_data(sandbox, caplog, capfd, monkeypatch):
    require_chromium()  # fails in CI, skips (and says so) elsewhere: never a silent partial skip
    _app_session(sandbox, caplog, capfd, images=True, monkeypatch=monkeypatch)


def _with_identifiers() -> pd.DataFrame:
    """The sample plus one column per kind of identifier, by name or only by its values."""
    df = pd.read_csv(SAMPLE_CSV)
    n = len(df)
    df["Patient Name"] = [f"Muster{i}, Hans" for i in range(n)]
    df["MRN"] = [f"{40000000 + i}" for i in range(n)]
    df["dob"] = [f"19{40 + i % 30}-0{1 + i % 9}-1{i % 10}" for i in range(n)]
    df["telefon"] = [f"+49 89 {1000000 + i}" for i in range(n)]
    df["contact"] = [f"p{i}@klinik-example.de" for i in range(n)]  # e-mail by value only
    df["address"] = [f"Hauptstr. {i}, 80331 München" for i in range(n)]
    return df


IDENTIFIERS = {"Patient Name", "MRN", "dob", "telefon", "contact", "address"}


def test_identifiers_are_found_and_left_out_of_exports():
    from cohort_explorer.data.identifiers import find_identifier_columns

    df = _with_identifiers()
    found = find_identifier_columns(df)
    direct = {c for c, reason in found.items() if not reason.startswith("pseudonymous")}
    assert direct == IDENTIFIERS
    assert found["patient_id"].startswith("pseudonymous")
    columns = exports.export_columns(df.columns, found)
    assert not set(columns) & (IDENTIFIERS | {"patient_id"})
    exported = exports.to_csv_bytes(df[columns]).decode("utf-8-sig")
    assert "klinik-example" not in exported and "Muster1" not in exported
    assert "ikzf1" in exported.splitlines()[0]
    kept = exports.export_columns(df.columns, found, keep=["MRN"])
    assert "MRN" in kept and "dob" not in kept


def test_app_warns_and_leaves_identifiers_out_unless_kept():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    data = _with_identifiers().to_csv(index=False).encode()
    at.file_uploader(key="data_upload").set_value(("ids.csv", data, "text/csv")).run()
    warning = next(w.value for w in at.warning if "may identify patients" in w.value)
    for column in IDENTIFIERS:
        assert column in warning.replace("\\", ""), column
    at.switch_page("pages/survival.py").run()
    at.switch_page("pages/report.py").run()
    assert not at.exception
    note = next(m.value for m in at.markdown if "Left out as possible patient identifiers" in m.value)
    for column in IDENTIFIERS | {"patient_id"}:
        assert column in note.replace("\\", ""), column
    at.switch_page("pages/data.py").run()
    at.checkbox(key="data_keep_ids_w").check().run()
    at.switch_page("pages/report.py").run()
    assert not any("Left out as possible" in m.value for m in at.markdown)
