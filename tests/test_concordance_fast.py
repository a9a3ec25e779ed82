"""The histogram fast path of the concordance gives the block algorithm's (and R's) integers."""

from __future__ import annotations

import numpy as np
import pytest

from cohort_explorer.stats.cox import concordance, fit


def _brute(time, event, lp):
    conc = disc = tied = 0
    for i in np.flatnonzero(event):
        at_risk = (time > time[i]) | ((time == time[i]) & (event == 0))
        conc += int(np.sum(at_risk & (lp < lp[i])))
        disc += int(np.sum(at_risk & (lp > lp[i])))
        tied += int(np.sum(at_risk & (lp == lp[i])))
    return conc, disc, tied


@pytest.mark.parametrize("seed", range(6))
def test_fast_path_equals_brute_force_and_the_block_algorithm(seed):
    rng = np.random.default_rng(seed)
    n = 400
    time = rng.integers(0, 30 + 20 * seed, n).astype(float)
    event = (rng.random(n) < 0.5).astype(float)
    lp = rng.integers(0, 3 + 4 * seed, n) * 0.37 - 1.1
    expected = _brute(time, event, lp)
    assert concordance.concordance_counts(time, event, lp) == expected
    assert fit.concordance_counts(time, event, lp) == expected


def test_large_cohort_fast_path_equals_the_block_algorithm(monkeypatch):
    rng = np.random.default_rng(11)
    n = 200_000
    time = np.round(rng.exponential(30, n), 1)
    event = (rng.random(n) < 0.45).astype(float)
    lp = rng.integers(0, 4, n) * 0.8 + rng.integers(40, 90, n) * 0.01 - 0.7 * (rng.random(n) < 0.2)
    fast = concordance.concordance_counts(time, event, lp)
    assert fast == fit.concordance_counts(time, event, lp)
    monkeypatch.setattr(concordance, "MAX_CELLS", 0)  # the fallback is the block algorithm
    assert concordance.concordance_counts(time, event, lp) == fast


@pytest.mark.parametrize("seed", range(3))
def test_block_algorithm_with_continuous_predictors_equals_brute_force(seed):
    """Every predictor distinct (the histogram is too large): the merged-run block algorithm."""
    rng = np.random.default_rng(100 + seed)
    n = 1500
    time = rng.integers(0, 40, n).astype(float)  # tied times, tied deaths, censored at deaths
    event = (rng.random(n) < 0.5).astype(float)
    lp = rng.normal(size=n)
    lp[:50] = lp[50:100]  # and some tied predictors
    assert fit.concordance_counts(time, event, lp) == _brute(time, event, lp)
