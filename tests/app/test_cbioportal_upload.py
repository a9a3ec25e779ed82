"""AppTest: a cBioPortal study's two clinical files uploaded on the Data page (issue 8).

The patient file (data_clinical_patient.txt) and its sample file (data_clinical_sample.txt) of
tests/data/cbioportal_pbc/ (R survival's pbc, written by tests/reference/cbioportal.R) are given
in the Data page's two upload boxes, joined by the engine on PATIENT_ID (first sample per
patient, said so), and analysed with no mapping step: the Survival page's numbers equal the
CLI's (``--samples``), which equal R (tests/test_cbioportal.py). Bad input — a sample file
alone, a malformed '#' block, a status column mixing 1:DECEASED and dead — gives one message
each and keeps the previous dataset.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from tests.app.apptest import page, plain, plain_table, run, start, upload
from tests.conftest import ROOT

from cohort_explorer.analysis import analyze
from cohort_explorer.cli import main
from cohort_explorer.io import read_upload

STUDY = ROOT / "tests" / "data" / "cbioportal_pbc"
PATIENT = (STUDY / "data_clinical_patient.txt").read_bytes()
SAMPLE = (STUDY / "data_clinical_sample.txt").read_bytes()
TEXT = "text/plain"


def second_box(at):
    """The upload box that appears for the other file of a cBioPortal study."""
    (box,) = [u for u in at.file_uploader if u.key != "data_upload"]
    return box


def both_files(first=("data_clinical_patient.txt", PATIENT),
               second=("data_clinical_sample.txt", SAMPLE)):
    at = upload(start(), *first, mime=TEXT)
    second_box(at).set_value((*second, TEXT))
    return run(at)


def kept_sample(at, before: str) -> None:
    """The previous dataset (the synthetic sample) is still the session's data."""
    assert at.session_state["data_digest"] == before
    assert at.session_state["data_name"].startswith("Synthetic sample cohort")
    assert at.session_state["data_shape"] == (60, 20)


def test_patient_and_sample_files_are_joined_and_said_so():
    at = both_files()
    assert at.session_state["data_name"] == "data_clinical_patient.txt + data_clinical_sample.txt"
    assert at.session_state["data_shape"] == (418, 13)
    assert at.session_state["data_endpoints"] == [  # no mapping step
        {"name": "OS", "time_col": "OS_MONTHS", "event_col": "OS_STATUS", "event_value": None}]
    (joined,) = [plain(s.value) for s in at.success if "joined" in s.value]
    assert joined == (
        "Patient and sample files joined: each of the 418 patients has the values of their "
        "first sample (0 patient(s) have more than one sample; 0 have none). Columns from the "
        "sample file: SAMPLE_ID, BILIRUBIN, ALBUMIN, PLATELET, PROTIME.")
    assert not at.error


def test_the_two_files_in_either_box_are_the_same_dataset():
    one = both_files()
    other = both_files(("data_clinical_sample.txt", SAMPLE), ("data_clinical_patient.txt", PATIENT))
    assert other.session_state["data_digest"] == one.session_state["data_digest"]
    # the command line's fingerprint of the pair: cat PATIENTS SAMPLES | sha256sum
    assert one.session_state["data_digest"] == hashlib.sha256(PATIENT + SAMPLE).hexdigest()
    assert other.session_state["data_shape"] == (418, 13) and not other.error


def cli_json(capsys, group_by: str) -> dict:
    code = main(["analyze", str(STUDY / "data_clinical_patient.txt"), "--samples",
                 str(STUDY / "data_clinical_sample.txt"), "--time", "OS_MONTHS", "--event",
                 "OS_STATUS", "--group-by", group_by, "--landmark", "36"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_upload_to_km_by_os_status_equals_the_cli(capsys):
    at = page(both_files(), "pages/survival.py")
    at.selectbox(key="km_col_w").set_value("BILIRUBIN")
    at = run(at)
    assert at.selectbox(key="km_rule_w").value == "Quartiles"
    spec = at.session_state["km_spec"]
    assert (spec.time_col, spec.event_col, spec.event_value) == ("OS_MONTHS", "OS_STATUS", None)
    expected = cli_json(capsys, "BILIRUBIN:quartiles")
    table = plain_table(at.table[0])
    assert table["N"].astype(int).tolist() == [g["n"] for g in expected["groups"]]
    assert table["Events"].astype(int).tolist() == [g["events"] for g in expected["groups"]]
    assert sum(g["n"] for g in expected["groups"]) == 418
    # the page's analysis (its spec on the joined upload) is the CLI's, number for number
    files = [(p.name, p.read_bytes()) for p in (STUDY / "data_clinical_sample.txt",
                                                  STUDY / "data_clinical_patient.txt")]
    ours = json.loads(json.dumps(analyze(read_upload(files), spec).to_dict()))
    for group, theirs in zip(ours["groups"], expected["groups"], strict=True):
        assert group["label"] == theirs["label"] and group["interval"] == theirs["interval"]
        assert group["median"] == theirs["median"]
        assert group["landmarks"] == theirs["landmarks"]
        assert group["km"] == theirs["km"]
    assert ours["logrank"] == expected["logrank"]
    assert ours["cox"]["terms"] == expected["cox"]["terms"]
    tests = plain_table(at.table[1])
    assert tests["Statistic"].iloc[0] == f"{expected['logrank']['statistic']:.2f}"
    hrs = [f"HR {t['hr']:.2f} (95% CI {t['lower']:.2f}–{t['upper']:.2f})"
           for t in expected["cox"]["terms"]]
    assert plain_table(at.table[2])["Hazard ratio"].tolist() == hrs


def test_sample_file_alone_is_refused_and_asks_for_its_patient_file():
    at = start()
    before = at.session_state["data_digest"]
    at = upload(at, "data_clinical_sample.txt", SAMPLE, mime=TEXT)
    assert [plain(e.value) for e in at.error] == [
        "This is a cBioPortal sample file: one row per sample and no survival data. Add the "
        "study's data_clinical_patient.txt in the second upload box below, or upload the "
        "patient file alone."]
    kept_sample(at, before)
    assert "patient file" in second_box(at).label


def test_malformed_hash_block_is_refused_and_keeps_the_data():
    lines = PATIENT.decode().split("\n")
    broken = "\n".join([lines[0], lines[1], lines[4], *lines[5:]])  # two '#' rows of four
    at = start()
    before = at.session_state["data_digest"]
    at = upload(at, "data_clinical_patient.txt", broken.encode(), mime=TEXT)
    assert [plain(e.value) for e in at.error] == [
        "This cBioPortal file's header rows (the lines starting with '#') are damaged: 2 '#' "
        "rows instead of 4. Download the file from cBioPortal again, or delete the '#' lines "
        "and upload it as a plain table."]
    kept_sample(at, before)


@pytest.mark.parametrize("second", [False, True], ids=["patient_file", "with_sample_file"])
def test_status_mixing_n_label_and_words_is_refused_and_keeps_the_data(second):
    mixed = PATIENT.decode().replace("0:LIVING", "dead", 3).encode()
    at = start()
    before = at.session_state["data_digest"]
    at = upload(at, "data_clinical_patient.txt", mixed, mime=TEXT)
    if second:
        second_box(at).set_value(("data_clinical_sample.txt", SAMPLE, TEXT))
        at = run(at)
    assert [plain(e.value) for e in at.error] == [
        "'OS_STATUS' mixes cBioPortal status values (0:LIVING, 1:DECEASED) with other values "
        "(dead). Correct those cells so that every value reads like 1:DECEASED or 0:LIVING, "
        "then upload the file again; the data loaded before are kept."]
    kept_sample(at, before)


def test_display_names_label_pickers_titles_table_one_and_the_report():
    at = both_files()
    time_box = next(s for s in at.selectbox if s.label == "Time column")
    assert time_box.value == "OS_MONTHS"  # the value (spec, link) stays the column's name
    assert "Overall Survival (Months) · OS_MONTHS" in time_box.options
    assert "SAMPLE_ID" in time_box.options or "Sample Identifier · SAMPLE_ID" in time_box.options
    at = page(at, "pages/survival.py")
    assert "Serum Bilirubin (mg/dl) · BILIRUBIN" in at.selectbox(key="km_col_w").options
    at.selectbox(key="km_col_w").set_value("BILIRUBIN")
    at = run(at)
    assert at.session_state["km_group_label"] == "Serum Bilirubin (mg/dl), quartiles"
    assert at.session_state["km_spec"].group_by == "BILIRUBIN:quartiles"
    (chart,) = [c for c in at.get("plotly_chart") if "Number at risk" in c.proto.spec]
    assert "Serum Bilirubin (mg/dl)" in json.loads(chart.proto.spec)["layout"]["title"]["text"]
    at = page(at, "pages/cohort.py")
    at.multiselect(key="cohort_variables_w").set_value(["AGE", "SEX"])
    at = run(at)
    rows = plain_table(at.table[0]).iloc[:, 0].tolist()
    assert "Diagnosis Age, median [IQR]" in rows and "Sex, n (%)" in rows
    at = page(at, "pages/report.py")
    assert any("Serum Bilirubin (mg/dl), quartiles" in plain(m.value) for m in at.markdown)
