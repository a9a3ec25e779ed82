"""CLI of the deeper analyses: JSON keys when asked, text lines, exit 2 with one clear line."""

from __future__ import annotations

import json

import pytest

from cohort_explorer.cli import main
from tests.conftest import SAMPLE_CSV, load_reference

REF = load_reference("deeper")
BASE = ["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event"]


def run(capsys, *args):
    code = main([*BASE, *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_carries_each_deeper_key_only_when_asked(capsys):
    code, out, err = run(capsys, "--group-by", "ikzf1:quartiles", "--landmark", "12,36",
                         "--covariates", "age,cyto_risk:cat", "--spline", "ikzf1",
                         "--subgroups", "sex,age:median", "--screen", "age,crbn",
                         "--predict", "ikzf1=0.5,age=60,cyto_risk=standard")
    assert code == 0, err
    result = json.loads(out)
    assert len(result["spline"]["x"]) == 100 and "rug" not in result["spline"]
    assert result["spline"]["p_nonlinear"] == pytest.approx(
        REF["spline_adjusted"]["p_nonlinear"], rel=1e-5)
    assert [s["variable"] for s in result["subgroups"]] == ["sex", "age"]
    assert [s["term"] for s in result["screen"]] == ["age", "crbn"]
    assert result["prediction"]["group"] == "Q1" and "curve" not in result["prediction"]
    assert len(result["landmark_differences"]) == 6
    plain = json.loads(run(capsys, "--group-by", "ikzf1:quartiles")[1])
    for key in ("spline", "subgroups", "screen", "prediction", "landmark_differences"):
        assert key not in plain


def test_bootstrap_and_strata_in_json_and_text(capsys):
    code, out, _ = run(capsys, "--group-by", "ikzf1:optimal", "--bootstrap", "20",
                       "--seed", "20170101", "--strata", "sex")
    result = json.loads(out)
    assert code == 0
    assert result["cutpoint"]["bootstrap"]["cuts"] == REF["cutpoint"]["boot_cuts"]
    assert result["cox"]["strata"] == "sex"
    code, text, _ = run(capsys, "--group-by", "ikzf1:optimal", "--bootstrap", "20",
                        "--output", "text")
    assert "Bootstrap of the cut point (20 resamples, seed 20170101, 0 skipped)" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--group-by", "ikzf1:quartiles", "--subgroups", "sex", "--where", "sex=F"], "one level"),
    (["--spline", "del17p"], "distinct value"),
    (["--group-by", "ikzf1:quartiles", "--covariates", "age", "--predict", "ikzf1=1"],
     "give the patient's age"),
    (["--group-by", "ikzf1:quartiles", "--predict", "ikzf1"], "COL=VALUE"),
    (["--group-by", "ikzf1:quartiles", "--bootstrap", "100"], ":optimal"),
    (["--group-by", "ikzf1:optimal", "--bootstrap", "0"], "number of resamples must be at least 1"),
    (["--group-by", "ikzf1:optimal", "--bootstrap", "1.5"], "expected a whole number, got '1.5'"),
    (["--group-by", "ikzf1:optimal", "--bootstrap", "5", "--seed", "-1"],
     "the seed must be at least 0, got '-1'"),
    (["--group-by", "ikzf1:optimal", "--bootstrap", "5", "--seed", "x"], "whole number"),
    (["--screen", "nosuch"], "No column"),
    (["--competing", "pfs_cause=1"], "rows are both an event"),
    (["--spline", "iss_stage"], "must be numeric"),
])
def test_bad_input_exits_2_with_one_line(capsys, args, message):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_a_competing_value_equal_to_the_event_value_exits_2(capsys):
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_cause=1",
                 "--competing", "pfs_cause=1"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert "the competing event must differ from the event of interest (pfs_cause=1)" in err


def test_prediction_outside_the_range_warns(capsys):
    code, out, _ = run(capsys, "--group-by", "ikzf1:quartiles", "--predict", "ikzf1=40")
    assert code == 0
    assert any("outside the range" in w for w in json.loads(out)["warnings"])


def test_module_entry_and_date_exclusions_in_words(tmp_path):
    """``python -m cohort_explorer`` is the console script; an event date before the start
    date excludes the row with its reason, counted after a colon (it read "... start date 1")."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    data = tmp_path / "dates.csv"
    data.write_text("dx,ev,last\n2020-01-01,2020-06-01,2020-06-01\n2020-01-01,,2021-01-01\n"
                    "2020-01-01,2019-12-01,2020-05-01\n2020-01-01,2021-01-01,2021-01-01\n",
                    encoding="utf-8")
    src = Path(__file__).resolve().parents[1] / "src"
    done = subprocess.run([sys.executable, "-m", "cohort_explorer", "analyze", str(data),
                           "--dates", "dx,ev,last", "--output", "text"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(src)})
    assert done.returncode == 0, done.stderr
    assert "Excluded: 1 (event date before start date: 1)" in done.stdout
