"""The engine's hashing shortcuts give the arrays the sorting versions gave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.data.coding import _n_label_numbers, coerce_event, normalised_values
from cohort_explorer.errors import ColumnError
from cohort_explorer.stats.km_core import _tie_runs, distinct_times, km_table, km_table_from_counts


def _times(seed: int, n: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(20, n), 1)
    time[:50] = 0.1 + 0.2  # near-ties merged with 0.3 (R's timefix)
    time[50:100] = 0.3
    return time, rng.random(n) < 0.6


@pytest.mark.parametrize("seed", [1, 2])
def test_km_table_as_with_np_unique(seed):
    time, event = _times(seed)
    unique, rows = np.unique(time, return_counts=True)
    event_times, event_counts = np.unique(time[event], return_counts=True)
    n_event = np.zeros(unique.size, dtype=np.int64)
    n_event[np.searchsorted(unique, event_times)] = event_counts
    expected = km_table_from_counts(unique, rows, n_event)
    got = km_table(time, event)
    assert expected.keys() == got.keys()
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])
        assert got[key].dtype == expected[key].dtype


def test_distinct_times_as_with_np_unique():
    time, _ = _times(3)
    unique, inverse = np.unique(time, return_inverse=True)
    starts = _tie_runs(unique)
    inverse, unique = (np.cumsum(starts) - 1)[inverse], unique[starts]
    got_unique, got_inverse = distinct_times(time)
    np.testing.assert_array_equal(got_unique, unique)
    np.testing.assert_array_equal(got_inverse, inverse)


def _event_rowwise(values: pd.Series, event_value=None) -> np.ndarray:
    """coerce_event's arithmetic row by row (as it was before it worked on distinct values)."""
    from cohort_explorer.data.coding import normalise_value

    normalised = normalised_values(values)
    missing = np.array([v is None for v in normalised], dtype=bool)
    wanted = None if event_value is None else normalise_value(event_value)
    exact = wanted is not None and bool((normalised == wanted).any())
    numbers = None if exact else _n_label_numbers(values, normalised, "e", event_value is None)
    if numbers is not None:
        events = np.where(numbers == (wanted or "1"), 1.0, 0.0)
    elif event_value is None:
        bad = ~missing & ~pd.Series(normalised).isin(["0", "1"]).to_numpy()
        if bad.any():
            raise ColumnError("bad")
        events = np.where(normalised == "1", 1.0, 0.0)
    else:
        events = np.where(normalised == wanted, 1.0, 0.0)
    events[missing] = np.nan
    return events


@pytest.mark.parametrize(("values", "event_value"), [
    ([0, 1, 1, None, 0] * 40, None),
    ([0.0, 1.0, np.nan, 1.0] * 40, None),
    (["true", "False", " 1 ", "NA", "0.0"] * 40, None),
    ([True, False, True] * 40, None),
    (["1:DECEASED", "0:LIVING", "[Not Available]", "1:DECEASED"] * 40, None),
    (["1:DECEASED", "0:LIVING", None] * 40, "1"),
    (["Dead", "alive", " dead ", None, "lost"] * 40, "dead"),
    ([1, 2, 2, 3, None] * 40, "2"),
    (["2", "2.0", 2.0, "x"] * 40, "2"),
])
def test_coerce_event_as_row_by_row(values, event_value):
    series = pd.Series(values)
    events, reasons = coerce_event(series, event_value)
    expected = _event_rowwise(series, event_value)
    np.testing.assert_array_equal(events, expected)
    assert reasons == {"missing event": int(np.isnan(expected).sum())}


@pytest.mark.parametrize("values", [[0, 1, 2] * 10, ["dead", "alive"] * 10,
                                    ["1:DECEASED", "dead"] * 10])
def test_coerce_event_refuses_as_before(values):
    with pytest.raises(ColumnError):
        _event_rowwise(pd.Series(values))
    with pytest.raises(ColumnError):
        coerce_event(pd.Series(values))


@pytest.mark.parametrize("values", [
    ["high", "standard", None, "standard", "low"] * 30,
    ["1", "1.0", "2", None, "10"] * 30,  # labels 1, 2, 10: "1" and "1.0" are one level
    ["b", "B", "a", "a"] * 30,
    ["x", "y", "z"],  # no repeats: the general path
])
@pytest.mark.parametrize("ref", [None, "2", "standard", "a"])
def test_categorical_dummies_from_one_hashing(values, ref):
    from cohort_explorer.analysis.design import _categorical_block, _dummies
    from cohort_explorer.analysis.stratify import _as_labels, category_levels
    from cohort_explorer.spec.terms import parse_covariate

    df = pd.DataFrame({"c": pd.Series(values, dtype=object)}, index=np.arange(len(values)) * 3)
    levels = category_levels(df["c"])
    if ref is not None and ref not in levels:
        return
    term = parse_covariate("c:cat" + (f":ref={ref}" if ref else ""))
    if ref is not None:
        levels = [ref] + [v for v in levels if v != ref]
    expected = _dummies(_as_labels(df["c"]), levels, "c")
    pd.testing.assert_frame_equal(_categorical_block(df, term), expected, check_exact=True)


def test_reused_sorts_answers_equal_inputs_once():
    from cohort_explorer.stats.ranks import rank_codes, reused, reused_sorts

    time, _ = _times(4)
    calls = []

    def compute():
        calls.append(1)
        return (np.arange(3),)

    assert rank_codes(time)[0].flags.writeable  # outside the block: plain arrays
    with reused_sorts():
        first = rank_codes(time)
        with reused_sorts():  # nested: the outer memo
            again = rank_codes(time.copy())  # equal values, another array
        assert again[0] is first[0] and not first[0].flags.writeable
        changed = time.copy()
        changed[0] += 1
        assert rank_codes(changed)[0] is not first[0]
        reused("k", (time, None), compute)
        reused("k", (time.copy(), None), compute)
        reused("k", (time, time), compute)
    assert len(calls) == 2
    reused("k", (time, None), compute)
    assert len(calls) == 3


def test_cox_and_ph_test_same_with_reused_sorts():
    from dataclasses import asdict

    from cohort_explorer.sample import make_sample
    from cohort_explorer.stats.cox import fit_cox, proportional_hazards_test
    from cohort_explorer.stats.ranks import reused_sorts

    d = make_sample(3000, seed=5)
    design = pd.DataFrame({"age": d["age"].astype(float),
                           "high": (d["cyto_risk"] == "high").astype(float)})
    t, e = d["pfs_months"].to_numpy(float), d["pfs_event"].to_numpy(float)

    def both():
        cox = fit_cox(t, e, design)
        ph = proportional_hazards_test(t, e, design, cox)
        return asdict(cox), ph.global_test, ph.terms, ph.residuals.values

    plain = both()
    with reused_sorts():
        shared = both()
    assert repr(plain[:3]) == repr(shared[:3])  # every number, NaN-safe, bit for bit
    np.testing.assert_array_equal(plain[3], shared[3])
