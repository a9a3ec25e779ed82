"""Issue 8: cBioPortal clinical files as clinicians download them, from upload to KM = R.

The study in tests/data/cbioportal_pbc/ is R survival's ``pbc`` (Mayo Clinic PBC trial, 418
patients) written in cBioPortal's layout by tests/reference/cbioportal.R, which also computed
the golden values from R's own data frame (so reading the files is tested too).
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from cohort_explorer import AnalysisSpec, analyze, read_table, suggest_roles
from cohort_explorer.cli import main
from cohort_explorer.data.roles import Endpoint
from cohort_explorer.errors import ColumnError, DataFileError
from cohort_explorer.io import read_upload
from tests.conftest import ROOT, load_reference

STUDY = ROOT / "tests" / "data" / "cbioportal_pbc"
PATIENT = STUDY / "data_clinical_patient.txt"
SAMPLE = STUDY / "data_clinical_sample.txt"
VIEW = STUDY / "pbc_clinical_data.tsv"
REF = load_reference("cbioportal")
RTOL = 1e-6
LANDMARKS = "12,36,60,120"


def cli_json(capsys, *args):
    code = main(["analyze", *map(str, args), "--landmark", LANDMARKS])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out), err


def close(ours, theirs):
    ours = np.array([np.nan if v is None else v for v in np.atleast_1d(ours)], dtype=float)
    theirs = np.array([np.nan if v is None else v for v in np.atleast_1d(theirs)], dtype=float)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL)


def assert_group_equals_R(group, expected):
    assert (group["n"], group["events"]) == (expected["n"], expected["events"])
    for key in ("estimate", "lower", "upper"):
        close(group["median"][key], expected["median"][key])
    marks = expected["landmarks"]
    close([lm["time"] for lm in group["landmarks"]], marks["time"])
    for key in ("survival", "lower", "upper", "at_risk"):
        close([lm[key] for lm in group["landmarks"]], marks[key])


def assert_analysis_equals_R(result, expected, labels):
    assert (result["n"], result["events"]) == (expected["n"], expected["events"])
    assert [g["label"] for g in result["groups"]] == labels
    for group, ref in zip(result["groups"], expected["groups"], strict=True):
        assert_group_equals_R(group, ref)
    close(result["logrank"]["statistic"], expected["logrank"]["statistic"])
    close(result["logrank"]["p"], expected["logrank"]["p"])
    cox = result["cox"]["terms"]
    for key in ("hr", "lower", "upper", "p"):
        close([t[key] for t in cox], expected["cox"][key])


# ---- reading ----------------------------------------------------------------------------


def test_the_four_hash_rows_are_metadata_never_data():
    df = read_table(PATIENT)
    assert len(df) == 418 and df["PATIENT_ID"].iloc[0] == "PBC-001"
    assert df.attrs["source"] == "cbioportal"
    assert df.attrs["display_names"]["OS_MONTHS"] == "Overall Survival (Months)"
    assert df.attrs["datatypes"]["STAGE"] == "NUMBER"
    assert df["OS_MONTHS"].dtype == float and df["STAGE"].dtype == float
    assert int(df["STAGE"].isna().sum()) == 6  # [Not Available] is missing (R: 6 NA)
    assert int(df["TREATMENT"].isna().sum()) == 106


def test_os_months_and_status_are_offered_as_the_endpoint_at_once():
    roles = suggest_roles(read_table(PATIENT))
    assert roles.endpoints == (Endpoint("OS", "OS_MONTHS", "OS_STATUS", None),)
    assert roles.time_unit == "months"
    assert "EDEMA" in roles.group_candidates and "EDEMA" not in roles.biomarker_candidates
    assert roles.identifier_columns == ("PATIENT_ID",)
    assert roles.notices == ()


def test_study_view_download_maps_itself():
    roles = suggest_roles(read_table(VIEW))
    assert roles.endpoints == (
        Endpoint("OS", "Overall Survival (Months)", "Overall Survival Status", None),)
    assert roles.time_unit == "months"
    assert "Study ID" not in roles.identifier_columns  # the same in every row
    assert "Sample ID" in roles.identifier_columns and "Patient ID" in roles.identifier_columns
    assert "Overall Survival (Months)" not in roles.biomarker_candidates


# ---- numbers = R --------------------------------------------------------------------------


def test_cli_patient_file_overall_survival_equals_R(capsys):
    result, _ = cli_json(capsys, PATIENT, "--time", "OS_MONTHS", "--event", "OS_STATUS")
    assert_group_equals_R(result["groups"][0], REF["all"])


def test_cli_patient_file_by_sex_equals_R(capsys):
    result, _ = cli_json(capsys, PATIENT, "--time", "OS_MONTHS", "--event", "OS_STATUS",
                         "--group-by", "SEX")
    assert_analysis_equals_R(result, REF["by_sex"], ["Female", "Male"])
    assert result["cox"]["adjusted_for"] == []


def test_cli_adjusted_hazard_ratio_equals_R(capsys):
    result, _ = cli_json(capsys, PATIENT, "--time", "OS_MONTHS", "--event", "OS_STATUS",
                         "--group-by", "SEX", "--covariates", "AGE")
    assert_analysis_equals_R(result, REF["by_sex_adjusted_for_age"], ["Female", "Male"])
    assert result["cox"]["adjusted_for"] == ["AGE"]


@pytest.mark.parametrize(("column", "key", "labels"), [
    ("EDEMA", "by_edema", ["0", "0.5", "1"]),
    ("STAGE", "by_stage", ["1", "2", "3", "4"]),  # 6 patients without stage leave the set
])
def test_few_valued_numbers_group_as_categories_equal_R(capsys, column, key, labels):
    result, _ = cli_json(capsys, PATIENT, "--time", "OS_MONTHS", "--event", "OS_STATUS",
                         "--group-by", column)
    assert_analysis_equals_R(result, REF[key], labels)


def test_patient_and_sample_files_join_and_quartiles_equal_R(capsys):
    result, err = cli_json(capsys, PATIENT, "--samples", SAMPLE, "--time", "OS_MONTHS",
                           "--event", "OS_STATUS", "--group-by", "BILIRUBIN:quartiles")
    expected = REF["by_bilirubin_quartiles"]
    assert_analysis_equals_R(result, expected, ["Q1", "Q2", "Q3", "Q4"])
    intervals = [g["interval"] for g in result["groups"]]
    close([i["lower"] for i in intervals], [expected["min"], *expected["breaks"]])
    close([i["upper"] for i in intervals], [*expected["breaks"], expected["max"]])
    assert "first sample" in err


def test_upload_of_both_files_in_any_order_gives_the_same_table():
    files = [(p.name, p.read_bytes()) for p in (SAMPLE, PATIENT)]
    joined = read_upload(files)
    again = read_upload(files[::-1])
    assert joined.equals(again) and len(joined) == 418
    assert {"OS_MONTHS", "BILIRUBIN", "SAMPLE_ID"} <= set(joined.columns)
    (notice,) = joined.attrs["notices"]
    assert notice.code == "cbioportal_first_sample"
    assert notice.fields["patients_with_several_samples"] == 0
    assert joined.attrs["display_names"]["BILIRUBIN"] == "Serum Bilirubin (mg/dl)"


def test_study_view_download_gives_the_same_numbers_as_the_patient_file():
    view = read_table(VIEW)
    spec = AnalysisSpec(time_col="Overall Survival (Months)",
                        event_col="Overall Survival Status", group_by="Sex", landmarks=(36.0,))
    result = analyze(view, spec).to_dict()
    for group, expected in zip(result["groups"], REF["by_sex"]["groups"], strict=True):
        assert group["n"] == expected["n"]
        close(group["landmarks"][0]["survival"], expected["landmarks"]["survival"][1])
    assert not [w for w in analyze(view, spec).warnings if w.code == "repeated_patient_id"]


# ---- first sample per patient ---------------------------------------------------------------

HEADER = "#a\tb\n#a\tb\n#STRING\tSTRING\n#1\t1\n"


def test_each_patient_gets_their_first_sample_and_a_notice_says_so():
    patient = ("#Patient\tTime\tStatus\n#d\td\td\n#STRING\tNUMBER\tSTRING\n#1\t1\t1\n"
               "PATIENT_ID\tOS_MONTHS\tOS_STATUS\nP1\t10\t1:DECEASED\nP2\t20\t0:LIVING\n"
               "P3\t5\t0:LIVING\n")
    sample = ("#Sample\tPatient\tMarker\n#d\td\td\n#STRING\tSTRING\tNUMBER\n#1\t1\t1\n"
              "SAMPLE_ID\tPATIENT_ID\tMARKER\nS2a\tP2\t7\nS1a\tP1\t1.5\nS1b\tP1\t9\nS2b\tP2\t8\n"
              "S2c\tP2\t9\n")
    df = read_upload([("p.txt", patient.encode()), ("s.txt", sample.encode())])
    assert df["PATIENT_ID"].tolist() == ["P1", "P2", "P3"]
    assert df["SAMPLE_ID"].tolist()[:2] == ["S1a", "S2a"] and df["MARKER"].tolist()[:2] == [1.5, 7]
    assert np.isnan(df["MARKER"].iloc[2])
    fields = df.attrs["notices"][0].fields
    assert (fields["patients_with_several_samples"], fields["samples_not_used"],
            fields["patients_without_sample"]) == (2, 3, 1)


# ---- bad input: one clear coded message each --------------------------------------------


@pytest.mark.parametrize(("text", "problem"), [
    ("#A\tB\n#a\tb\n#STRING\tNUMBER\nA\tB\n1\t2\n", "3 '#' rows instead of 4"),
    ("#A\tB\n#a\n#STRING\tNUMBER\n#1\t1\nA\tB\n1\t2\n", "descriptions row has 1 fields"),
    ("#A\tB\n#a\tb\n#TEXT\tNUMBER\n#1\t1\nA\tB\n1\t2\n", "unknown datatype 'TEXT'"),
    ("#A\tB\n#a\tb\n#STRING\tNUMBER\n#1\thigh\nA\tB\n1\t2\n", "priorities row"),
])
def test_a_malformed_hash_block_is_one_coded_error(capsys, tmp_path, text, problem):
    with pytest.raises(DataFileError) as caught:
        read_table(text.encode(), filename="data_clinical_patient.txt")
    assert caught.value.code == "cbioportal_header" and problem in caught.value.fields["problem"]
    path = tmp_path / "data_clinical_patient.txt"
    path.write_text(text)
    code = main(["analyze", str(path), "--time", "A", "--event", "B"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and problem in err


def test_a_status_mixing_n_label_and_words_is_one_coded_error(capsys, tmp_path):
    text = PATIENT.read_text().replace("\t1:DECEASED\t", "\tdead\t", 3)
    with pytest.raises(ColumnError) as caught:
        analyze(read_table(text.encode(), filename="p.txt"),
                AnalysisSpec(time_col="OS_MONTHS", event_col="OS_STATUS"))
    assert caught.value.code == "event_mixed_n_label"
    assert caught.value.fields["other_values"] == ["dead"]
    path = tmp_path / "data_clinical_patient.txt"
    path.write_text(text)
    code = main(["analyze", str(path), "--time", "OS_MONTHS", "--event", "OS_STATUS"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "1:DECEASED" in err and "dead" in err


def test_a_sample_file_alone_is_one_coded_error(capsys):
    with pytest.raises(DataFileError) as caught:
        read_upload([(SAMPLE.name, SAMPLE.read_bytes())])
    assert caught.value.code == "cbioportal_sample_without_patient"
    code = main(["analyze", str(SAMPLE), "--time", "OS_MONTHS", "--event", "OS_STATUS"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "data_clinical_patient" in err


def test_two_files_that_are_not_a_patient_sample_pair_are_refused():
    with pytest.raises(DataFileError) as caught:
        read_upload([(PATIENT.name, PATIENT.read_bytes()), ("again.txt", PATIENT.read_bytes())])
    assert caught.value.code == "cbioportal_pair"


def test_n_label_events_are_exactly_n_equal_1():
    text = HEADER.replace("#a\tb\n#a\tb", "#T\tS\n#t\ts") + "T\tS\n1\t1:Recurred/Progressed\n" \
        "2\t0:DiseaseFree\n3\t2:Other\n4\t[Not Available]\n"
    df = read_table(text.encode(), filename="x.txt")
    result = analyze(df, AnalysisSpec(time_col="T", event_col="S"))
    assert (result.n, result.events, result.excluded.reasons["missing event"]) == (3, 1, 1)


def test_fingerprint_of_a_joined_pair_covers_both_files_in_either_order(capsys, tmp_path):
    both = hashlib.sha256(PATIENT.read_bytes() + SAMPLE.read_bytes()).hexdigest()
    options = ["--time", "OS_MONTHS", "--event", "OS_STATUS", "--group-by", "SEX"]
    given, _ = cli_json(capsys, PATIENT, "--samples", SAMPLE, *options,
                        "--r-script", tmp_path / "a.R")
    swapped, _ = cli_json(capsys, SAMPLE, "--samples", PATIENT, *options)
    alone, _ = cli_json(capsys, PATIENT, *options)
    assert given["dataset_sha256"] == swapped["dataset_sha256"] == both
    assert alone["dataset_sha256"] == hashlib.sha256(PATIENT.read_bytes()).hexdigest() != both
    assert f'dataset_sha256 <- "{both}"' in (tmp_path / "a.R").read_text()
    code = main(["analyze", str(PATIENT), "--samples", str(SAMPLE), *options,
                 "--output", "text"])
    assert code == 0 and f"Dataset SHA-256: {both}" in capsys.readouterr().out


# ---- what the app needs to take both files and refuse a mixed status ----------------------


def test_which_file_is_which_is_read_from_the_header_row():
    from cohort_explorer.io.cbioportal import cbioportal_kind

    assert cbioportal_kind(PATIENT.read_bytes()) == "patient"
    assert cbioportal_kind(SAMPLE.read_bytes()) == "sample"
    assert cbioportal_kind(VIEW.read_bytes()) is None  # no '#' block: an ordinary table
    assert cbioportal_kind(b"\xef\xbb\xbf" + SAMPLE.read_bytes()) == "sample"  # BOM


def test_a_status_mixing_n_label_and_words_gets_no_guessed_event_value_and_is_refused():
    from cohort_explorer.data.coding import check_status_columns

    mixed = PATIENT.read_text().replace("0:LIVING", "dead", 3).encode()
    df = read_upload([(PATIENT.name, mixed)])
    # 'dead' is an event word, but beside 1:DECEASED it must not become the event value
    assert suggest_roles(df).endpoints == (Endpoint("OS", "OS_MONTHS", "OS_STATUS", None),)
    with pytest.raises(ColumnError) as caught:
        check_status_columns(df)
    assert caught.value.code == "event_mixed_n_label"
    assert caught.value.fields == {"column": "OS_STATUS", "n_label_values": ["0:LIVING",
                                   "1:DECEASED"], "other_values": ["dead"], "when": "upload"}
    check_status_columns(read_upload([(PATIENT.name, PATIENT.read_bytes())]))  # clean: no error
