"""stats.cox.refit (one sort, block-level Efron sums, merged rows) equals fit.newton_raphson.

The spline and the subgroup forest refit through :class:`SortedCohort`; their R goldens are in
test_deeper.py. Here the engine's own two fitting paths are compared on data with heavy ties,
rows that merge (dummy designs) and rows that cannot (a continuous column).
"""

from __future__ import annotations

import numpy as np
import numpy.testing as npt
import pytest

from cohort_explorer.stats.cox.fit import newton_raphson, timefix
from cohort_explorer.stats.cox.refit import SortedCohort


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
