"""Issue 8: every number says what it is — group cut-offs (groups[].interval), adjusted or
unadjusted hazard ratios (cox.adjusted_for), coded warnings, HR CIs that differ, display units."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pandas as pd
import pytest

from cohort_explorer import AnalysisSpec, analyze, read_table
from cohort_explorer.analysis.stratify import numeric_column
from cohort_explorer.cli import main
from cohort_explorer.errors import ColumnError, Notice
from cohort_explorer.present.cutoffs import (
    format_cut,
    group_label,
    group_labels,
    term_adjustment,
)
from cohort_explorer.present.format import format_hr
from cohort_explorer.present.labels import hr_adjustment, unit_word
from cohort_explorer.present.units import blank_if_missing, convert_time
from tests.conftest import SAMPLE_CSV

DF = read_table(SAMPLE_CSV)


def _run(group_by: str, **extra):
    return analyze(DF, AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                    group_by=group_by, **extra))


def _inside(x: float, interval: dict) -> bool:
    lo, hi = interval["lower"], interval["upper"]
    above = lo is None or (x >= lo if interval["lower_closed"] else x > lo)
    below = hi is None or (x <= hi if interval["upper_closed"] else x < hi)
    return above and below


@pytest.mark.parametrize("rule", ["quartiles", "tertiles", "median", "q1-vs-rest", "cut=0.5,1",
                                  "optimal"])
def test_every_patient_lies_in_the_interval_of_their_group(rule):
    result = _run(f"ikzf1:{rule}")
    groups = result.to_dict()["groups"]
    x = numeric_column(DF, "ikzf1").to_numpy()
    labels = np.array(
        [next(g["label"] for g in groups if _inside(v, g["interval"])) for v in x], dtype=object)
    for g in groups:
        assert (labels == g["label"]).sum() == g["n"], g["label"]
        # intervals do not overlap: each value is in exactly one
    assert all(sum(_inside(v, g["interval"]) for g in groups) == 1 for v in x)


def test_quartile_intervals_are_R_type7_breaks_with_the_minimum_closed():
    groups = _run("ikzf1:quartiles").to_dict()["groups"]
    x = numeric_column(DF, "ikzf1").dropna().to_numpy()
    q = np.quantile(x, [0.25, 0.5, 0.75])  # R quantile(type = 7)
    assert [g["interval"]["lower"] for g in groups] == pytest.approx([x.min(), *q])
    assert [g["interval"]["upper"] for g in groups] == pytest.approx([*q, x.max()])
    assert [g["interval"]["lower_closed"] for g in groups] == [True, False, False, False]
    assert all(g["interval"]["upper_closed"] for g in groups)
    assert groups[0]["interval"]["upper"] == pytest.approx(0.64275)


def test_cut_groups_are_open_towards_infinity_and_categories_have_no_interval():
    groups = _run("ikzf1:cut=0.5,1").to_dict()["groups"]
    assert groups[0]["interval"] == {"lower": None, "upper": 0.5, "lower_closed": False,
                                     "upper_closed": True}
    assert groups[-1]["interval"] == {"lower": 1.0, "upper": None, "lower_closed": False,
                                      "upper_closed": False}
    assert all(g["interval"] is None for g in _run("cyto_risk").to_dict()["groups"])


def test_the_reference_group_keeps_its_own_interval():
    groups = _run("ikzf1:quartiles", reference="Q3").to_dict()["groups"]
    assert groups[0]["label"] == "Q3"
    assert groups[0]["interval"]["lower"] == pytest.approx(1.1155)


def test_group_labels_print_the_cut_offs():
    assert group_labels(_run("ikzf1:quartiles").groups, "IKZF1") == [
        "IKZF1 Q1 (≤ 0.643)", "IKZF1 Q2 (> 0.643 to ≤ 1.12)", "IKZF1 Q3 (> 1.12 to ≤ 1.94)",
        "IKZF1 Q4 (> 1.94)"]
    assert group_labels(_run("ikzf1:cut=0.5,1").to_dict()["groups"], "IKZF1") == [
        "IKZF1 ≤ 0.5", "IKZF1 > 0.5 to ≤ 1", "IKZF1 > 1"]
    assert group_label("standard", None) == "standard"


def test_cut_offs_get_the_digits_they_need_to_differ():
    def interval(lower, upper, lower_closed=False):
        return {"lower": lower, "upper": upper, "lower_closed": lower_closed, "upper_closed": True}

    groups = [{"label": "T1", "interval": interval(1.0, 1.23411, True)},
              {"label": "T2", "interval": interval(1.23411, 1.23419)},
              {"label": "T3", "interval": interval(1.23419, 2.0)}]
    assert group_labels(groups) == ["T1 (≤ 1.2341)", "T2 (> 1.2341 to ≤ 1.2342)", "T3 (> 1.2342)"]
    assert format_cut(1095.75) == "1096" and format_cut(0.00012345) == "0.000123"


def test_cox_says_what_it_is_adjusted_for():
    plain = _run("ikzf1:q1-vs-rest").to_dict()["cox"]
    adjusted = _run("ikzf1:q1-vs-rest", covariates=("age", "cyto_risk:cat")).to_dict()["cox"]
    assert plain["adjusted_for"] == [] and adjusted["adjusted_for"] == ["age", "cyto_risk:cat"]
    assert hr_adjustment(plain) == "unadjusted"
    assert hr_adjustment(_run("ikzf1:q1-vs-rest", covariates=("age", "cyto_risk:cat")).cox
                         ) == "adjusted for age, cyto_risk"
    assert term_adjustment("age", "ikzf1", ["age", "cyto_risk:cat"]) == "adjusted for ikzf1, cyto_risk"
    assert term_adjustment("log2(b2m)", None, ["b2m:log2"]) == "unadjusted"


def test_cli_text_labels_cut_offs_and_every_hazard_ratio(capsys):
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
                 "--group-by", "ikzf1:q1-vs-rest", "--covariates", "age", "--output", "text"])
    out = capsys.readouterr().out
    assert code == 0
    assert "ikzf1 Q1 (≤ 0.643): n=15" in out
    hr_lines = [line for line in out.splitlines() if ": HR " in line]
    assert len(hr_lines) == 2
    assert hr_lines[0].endswith("(adjusted for age)") and hr_lines[1].endswith("(adjusted for ikzf1)")


def test_warnings_are_coded_notices_in_result_and_json(capsys):
    result = _run("ikzf1:quartiles", covariates=("age",))
    epv = next(w for w in result.warnings if w.code == "low_events_per_variable")
    assert epv.fields["events"] == 25 and epv.fields["minimum"] == 10
    assert "events per variable" in epv  # still the CLI's text
    main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
          "--group-by", "ikzf1:quartiles", "--covariates", "age"])
    out = json.loads(capsys.readouterr().out)
    assert out["warnings"] == [n["message"] for n in out["notices"]]
    assert [n["code"] for n in out["notices"]] == [w.code for w in result.warnings]


def test_repeated_patients_are_checked_on_the_patient_identifier_only():
    df = DF.head(20).copy()
    df["Study ID"] = "DSMM-XII"  # constant: never a patient identifier
    df["Sample ID"] = [f"S{i // 2}" for i in range(20)]  # not the patient's ID
    result = analyze(df, AnalysisSpec(time_col="pfs_months", event_col="pfs_event"))
    assert not [w for w in result.warnings if w.code == "repeated_patient_id"]
    df["patient_id"] = [f"P{i % 18}" for i in range(20)]
    result = analyze(df, AnalysisSpec(time_col="pfs_months", event_col="pfs_event"))
    repeated = [w for w in result.warnings if w.code == "repeated_patient_id"]
    assert [(w.fields["column"], w.fields["repeated"]) for w in repeated] == [("patient_id", 2)]


def test_notices_and_errors_keep_code_and_fields_through_pickling():
    notice = pickle.loads(pickle.dumps(Notice("text", "small_group", {"n": 3})))
    assert (str(notice), notice.code, notice.fields) == ("text", "small_group", {"n": 3})
    error = pickle.loads(pickle.dumps(ColumnError("bad", code="event_coding", fields={"a": 1})))
    assert (str(error), error.code, error.fields) == ("bad", "event_coding", {"a": 1})


def test_a_landmark_after_the_curve_dropped_to_zero_is_zero_in_the_json():
    df = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 1, 1, 1]})
    result = analyze(df, AnalysisSpec(time_col="t", event_col="e", landmarks=(2.0, 10.0)))
    late = result.to_dict()["groups"][0]["landmarks"][1]
    assert late == {"time": 10.0, "survival": 0.0, "lower": None, "upper": None, "at_risk": 0}
    censored_last = analyze(df.assign(e=[1, 1, 1, 0]),
                            AnalysisSpec(time_col="t", event_col="e", landmarks=(10.0,)))
    assert censored_last.to_dict()["groups"][0]["landmarks"][0]["survival"] is None


def test_hazard_ratio_intervals_never_collapse():
    assert format_hr(1.056, 1.051, 1.062) == "HR 1.056 (95% CI 1.051–1.062)"
    assert format_hr(3.35, 1.0, 11.27) == "HR 3.35 (95% CI 1.00–11.27)"


def test_display_time_units():
    assert convert_time(1095.75, "days", "years") == pytest.approx(3.0)
    assert convert_time(36, "months", "days") == pytest.approx(1095.75)
    assert unit_word(convert_time(1095.75, "days", "years"), "years") == "3 years"
    assert convert_time([365.25, float("nan")], "days", "years")[0] == pytest.approx(1.0)
    assert blank_if_missing(None) == "" and blank_if_missing(float("nan")) == ""
    assert blank_if_missing(pd.NA) == "" and blank_if_missing(np.float64("inf")) == ""
    assert blank_if_missing(2.5, lambda v: f"{v:.1f}") == "2.5"
