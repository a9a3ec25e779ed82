"""Delayed entry (left truncation) against R survival 3.5.3.

Golden values: tests/reference/entry.R -> entry.json (inputs in reference/data/entry_*.csv):
``survfit(Surv(entry, time, event) ~ 1)`` per group (curve, ``quantile``, ``summary(times=)``),
the log-rank statistic on the risk sets {entry < t <= time} (survdiff's formula, written out in
R and checked there against ``survdiff`` when nobody enters late), and
``coxph(Surv(entry, time, event) ~ group + x, ties = "efron")`` and its ``cox.zph`` (tests
and scaled Schoenfeld residuals of the counting-process model). Data: R's ``myeloma``
(year of diagnosis in quartiles) and a small set whose entries coincide with other exits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.errors import ColumnError
from cohort_explorer.stats import landmark_survival, logrank_test, survival_quantile
from cohort_explorer.stats.cox import fit_cox, proportional_hazards_test
from cohort_explorer.stats.entry import kaplan_meier_entry, logrank_entry
from tests.conftest import REFERENCE, load_reference

REF = load_reference("entry")
RTOL = 1e-6


def r_array(values) -> np.ndarray:
    values = values if isinstance(values, list) else [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def load(dataset: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / REF["datasets"][dataset]["file"])


def design(data: pd.DataFrame, groups) -> pd.DataFrame:
    out = pd.DataFrame({f"group{g}": (data["group"] == g).astype(float) for g in groups[1:]})
    out["x"] = data["x"]
    return out


def curve_cases():
    return [pytest.param(name, group, conf_type, id=f"{name}-{group}-{conf_type}")
            for name, record in REF["datasets"].items()
            for group, curves in record["curves"].items() for conf_type in curves]


@pytest.mark.parametrize(("dataset", "group", "conf_type"), curve_cases())
def test_kaplan_meier_with_entry_matches_R(dataset, group, conf_type):
    rows = load(dataset).query("group == @group")
    expected = REF["datasets"][dataset]["curves"][group][conf_type]
    km = kaplan_meier_entry(rows["entry"], rows["time"], rows["event"], conf_type=conf_type)
    np.testing.assert_array_equal(km.time, r_array(expected["time"]))
    np.testing.assert_array_equal(km.at_risk, r_array(expected["n_risk"]))
    np.testing.assert_allclose(km.survival, r_array(expected["surv"]), rtol=RTOL)
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_allclose(km.std_err / km.survival, r_array(expected["std_err"]),
                                   rtol=RTOL)
    np.testing.assert_allclose(km.lower, r_array(expected["lower"]), rtol=RTOL)
    np.testing.assert_allclose(km.upper, r_array(expected["upper"]), rtol=RTOL)
    median = survival_quantile(km, 0.5)
    np.testing.assert_allclose([median.estimate, median.lower, median.upper],
                               r_array([expected["median"][k] for k in ("estimate", "lower", "upper")]),
                               rtol=RTOL)
    marks = expected["landmarks"]
    found = landmark_survival(km, r_array(marks["time"]))
    np.testing.assert_array_equal([lm.at_risk for lm in found], r_array(marks["n_risk"]))
    inside = np.array([lm.time <= km.time[-1] for lm in found])  # R carries the curve on
    for key, r_key in (("survival", "surv"), ("lower", "lower"), ("upper", "upper")):
        np.testing.assert_allclose(np.array([getattr(lm, key) for lm in found])[inside],
                                   r_array(marks[r_key])[inside], rtol=RTOL)


def test_myeloma_q2_median_moves_from_1080_to_784_days_with_entry():
    rows = load("myeloma").query("group == 'Q2'")
    km = kaplan_meier_entry(rows["entry"], rows["time"], rows["event"])
    assert survival_quantile(km, 0.5).estimate == 784
    from cohort_explorer.stats import kaplan_meier

    assert survival_quantile(kaplan_meier(rows["time"], rows["event"]), 0.5).estimate == 1080


@pytest.mark.parametrize("dataset", list(REF["datasets"]))
def test_logrank_with_entry_matches_R(dataset):
    data = load(dataset)
    expected = REF["datasets"][dataset]["logrank"]
    result = logrank_entry(data["entry"], data["time"], data["event"], data["group"])
    np.testing.assert_allclose(result.statistic, expected["statistic"], rtol=RTOL)
    np.testing.assert_allclose(result.p, expected["p"], rtol=RTOL)
    np.testing.assert_allclose(result.observed, r_array(expected["observed"]), rtol=RTOL)
    np.testing.assert_allclose(result.expected, r_array(expected["expected"]), rtol=RTOL)
    assert result.df == expected["df"]


@pytest.mark.parametrize("dataset", list(REF["datasets"]))
def test_logrank_with_zero_entry_is_survdiff(dataset):
    data = load(dataset)
    with_zero = logrank_entry(0 * data["entry"], data["time"], data["event"], data["group"])
    plain = logrank_test(data["time"], data["event"], data["group"])
    np.testing.assert_allclose(with_zero.statistic, plain.statistic, rtol=1e-10)
    np.testing.assert_allclose(with_zero.statistic,
                               REF["datasets"][dataset]["logrank_no_entry"]["statistic"], rtol=RTOL)


@pytest.mark.parametrize("dataset", list(REF["datasets"]))
def test_cox_with_entry_matches_R(dataset):
    data = load(dataset)
    record = REF["datasets"][dataset]
    expected = record["cox"]
    fit = fit_cox(data["time"], data["event"], design(data, record["groups"]), entry=data["entry"])
    np.testing.assert_allclose([t.coef for t in fit.terms], expected["coef"], rtol=1e-5)
    np.testing.assert_allclose([t.se for t in fit.terms], expected["se"], rtol=1e-5)
    np.testing.assert_allclose(fit.lr_test.statistic, expected["lr"], rtol=1e-5)
    np.testing.assert_allclose(fit.concordance, expected["concordance"], atol=1e-3)
    plain = fit_cox(data["time"], data["event"], design(data, record["groups"]))
    np.testing.assert_allclose([t.coef for t in plain.terms], record["cox_no_entry"]["coef"],
                               rtol=1e-5)


@pytest.mark.parametrize("reuse_fit", [False, True])
@pytest.mark.parametrize("dataset", list(REF["datasets"]))
def test_ph_test_with_entry_matches_R_cox_zph(dataset, reuse_fit):
    """cox.zph of coxph(Surv(entry, time, event) ~ group + x): the score tests (group as one
    2-df test, x, GLOBAL) and the scaled Schoenfeld residuals, ties listed in R's order."""
    data = load(dataset)
    record = REF["datasets"][dataset]
    x = design(data, record["groups"])
    groups = {"group": list(x.columns[:-1])}
    cox = fit_cox(data["time"], data["event"], x, term_groups=groups,
                  entry=data["entry"]) if reuse_fit else None
    ph = proportional_hazards_test(data["time"], data["event"], x, cox, term_groups=groups,
                                   entry=data["entry"])
    z = record["zph"]
    assert [label for label, _ in ph.terms] + ["GLOBAL"] == z["tests"]
    tests = [t for _, t in ph.terms] + [ph.global_test]
    np.testing.assert_allclose([t.statistic for t in tests], z["chisq"], rtol=RTOL)
    np.testing.assert_allclose([t.p for t in tests], z["p"], rtol=RTOL)
    assert [t.df for t in tests] == z["df"]
    residuals = ph.residuals
    np.testing.assert_allclose(residuals.time, z["x"], rtol=RTOL, atol=1e-12)
    np.testing.assert_allclose(residuals.raw_time, z["time"], rtol=RTOL)
    np.testing.assert_allclose(residuals.values, np.array(z["y"]).T, rtol=RTOL)
    np.testing.assert_allclose(residuals.variance, z["var"], rtol=RTOL)


def test_myeloma_hr_q2_vs_q1_is_091_with_entry_and_076_without():
    data = load("myeloma")
    x = pd.DataFrame({f"group={g}": (data["group"] == g).astype(float) for g in ("Q2", "Q3", "Q4")})
    with_entry = fit_cox(data["time"], data["event"], x, entry=data["entry"])
    without = fit_cox(data["time"], data["event"], x)
    assert round(with_entry.terms[0].hr, 2) == 0.91
    assert round(without.terms[0].hr, 2) == 0.76


def test_entry_at_or_after_time_is_refused():
    with pytest.raises(ColumnError, match="enter at or after"):
        kaplan_meier_entry([0, 5], [3, 5], [1, 0])


def test_entry_is_named_in_the_methods_and_the_json():
    from cohort_explorer.analysis import analyze
    from cohort_explorer.present.report import methods_paragraph
    from cohort_explorer.spec import AnalysisSpec

    spec = AnalysisSpec(time_col="time", event_col="event", group_by="group", entry_col="entry")
    result = analyze(load("ties"), spec)
    assert result.to_dict()["entry"] == "entry"
    assert "Delayed entry (left truncation)" in methods_paragraph(result, spec)
    assert result.ph_test is not None  # cox.zph of the counting-process model


def test_analyze_with_entry_reports_the_ph_test_of_r():
    from cohort_explorer.analysis import analyze
    from cohort_explorer.spec import AnalysisSpec

    z = REF["datasets"]["myeloma"]["zph"]
    spec = AnalysisSpec(time_col="time", event_col="event", group_by="group",
                        covariates=("x",), entry_col="entry")
    ph = analyze(load("myeloma"), spec).ph_test
    assert [label for label, _ in ph.terms] == ["group", "x"]
    np.testing.assert_allclose([t.statistic for _, t in ph.terms] + [ph.global_test.statistic],
                               z["chisq"], rtol=RTOL)
