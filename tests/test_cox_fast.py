"""The per-block Efron sums of ``RiskSets.evaluate`` equal the per-term sums they replace."""

from __future__ import annotations

import numpy as np
import pytest

from cohort_explorer.stats.cox.fit import RiskSets


def _per_term(risk_sets: RiskSets, beta: np.ndarray):
    """The former ``evaluate``: one Efron term at a time (``terms`` + ``information``)."""
    eta = risk_sets.x @ beta
    risk, denom, xsum = risk_sets.terms(eta)
    loglik = float(eta[risk_sets.is_event].sum() - np.log(denom).sum())
    score = risk_sets.x[risk_sets.is_event].sum(axis=0) - (xsum / denom[:, None]).sum(axis=0)
    return loglik, score, risk_sets.information(risk, denom, xsum)


def _data(seed: int, n: int, entry: bool):
    rng = np.random.default_rng(seed)
    time = rng.integers(1, 12 + 10 * seed, n).astype(float)  # many ties, many tied deaths
    event = (rng.random(n) < 0.6).astype(float)
    x = np.column_stack([rng.normal(size=n), rng.random(n) < 0.3, rng.integers(30, 80, n) / 10])
    start = np.where(rng.random(n) < 0.5, 0.0, time * rng.random(n)) if entry else None
    if entry:
        start[start >= time] = 0.0
    return time, event, x - x.mean(axis=0), start


@pytest.mark.parametrize("entry", [False, True])
@pytest.mark.parametrize("seed", range(4))
def test_block_sums_equal_the_per_term_sums(seed, entry):
    time, event, x, start = _data(seed, 3000, entry)
    risk_sets = RiskSets(time, event, x, start)
    for beta in (np.zeros(3), np.array([0.4, -0.8, 0.3]), np.array([-1.5, 2.0, -0.7])):
        loglik, score, info = risk_sets.evaluate(beta)
        old_loglik, old_score, old_info = _per_term(risk_sets, beta)
        assert loglik == pytest.approx(old_loglik, rel=1e-13)
        np.testing.assert_allclose(score, old_score, rtol=1e-10, atol=1e-9)
        np.testing.assert_allclose(info, old_info, rtol=1e-11)
        np.testing.assert_allclose(info, info.T, rtol=1e-13)


@pytest.mark.parametrize("column", [[0.0, 1.0, 1.0, 0.0], [3.0, 3.0, -2.5], [1.0, 1.0],
                                    [0.0, 1.0, 2.0], [5.0, 2.0, 5.0, 7.0], [-1.0, 1.0, 0.0, 1.0]])
def test_two_values_is_unique_of_two_valued_columns(column):
    from cohort_explorer.stats.cox.fit import two_values

    column = np.array(column)
    expected = np.unique(column)
    found = two_values(column)
    if expected.size == 2:
        np.testing.assert_array_equal(found, expected)
    else:
        assert found is None
