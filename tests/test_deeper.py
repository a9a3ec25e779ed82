"""Deeper analyses (issue 10) against R (tests/reference/deeper.R -> deeper.json).

Cut-point HRs (coxph per candidate) and bootstrap (maxstat.test on the same resamples), spline
(rms::rcspline.eval + coxph), subgroup forest (coxph per level, anova of the interaction),
univariable screen (coxph, p.adjust BH), stratified Cox (strata()), landmark differences
(summary.survfit std.err) and predicted survival (survfit.coxph with newdata).
"""

from __future__ import annotations

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.errors import OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.stats.cox import fit_cox
from cohort_explorer.stats.cut_explorer import (
    BootstrapCancelled,
    bootstrap_cutpoint,
    candidate_hrs,
)
from cohort_explorer.stats.cutpoint import optimal_cutpoint
from cohort_explorer.stats.spline import cox_spline, rcspline_eval
from tests.conftest import REFERENCE, load_reference

REF = load_reference("deeper")
SAMPLE = pd.read_csv(REFERENCE / "data" / "deeper_sample.csv")
LUNG = pd.read_csv(REFERENCE / "data" / "deeper_lung.csv")
COX_TOL = 1e-5


def _spec(**options) -> AnalysisSpec:
    base = {"time_col": "pfs_months", "event_col": "pfs_event"}
    return AnalysisSpec(**{**base, **options})


def _arrays():
    return (SAMPLE.pfs_months.to_numpy(float), SAMPLE.pfs_event.to_numpy(float),
            SAMPLE.ikzf1.to_numpy(float))


# ---------------------------------------------------------------- cut-point explorer
def test_hr_at_every_candidate_cut_equals_coxph():
    time, event, x = _arrays()
    found = optimal_cutpoint(time, event, x)
    npt.assert_allclose(found.candidates, REF["cutpoint"]["cuts"], rtol=1e-12)
    npt.assert_allclose(candidate_hrs(time, event, x, found.candidates),
                        REF["cutpoint"]["hrs"], rtol=COX_TOL)


def test_bootstrap_cuts_equal_maxstat_on_the_same_resamples():
    time, event, x = _arrays()
    boot = bootstrap_cutpoint(time, event, x, cutpoint=1.049, B=20, seed=20170101)
    ref = REF["cutpoint"]
    npt.assert_allclose(boot.cuts, ref["boot_cuts"], rtol=1e-12)
    npt.assert_allclose([boot.lower, boot.median, boot.upper], ref["boot_quantiles"], rtol=1e-9)
    assert boot.same_quartile_share == pytest.approx(ref["boot_same_quartile"])
    assert boot.skipped == 0 and boot.B == 20


def test_bootstrap_is_the_numpy_scheme_and_is_cancellable():
    time, event, x = _arrays()
    boot = bootstrap_cutpoint(time, event, x, cutpoint=1.049, B=300, seed=7)
    idx = np.random.default_rng(7).integers(0, 60, size=(300, 60))
    naive = np.array([optimal_cutpoint(time[r], event[r], x[r]).cutpoint for r in idx])
    npt.assert_array_equal(boot.cuts, naive)
    seen = []
    with pytest.raises(BootstrapCancelled):
        bootstrap_cutpoint(time, event, x, cutpoint=1.049, B=100_000, seed=7,
                           progress=lambda done, total: seen.append(done) or False)
    assert len(seen) == 1 and seen[0] < 100_000


def test_bootstrap_needs_an_optimal_grouping():
    with pytest.raises(OptionError, match="optimal"):
        analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", bootstrap=10))


def test_analyze_reports_hrs_and_bootstrap_in_json():
    out = analyze(SAMPLE, _spec(group_by="ikzf1:optimal", bootstrap=20)).to_dict()
    npt.assert_allclose(out["cutpoint"]["hrs"], REF["cutpoint"]["hrs"], rtol=COX_TOL)
    assert out["cutpoint"]["bootstrap"]["cuts"] == REF["cutpoint"]["boot_cuts"]
    plain = analyze(SAMPLE, _spec(group_by="ikzf1:optimal")).to_dict()
    assert "bootstrap" not in plain["cutpoint"] and "strata" not in plain["cox"]


# ---------------------------------------------------------------- spline
@pytest.mark.parametrize("case", ["spline", "spline_adjusted", "spline_lung"])
def test_spline_equals_rms_and_coxph(case):
    ref = REF[case]
    if case == "spline_lung":
        time, event, x = LUNG.time, LUNG.status, LUNG.age
        cov = LUNG[["karno"]].to_numpy(float)
    else:
        time, event, x = _arrays()
        cov = (np.column_stack([SAMPLE.age, (SAMPLE.cyto_risk == "standard").astype(float)])
               if case == "spline_adjusted" else None)
    curve = cox_spline(time, event, x, cov)
    npt.assert_allclose(curve.knots, ref["knots"], rtol=1e-12)
    npt.assert_allclose(rcspline_eval(np.asarray(x, float)[:5], curve.knots), ref["basis_head"],
                        rtol=1e-10, atol=1e-12)
    assert curve.reference == pytest.approx(ref["reference"])
    npt.assert_allclose(curve.x, ref["x"], rtol=1e-12)
    for key in ("hr", "lower", "upper"):
        npt.assert_allclose(getattr(curve, key), ref[key], rtol=COX_TOL)
    assert curve.p_nonlinear == pytest.approx(ref["p_nonlinear"], rel=COX_TOL)
    assert curve.p_overall == pytest.approx(ref["p_overall"], rel=COX_TOL)


def test_spline_through_analyze_uses_the_covariates():
    out = analyze(SAMPLE, _spec(spline="ikzf1", covariates=("age", "cyto_risk:cat")))
    ref = REF["spline_adjusted"]
    npt.assert_allclose(out.spline.hr, ref["hr"], rtol=COX_TOL)
    assert out.spline.p_nonlinear == pytest.approx(ref["p_nonlinear"], rel=COX_TOL)
    assert "rug" not in out.to_dict()["spline"]


def test_spline_on_a_marker_with_few_values_is_refused():
    with pytest.raises(OptionError, match="distinct"):
        analyze(SAMPLE, _spec(spline="del17p"))


# ---------------------------------------------------------------- subgroup forest
def _forest_terms(level):
    return {t.term.split("=")[1]: t for t in level.terms}


def test_subgroup_forest_equals_coxph_per_level_and_anova():
    result = analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", covariates=("age",),
                                   subgroups=("sex", "age:median")))
    for ours, ref in zip(result.subgroups, REF["subgroups"], strict=True):
        inter = ref["interaction"]
        assert ours.interaction.df == inter["df"]
        assert ours.interaction.statistic == pytest.approx(inter["statistic"], rel=COX_TOL)
        assert ours.interaction.p == pytest.approx(inter["p"], rel=COX_TOL)
        assert sorted(lv.level for lv in ours.levels) == [lv["level"] for lv in ref["levels"]]
        by_name = {lv.level: lv for lv in ours.levels}
        for ref_level in ref["levels"]:
            level = by_name[ref_level["level"]]
            assert (level.n, level.events) == (ref_level["n"], ref_level["events"])
            terms = _forest_terms(level)
            for ref_term in ref_level["terms"]:
                term = terms[ref_term["term"][1:]]
                if ref_term["se"] > 100:  # R: a runaway coefficient -> not estimable here
                    assert not term.estimable and "no events" in term.reason
                    continue
                assert term.hr == pytest.approx(ref_term["hr"], rel=COX_TOL)
                assert term.lower == pytest.approx(ref_term["lower"], rel=COX_TOL)
                assert term.p == pytest.approx(ref_term["p"], rel=COX_TOL)


def test_subgroup_with_one_level_is_refused():
    with pytest.raises(OptionError, match="one level"):
        analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", subgroups=("sex",),
                              where=("sex=F",)))


def test_subgroup_level_with_an_absent_group_is_shown_not_estimable():
    result = analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", subgroups=("cyto_risk",)))
    rows = [t for lv in result.subgroups[0].levels for t in lv.terms]
    assert len(rows) == 2 * 3
    assert any(not t.estimable and t.reason for t in rows)


# ---------------------------------------------------------------- univariable screen
def test_screen_equals_coxph_per_term_and_bh():
    result = analyze(SAMPLE, _spec(screen=("age", "ikzf1:log2", "cyto_risk:cat",
                                           "iss_stage:cat", "crbn")))
    for row, ref in zip(result.screen, REF["screen"], strict=True):
        assert row.lr_statistic == pytest.approx(ref["lr_statistic"], rel=COX_TOL)
        assert row.lr_p == pytest.approx(ref["lr_p"], rel=COX_TOL)
        assert row.q == pytest.approx(ref["q"], rel=COX_TOL)
        ref_coef = np.atleast_1d(ref["coef"])
        npt.assert_allclose([t.coef for t in row.coefficients], ref_coef, rtol=COX_TOL)
        npt.assert_allclose([t.se for t in row.coefficients], np.atleast_1d(ref["se"]),
                            rtol=COX_TOL)


# ---------------------------------------------------------------- stratified Cox
def test_stratified_cox_equals_coxph_strata():
    result = analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", covariates=("age",),
                                   strata="sex"))
    ref = REF["stratified"]
    npt.assert_allclose([t.coef for t in result.cox.terms], ref["coef"], rtol=COX_TOL)
    npt.assert_allclose([t.se for t in result.cox.terms], ref["se"], rtol=COX_TOL)
    assert result.cox.lr_test.statistic == pytest.approx(ref["lr"], rel=COX_TOL)
    assert result.cox.concordance == pytest.approx(ref["concordance"], abs=1e-3)
    assert result.to_dict()["cox"]["strata"] == "sex"
    assert result.stratified_logrank is not None


def test_strata_without_any_comparison_are_not_estimable_not_a_crash():
    """Every stratum's one event is its last exit: the partial likelihood is 0 for every
    coefficient. R (coxph + strata) runs out of iterations with coef 0 and se 0; the Newton
    step here divided by that 0 (ZeroDivisionError) before."""
    df = pd.DataFrame({"time": [1, 2] * 4, "event": [0, 1] * 4, "s": [1, 1, 2, 2, 3, 3, 4, 4],
                       "g": [0, 1, 1, 0, 0, 1, 1, 0]})
    result = analyze(df, AnalysisSpec("time", "event", group_by="g", strata="s"))
    assert not result.cox.converged
    assert [t.estimable for t in result.cox.terms] == [False]
    assert any(getattr(w, "code", "") == "cox_not_converged" for w in result.warnings)


def test_stratified_cox_on_lung():
    data = pd.read_csv(REFERENCE / "data" / "deeper_lung_strata.csv")
    fit = fit_cox(data.time, data.status, data[["age", "sex"]], strata=data.ecog)
    ref = REF["stratified_lung"]
    npt.assert_allclose([t.coef for t in fit.terms], ref["coef"], rtol=COX_TOL)
    npt.assert_allclose([t.se for t in fit.terms], ref["se"], rtol=COX_TOL)
    assert fit.concordance == pytest.approx(ref["concordance"], abs=1e-6)


# ---------------------------------------------------------------- landmark differences
def test_landmark_differences_equal_summary_survfit():
    result = analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", landmarks=(12, 36)))
    found = {(d.group, d.time): d for d in result.landmark_differences}
    assert len(found) == 6
    for ref in REF["landmark_differences"]:
        ours = found[(ref["group"], ref["time"])]
        for key in ("difference", "lower", "upper"):
            assert getattr(ours, key) == pytest.approx(ref[key], rel=1e-6, abs=1e-12)
    assert "landmark_differences" not in analyze(
        SAMPLE, _spec(group_by="ikzf1:quartiles")).to_dict()


# ---------------------------------------------------------------- predicted survival
@pytest.mark.parametrize("case", [0, 1])
def test_predicted_survival_equals_survfit_coxph(case):
    ref = REF["prediction"][case]
    spec = _spec(group_by="ikzf1:quartiles", covariates=("age", "cyto_risk:cat"),
                 landmarks=tuple(ref["times"]), conf_type=ref["conf_type"],
                 predict=(f"ikzf1={ref['ikzf1']}", f"age={ref['age']}",
                          f"cyto_risk={ref['cyto_risk']}"))
    pred = analyze(SAMPLE, spec).prediction
    assert pred.group == ("Q1" if case == 0 else "Q4")
    for key in ("survival", "lower", "upper"):
        npt.assert_allclose([getattr(lm, key) for lm in pred.landmarks],
                            ref["surv" if key == "survival" else key], rtol=COX_TOL)
    median = [pred.median.estimate, pred.median.lower, pred.median.upper]
    npt.assert_allclose(np.array(median, dtype=float),
                        np.array([np.nan if v is None else v for v in ref["median"]], float),
                        rtol=1e-9)
    if case == 0:
        npt.assert_allclose(pred.curve.time, ref["curve_time"])
        npt.assert_allclose(pred.curve.survival, ref["curve_surv"], rtol=COX_TOL)
        npt.assert_allclose(pred.curve.std_err / pred.curve.survival, ref["curve_se"],
                            rtol=COX_TOL)


def test_prediction_needs_every_covariate_and_warns_out_of_range():
    spec = _spec(group_by="ikzf1:quartiles", covariates=("age",), predict=("ikzf1=0.5",))
    with pytest.raises(OptionError, match="age"):
        analyze(SAMPLE, spec)
    far = analyze(SAMPLE, _spec(group_by="ikzf1:quartiles", covariates=("age",),
                                predict=("ikzf1=40", "age=60")))
    assert far.prediction.group == "Q4"
    assert any("outside the range" in w for w in far.warnings)
    assert "curve" not in far.to_dict()["prediction"]
