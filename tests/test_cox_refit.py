"""stats.cox.refit (one sort, block-level Efron sums, merged rows) equals fit.newton_raphson.

The spline and the subgroup forest refit through :class:`SortedCohort`; their R goldens are in
test_deeper.py. Here the engine's own two fitting paths are compared on data with heavy ties,
rows that merge (dummy designs) and rows that cannot (a continuous column).
"""

from __future__ import annotations

import numpy as np
import numpy.testing as npt
import pytest

from cohort_explorer.stats.cox.fit import (
    efron_term_sums,
    efron_terms,
    newton_raphson,
    timefix,
    weighted_gram,
)
from cohort_explorer.stats.cox.refit import SortedCohort, fit_rows


def _data(n=400, seed=5):
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 30, n).astype(float)  # heavy ties
    time[:5] += 1e-12  # nearly equal times that R's timefix merges
    event = (rng.random(n) < 0.6).astype(float)
    group = rng.integers(0, 3, n)
    dummies = np.column_stack([group == 1, group == 2]).astype(float)
    sex = (rng.random(n) < 0.5).astype(float)
    age = rng.normal(60, 10, n)
    return time, event, dummies, sex, age


@pytest.mark.parametrize("design", ["dummies", "continuous"])
def test_fit_equals_newton_raphson(design):
    time, event, dummies, sex, age = _data(n=2000)
    x = np.column_stack([dummies, sex]) if design == "dummies" else np.column_stack(
        [dummies, age])
    cohort = SortedCohort(time, event)
    rows = cohort.design_rows(x)
    assert (rows <= 29 * 2 * 6) == (design == "dummies")  # times x event x patterns
    ours = cohort.fit(x)
    ref = newton_raphson(timefix(time), event, x)
    assert ours.iterations == ref.iterations and ours.converged
    npt.assert_allclose(ours.coef, ref.coef, rtol=1e-10)
    npt.assert_allclose(ours.var, ref.var, rtol=1e-10)
    assert ours.loglik == pytest.approx(ref.loglik, rel=1e-12)
    assert ours.loglik_null == pytest.approx(ref.loglik_null, rel=1e-12)
    assert cohort.null_loglik() == pytest.approx(ref.loglik_null, rel=1e-12)


def test_rows_alike_given_by_codes_or_not_merged_give_the_same_fit():
    time, event, dummies, sex, age = _data(n=2000)
    x = np.column_stack([dummies, sex])
    codes = (dummies @ [1, 2]).astype(int) * 2 + sex.astype(int)  # the 6 design rows
    cohort = SortedCohort(time, event)
    assert cohort.design_rows(x, alike=codes) == cohort.design_rows(x) < 29 * 2 * 6 + 1
    ref = newton_raphson(timefix(time), event, x)
    for fit in (cohort.fit(x, alike=codes), cohort.fit(x, merge=False)):
        npt.assert_allclose(fit.coef, ref.coef, rtol=1e-10)
        npt.assert_allclose(fit.var, ref.var, rtol=1e-10)
        assert fit.loglik == pytest.approx(ref.loglik, rel=1e-12)


def test_subset_equals_a_fit_on_those_rows():
    time, event, dummies, sex, age = _data()
    rows = sex == 1
    x = np.column_stack([dummies, age])
    ours = SortedCohort(time, event).subset(rows).fit(x[rows])
    ref = newton_raphson(timefix(time[rows]), event[rows], x[rows])
    npt.assert_allclose(ours.coef, ref.coef, rtol=1e-10)
    assert ours.loglik == pytest.approx(ref.loglik, rel=1e-12)


def test_warm_start_reaches_the_same_maximum_in_fewer_steps():
    time, event, dummies, sex, age = _data(n=2000)
    x = np.column_stack([dummies, sex, age])
    cohort = SortedCohort(time, event)
    cold = cohort.fit(x)
    warm = cohort.fit(x, init=cold.coef * 0.9)
    assert warm.converged and warm.iterations < cold.iterations
    assert warm.loglik == pytest.approx(cold.loglik, rel=1e-12)
    npt.assert_allclose(warm.coef, cold.coef, rtol=1e-5)


def test_fit_rows_merges_plain_data_and_equals_newton_raphson_also_for_a_runaway_term():
    """fit_cox's path: plain data on merged rows; a term whose coefficient runs off to
    infinity must stop where R's (and newton_raphson's) iterations stop."""
    time, event, dummies, sex, age = _data(n=3000)
    runaway = ((dummies[:, 0] == 1) & (event == 0)).astype(float)  # no events in this group
    for x in (np.column_stack([dummies, sex, np.round(age, -1)]), np.column_stack([dummies, runaway])):
        fixed = timefix(time)
        ours = fit_rows(fixed, event, x)
        ref = newton_raphson(fixed, event, x)
        assert SortedCohort(fixed, event, timefixed=True).design_rows(x) < 3000 / 2
        assert (ours.iterations, ours.converged, ours.rank) == (ref.iterations, ref.converged,
                                                                ref.rank)
        npt.assert_allclose(ours.coef, ref.coef, rtol=1e-9)
        npt.assert_allclose(ours.var, ref.var, rtol=1e-9)
        npt.assert_allclose(ours.score, ref.score, rtol=1e-6, atol=1e-12)
        assert ours.loglik == pytest.approx(ref.loglik, rel=1e-12)
    assert abs(fit_rows(fixed, event, x).coef[-1]) > 10  # the runaway term did run away


def test_fit_rows_with_entry_or_strata_is_newton_raphson():
    time, event, dummies, sex, age = _data()
    x = np.column_stack([dummies, age])
    entry = np.where(sex == 1, 0.5, 0.0)
    for options in ({"entry": entry}, {"strata": sex}):
        ours = fit_rows(time, event, x, **options)
        ref = newton_raphson(time, event, x, **options)
        npt.assert_array_equal(ours.coef, ref.coef)
        npt.assert_array_equal(ours.var, ref.var)


def test_timefixed_times_are_not_fixed_again():
    time, event, *_ = _data()
    fixed = timefix(time)
    cohort = SortedCohort(fixed, event, timefixed=True)
    npt.assert_array_equal(cohort.time, np.sort(fixed))
    npt.assert_array_equal(SortedCohort(time, event).time, cohort.time)


@pytest.mark.parametrize("power", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("single", [False, True])  # one death per block: no runs to add
def test_efron_term_sums_by_runs_equal_a_weighted_bincount(power, weighted, single):
    rng = np.random.default_rng(3)
    deaths = rng.integers(1, 6, 40) if not single else np.ones(40, dtype=int)
    blocks = np.sort(rng.choice(200, 40, replace=False))
    term_block, fraction = efron_terms(blocks, deaths)
    denom = rng.uniform(5, 50, term_block.size)
    weight = rng.uniform(0.5, 2, term_block.size) if weighted else None
    base = (1 / denom if power == 1 else 1 / denom**2) * (1 if weight is None else weight)
    expected = [np.bincount(term_block, weights=base * fraction**k, minlength=200)
                for k in range(power + 1)]
    got = efron_term_sums(term_block, fraction, denom, 200, power, weight)
    npt.assert_allclose(got, expected, rtol=1e-13, atol=0)
    shuffled = rng.permutation(term_block.size)  # terms out of block order: the bincount path
    got = efron_term_sums(term_block[shuffled], fraction[shuffled], denom[shuffled], 200, power,
                          None if weight is None else weight[shuffled])
    npt.assert_allclose(got, expected, rtol=1e-13, atol=0)


def test_fit_without_tied_times_equals_newton_raphson():
    """Every event block a single row: the deaths' sums are the rows themselves."""
    time, event, dummies, sex, age = _data(n=1500)
    time = time + np.random.default_rng(8).uniform(0, 0.5, time.size)  # all distinct
    x = np.column_stack([dummies, age])
    cohort = SortedCohort(time, event)
    assert cohort.event_starts.size == cohort.event_rows.size == event.sum()
    ours, ref = cohort.fit(x), newton_raphson(timefix(time), event, x)
    assert ours.iterations == ref.iterations
    npt.assert_allclose(ours.coef, ref.coef, rtol=1e-10)
    npt.assert_allclose(ours.var, ref.var, rtol=1e-10)
    assert ours.loglik == pytest.approx(ref.loglik, rel=1e-12)


@pytest.mark.parametrize("n", [10, 70_000])  # one chunk; three chunks, the last one short
def test_weighted_gram_equals_the_direct_product(n):
    rng = np.random.default_rng(n)
    xt = rng.normal(size=(4, n))
    weight = rng.uniform(0, 3, n)
    npt.assert_allclose(weighted_gram(xt, weight), (xt * weight) @ xt.T, rtol=1e-11)


def test_a_large_design_is_probed_before_rows_are_merged():
    """From 80,000 rows a sample of every k-th row decides that a continuous column leaves
    nothing to merge; a dummy design of the same size still merges."""
    rng = np.random.default_rng(4)
    n = 100_000
    time = rng.integers(1, 50, n).astype(float)
    event = (rng.random(n) < 0.5).astype(float)
    cohort = SortedCohort(time, event)
    dummies = (rng.integers(0, 3, (n, 2)) == 1).astype(float)
    assert cohort.design_rows(np.column_stack([dummies, rng.normal(size=n)])) == n
    assert cohort.design_rows(dummies) <= 49 * 2 * 4
