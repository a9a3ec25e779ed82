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


@pytest.mark.parametrize("kind", ["few", "many", "signed_zero", "nan", "empty"])
def test_hashed_ranks_and_time_order_equal_the_sorting_versions(kind):
    from cohort_explorer.stats.cox.order import distinct_sorted, rank_codes, time_order

    rng = np.random.default_rng(3)
    values = {"few": np.round(rng.exponential(30, 5000), 1),
              "many": rng.normal(size=70_000),  # more distinct values than the radix path
              "signed_zero": np.array([0.0, -0.0, 1.5, -0.0, 0.0, 2.0, 1.5]),
              "nan": np.array([1.0, np.nan, 0.5, 1.0]),
              "empty": np.array([])}[kind]
    unique, inverse = np.unique(values, return_inverse=True)
    ranks, distinct = rank_codes(values)
    np.testing.assert_array_equal(distinct, unique)
    np.testing.assert_array_equal(ranks, inverse.ravel())
    np.testing.assert_array_equal(distinct_sorted(values), unique)
    if kind != "nan":
        order = time_order(values)
        np.testing.assert_array_equal(order.order, np.argsort(values, kind="stable"))
        np.testing.assert_array_equal(order.uniques[order.ranks], values)


def _zph_per_term(time, event, x, eta, coef):
    """The former per-term cox.zph score, information and scaled residuals (R zph1.c)."""
    from cohort_explorer.stats.cox.zph import km_transform

    rs = RiskSets(time, event, x - x.mean(axis=0))
    risk, denom, xsum = rs.terms(eta[rs.order] - eta.mean())
    transformed = km_transform(time, event)
    gtime = transformed - transformed[event > 0].mean()
    g_block = gtime[rs.order][rs.starts]
    g = g_block[rs.term_block]
    dead = rs.is_event
    score = (g_block[rs.block[dead]][:, None] * rs.x[dead]).sum(axis=0)
    score -= ((g / denom)[:, None] * xsum).sum(axis=0)
    i11 = rs.information(risk, denom, xsum)
    i12 = rs.information(risk, denom, xsum, g)
    i22 = rs.information(risk, denom, xsum, g * g)
    tb = rs.term_block
    first = np.flatnonzero(np.concatenate(([True], tb[1:] != tb[:-1])))
    means = np.zeros((rs.n_blocks, x.shape[1]))
    counts = np.diff(np.append(first, tb.size))
    means[tb[first]] = np.add.reduceat(xsum / denom[:, None], first, axis=0) / counts[:, None]
    schoenfeld = rs.x[dead] - means[rs.block[dead]]
    values = np.linalg.solve(i11 / dead.sum(), schoenfeld.T).T + coef
    return score, np.block([[i11, i12], [i12.T, i22]]), values


@pytest.mark.parametrize("seed", range(3))
def test_zph_block_sums_equal_the_per_term_version(seed):
    from cohort_explorer.stats.cox.zph import efron_terms, zph_residuals, zph_scores

    time, event, x, _ = _data(seed, 2500, False)
    x = x + np.array([1.0, 0.2, 5.0])  # not centred: zph centres
    coef = np.array([0.3, -0.6, 0.25])
    eta = x @ coef
    shared = efron_terms(time, event, x, eta)
    score, info = zph_scores(time, event, x, eta, terms=shared)
    residuals = zph_residuals(time, event, x, eta, coef, terms=shared)
    old_score, old_info, old_values = _zph_per_term(time, event, x, eta, coef)
    np.testing.assert_allclose(score, old_score, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(info, old_info, rtol=1e-11)
    np.testing.assert_allclose(residuals.values, old_values, rtol=1e-10, atol=1e-10)
