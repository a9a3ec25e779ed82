"""Pushdown KM arrays of groups with very many distinct times are thinned as the plot is
(medians, landmarks and tests from every time; full arrays on request)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.engines import thin
from cohort_explorer.engines.pushdown import analyze_pushdown
from cohort_explorer.engines.sources import DuckDBSource
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.stats.km_display import STEP_RESOLUTION

SPEC = AnalysisSpec("t", "e", group_by="arm", landmarks=(1.0,))


@pytest.fixture(scope="module")
def continuous(tmp_path_factory):
    rng = np.random.default_rng(4)
    n = 30_000
    df = pd.DataFrame({"t": rng.exponential(2.0, n), "e": rng.integers(0, 2, n),
                       "arm": rng.choice(["A", "B"], n, p=[0.8, 0.2])})
    path = tmp_path_factory.mktemp("thin") / "continuous.parquet"
    df.to_parquet(path)
    return df, path


def _run(path, **options):
    source = DuckDBSource(path)
    try:
        return analyze_pushdown(source, SPEC, **options)
    finally:
        source.close()


def test_long_km_arrays_are_thinned_and_keep_their_totals(continuous, monkeypatch):
    df, path = continuous
    monkeypatch.setattr(thin, "THIN_ABOVE", 10_000)  # group A: ~24,000 distinct times
    full = analyze(df, SPEC)
    got = _run(path)
    a_full, a_thin = full.groups[0].km, got.groups[0].km
    assert a_full.time.size > 10_000 and a_thin.time.size < a_full.time.size / 3
    assert got.groups[1].km.time.size == full.groups[1].km.time.size  # B: ~6,000, kept whole
    assert a_thin.events.sum() == a_full.events.sum() == got.groups[0].events
    assert a_thin.censored.sum() == a_full.censored.sum()
    assert a_thin.time[-1] == a_full.time[-1]
    # each kept row is the full curve's row at that time
    at = np.searchsorted(a_full.time, a_thin.time)
    for name in ("survival", "lower", "upper", "std_err", "at_risk"):
        np.testing.assert_array_equal(getattr(a_thin, name), getattr(a_full, name)[at])
    # the thinned step curve is within the plot's resolution of the full one everywhere
    step = np.searchsorted(a_thin.time, a_full.time, side="right") - 1
    drawn = np.where(step >= 0, a_thin.survival[np.maximum(step, 0)], 1.0)
    assert np.max(np.abs(drawn - a_full.survival)) < STEP_RESOLUTION
    # and so is the number at risk read from it (the first kept time at or after t)
    ahead = np.minimum(np.searchsorted(a_thin.time, a_full.time), a_thin.time.size - 1)
    assert np.max(a_full.at_risk - a_thin.at_risk[ahead]) <= got.groups[0].n * STEP_RESOLUTION
    # what is computed from the curve uses every time
    assert got.groups[0].median.estimate == pytest.approx(full.groups[0].median.estimate,
                                                          rel=1e-12)
    assert got.groups[0].landmarks[0].survival == pytest.approx(
        full.groups[0].landmarks[0].survival, rel=1e-9)
    notes = [w for w in got.warnings if getattr(w, "code", "") == "km_thinned"]
    assert len(notes) == 1 and notes[0].fields["times"] == a_full.time.size
    assert "--full-km" in notes[0]


def test_full_km_keeps_every_row(continuous, monkeypatch):
    df, path = continuous
    monkeypatch.setattr(thin, "THIN_ABOVE", 10_000)
    got = _run(path, full_km=True)
    full = analyze(df, SPEC)
    np.testing.assert_allclose(got.groups[0].km.survival, full.groups[0].km.survival,
                               rtol=1e-12)
    assert not any(getattr(w, "code", "") == "km_thinned" for w in got.warnings)


def test_ordinary_groups_are_never_thinned(continuous):
    _, path = continuous
    got = _run(path)  # 24,000 distinct times: far below a million
    assert got.groups[0].km.time.size > 20_000
    assert not any(getattr(w, "code", "") == "km_thinned" for w in got.warnings)
