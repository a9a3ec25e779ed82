"""Validation report on clean and deliberately broken cohorts; identifier detection."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.data.identifiers import find_identifier_columns
from cohort_explorer.data.validation import Issue, ValidationReport, validate_cohort
from cohort_explorer.errors import ColumnError


def _cohort(n: int = 40, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "patient_id": [f"MM-{i:03d}" for i in range(1, n + 1)],
            "age": rng.integers(38, 70, n),
            "sex": np.repeat(["M", "F"], n // 2),
            "ikzf1": rng.lognormal(0, 0.6, n),
            "cyto_risk": np.tile(["high", "standard"], n // 2),
            "pfs_months": rng.exponential(30, n).round(1),
            "pfs_event": np.tile([1, 0, 1, 1], n // 4),
        }
    )


USE = {"time_col": "pfs_months", "event_col": "pfs_event"}


def _codes(report: ValidationReport) -> dict[str, str]:
    return {issue.code: issue.severity for issue in report.issues}


def _issue(report: ValidationReport, code: str) -> Issue:
    (issue,) = [i for i in report.issues if i.code == code]
    return issue


def test_clean_cohort_has_only_the_pseudonymous_id_info():
    report = validate_cohort(_cohort(), group_cols=["sex", "cyto_risk"], covariates=["age"], **USE)
    assert _codes(report) == {"pseudonymous_id": "info"}
    assert report.ok and report.errors == () and report.warnings == ()
    assert (report.n_rows, report.n_columns) == (40, 7)
    issue = report.infos[0]
    assert issue.column == "patient_id" and "MM-001" in issue.message
    json.dumps(report.to_dict(), allow_nan=False)


def _set(column, index, value):
    def change(df):
        if isinstance(value, str) or value is None:
            df[column] = df[column].astype(object)
        df.loc[index, column] = value
        return df

    return change


@pytest.mark.parametrize(
    ("change", "code", "severity", "count", "words"),
    [
        pytest.param(
            _set("pfs_months", [0, 1], -3.0),
            "negative_time",
            "warning",
            2,
            ["2 rows of 'pfs_months'", "'-3.0'", "excluded"],
            id="negative_time",
        ),
        pytest.param(
            _set("pfs_months", [5], "unknown"),
            "non_numeric_time",
            "warning",
            1,
            ["1 row of 'pfs_months' is not a number", "'unknown'", "it will be excluded"],
            id="non_numeric",
        ),
        pytest.param(
            _set("pfs_months", [5], np.inf),
            "infinite_time",
            "warning",
            1,
            ["infinite"],
            id="infinite_time",
        ),
        pytest.param(
            _set("pfs_months", [1, 2, 3], None),
            "missing_values",
            "warning",
            3,
            ["3 of 40 rows have no value in 'pfs_months'"],
            id="missing_time",
        ),
        pytest.param(
            _set("pfs_event", [4], 2),
            "event_coding",
            "error",
            None,
            ["has values 0, 1, 2", "--event pfs_event=VALUE"],
            id="event_outside_coding",
        ),
        pytest.param(
            _set("pfs_event", slice(None), 0),
            "no_events",
            "warning",
            0,
            ["all are censored"],
            id="no_events",
        ),
        pytest.param(
            _set("patient_id", [3], "MM-001"),
            "duplicate_id",
            "warning",
            1,
            ["'MM-001'", "one row per patient"],
            id="duplicate_auto_detected_id",
        ),
        pytest.param(
            _set("pfs_months", [0], 1250.0),
            "unit_mismatch",
            "warning",
            None,
            ["named in months", "1250", "look like days"],
            id="days_named_months",
        ),
        pytest.param(
            _set("sex", slice(None), "F"),
            "constant_column",
            "warning",
            None,
            ["'sex' has the same value in every row ('F')"],
            id="constant_used_column",
        ),
        pytest.param(
            _set("ikzf1", [0, 1], np.inf),
            "infinite_values",
            "warning",
            2,
            ["'ikzf1' has 2 infinite"],
            id="inf_in_numeric",
        ),
        pytest.param(
            _set("age", slice(None), None),
            "all_missing",
            "error",
            40,
            ["'age' (covariate) is empty in every row"],
            id="all_missing_covariate",
        ),
        pytest.param(
            lambda df: df.assign(name=[f"Patient {i}" for i in range(40)]),
            "identifier",
            "warning",
            None,
            ["'name' may identify patients", "name"],
            id="identifier",
        ),
    ],
)
def test_broken_cohorts_are_reported_not_raised(change, code, severity, count, words):
    df = change(_cohort())
    report = validate_cohort(df, group_cols=["sex"], covariates=["age"], **USE)
    issue = _issue(report, code)
    assert issue.severity == severity
    assert issue.count == count
    for word in words:
        assert word in issue.message
    assert report.ok == (severity != "error")


@pytest.mark.parametrize(
    "dates",
    [
        pytest.param(pd.to_datetime(["2019-03-14"] * 40), id="datetime64"),
        pytest.param(["2019-03-14"] * 40, id="iso_text"),
        pytest.param(["14.03.2019"] * 40, id="german_text"),
        pytest.param(["03/14/2019"] * 40, id="us_text"),
    ],
)
def test_dates_where_times_should_be(dates):
    df = _cohort().assign(pfs_months=dates)
    report = validate_cohort(df, **USE)
    issue = _issue(report, "date_in_time")
    assert issue.severity == "error" and issue.column == "pfs_months"
    assert "holds dates" in issue.message and "Convert it to a duration" in issue.message
    assert "non_numeric_time" not in _codes(report)


def test_no_usable_time_is_an_error():
    df = _cohort().assign(pfs_months="long")
    codes = _codes(validate_cohort(df, **USE))
    assert codes["no_usable_time"] == "error" and codes["non_numeric_time"] == "warning"


@pytest.mark.parametrize(
    ("column", "values", "limit_word"),
    [
        pytest.param("os_years", [12.0, 95.0] * 20, "look like months or days", id="years"),
        pytest.param("os_days", [0.5, 12.25] * 20, "look like months or years", id="days"),
    ],
)
def test_unit_mismatch_years_and_days(column, values, limit_word):
    df = _cohort().assign(**{column: values})
    issue = _issue(validate_cohort(df, time_col=column, event_col="pfs_event"), "unit_mismatch")
    assert limit_word in issue.message


def test_event_value_absent_and_present():
    df = _cohort().assign(status=np.tile(["Dead", "Alive"], 20))
    report = validate_cohort(df, time_col="pfs_months", event_col="status", event_value="dead")
    assert "event_value_absent" not in _codes(report) and "event_coding" not in _codes(report)
    report = validate_cohort(df, time_col="pfs_months", event_col="status", event_value="Died")
    issue = _issue(report, "event_value_absent")
    assert "'Died'" in issue.message and "'Dead'" in issue.message


def test_small_groups_and_groups_without_events():
    df = _cohort()
    df["iss_stage"] = ["I"] * 20 + ["II"] * 14 + ["III"] * 6
    df.loc[34:, "pfs_event"] = 0
    report = validate_cohort(df, group_cols="iss_stage", **USE)
    small = _issue(report, "small_group")
    assert small.count == 1 and "III (6)" in small.message
    none = _issue(report, "group_no_events")
    assert none.count == 1 and "group III has no events" in none.message


def test_small_groups_counted_on_usable_rows_only():
    df = _cohort()
    df["arm"] = ["A"] * 28 + ["B"] * 12
    df.loc[36:, "pfs_months"] = None  # 4 of B's rows lose their time: 8 usable
    issue = _issue(validate_cohort(df, group_cols=["arm"], **USE), "small_group")
    assert "B (8)" in issue.message


def test_continuous_group_is_info_unless_a_spec_is_given():
    df = _cohort()
    assert _codes(validate_cohort(df, group_cols=["ikzf1"], **USE))["continuous_group"] == "info"
    assert "continuous_group" not in _codes(
        validate_cohort(df, group_cols=["ikzf1:quartiles"], **USE)
    )


def test_duplicate_ids_are_an_error_when_the_id_column_is_given():
    df = _cohort()
    df.loc[[3, 4], "patient_id"] = "MM-001"
    issue = _issue(validate_cohort(df, id_col="patient_id", **USE), "duplicate_id")
    assert issue.severity == "error" and issue.count == 1


def test_constant_unused_column_is_info():
    df = _cohort().assign(center="Würzburg")
    issue = _issue(validate_cohort(df, **USE), "constant_column")
    assert issue.severity == "info" and issue.column == "center"


def test_time_and_event_the_same_column():
    assert (
        _codes(validate_cohort(_cohort(), time_col="pfs_event", event_col="pfs_event"))[
            "same_time_event"
        ]
        == "error"
    )


def test_empty_frame_is_reported():
    report = validate_cohort(_cohort().iloc[:0], **USE)
    assert report.errors[0].code == "no_rows" and report.n_rows == 0


def test_issues_sorted_errors_first():
    df = _cohort().assign(center="x")
    df.loc[0, "pfs_event"] = 5
    severities = [i.severity for i in validate_cohort(df, **USE).issues]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert severities[0] == "error"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"time_col": "pfs_month"},
            r"No column 'pfs_month' \(time\).*Did you mean 'pfs_months'",
            id="time",
        ),
        pytest.param({"event_col": "PFS_EVENT"}, r"Did you mean 'pfs_event'", id="case"),
        pytest.param({"group_cols": ["cyto"]}, r"No column 'cyto' \(group\)", id="group"),
        pytest.param({"covariates": ["ikzf2:log2"]}, r"Did you mean 'ikzf1'", id="covariate_spec"),
        pytest.param({"id_col": "pid"}, r"No column 'pid' \(patient ID\)", id="id"),
    ],
)
def test_unknown_column_raises_with_close_matches(options, message):
    with pytest.raises(ColumnError, match=message):
        validate_cohort(_cohort(), **options)


def test_event_value_without_event_column_is_a_programming_error():
    with pytest.raises(ValueError):
        validate_cohort(_cohort(), event_value="1")


# ---- identifiers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "name",
        "Name",
        "patient_name",
        "Patient Name",
        "PatientName",
        "first_name",
        "LastName",
        "surname",
        "Vorname",
        "initials",
        "MRN",
        "medical_record_number",
        "dob",
        "DOB",
        "date_of_birth",
        "DateOfBirth",
        "birth_date",
        "Geburtsdatum",
        "phone",
        "Telephone",
        "mobile",
        "email",
        "E-Mail",
        "address",
        "street",
        "zip",
        "postcode",
        "SSN",
        "social_security_number",
        "insurance_number",
        "KVNR",
        "nhs_number",
    ],
)
def test_identifiers_by_name(name):
    df = pd.DataFrame({name: ["a", "b", "c"], "pfs_months": [1.0, 2.0, 3.0]})
    found = find_identifier_columns(df)
    assert list(found) == [name]
    assert found[name].startswith("the column name suggests")


@pytest.mark.parametrize(
    "name",
    [
        "age",
        "sex",
        "gene_name",
        "drug_name",
        "birth_weight",
        "pfs_months",
        "plasma_cells",
        "iss_stage",
        "hospital",
        "comment",
        "telomere_length",
    ],
)
def test_not_identifiers_by_name(name):
    df = pd.DataFrame({name: ["a", "b", "a"]})
    assert find_identifier_columns(df) == {}


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        pytest.param(
            ["ann@uni-wuerzburg.de", "bob.k@example.org", "c+d@x.co.uk"], "e-mail", id="email"
        ),
        pytest.param(
            ["+49 931 201-0", "0931 2014567", "(555) 123-4567"], "phone numbers", id="phone"
        ),
        pytest.param(
            ["Müller, Hans", "Schmidt, Anna", "O'Brien, Pat", "Meyer-Lutz, K."],
            "Lastname, Firstname",
            id="last_first",
        ),
        pytest.param(
            ["Hans Müller", "Anna Schmidt", "Peter Weber", "Julia Wagner", "Tom Becker"],
            "personal names",
            id="first_last",
        ),
        pytest.param(
            ["1948-03-12", "1961-11-02", "1939-07-30", "1955-01-15", "1970-06-21", "1944-09-09"],
            "dates of birth",
            id="dob_iso",
        ),
        pytest.param(
            ["12.03.1948", "02.11.1961", "30.07.1939", "15.01.1955", "21.06.1970", "09.09.1944"],
            "dates of birth",
            id="dob_german",
        ),
        pytest.param(
            pd.to_datetime(["1948-03-12", "1961-11-02", "1939-07-30", "1955-01-15", "1970-06-21"]),
            "dates of birth",
            id="dob_datetime",
        ),
    ],
)
def test_identifiers_by_value(values, reason):
    df = pd.DataFrame({"field_a": values})
    found = find_identifier_columns(df)
    assert reason in found["field_a"]


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(
            ["2015-03-01", "2015-07-12", "2016-01-30", "2016-05-05", "2015-11-11", "2016-02-02"],
            id="diagnosis_dates",
        ),
        pytest.param(["high", "standard", "high"], id="categories"),
        pytest.param(
            ["Standard Risk", "High Risk", "Standard Risk", "High Risk", "Standard Risk"],
            id="repeated_words",
        ),
        pytest.param(["progressive, died", "stable, alive", "PR, ongoing"], id="free_text_commas"),
        pytest.param([0.52, 1.25, 2.75], id="numbers"),
        pytest.param(["12.5", "3.25", "7.75"], id="number_text"),
    ],
)
def test_not_identifiers_by_value(values):
    assert find_identifier_columns(pd.DataFrame({"field_a": values})) == {}


@pytest.mark.parametrize(
    ("name", "values"),
    [
        pytest.param("patient_id", ["MM-001", "MM-002", "MM-003"], id="study_code"),
        pytest.param("patient_id", [1, 2, 3], id="numbered"),
        pytest.param("subject", ["P01", "P02", "P03", "P04", "P05"], id="code_by_value"),
        pytest.param("USUBJID", ["S1-001", "S1-002"], id="cdisc"),
    ],
)
def test_pseudonymous_ids_are_info_not_identifiers(name, values):
    df = pd.DataFrame({name: values})
    assert find_identifier_columns(df)[name].startswith("pseudonymous ID")
    report = validate_cohort(df)
    assert _codes(report) == {"pseudonymous_id": "info"}


def test_record_numbers_in_an_id_column_are_an_identifier_warning():
    df = pd.DataFrame({"patient_id": ["10034567", "10098765", "10011111"]})
    found = find_identifier_columns(df)
    assert "hospital record numbers" in found["patient_id"]
    assert _codes(validate_cohort(df))["identifier"] == "warning"


def test_one_long_time_in_a_big_cohort_is_not_a_unit_mismatch():
    rng = np.random.default_rng(2)
    times = np.append(rng.exponential(30, 2000).round(1), 450.0)
    df = pd.DataFrame({"os_months": times, "os_event": rng.integers(0, 2, times.size)})
    report = validate_cohort(df, time_col="os_months", event_col="os_event")
    assert "unit_mismatch" not in _codes(report)
    df.loc[:100, "os_months"] *= 30.4  # a twentieth of the rows in days: flagged
    report = validate_cohort(df, time_col="os_months", event_col="os_event")
    assert _codes(report)["unit_mismatch"] == "warning"


def test_wrong_event_coding_does_not_hide_other_findings():
    df = _cohort()
    df["status"] = np.where(df["pfs_event"] == 1, 2, 1)
    df["arm"] = ["A"] * 35 + ["B"] * 5
    codes = _codes(validate_cohort(df, time_col="pfs_months", event_col="status", group_cols="arm"))
    assert codes["event_coding"] == "error" and codes["small_group"] == "warning"


def test_non_text_column_names_are_handled():
    df = pd.DataFrame({0: [1.0, 2.0, 3.0], 1: [1, 0, 1], "pfs_months": [1.0, 2.0, 3.0]})
    report = validate_cohort(df, time_col="0", event_col="1")
    assert report.n_columns == 3 and report.ok
