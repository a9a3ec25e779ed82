"""Log-rank family against R survival 3.5.3.

Golden values: tests/reference/survival.R -> survival.json, e.g.
``survdiff(Surv(time, event) ~ group, data)``, ``survdiff(... ~ group + strata(strata))``,
the trend test as the score test ``coxph(Surv ~ rank, ties = "exact", iter.max = 0)$score``
(also ``ties = "breslow"`` where no event times are tied), and pairwise ``survdiff`` per pair
with ``p.adjust(..., "holm" | "BH" | "none")`` (what survminer's ``pairwise_survdiff`` does).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats import logrank_test, logrank_trend, pairwise_logrank
from tests.conftest import REFERENCE, load_reference

REF = load_reference("survival")
RTOL = 1e-6
COMPARED = [name for name, record in REF["datasets"].items() if "logrank" in record]
STRATIFIED = [name for name in COMPARED if "logrank_strata" in REF["datasets"][name]]


def load(dataset: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / REF["datasets"][dataset]["file"])


def as_list(values) -> list:
    return values if isinstance(values, list) else [values]


def assert_logrank_matches(result, expected):
    np.testing.assert_allclose(result.statistic, expected["chisq"], rtol=RTOL)
    assert result.df == expected["df"]
    np.testing.assert_allclose(result.p, expected["p"], rtol=RTOL)
    np.testing.assert_allclose(result.observed, expected["observed"], rtol=RTOL)
    np.testing.assert_allclose(result.expected, expected["expected"], rtol=RTOL)
    np.testing.assert_allclose(result.variance, np.array(expected["var"]), rtol=RTOL, atol=1e-12)


def test_reference_covers_the_cases_we_promise():
    assert {"lung", "lung_ecog", "aml", "ovarian", "ties", "allcens", "e0"} <= set(COMPARED)
    assert {"lung", "lung_ecog", "ovarian", "ties"} <= set(STRATIFIED)
    assert REF["datasets"]["e0"]["logrank"]["expected"][2] == 0  # a group with expected 0


@pytest.mark.parametrize("dataset", COMPARED)
def test_logrank_matches_R(dataset):
    data = load(dataset)
    result = logrank_test(data["time"], data["event"], data["group"])
    assert_logrank_matches(result, REF["datasets"][dataset]["logrank"])


@pytest.mark.parametrize("dataset", STRATIFIED)
def test_stratified_logrank_matches_R(dataset):
    data = load(dataset)
    result = logrank_test(data["time"], data["event"], data["group"], strata=data["strata"])
    assert_logrank_matches(result, REF["datasets"][dataset]["logrank_strata"])


@pytest.mark.parametrize("dataset", COMPARED)
def test_logrank_trend_matches_R(dataset):
    data = load(dataset)
    expected = REF["datasets"][dataset]["trend"]
    result = logrank_trend(data["time"], data["event"], data["group"])
    np.testing.assert_allclose([result.statistic, result.p], [expected["chisq"], expected["p"]])
    assert result.df == 1
    if "coxph_score" in expected:  # no tied event times: = Cox (Breslow) score test
        np.testing.assert_allclose(result.statistic, expected["coxph_score"], rtol=RTOL)


def test_logrank_trend_cross_checked_with_cox_score_test_on_three_groups():
    trend = REF["datasets"]["cont3"]["trend"]
    # the exact-ties score test and, without tied event times, the Breslow one agree
    assert trend["coxph_score"] == pytest.approx(trend["chisq"], rel=1e-9)
    # survminer's surv_pvalue(test.for.trend = TRUE) (survMisc) gives p = 0.032: not a reference
    assert trend["p"] == pytest.approx(0.7308, abs=1e-4)


@pytest.mark.parametrize("dataset", STRATIFIED)
def test_stratified_logrank_trend_matches_R(dataset):
    data = load(dataset)
    expected = REF["datasets"][dataset]["trend_strata"]
    result = logrank_trend(data["time"], data["event"], data["group"], strata=data["strata"])
    np.testing.assert_allclose([result.statistic, result.p], [expected["chisq"], expected["p"]])


@pytest.mark.parametrize("dataset", COMPARED)
@pytest.mark.parametrize(("method", "key"), [("holm", "p_holm"), ("BH", "p_bh")])
def test_pairwise_logrank_matches_R(dataset, method, key):
    data = load(dataset)
    expected = as_list(REF["datasets"][dataset]["pairwise"])
    results = pairwise_logrank(data["time"], data["event"], data["group"], method=method)
    assert [(r.group1, r.group2) for r in results] == [
        (str(e["group1"]), str(e["group2"])) for e in expected
    ]
    np.testing.assert_allclose([r.statistic for r in results], [e["chisq"] for e in expected])
    np.testing.assert_allclose([r.p for r in results], [e["p"] for e in expected], rtol=RTOL)
    np.testing.assert_allclose([r.p_adjusted for r in results], [e[key] for e in expected])


def test_two_groups_trend_equals_logrank():
    data = load("lung")
    overall = logrank_test(data["time"], data["event"], data["group"])
    trend = logrank_trend(data["time"], data["event"], data["group"])
    assert trend.statistic == pytest.approx(overall.statistic, rel=1e-12)


def test_levels_set_the_order_of_groups_and_trend_scores():
    data = load("lung_ecog")
    forward = logrank_trend(data["time"], data["event"], data["group"])
    backward = logrank_trend(data["time"], data["event"], data["group"], levels=[3, 2, 1, 0])
    np.testing.assert_allclose(backward.observed, forward.observed[::-1])
    np.testing.assert_allclose(backward.statistic, forward.statistic)  # reversed scores
    shuffled = logrank_trend(data["time"], data["event"], data["group"], levels=[1, 0, 2, 3])
    assert shuffled.statistic != pytest.approx(forward.statistic)
    pairs = pairwise_logrank(data["time"], data["event"], data["group"], levels=[3, 2, 1, 0])
    assert (pairs[0].group1, pairs[0].group2) == ("3", "2")


# ---------------------------------------------------------------------------- degenerate data
def test_single_group_raises_option_error():
    for function in (logrank_test, logrank_trend, pairwise_logrank):
        with pytest.raises(OptionError, match="need at least two groups"):
            function([1, 2, 3], [1, 0, 1], ["a", "a", "a"])
    with pytest.raises(OptionError, match="need at least two groups"):  # second level empty
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "a", "a"], levels=["a", "b"])


def test_only_one_group_with_expected_events_gives_zero_on_zero_df_as_R():
    data = load("e0")
    pair = data[data["group"].isin(["A", "C"])]
    result = logrank_test(pair["time"], pair["event"], pair["group"])
    assert (result.statistic, result.df, result.p) == (0.0, 0, 1.0)  # R: chisq 0, df 0, p 1
    assert result.expected[1] == 0


def test_no_events_at_all_gives_null_statistic():
    result = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert np.isnan(result.statistic) and np.isnan(result.p) and result.df == 0
    np.testing.assert_array_equal(result.observed, [0, 0])
    trend = logrank_trend([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert np.isnan(trend.p)
    (pair,) = pairwise_logrank([1, 2, 3, 4], [0, 0, 0, 0], ["a", "b", "a", "b"])
    assert (pair.statistic, pair.p, pair.p_adjusted) == (0.0, 1.0, 1.0)  # as survminer


def test_group_without_events_and_one_patient_group_are_tested_normally():
    data = load("allcens")  # group C: no events
    result = logrank_test(data["time"], data["event"], data["group"])
    assert result.observed[2] == 0 and result.expected[2] > 0 and result.df == 2
    one = load("lung_ecog")  # group 3: one patient
    assert logrank_test(one["time"], one["event"], one["group"]).df == 3


def test_singular_variance_gives_null_instead_of_error():
    # both patients die at the same time: V = 0 (R: "system is exactly singular")
    result = logrank_test([5.0, 5.0], [1, 1], ["a", "b"])
    assert np.isnan(result.statistic) and np.isnan(result.p)


def test_empty_level_gets_zero_counts_and_is_skipped_in_pairs():
    data = load("aml")
    levels = ["Maintained", "Other", "Nonmaintained"]
    result = logrank_test(data["time"], data["event"], data["group"], levels=levels)
    assert result.observed[1] == 0 and result.expected[1] == 0 and result.df == 1
    plain = logrank_test(data["time"], data["event"], data["group"])
    assert result.statistic == pytest.approx(plain.statistic)
    pairs = pairwise_logrank(data["time"], data["event"], data["group"], levels=levels)
    assert [(p.group1, p.group2) for p in pairs] == [("Maintained", "Nonmaintained")]


# ---------------------------------------------------------------------------- input checks
def test_bad_inputs_raise_user_errors():
    with pytest.raises(OptionError, match="not in levels"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b", "c"], levels=["a", "b"])
    with pytest.raises(OptionError, match="repeat"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b", "a"], levels=["a", "b", "a"])
    with pytest.raises(OptionError, match="method"):
        pairwise_logrank([1, 2, 3], [1, 0, 1], ["a", "b", "a"], method="bonferroni")
    with pytest.raises(ColumnError, match="group has 1 missing"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", None, "b"])
    with pytest.raises(ColumnError, match="group and time differ"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b"])
    with pytest.raises(ColumnError, match="strata and time differ"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b", "a"], strata=["x"])
    with pytest.raises(ColumnError, match="strata has 1 missing"):
        logrank_test([1, 2, 3], [1, 0, 1], ["a", "b", "a"], strata=[1.0, np.nan, 2.0])
    with pytest.raises(ColumnError, match="event"):
        logrank_test([1, 2, 3], [1, 3, 1], ["a", "b", "a"])
