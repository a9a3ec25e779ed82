"""End to end: analysis.analyze on whole cohorts matches R (tests/reference/analysis.R)."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import REFERENCE, SAMPLE_CSV, load_reference

REF = load_reference("analysis")
RTOL = 1e-6


def _close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.atleast_1d(np.asarray(expected, dtype=float)), rtol=rtol
    )


def _check_groups(result, ref):
    assert [g.label for g in result.groups] == [g["label"] for g in ref["groups"]]
    for group, expected in zip(result.groups, ref["groups"], strict=True):
        assert (group.n, group.events) == (expected["n"], expected["events"])
        m = expected["median"]
        _close([group.median.estimate, group.median.lower, group.median.upper],
               [m["estimate"], m["lower"], m["upper"]])
        lm = {k: np.atleast_1d(v).tolist() for k, v in expected["landmarks"].items()}
        _close([x.survival for x in group.landmarks], lm["survival"])
        _close([x.lower for x in group.landmarks], lm["lower"])
        _close([x.upper for x in group.landmarks], lm["upper"])
        assert [x.at_risk for x in group.landmarks] == lm["at_risk"]
        if group.rmst is not None:
            _close([group.rmst.estimate, group.rmst.se],
                   [expected["rmst"]["estimate"], expected["rmst"]["se"]])


def _check_cox(cox, ref, names):
    assert [t.term for t in cox.terms] == names
    for field in ("coef", "se", "hr", "lower", "upper", "p"):
        _close([getattr(t, field) for t in cox.terms], ref[field])
    _close([cox.lr_test.statistic, cox.lr_test.df, cox.lr_test.p], ref["lr"])
    assert cox.concordance == pytest.approx(ref["concordance"], abs=1e-3)


@pytest.fixture(scope="module")
def lung():
    return pd.read_csv(REFERENCE / "data" / "analysis_lung.csv")


def test_lung_analysis_matches_R(lung):
    """R: survfit/survdiff/coxph(Surv(time, status == 2) ~ ph.ecog + age + sex), ph.ecog < 3."""
    spec = AnalysisSpec(time_col="time", event_col="status", event_value="2", group_by="ph.ecog",
                        where=("ph.ecog<3",), covariates=("age", "sex:cat"),
                        landmarks=(180.0, 365.0), rmst_tau=365.0)
    result = analyze(lung, spec)
    ref = REF["lung"]
    assert (result.n, result.events, result.filtered) == (ref["n"], ref["events"], ref["filtered"])
    assert result.excluded.count == 0
    _close([result.follow_up.q1, result.follow_up.median, result.follow_up.q3],
           [ref["follow_up"]["q1"], ref["follow_up"]["median"], ref["follow_up"]["q3"]])
    _check_groups(result, ref)
    _close([result.logrank.statistic, result.logrank.df, result.logrank.p],
           [ref["logrank"]["statistic"], ref["logrank"]["df"], ref["logrank"]["p"]])
    _check_cox(result.cox, ref["cox"], ["ph.ecog=1", "ph.ecog=2", "age", "sex=2"])
    json.dumps(result.to_dict(), allow_nan=False)


@pytest.mark.parametrize("endpoint", ["pfs", "os"])
def test_sample_ikzf1_q1_vs_rest_matches_R(endpoint):
    df = pd.read_csv(SAMPLE_CSV)
    spec = AnalysisSpec(time_col=f"{endpoint}_months", event_col=f"{endpoint}_event",
                        group_by="ikzf1:q1-vs-rest", landmarks=(36.0,), rmst_tau=36.0)
    result = analyze(df, spec)
    ref = REF[f"sample_{endpoint}"]
    assert (result.n, result.events) == (ref["n"], ref["events"])
    _check_groups(result, ref)
    _close([result.logrank.statistic, result.logrank.p],
           [ref["logrank"]["statistic"], ref["logrank"]["p"]])
    if endpoint == "pfs":
        _check_cox(result.cox, ref["cox"], ["ikzf1=Q2-Q4"])
    else:
        # No deaths in Q1: R warns "Loglik converged before variable 1; coefficient may be
        # infinite". We report the term as not estimable instead of a huge HR.
        (term,) = result.cox.terms
        assert not term.estimable and term.reason
        assert term.to_dict()["hr"] is None


def test_sample_multivariable_cox_matches_R():
    df = pd.read_csv(SAMPLE_CSV)
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:q1-vs-rest",
                        covariates=("cyto_risk:cat:ref=standard",))
    result = analyze(df, spec)
    _check_cox(result.cox, REF["sample_multivariable"], ["ikzf1=Q2-Q4", "cyto_risk=high"])


def _frame(**columns):
    return pd.DataFrame(columns)


def test_exclusions_are_counted_once_by_first_reason():
    df = _frame(t=[1.0, -2.0, None, 3.0, 4.0, 5.0, 6.0], e=[1, 1, 1, None, 0, 1, 0],
                x=[1.0, 2.0, 3.0, 4.0, 0.0, None, 2.0])
    result = analyze(df, AnalysisSpec("t", "e", covariates=("x:log2",)))
    assert result.n == 2
    assert result.excluded.count == 5
    reasons = {k: v for k, v in result.excluded.reasons.items() if v}
    assert reasons == {"negative time": 1, "missing time": 1, "missing event": 1,
                       "log2 of value <= 0 in x": 1, "missing x": 1}


def test_all_censored_gives_nulls_and_a_warning():
    df = _frame(t=[1.0, 2.0, 3.0, 4.0], e=[0, 0, 0, 0], g=["a", "b", "a", "b"])
    result = analyze(df, AnalysisSpec("t", "e", group_by="g"))
    out = result.to_dict()
    assert out["logrank"] is None and out["cox"] is None
    assert all(g["median"]["estimate"] is None for g in out["groups"])
    assert any("censored" in w for w in result.warnings)


def test_single_group_has_no_logrank_and_warns():
    df = _frame(t=[1.0, 2.0, 3.0], e=[1, 0, 1], g=["a", "a", "a"])
    result = analyze(df, AnalysisSpec("t", "e", group_by="g"))
    assert result.logrank is None and result.cox is None
    assert any("one group" in w for w in result.warnings)
    with pytest.raises(OptionError, match="two groups"):
        analyze(df, AnalysisSpec("t", "e", group_by="g", trend=True))


def test_one_patient():
    result = analyze(_frame(t=[5.0], e=[1]), AnalysisSpec("t", "e"))
    assert result.n == 1 and result.groups[0].km.survival.tolist() == [0.0]


def test_nothing_analysable_is_an_error():
    with pytest.raises(ColumnError, match="Nothing to analyse"):
        analyze(_frame(t=[None, -1.0], e=[1, 0]), AnalysisSpec("t", "e"))


def test_unknown_column_suggests_close_names():
    with pytest.raises(ColumnError, match="did you mean pfs_months"):
        analyze(_frame(pfs_months=[1.0], pfs_event=[1]), AnalysisSpec("pfs_month", "pfs_event"))


def test_response_grouping_warns_about_immortal_time():
    df = _frame(t=[1.0, 2.0, 3.0, 4.0], e=[1, 0, 1, 1], best_response=["CR", "PR", "CR", "PR"])
    result = analyze(df, AnalysisSpec("t", "e", group_by="best_response"))
    assert any("immortal-time" in w for w in result.warnings)


def test_landmark_analysis_measures_time_from_landmark():
    df = _frame(t=[2.0, 8.0, 12.0, 20.0, 30.0], e=[1, 1, 0, 1, 1],
                resp=["CR", "CR", "PR", "PR", "CR"], resp_t=[1.0, 3.0, 4.0, 9.0, 5.0])
    spec = AnalysisSpec("t", "e", group_by="resp", landmark_from=6.0, response_time_col="resp_t")
    result = analyze(df, spec)
    assert result.n == 4
    assert result.excluded.reasons["event or censoring by landmark 6"] == 1
    labels = {g.label: g.km.time.tolist() for g in result.groups}
    assert labels == {"CR": [2.0, 24.0], "PR": [6.0], "not reached by 6": [14.0]}
    assert not any("immortal-time" in w for w in result.warnings)


def test_landmark_analysis_keeps_an_explicit_order():
    df = _frame(t=[9.0, 12.0, 20.0, 30.0], e=[1, 0, 1, 1], resp=["PR", "CR", "PR", "CR"],
                resp_t=[1.0, 3.0, 8.0, 4.0])
    spec = AnalysisSpec("t", "e", group_by="resp:order=CR,PR", landmark_from=6.0,
                        response_time_col="resp_t")
    assert [g.label for g in analyze(df, spec).groups] == ["CR", "PR", "not reached by 6"]


def test_trend_test_does_not_depend_on_the_reference_group(lung):
    """R: survdiff(Surv(time, status == 2) ~ ph.ecog) scored 1..k in ph.ecog order."""
    spec = AnalysisSpec(time_col="time", event_col="status", event_value="2", group_by="ph.ecog",
                        where=("ph.ecog<3",), trend=True, pairwise="holm")
    natural = analyze(lung, spec)
    moved = analyze(lung, replace(spec, reference="2"))
    assert [g.label for g in moved.groups] == ["2", "0", "1"]
    assert moved.trend.statistic == pytest.approx(natural.trend.statistic, rel=1e-12)
    assert [(p.group1, p.group2) for p in moved.pairwise] == [("0", "1"), ("0", "2"), ("1", "2")]


def test_landmark_trend_ranks_only_real_responses():
    df = pd.read_csv(SAMPLE_CSV)
    spec = AnalysisSpec("pfs_months", "pfs_event", group_by="best_response:order=sCR,CR,VGPR,PR,SD,PD",
                        landmark_from=12.0, response_time_col="response_months", trend=True)
    result = analyze(df, spec)
    late = "not reached by 12"
    assert late in [g.label for g in result.groups]
    # The trend is the log-rank trend over the ranked responses only.
    kept = df[(df.pfs_months > 12) & (df.response_months <= 12)]
    direct = analyze(kept.assign(pfs_months=kept.pfs_months - 12),
                     AnalysisSpec("pfs_months", "pfs_event", trend=True,
                                   group_by="best_response:order=sCR,CR,VGPR,PR,SD,PD"))
    assert result.trend.statistic == pytest.approx(direct.trend.statistic, rel=1e-12)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param(AnalysisSpec("t", "e", event_value="7"), "no row of 'e' has the value 7; "
                     "it holds 0, 1, 2", id="event-value-absent"),
        pytest.param(AnalysisSpec("t", "e", event_value="2", where=("t>100",)),
                     "leaves no rows out of 4", id="filter-removes-all"),
        pytest.param(AnalysisSpec("t", "e", event_value="2", landmark_from=-5.0),
                     "landmark must be a time >= 0", id="negative-landmark"),
        pytest.param(AnalysisSpec("t", "e", event_value="2", response_time_col="t"),
                     "add --landmark-from", id="response-time-alone"),
    ],
)
def test_option_mistakes_are_refused(spec, message):
    df = _frame(t=[1.0, 2.0, 3.0, 4.0], e=[0, 1, 2, 2])
    with pytest.raises(OptionError, match=re.escape(message)):
        analyze(df, spec)


def test_rmst_difference_matches_R_group_values():
    """R: summary(survfit(...), rmean = 36)$table per group; difference se = sqrt(se1^2 + se2^2)."""
    df = pd.read_csv(SAMPLE_CSV)
    spec = AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:q1-vs-rest", rmst_tau=36.0)
    (diff,) = analyze(df, spec).rmst_differences
    q1, rest = (g["rmst"] for g in REF["sample_pfs"]["groups"])
    assert (diff.group, diff.reference) == ("Q2-Q4", "Q1")
    assert diff.estimate == pytest.approx(rest["estimate"] - q1["estimate"], rel=1e-6)
    assert diff.se == pytest.approx(np.hypot(rest["se"], q1["se"]), rel=1e-6)
    assert diff.lower == pytest.approx(diff.estimate - 1.959963984540054 * diff.se, rel=1e-9)
    assert "rmst_differences" not in analyze(df, replace(spec, rmst_tau=None)).to_dict()


def test_text_output_names_the_confidence_level(capsys):
    from cohort_explorer.cli import main

    main([
        "analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
        "--group-by", "ikzf1:q1-vs-rest", "--landmark", "36", "--conf-level", "0.8",
        "--output", "text"])
    out = capsys.readouterr().out
    assert "80% CI" in out and "95% CI" not in out
