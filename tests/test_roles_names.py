"""Issue 8: column mapping reads clinicians' column names — units and event words, German too —
and never guesses from positions; identifiers, categories and biomarkers by what they are."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer import suggest_roles
from cohort_explorer.data.identifiers import find_identifier_columns, patient_id_column
from cohort_explorer.data.roles import Endpoint, parse_time_name

RNG = np.random.default_rng(8)
N = 40


def _times(scale: float = 30.0) -> np.ndarray:
    return RNG.exponential(scale, N).round(1) + 0.1


@pytest.mark.parametrize(("name", "parsed"), [
    ("PFS (days from dx)", ("pfs", "days")),
    ("Overall Survival (Months)", ("os", "months")),
    ("OS (Monate)", ("os", "months")),
    ("OS_Monate", ("os", "months")),
    ("Überleben (Jahre)", ("", "years")),
    ("Time (Tage)", ("", "days")),
    ("OS time (d)", ("os", "days")),
    ("Disease Free (Months)", ("dfs", "months")),
    ("Progress Free Survival (Months)", ("pfs", "months")),
    ("RelapseTime", ("relapse", None)),
    ("protime", None),  # prothrombin time: a lab value
    ("Prothrombin Time (s)", None),
    ("Serum Bilirubin (mg/dl)", None),
    ("Age (years)", None),
    ("lifetime", None),
])
def test_time_names_with_units_in_words(name, parsed):
    assert parse_time_name(name) == parsed


@pytest.mark.parametrize(("columns", "expected", "unit"), [
    ({"PFS (days from dx)": _times(300), "Progressed/died": RNG.integers(0, 2, N)},
     (Endpoint("PFS", "PFS (days from dx)", "Progressed/died", None),), "days"),
    ({"Überlebenszeit (Monate)": _times(), "Vital status": RNG.choice(["dead", "alive"], N)},
     (Endpoint("Survival", "Überlebenszeit (Monate)", "Vital status", "dead"),), "months"),
    ({"OS (Jahre)": _times(3), "dead/alive": RNG.integers(0, 2, N)},
     (Endpoint("OS", "OS (Jahre)", "dead/alive", None),), "years"),
    ({"OS_MONTHS": _times(), "OS_STATUS": RNG.choice(["1:DECEASED", "0:LIVING"], N),
      "DFS_MONTHS": _times(), "DFS_STATUS": RNG.choice(["1:Recurred/Progressed",
                                                        "0:DiseaseFree"], N)},
     (Endpoint("OS", "OS_MONTHS", "OS_STATUS", None),
      Endpoint("DFS", "DFS_MONTHS", "DFS_STATUS", None)), "months"),
])
def test_endpoints_from_clinicians_names(columns, expected, unit):
    roles = suggest_roles(pd.DataFrame(columns))
    assert roles.endpoints == expected and roles.time_unit == unit


def test_without_an_endpoint_nothing_is_taken_from_the_first_two_columns():
    df = pd.DataFrame({"first": _times(), "second": RNG.integers(0, 2, N),
                       "months_since_dx": _times(), "censor_flag": RNG.integers(0, 2, N)})
    roles = suggest_roles(df)
    assert roles.endpoints == ()
    assert roles.notices[0].code == "no_endpoint_found"
    assert "first" in roles.time_candidates and "second" in roles.event_candidates


def test_a_time_column_is_never_an_identifier():
    df = pd.DataFrame({"Patient ID": [f"P{i}" for i in range(N)],
                       "os_days": np.arange(N) * 7 + 3,  # unique whole numbers
                       "os_event": RNG.integers(0, 2, N)})
    roles = suggest_roles(df)
    assert roles.identifier_columns == ("Patient ID",)
    assert roles.endpoints[0].time_col == "os_days"


def test_whole_number_measurements_read_as_floats_are_not_study_codes():
    df = pd.DataFrame({"marker": np.arange(N, dtype=float) * 3 + 1})
    assert find_identifier_columns(df) == {}


def test_constant_study_id_is_never_the_patient_sample_id_is_an_identifier():
    df = pd.DataFrame({"Study ID": ["brca_tcga"] * N,
                       "Sample ID": [f"TCGA-{i:02d}-01" for i in range(N)],
                       "Patient ID": [f"TCGA-{i:02d}" for i in range(N)]})
    found = find_identifier_columns(df)
    assert "Study ID" not in found and "Sample ID" in found and "Patient ID" in found
    assert patient_id_column(df) == "Patient ID"
    assert patient_id_column(df[["Study ID", "Sample ID"]]) is None


def test_few_valued_numbers_are_categories_and_times_never_biomarkers():
    df = pd.DataFrame({"edema": RNG.choice([0, 0.5, 1], N), "ecog": RNG.integers(0, 5, N),
                       "albumin": RNG.normal(3.5, 0.4, N), "response_months": _times(5),
                       "os_months": _times(), "os_event": RNG.integers(0, 2, N)})
    roles = suggest_roles(df)
    assert roles.group_candidates == ("edema", "ecog")
    assert roles.biomarker_candidates == ("albumin",)
