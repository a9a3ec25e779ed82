"""The lifelines cross-check: KM, log-rank and Cox recomputed independently (lifelines 0.30)."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.present.crosscheck import format_cross_check, lifelines_cross_check
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import ROOT, SAMPLE_CSV

PFS = {"time_col": "pfs_months", "event_col": "pfs_event"}


def _rows(check):
    return {row.quantity: row for row in check.rows}


def test_lifelines_agrees_on_the_sample_within_1e_6_for_km_and_cox():
    df = pd.read_csv(SAMPLE_CSV)
    spec = AnalysisSpec(**PFS, group_by="ikzf1:quartiles", covariates=("age:z", "iss_stage:cat"))
    check = lifelines_cross_check(df, analyze(df, spec))
    rows = _rows(check)
    for quantity in ("Kaplan–Meier survival", "Kaplan–Meier log–log confidence bounds",
                     "log-rank χ² and p", "Cox coefficients and standard errors",
                     "Cox hazard ratios and confidence limits", "Cox Wald p-values",
                     "Cox likelihood-ratio test"):
        assert rows[quantity].difference <= 1e-6, quantity
        assert rows[quantity].compared >= 2
    assert rows["Kaplan–Meier survival"].compared == 60
    assert rows["Cox coefficients and standard errors"].compared == 12
    assert rows["Cox concordance"].difference <= 1e-3
    assert check.ok
    assert "R survival < 3" in rows["proportional-hazards test"].note


def test_cross_check_names_where_lifelines_differs_by_design():
    # a curve flat at exactly 0.5 from t = 5 to 8: R's median is 6.5, lifelines' 5
    df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6, 8, 9, 10, 12],
                       "e": [1, 1, 1, 1, 1, 0, 1, 1, 0, 1]})
    result = analyze(df, AnalysisSpec(time_col="t", event_col="e"))
    assert result.groups[0].median.estimate == 6.5
    rows = _rows(lifelines_cross_check(df, result))
    median = rows["median survival"]
    assert median.difference == pytest.approx(1.5 / 5) and median.tolerance is None
    assert "quantile.survfit" in median.note
    assert rows["Kaplan–Meier survival"].difference <= 1e-12


def test_a_real_difference_is_flagged():
    df = pd.read_csv(SAMPLE_CSV)
    result = analyze(df, AnalysisSpec(**PFS, group_by="ikzf1:q1-vs-rest"))
    g = result.groups[0]
    import dataclasses

    km = dataclasses.replace(g.km, survival=g.km.survival * (1 + 1e-4))
    tampered = dataclasses.replace(result, groups=(dataclasses.replace(g, km=km),
                                                   *result.groups[1:]))
    check = lifelines_cross_check(df, tampered)
    assert not check.ok
    assert "Kaplan–Meier survival" in format_cross_check(check) and "DIFFERS" in format_cross_check(check)


def test_cli_cross_check_and_r_script(tmp_path):
    command = [sys.executable, "-m", "cohort_explorer.cli", "analyze", str(SAMPLE_CSV),
               "--time", "pfs_months", "--event", "pfs_event", "--group-by", "ikzf1:q1-vs-rest",
               "--cross-check", "lifelines", "--r-script", str(tmp_path / "review.R")]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    import hashlib

    assert out["dataset_sha256"] == hashlib.sha256(SAMPLE_CSV.read_bytes()).hexdigest()
    assert {r["quantity"] for r in out["cross_check"]["rows"]} >= {"Kaplan–Meier survival"}
    assert (tmp_path / "review.R").is_file() and (tmp_path / "review-data.csv").is_file()
    assert out["dataset_sha256"] in (tmp_path / "review.R").read_text()
    text = subprocess.run(command[:-2] + ["--output", "text"], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert "Cross-check with lifelines" in text.stdout and "Dataset SHA-256: " in text.stdout


def test_lifelines_is_loaded_only_by_the_cross_check():
    code = """
import sys
import pandas as pd
from cohort_explorer.analysis import analyze
from cohort_explorer.present import report
from cohort_explorer.present.rscript import r_script_files
from cohort_explorer.spec import AnalysisSpec
df = pd.read_csv(sys.argv[1])
spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:quartiles",
                    covariates=("age",), trend=True)
result = analyze(df, spec)
report.html_report(result, spec)
r_script_files(df, spec, result)
assert "lifelines" not in sys.modules, "lifelines loaded outside the cross-check"
from cohort_explorer.present.crosscheck import lifelines_cross_check
lifelines_cross_check(df, result)
assert "lifelines" in sys.modules
"""
    done = subprocess.run([sys.executable, "-c", code, str(SAMPLE_CSV)], capture_output=True,
                          text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_stratified_cox_is_cross_checked_with_strata():
    df = pd.read_csv(SAMPLE_CSV)
    result = analyze(df, AnalysisSpec(**PFS, group_by="ikzf1:q1-vs-rest", strata="sex",
                                      covariates=("age",)))
    assert result.cox.strata == "sex"
    rows = _rows(lifelines_cross_check(df, result))
    assert rows["Cox coefficients and standard errors"].difference <= 1e-6
