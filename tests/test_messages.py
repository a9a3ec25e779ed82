"""Issue 8: errors and warnings are coded objects; the CLI words them with its options, the app
in plain language (present.messages.app_message) — never with a command-line flag."""

from __future__ import annotations

import ast

import pandas as pd
import pytest

from cohort_explorer import AnalysisSpec, analyze, read_table
from cohort_explorer.errors import CohortError, Notice
from cohort_explorer.io import read_upload
from cohort_explorer.present.messages import APP_WORDING, app_message
from tests.conftest import ROOT, SAMPLE_CSV

DF = read_table(SAMPLE_CSV)
SRC = ROOT / "src" / "cohort_explorer"


def _codes_in_source() -> set[str]:
    """Every code the engine can attach: ``code="..."`` keywords and ``Notice(text, "code")``."""
    codes = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg == "code" and isinstance(kw.value, ast.Constant):
                    codes.add(kw.value.value)
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name == "Notice" and len(node.args) > 1 and isinstance(node.args[1], ast.Constant):
                codes.add(node.args[1].value)
    return codes


def test_the_codes_of_this_issue_have_app_wording():
    """Codes of issue 8's messages are worded for the app, and so is every other code."""
    codes = _codes_in_source()
    ours = {"event_coding", "event_not_a_flag", "event_mixed_n_label", "unknown_column",
            "quantile_ties", "cbioportal_header", "cbioportal_sample_without_patient",
            "cbioportal_pair", "too_many_files", "no_file", "small_group",
            "group_without_events", "rmst_beyond_follow_up", "repeated_patient_id",
            "ph_violation", "low_events_per_variable", "cox_not_converged",
            "term_not_estimable", "all_censored", "one_group", "immortal_time",
            "optimal_cut_selected", "competing_cause_specific", "cbioportal_first_sample",
            "no_endpoint_found", "filter_syntax", "filter_not_a_number", "rows_sampled"}
    assert ours <= codes and ours <= set(APP_WORDING)
    assert codes <= set(APP_WORDING)  # every code; tests/test_app_messages.py: none has a flag


def _error(df: pd.DataFrame, **spec) -> CohortError:
    with pytest.raises(CohortError) as caught:
        analyze(df, AnalysisSpec(**spec))
    return caught.value


def test_event_coding_error_cli_words_it_with_flags_the_app_without():
    df = DF.assign(pfs_event=DF["pfs_event"] + 1)
    error = _error(df, time_col="pfs_months", event_col="pfs_event")
    assert error.code == "event_coding"
    assert error.fields == {"column": "pfs_event", "values": ["1", "2"], "distinct": 2,
                            "suggested": "2"}
    assert "Use --event pfs_event=VALUE" in str(error)  # the CLI's text, unchanged
    text = app_message(error)
    assert "--" not in text and "Which value of 'pfs_event' means the event" in text
    assert "1, 2" in text


@pytest.mark.parametrize(("spec", "code"), [
    ({"time_col": "pfs_months", "event_col": "nope"}, "unknown_column"),
    ({"time_col": "pfs_months", "event_col": "pfs_event", "group_by": "del17p:quartiles"},
     "quantile_ties"),
])
def test_errors_have_codes_and_plain_app_wording(spec, code):
    error = _error(DF, **spec)
    assert error.code == code
    assert "--" not in app_message(error) and ":cut" not in app_message(error)


_BASE = {"time_col": "pfs_months", "event_col": "pfs_event"}


@pytest.mark.parametrize(("spec", "code", "app_words"), [
    ({"time_col": "pfs_months", "event_col": "pfs_cause", "event_value": "1",
      "competing": "pfs_cause=1"}, "competing_is_the_event", "is the event of interest itself"),
    ({**_BASE, "competing": "pfs_cause=1"}, "competing_and_event",
     "coded both as the event of interest (pfs_event=1)"),
    ({**_BASE, "group_by": "ikzf1:median", "subgroups": ("sex",), "where": ("sex=F",)},
     "subgroup_one_level", "sex has a single value (F)"),
    ({**_BASE, "spline": "del17p"}, "spline_few_values", "del17p has 2 distinct value(s)"),
    ({**_BASE, "group_by": "ikzf1:median", "covariates": ("age",), "predict": ("ikzf1=0.5",)},
     "prediction_missing_value", "Enter the patient's age"),
])
def test_bad_input_of_the_deeper_analyses_is_coded_and_worded(spec, code, app_words):
    """Issue 10's bad input: one coded error each, the app's words without options."""
    error = _error(DF, **spec)
    assert error.code == code
    text = app_message(error)
    assert app_words in text and "--" not in text and "{" not in text


def test_spline_knots_that_coincide_and_few_values_are_told_apart():
    from cohort_explorer.stats.spline import spline_knots

    with pytest.raises(CohortError) as few:
        spline_knots(pd.Series([1.0, 2.0, 3.0, 4.0] * 10), "grade")  # knots distinct, 4 values
    assert few.value.code == "spline_few_values" and few.value.fields["distinct"] == 4
    with pytest.raises(CohortError) as tied:
        spline_knots(pd.Series([1.0] * 90 + list(range(2, 12))), "dose")
    assert tied.value.code == "spline_knots_coincide"
    assert "coincide" in app_message(tied.value) and "--" not in app_message(tied.value)


def test_a_prediction_outside_the_data_is_a_coded_warning():
    result = analyze(DF, AnalysisSpec(**_BASE, group_by="ikzf1:median", covariates=("age",),
                                      predict=("ikzf1=0.5", "age=150")))
    warning = next(w for w in result.warnings if getattr(w, "code", "") ==
                   "prediction_out_of_range")
    assert warning.fields["column"] == "age" and warning.fields["value"] == 150
    assert app_message(warning).startswith("age = 150 is outside the range of the analysed")
    assert result.prediction is not None  # a warning, not an error


def test_notices_of_real_analyses_are_worded_for_the_app():
    cases = [
        AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:optimal",
                     covariates=("age", "cyto_risk:cat", "iss_stage:cat")),
        AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by="best_response"),
    ]
    seen = set()
    for spec in cases:
        for warning in analyze(DF, spec).warnings:
            assert isinstance(warning, Notice) and warning.code in APP_WORDING
            text = app_message(warning)
            assert text and "--" not in text and "{" not in text
            seen.add(warning.code)
    assert {"optimal_cut_selected", "low_events_per_variable", "small_group",
            "immortal_time"} <= seen


def test_reading_errors_are_worded_for_the_app():
    sample = ROOT / "tests" / "data" / "cbioportal_pbc" / "data_clinical_sample.txt"
    with pytest.raises(CohortError) as caught:
        read_upload([(sample.name, sample.read_bytes())])
    assert "second upload box" in app_message(caught.value)
    with pytest.raises(CohortError) as caught:
        read_table(b"#A\tB\n#a\tb\nA\tB\n1\t2\n", filename="x.txt")
    assert "2 '#' rows instead of 4" in app_message(caught.value)


def test_no_page_matches_a_warning_text():
    """Pages decide by code (message_code), never by searching the engine's wording."""
    for path in (ROOT / "pages").glob("*.py"):
        source = path.read_text()
        for needle in ('in w for w in', "in w.lower()", 'in str(error)', 'str(e).startswith'):
            assert needle not in source, (path.name, needle)


def test_no_endpoint_found_is_a_notice_with_candidates_not_a_guess():
    from cohort_explorer import suggest_roles

    df = pd.DataFrame({"Patient": [f"P{i}" for i in range(8)],
                       "a": [3.0, 8, 1, 12, 40, 5, 7, 22], "b": [0, 1, 1, 0, 1, 0, 0, 1],
                       "arm": list("ABABABAB")})
    roles = suggest_roles(df)
    assert roles.endpoints == ()
    (notice,) = roles.notices
    assert notice.code == "no_endpoint_found"
    assert roles.time_candidates == ("a",) and roles.event_candidates[0] == "b"
    assert "Choose" in app_message(notice)


def test_the_data_page_check_words_the_event_coding_for_the_app():
    from cohort_explorer.data.validation import validate_cohort

    df = DF.assign(pfs_event=DF["pfs_event"] + 1)
    report = validate_cohort(df, time_col="pfs_months", event_col="pfs_event")
    issue = next(i for i in report.issues if i.code == "event_coding")
    assert "--event" in issue.message  # the CLI's `validate` keeps its wording
    assert issue.fields["values"] == ["1", "2"]
    assert app_message(issue).startswith("Which value of 'pfs_event' means the event happened?")
