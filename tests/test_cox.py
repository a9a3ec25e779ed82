"""Cox models against R survival 3.5.3 (tests/reference/cox.R -> cox.json).

R code for the reference values, e.g. for the Rossi data (as in the lifelines test-suite)::

    coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi)
    cox.zph(fit)                 # transform = "km", survival >= 3 score test
"""

from __future__ import annotations

import functools
import json
import re

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest
from scipy import stats

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats import cox
from cohort_explorer.stats.cox import fit as cox_fit
from cohort_explorer.stats.cox import fit_cox, proportional_hazards_test
from cohort_explorer.stats.cox import model as cox_model
from cohort_explorer.stats.cox import refit as cox_refit
from tests.conftest import REFERENCE, load_reference

REF = load_reference("cox")
DATA = REFERENCE / "data"
RTOL = 1e-6


def _dummies(values: pd.Series, column: str, levels: list) -> dict[str, np.ndarray]:
    return {f"{column}={level}": (values == level).to_numpy(dtype=float) for level in levels}


def _model(name: str):
    """(time, event, design, term_groups) of the model ``name`` in cox.R."""
    if name == "rossi":
        d = pd.read_csv(DATA / "cox_rossi.csv")
        cols = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
        return d.week, d.arrest, d[cols], None
    if name in ("lung", "lung_log2"):
        d = pd.read_csv(DATA / "cox_lung.csv")
        if name == "lung_log2":
            design = pd.DataFrame({"sex": d.sex, "log2(ph.karno)": np.log2(d["ph.karno"])})
            return d.time, d.status, design, None
        design = pd.DataFrame({"age": d.age, "sex": d.sex, **_dummies(d["ph.ecog"], "ph.ecog",
                                                                      [1, 2, 3])})
        return d.time, d.status, design, {"ph.ecog": ["ph.ecog=1", "ph.ecog=2", "ph.ecog=3"]}
    if name == "separation":
        d = pd.read_csv(DATA / "cox_separation.csv")
        design = pd.DataFrame({**_dummies(d.group, "group", ["B", "C"]), "age": d.age})
        return d.time, d.status, design, {"group": ["group=B", "group=C"]}
    if name == "refnoevent":
        d = pd.read_csv(DATA / "cox_refnoevent.csv")
        return d.time, d.status, d[["marker", "age"]], None
    d = pd.read_csv(DATA / "cox_ties.csv")
    design = pd.DataFrame({"trt": d.trt, "score": d.score,
                           **_dummies(d.stage, "stage", ["II", "III"])})
    return d.time, d.status, design, {"stage": ["stage=II", "stage=III"]}


ALL_MODELS = ["rossi", "lung", "lung_log2", "separation", "refnoevent", "ties"]
REGULAR = ["rossi", "lung", "lung_log2", "ties"]


@functools.cache
def _fit(name: str) -> cox.CoxResult:
    time, event, design, groups = _model(name)
    return fit_cox(time, event, design, term_groups=groups)


def _r_flagged(name: str) -> set[int]:
    """0-based columns R named in "Loglik converged before variable ..."."""
    flagged = set()
    for text in REF[name]["warnings"]:
        match = re.search(r"before variable\s+([\d,\s]+);", text)
        if match:
            flagged |= {int(v) - 1 for v in match.group(1).split(",")}
    return flagged


@pytest.mark.parametrize("name", ALL_MODELS)
def test_cox_terms_match_R(name):
    ref, result = REF[name], _fit(name)
    assert [t.term for t in result.terms] == ref["terms"]
    for j, term in enumerate(result.terms):
        if not term.estimable:
            continue
        for field in ("coef", "se", "hr", "lower", "upper", "p"):
            npt.assert_allclose(getattr(term, field), ref[field][j], rtol=RTOL, err_msg=field)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_cox_tests_and_concordance_match_R(name):
    ref, result = REF[name], _fit(name)
    npt.assert_allclose(result.lr_test.statistic, ref["lr_test"]["statistic"], rtol=RTOL)
    assert result.lr_test.df == ref["lr_test"]["df"]
    npt.assert_allclose(result.lr_test.p, ref["lr_test"]["p"], rtol=RTOL)
    npt.assert_allclose(result.concordance, ref["concordance"], rtol=1e-6)  # contract: 1e-3
    assert (result.n, result.events, result.ties) == (ref["n"], ref["events"], "efron")
    assert result.converged


@pytest.mark.parametrize("name", ["lung", "ties"])
def test_cox_multi_df_wald_matches_R(name):
    ref, result = REF[name], _fit(name)
    assert set(result.wald_tests) == set(ref["wald_tests"])
    for group, expected in ref["wald_tests"].items():
        got = result.wald_tests[group]
        npt.assert_allclose(got.statistic, expected["statistic"], rtol=RTOL)
        assert got.df == expected["df"]
        npt.assert_allclose(got.p, expected["p"], rtol=RTOL)


def test_cox_rossi_matches_published_lifelines_values():
    # The lifelines test-suite's R values for the same model (coxph, Efron).
    expected = [-0.3794222, -0.0574377, 0.3138998, -0.1497957, -0.4337039, -0.0848711, 0.0914971]
    npt.assert_allclose([t.coef for t in _fit("rossi").terms], expected, atol=5e-7)


def test_cox_level_without_events_is_not_estimable_and_others_match_R():
    result, ref = _fit("separation"), REF["separation"]
    by_name = {t.term: t for t in result.terms}
    assert not by_name["group=C"].estimable
    assert "no events in group C" in by_name["group=C"].reason
    assert by_name["group=B"].estimable and by_name["age"].estimable
    assert abs(ref["coef"][1]) > 15  # R: -20.8 with se 7416, p ~ 1
    npt.assert_allclose(by_name["age"].hr, ref["hr"][2], rtol=RTOL)
    assert np.isnan(result.wald_tests["group"].statistic)
    payload = result.to_dict()
    assert payload["terms"][1]["hr"] is None and payload["terms"][1]["p"] is None
    json.dumps(payload, allow_nan=False)
    assert any("group=C" in w for w in result.warnings)


def test_cox_two_valued_column_level_without_events_is_not_estimable():
    time, event, design, _ = _model("rossi")
    sex = np.where(design.age > 30, 1.0, 2.0)  # coded 1/2; "2" gets no events
    result = fit_cox(time, event * (sex == 1), design[["fin", "prio"]].assign(sex=sex))
    assert not result.terms[2].estimable
    assert "no events in rows with sex = 2" in result.terms[2].reason
    assert result.terms[0].estimable and result.terms[1].estimable


def test_cox_factor_with_reference_level_without_events_flags_all_its_dummies():
    time, event, design, groups = _model("lung")
    event = event * (design["ph.ecog=1"] + design["ph.ecog=2"] + design["ph.ecog=3"] > 0)
    result = fit_cox(time, event, design, term_groups=groups)
    flagged = [t.term for t in result.terms if not t.estimable]
    assert flagged == ["ph.ecog=1", "ph.ecog=2", "ph.ecog=3"]
    assert "reference group of ph.ecog" in result.terms[2].reason
    assert np.isnan(result.wald_tests["ph.ecog"].p)


def test_cox_reference_level_without_events_is_not_estimable():
    result, ref = _fit("refnoevent"), REF["refnoevent"]
    marker, age = result.terms
    assert not marker.estimable and "no events in rows with marker = 0" in marker.reason
    assert ref["coef"][0] > 15  # R: +19.7, "coefficient may be infinite"
    npt.assert_allclose([age.coef, age.se, age.p], [ref["coef"][1], ref["se"][1], ref["p"][1]],
                        rtol=RTOL)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_cox_infinite_coefficient_rule_matches_R(name):
    time, event, design, _ = _model(name)
    raw = cox_fit.newton_raphson(np.asarray(time, float), np.asarray(event, float),
                                  design.to_numpy(float))
    assert raw.iterations == REF[name]["iter"]
    npt.assert_allclose(raw.loglik_null, REF[name]["loglik"][0], rtol=1e-10)
    npt.assert_allclose(raw.loglik, REF[name]["loglik"][1], rtol=1e-10)
    assert set(np.flatnonzero(cox_model._infinite_rule(raw))) == _r_flagged(name)


def test_cox_collinear_term_is_not_estimable_like_R_NA():
    time, event, design, _ = _model("rossi")
    design = design[["fin", "age", "prio"]].assign(agefin=design.age + 2 * design.fin)
    result = fit_cox(time, event, design)
    reduced = fit_cox(time, event, design[["fin", "age", "prio"]])
    assert not result.terms[3].estimable and "collinear" in result.terms[3].reason
    npt.assert_allclose([t.coef for t in result.terms[:3]], [t.coef for t in reduced.terms],
                        rtol=1e-9)
    assert result.lr_test.df == 3  # R: "Likelihood ratio test=29.05 on 3 df"


def test_cox_conf_level_changes_only_the_interval():
    ref = REF["lung"]
    time, event, design, groups = _model("lung")
    result = fit_cox(time, event, design, term_groups=groups, conf_level=0.90)
    z = stats.norm.ppf(0.95)
    npt.assert_allclose([t.lower for t in result.terms],
                        np.exp(np.array(ref["coef"]) - z * np.array(ref["se"])), rtol=RTOL)
    npt.assert_allclose([t.p for t in result.terms], ref["p"], rtol=RTOL)


def test_cox_events_per_variable_warning():
    assert _fit("rossi").events_per_variable == pytest.approx(114 / 7)
    assert not any("events per variable" in w for w in _fit("rossi").warnings)
    time, event, design, _ = _model("rossi")
    small = fit_cox(time[:120], event[:120], design[:120])
    assert small.events_per_variable == pytest.approx(event[:120].sum() / 7)
    assert any("events per variable" in w for w in small.warnings)


def test_cox_non_convergence_is_reported_not_raised(monkeypatch):
    monkeypatch.setattr(cox_model, "fit_rows", functools.partial(cox_refit.fit_rows, max_iter=1))
    time, event, design, _ = _model("rossi")
    result = fit_cox(time, event, design)
    assert not result.converged
    assert any("did not converge" in w for w in result.warnings)


def test_cox_agrees_with_lifelines_on_tied_data():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(7)
    n = 3000
    x = pd.DataFrame({"a": rng.normal(size=n), "b": rng.integers(0, 2, n).astype(float),
                      "c": rng.normal(50, 10, n)})
    time = np.ceil(rng.exponential(10 * np.exp(-0.3 * x.a - 0.5 * x.b)))  # heavy ties
    event = (rng.random(n) < 0.7).astype(float)
    ours = fit_cox(time, event, x)
    frame = x.assign(time=time, event=event)
    theirs = lifelines.CoxPHFitter().fit(frame, "time", "event",
                                         fit_options={"precision": 1e-12})
    npt.assert_allclose([t.coef for t in ours.terms], theirs.params_.to_numpy(), rtol=1e-6)
    npt.assert_allclose([t.se for t in ours.terms], theirs.standard_errors_.to_numpy(),
                        rtol=1e-6)
    npt.assert_allclose(ours.lr_test.statistic, theirs.log_likelihood_ratio_test().test_statistic,
                        rtol=1e-6)


def test_concordance_counts_match_brute_force():
    rng = np.random.default_rng(3)
    n = 250
    time = rng.integers(1, 40, n).astype(float)
    event = (rng.random(n) < 0.6).astype(float)
    lp = rng.integers(0, 8, n).astype(float)  # many predictor ties
    conc = disc = tied = 0
    for i in np.flatnonzero(event):
        at_risk = (time > time[i]) | ((time == time[i]) & (event == 0))
        conc += np.sum(at_risk & (lp < lp[i]))
        disc += np.sum(at_risk & (lp > lp[i]))
        tied += np.sum(at_risk & (lp == lp[i]))
    assert cox_fit.concordance_counts(time, event, lp) == (conc, disc, tied)


def test_concordance_counts_match_R_counts():
    counts = REF["rossi"]["concordance_counts"]
    time, event, design, _ = _model("rossi")
    coef = np.array(REF["rossi"]["coef"])
    got = cox_fit.concordance_counts(time.to_numpy(float), event.to_numpy(float),
                                      design.to_numpy(float) @ coef)
    assert got == (counts["concordant"], counts["discordant"], counts["tied.x"])


@pytest.mark.parametrize("name", REGULAR)
def test_proportional_hazards_test_matches_R(name):
    time, event, design, groups = _model(name)
    ref = REF[name]
    result = proportional_hazards_test(time, event, design, term_groups=groups)
    expected = ref["zph_terms"]
    labels = [label for label, _ in result.terms]
    if name == "lung_log2":
        expected[1] = {**expected[1], "term": "log2(ph.karno)"}  # R names it log2_karno
    assert labels == [e["term"] for e in expected[:-1]]
    for (_, got), want in zip(result.terms, expected[:-1], strict=True):
        npt.assert_allclose([got.statistic, got.p], [want["chisq"], want["p"]], rtol=RTOL)
        assert got.df == want["df"]
    glob = expected[-1]
    npt.assert_allclose([result.global_test.statistic, result.global_test.p],
                        [glob["chisq"], glob["p"]], rtol=RTOL)
    assert result.global_test.df == glob["df"]


@pytest.mark.parametrize("name", ["lung", "ties"])
def test_proportional_hazards_test_per_column_matches_R(name):
    time, event, design, groups = _model(name)
    result = proportional_hazards_test(time, event, design, cox=_fit(name))
    for (label, got), want in zip(result.terms, REF[name]["zph_columns"][:-1], strict=True):
        assert label == want["term"]
        npt.assert_allclose(got.statistic, want["chisq"], rtol=RTOL)


def test_proportional_hazards_test_skips_terms_that_are_not_estimable():
    time, event, design, groups = _model("separation")
    result = proportional_hazards_test(time, event, design, term_groups=groups)
    assert [label for label, _ in result.terms] == ["group", "age"]
    assert np.isnan(result.terms[0][1].statistic) and np.isfinite(result.terms[1][1].p)
    assert result.global_test.df == 2
    json.dumps(result.to_dict(), allow_nan=False)


def _rossi_design():
    time, event, design, _ = _model("rossi")
    return time, event, design.copy()


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        pytest.param(lambda t, e, d: (t, e * 0, d), ColumnError, "no events", id="no_events"),
        pytest.param(lambda t, e, d: (t, e, d.assign(age=d.age.where(d.index != 5))),
                     ColumnError, "'age' has missing", id="nan_in_design"),
        pytest.param(lambda t, e, d: (t, e, d.assign(mar=1.0)), ColumnError, "'mar' is constant",
                     id="constant_column"),
        pytest.param(lambda t, e, d: (t[:1], e[:1], d[:1]), ColumnError, "at least 2 rows",
                     id="one_row"),
        pytest.param(lambda t, e, d: (t, e * 2, d), ColumnError, "0/1", id="event_coding"),
        pytest.param(lambda t, e, d: (t - 100, e, d), ColumnError, "negative", id="negative_time"),
        pytest.param(lambda t, e, d: (t, e, d[[]]), OptionError, "no covariates", id="empty_design"),
    ],
)
def test_cox_bad_input_raises_clear_error(change, error, message):
    time, event, design = change(*_rossi_design())
    with pytest.raises(error, match=message):
        fit_cox(time, event, design)


def test_cox_bad_options_raise_option_error():
    time, event, design = _rossi_design()
    with pytest.raises(OptionError, match="conf_level"):
        fit_cox(time, event, design, conf_level=95)
    with pytest.raises(OptionError, match="unknown_term"):
        fit_cox(time, event, design, term_groups={"g": ["unknown_term"]})


def test_runaway_coefficient_of_a_fit_that_did_not_converge_is_not_estimable():
    """R: coxph(Surv(t, e) ~ high) warns "Ran out of iterations" and prints HR 4e-10, p = 1."""
    time = np.array([1.0, 2.0, 7.0, 8.0, 9.0])
    event = np.array([1, 0, 1, 0, 1])
    design = pd.DataFrame({"high": [0.0, 0.0, 0.0, 1.0, 1.0]})
    result = fit_cox(time, event, design)
    assert not result.converged
    (term,) = result.terms
    assert not term.estimable and "monotone likelihood" in term.reason
    assert term.to_dict()["hr"] is None


def test_not_estimable_reason_names_a_level_whose_column_name_holds_an_equals_sign():
    from tests.results import not_estimable_result

    terms = not_estimable_result("dose=high").cox.terms
    assert terms[1].term == "dose=high=B" and not terms[1].estimable
    assert terms[1].reason.startswith("no events in group B:")
