"""Column roles and the coercion of time and event columns (docs/methods.md: analysis set, events)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.data.coding import TIME_REASONS, coerce_event, coerce_time
from cohort_explorer.data.roles import Endpoint, suggest_roles
from cohort_explorer.errors import ColumnError
from cohort_explorer.io import read_table
from tests.conftest import SAMPLE_CSV

# ---- coerce_time ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected", "reason"),
    [
        pytest.param([None], np.nan, "missing time", id="none"),
        pytest.param([np.nan], np.nan, "missing time", id="nan"),
        pytest.param([""], np.nan, "missing time", id="empty_text"),
        pytest.param(["  "], np.nan, "missing time", id="blank_text"),
        pytest.param(["NA"], np.nan, "missing time", id="na_text"),
        pytest.param(["."], np.nan, "missing time", id="sas_dot"),
        pytest.param(["unknown"], np.nan, "non-numeric time", id="word"),
        pytest.param(["12 months"], np.nan, "non-numeric time", id="number_with_unit"),
        pytest.param(["1_000"], np.nan, "non-numeric time", id="python_underscore"),
        pytest.param(["2019-03-14"], np.nan, "non-numeric time", id="date_text"),
        pytest.param([-1.0], np.nan, "negative time", id="negative_float"),
        pytest.param(["-0,5"], np.nan, "negative time", id="negative_decimal_comma"),
        pytest.param([np.inf], np.nan, "infinite time", id="inf"),
        pytest.param([-np.inf], np.nan, "infinite time", id="minus_inf"),
        pytest.param(["inf"], np.nan, "infinite time", id="inf_text"),
        pytest.param([0.0], 0.0, None, id="zero_is_valid"),
        pytest.param(["0"], 0.0, None, id="zero_text"),
        pytest.param(["12,5"], 12.5, None, id="decimal_comma"),
        pytest.param([" 7.25 "], 7.25, None, id="padded_text"),
        pytest.param(["1e2"], 100.0, None, id="exponent"),
    ],
)
def test_coerce_time_each_value(values, expected, reason):
    times, reasons = coerce_time(pd.Series(values, dtype=object))
    np.testing.assert_array_equal(times, [expected])
    assert set(reasons) == set(TIME_REASONS)
    assert reasons == {r: int(r == reason) for r in TIME_REASONS}


def test_coerce_time_counts_every_reason_once_per_row():
    values = pd.Series(["1,5", "x", None, "-1", "inf", "0", "NA", 3, "y"], dtype=object)
    times, reasons = coerce_time(values)
    np.testing.assert_array_equal(
        times, [1.5, np.nan, np.nan, np.nan, np.nan, 0, np.nan, 3, np.nan]
    )
    assert reasons == {
        "missing time": 2,
        "non-numeric time": 2,
        "negative time": 1,
        "infinite time": 1,
    }


def test_coerce_time_numeric_column():
    times, reasons = coerce_time(pd.Series([0, 2.5, -3, np.inf, np.nan]))
    np.testing.assert_array_equal(times, [0, 2.5, np.nan, np.nan, np.nan])
    assert reasons == {
        "missing time": 1,
        "non-numeric time": 0,
        "negative time": 1,
        "infinite time": 1,
    }
    assert times.dtype == float


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(pd.Series(pd.to_datetime(["2019-01-01", None])), id="datetime"),
        pytest.param(pd.Series([True, None], dtype=object).astype("boolean"), id="boolean"),
    ],
)
def test_coerce_time_dates_and_booleans_are_not_durations(values):
    times, reasons = coerce_time(values)
    assert np.isnan(times).all()
    assert reasons["non-numeric time"] == 1 and reasons["missing time"] == 1


def test_coerce_time_nullable_integers():
    times, reasons = coerce_time(pd.Series([1, None, 3], dtype="Int64"))
    np.testing.assert_array_equal(times, [1, np.nan, 3])
    assert reasons["missing time"] == 1


# ---- coerce_event -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        pytest.param([1, 0, 1], id="int"),
        pytest.param([1.0, 0.0, 1.0], id="float"),
        pytest.param([True, False, True], id="bool"),
        pytest.param(["1", "0", "1"], id="text"),
        pytest.param(["1.0", "0.0", "1.0"], id="text_float"),
        pytest.param(["true", "false", "TRUE"], id="true_false"),
        pytest.param([" True", "False ", "true"], id="true_false_padded"),
    ],
)
def test_coerce_event_zero_one(values):
    events, reasons = coerce_event(pd.Series(values, dtype=object))
    np.testing.assert_array_equal(events, [1.0, 0.0, 1.0])
    assert reasons == {"missing event": 0}


def test_coerce_event_missing():
    events, reasons = coerce_event(pd.Series([1, None, 0, np.nan, "NA"], dtype=object))
    np.testing.assert_array_equal(events, [1, np.nan, 0, np.nan, np.nan])
    assert reasons == {"missing event": 3}


@pytest.mark.parametrize(
    ("values", "event_value", "expected"),
    [
        pytest.param([1, 2, 2, None], "2", [0, 1, 1, np.nan], id="r_coding_int"),
        pytest.param([1.0, 2.0, 2.0, np.nan], "2", [0, 1, 1, np.nan], id="r_coding_float"),
        pytest.param(["1", "2", "2.0", ""], "2", [0, 1, 1, np.nan], id="r_coding_text"),
        pytest.param([1, 2, 2, None], "2.0", [0, 1, 1, np.nan], id="value_as_float_text"),
        pytest.param(
            ["alive", "Dead", "DEAD ", None], "dead", [0, 1, 1, np.nan], id="words_any_case"
        ),
        pytest.param([0, 1, 2, 1], "1", [0, 1, 0, 1], id="cause_1_competing_censored"),
        pytest.param([1, 0, 0, 1], "0", [0, 1, 1, 0], id="censoring_flag"),
        pytest.param(["yes", "no", "no", "yes"], "maybe", [0, 0, 0, 0], id="value_absent"),
        pytest.param([True, False, True, False], "true", [1, 0, 1, 0], id="bool_true"),
    ],
)
def test_coerce_event_with_event_value(values, event_value, expected):
    events, reasons = coerce_event(pd.Series(values, dtype=object), event_value, column="status")
    np.testing.assert_array_equal(events, expected)
    assert reasons == {"missing event": int(np.isnan(expected).sum())}


@pytest.mark.parametrize(
    ("values", "column", "message"),
    [
        pytest.param(
            [1, 2, 2, 1],
            "status",
            "Event column 'status' has values 1, 2; expected 0/1 or true/false. Use --event "
            "status=VALUE to say which value is the event (e.g. --event status=2).",
            id="r_1_2",
        ),
        pytest.param(
            [1.0, 2.0, np.nan],
            "status",
            "Event column 'status' has values 1, 2; expected 0/1 or true/false. Use --event "
            "status=VALUE to say which value is the event (e.g. --event status=2).",
            id="r_1_2_float_with_missing",
        ),
        pytest.param(
            ["yes", "no", "no"],
            "relapse",
            "Event column 'relapse' has values no, yes; expected 0/1 or true/false. Use --event "
            "relapse=VALUE to say which value is the event (e.g. --event relapse=yes).",
            id="yes_no",
        ),
        pytest.param(
            ["Alive", "Dead"],
            "vital status",
            "Event column 'vital status' has values Alive, Dead; expected 0/1 or true/false. "
            "Use --event 'vital status=VALUE' to say which value is the event "
            "(e.g. --event 'vital status=Dead').",
            id="quoted_column_with_space",
        ),
        pytest.param(
            [0, 1, 2],
            "pfs_cause",
            "Event column 'pfs_cause' has values 0, 1, 2; expected 0/1 or true/false. Use "
            "--event pfs_cause=VALUE to say which value is the event (e.g. --event pfs_cause=2).",
            id="competing_risk_codes",
        ),
        pytest.param(
            list(range(10)),
            "grade",
            "Event column 'grade' has values 0, 1, 2, 3, 4, 5, ... (10 different values); "
            "expected 0/1 or true/false. Use --event grade=VALUE to say which value is the "
            "event (e.g. --event grade=9).",
            id="many_values_truncated",
        ),
        pytest.param(
            [f"MM-{i:03d}" for i in range(1, 31)],
            "patient_id",
            "Event column 'patient_id' has a different value in almost every row (30 different "
            "values), so it is not an event flag. Choose the column that records whether the "
            "event happened (0/1, true/false, or --event COLUMN=VALUE).",
            id="identifier_values_never_echoed",
        ),
        pytest.param(
            [0, 1, 0.5],
            "event",
            "Event column 'event' has values 0, 0.5, 1; expected 0/1",
            id="fraction",
        ),
    ],
)
def test_coerce_event_error_names_values_and_the_fix(values, column, message):
    with pytest.raises(ColumnError) as caught:
        coerce_event(pd.Series(values, dtype=object), column=column)
    assert str(caught.value).startswith(message)


# ---- suggest_roles ----------------------------------------------------------------------


def _sample_like(n: int = 60, seed: int = 3) -> pd.DataFrame:
    """A frame with the columns of sample_data/sample_cohort.csv (sample-cohort.md)."""
    rng = np.random.default_rng(seed)
    flags = {c: rng.integers(0, 2, n) for c in ("del17p", "t_4_14", "t_14_16", "gain_1q")}
    return pd.DataFrame(
        {
            "patient_id": [f"MM-{i:03d}" for i in range(1, n + 1)],
            "age": rng.integers(38, 70, n),
            "sex": rng.choice(["M", "F"], n),
            "iss_stage": rng.choice(["I", "II", "III"], n),
            **{c: rng.lognormal(0, 0.6, n) for c in ("ikzf1", "ikzf3", "crbn", "bsg")},
            **flags,
            "cyto_risk": rng.choice(["high", "standard"], n),
            "best_response": rng.choice(["sCR", "CR", "VGPR", "PR", "SD", "PD"], n),
            "response_months": rng.exponential(5, n).round(1),
            "pfs_months": rng.exponential(40, n).round(1),
            "pfs_event": rng.integers(0, 2, n),
            "os_months": rng.exponential(60, n).round(1),
            "os_event": rng.integers(0, 2, n),
            "pfs_cause": rng.integers(0, 3, n),
        }
    )


def test_suggest_roles_on_the_sample_cohort():
    roles = suggest_roles(_sample_like())
    assert roles.endpoints == (
        Endpoint("PFS", "pfs_months", "pfs_event", None),
        Endpoint("OS", "os_months", "os_event", None),
    )
    assert roles.time_unit == "months"
    assert roles.group_candidates == (
        "sex",
        "iss_stage",
        "del17p",
        "t_4_14",
        "t_14_16",
        "gain_1q",
        "cyto_risk",
        "best_response",
    )
    assert roles.biomarker_candidates == ("age", "ikzf1", "ikzf3", "crbn", "bsg")
    assert roles.identifier_columns == ("patient_id",)
    json.dumps(roles.to_dict(), allow_nan=False)


def test_suggest_roles_on_the_committed_sample_file():
    roles = suggest_roles(read_table(SAMPLE_CSV))
    assert roles == suggest_roles(_sample_like())  # same shape, same suggestion
    assert [e.name for e in roles.endpoints] == ["PFS", "OS"]


def test_suggest_roles_r_lung_style_time_status_1_2():
    rng = np.random.default_rng(5)
    n = 50
    df = pd.DataFrame(
        {
            "inst": rng.integers(1, 30, n),
            "time": rng.integers(5, 1000, n),
            "status": rng.choice([1, 2], n),
            "age": rng.integers(40, 80, n),
            "sex": rng.choice([1, 2], n),
            "ph.ecog": rng.choice([0, 1, 2, 3], n),
        }
    )
    roles = suggest_roles(df)
    assert roles.endpoints == (Endpoint("Survival", "time", "status", "2"),)
    assert roles.time_unit == "days"  # from the values: largest time > 400
    assert roles.group_candidates == ("sex", "ph.ecog")
    assert roles.biomarker_candidates == ("inst", "age")
    # the suggestion works with coerce_event as is
    events, _ = coerce_event(df["status"], roles.endpoints[0].event_value)
    np.testing.assert_array_equal(events, (df["status"] == 2).astype(float))


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        pytest.param(
            {"futime": [59, 115, 156, 421], "fustat": [1, 1, 0, 0]},
            (Endpoint("Survival", "futime", "fustat", None),),
            id="ovarian_futime_fustat",
        ),
        pytest.param(
            {"futime": [30, 25, 46, 90], "death": [1, 1, 0, 0]},
            (Endpoint("Survival", "futime", "death", None),),
            id="futime_death",
        ),
        pytest.param(
            {
                "ptime": [30, 25, 46, 9],
                "pstat": [0, 0, 1, 0],
                "futime": [30, 25, 46, 90],
                "death": [1, 1, 0, 0],
            },
            # an endpoint is never named "p" (issue 8): ptime/pstat is progression
            (Endpoint("Progression", "ptime", "pstat", None),
             Endpoint("Survival", "futime", "death", None)),
            id="mgus2",
        ),
        pytest.param(
            {"OS.time": [1.0, 2.0, 3.0, 4.0], "OS.status": ["Dead", "Alive", "Alive", "Dead"]},
            (Endpoint("OS", "OS.time", "OS.status", "Dead"),),
            id="dotted_status_words",
        ),
        pytest.param(
            {"PFS_Months": [1.0, 2.0, 3.0, 4.0], "PFS_Event": [True, False, True, False]},
            (Endpoint("PFS", "PFS_Months", "PFS_Event", None),),
            id="capitalised_bool",
        ),
        pytest.param(
            {"efs_days": [10, 20, 30, 40], "efs_cens": [0, 1, 0, 1]},
            (Endpoint("EFS", "efs_days", "efs_cens", "0"),),
            id="censoring_flag",
        ),
        pytest.param(
            {"ostime": [1.0, 2.0, 3.0, 4.0], "osstatus": [1, 0, 0, 1]},
            (Endpoint("OS", "ostime", "osstatus", None),),
            id="no_separator",
        ),
        pytest.param(
            {"relapse_time": [1.0, 2.0, 3.0, 4.0], "relapse_event": ["yes", "no", "no", "yes"]},
            (Endpoint("relapse", "relapse_time", "relapse_event", "yes"),),
            id="custom_prefix_yes_no",
        ),
        pytest.param(
            {"response_months": [1.0, 2.0, 3.0, 4.0], "age": [50, 60, 70, 80]},
            (),
            id="time_without_event",
        ),
    ],
)
def test_suggest_roles_endpoint_pairs(columns, expected):
    assert suggest_roles(pd.DataFrame(columns)).endpoints == expected


@pytest.mark.parametrize(
    ("columns", "unit"),
    [
        pytest.param({"os_days": [1.0, 2.0], "os_event": [0, 1]}, "days", id="days_by_name"),
        pytest.param({"os_years": [1.0, 2.0], "os_event": [0, 1]}, "years", id="years_by_name"),
        pytest.param({"os_mo": [1.0, 2.0], "os_event": [0, 1]}, "months", id="mo_by_name"),
        pytest.param({"time": [10.0, 30.0], "status": [0, 1]}, "months", id="months_by_values"),
        pytest.param({"time": [10.0, 500.0], "status": [0, 1]}, "days", id="days_by_values"),
        pytest.param({"time": [1.0, 5.5], "status": [0, 1]}, None, id="cannot_tell"),
        pytest.param({"x": [1.0, 5.5]}, None, id="no_endpoint"),
    ],
)
def test_suggest_roles_time_unit(columns, unit):
    assert suggest_roles(pd.DataFrame(columns)).time_unit == unit


def test_suggest_roles_skips_empty_columns_and_identifiers():
    df = pd.DataFrame(
        {
            "patient_name": ["Ann Smith", "Bob Jones", "Cy Young", "Di Prince"],
            "email": ["a@x.org", "b@x.org", "c@x.org", "d@x.org"],
            "os_months": [np.nan] * 4,
            "os_event": [1, 0, 1, 0],
            "arm": ["A", "B", "A", "B"],
        }
    )
    roles = suggest_roles(df)
    assert roles.endpoints == ()
    assert roles.identifier_columns == ("patient_name", "email")
    assert roles.group_candidates == ("arm",)


def test_suggest_roles_non_text_column_names():
    df = pd.DataFrame(
        {0: [1.0, 2.5, 3.5, 4.0], "os_months": [1.0, 2.0, 3.0, 4.0], "os_event": [1, 0, 1, 0]}
    )
    roles = suggest_roles(df)
    assert roles.endpoints == (Endpoint("OS", "os_months", "os_event", None),)


def test_age_in_years_is_a_biomarker_not_a_time():
    df = pd.DataFrame(
        {
            "age_years": [50, 61, 72, 45, 58, 66],
            "diagnosis_year": [2015, 2016, 2015, 2017, 2016, 2016],
            "time": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            "status": [1, 0, 1, 0, 1, 1],
        }
    )
    roles = suggest_roles(df)
    assert roles.endpoints == (Endpoint("Survival", "time", "status", None),)
    assert roles.biomarker_candidates == ("age_years",)
    assert roles.group_candidates == ("diagnosis_year",)
