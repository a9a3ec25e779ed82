"""Optimal cut point against R maxstat (tests/reference/cutpoint.R -> cutpoint.json).

R code for the reference values::

    maxstat.test(Surv(time, status) ~ age, data = lung, smethod = "LogRank",
                 pmethod = "Lau94", minprop = 0.1, maxprop = 0.9)
"""

from __future__ import annotations

import json

import numpy as np
import numpy.testing as npt
import pandas as pd
import pytest

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats.cutpoint import logrank_scores, optimal_cutpoint
from tests.conftest import REFERENCE, load_reference

REF = load_reference("cutpoint")
LUNG = pd.read_csv(REFERENCE / "data" / "cut_lung.csv")
TIES = pd.read_csv(REFERENCE / "data" / "cut_ties.csv")

CASES = {
    "lung_age": (LUNG, "age"),
    "lung_biomarker": (LUNG, "biomarker"),
    "lung_noise": (LUNG, "noise"),
    "lung_karno": (LUNG, "ph.karno"),  # heavy ties in x, one missing value (na.omit)
    "ties": (TIES, "x"),
    "lung_age_wide": (LUNG, "age"),
}


def _search(name: str, **options):
    data, column = CASES[name]
    data = data.dropna(subset=[column])
    ref = REF[name]
    return optimal_cutpoint(data.time, data.status, data[column], column=column,
                            minprop=ref["minprop"], maxprop=ref["maxprop"], **options)


@pytest.mark.parametrize("name", list(CASES))
def test_optimal_cutpoint_matches_R(name):
    ref, result = REF[name], _search(name)
    assert result.cutpoint == ref["estimate"]
    npt.assert_allclose(result.statistic, ref["statistic"], rtol=1e-6)
    npt.assert_allclose(result.p_corrected, min(1.0, ref["p_value"]), rtol=1e-6)
    npt.assert_array_equal(result.candidates, ref["cuts"])
    npt.assert_allclose(result.statistics, ref["stats"], rtol=1e-6)
    assert result.n_below + result.n_above == ref["n"]
    assert result.method == "maxstat LogRank, Lau94"
    assert np.isnan(result.p_permutation)


def test_optimal_cutpoint_groups_are_x_at_or_below_the_cut():
    result = _search("lung_age")
    assert result.n_below == int((LUNG.age <= result.cutpoint).sum())
    assert result.column == "age"


def test_optimal_cutpoint_caps_lau94_p_at_one():
    assert REF["lung_noise"]["p_value"] > 1  # R reports the raw bound, 2.14
    assert _search("lung_noise").p_corrected == 1.0


def test_logrank_scores_match_R_cscores():
    npt.assert_allclose(logrank_scores(TIES.time, TIES.status), REF["ties_scores"],
                        rtol=1e-6, atol=1e-12)


def test_permutation_p_is_seeded_and_sensible():
    first = _search("lung_biomarker", permutations=500, seed=1)
    again = _search("lung_biomarker", permutations=500, seed=1)
    assert first.p_permutation == again.p_permutation == pytest.approx(1 / 501)
    noise = _search("lung_noise", permutations=500)
    assert 0.3 < noise.p_permutation < 1
    other_seed = _search("lung_noise", permutations=500, seed=2)
    assert other_seed.p_permutation != noise.p_permutation
    json.dumps(noise.to_dict(), allow_nan=False)


def test_optimal_cutpoint_to_dict_is_strict_json():
    payload = _search("lung_age").to_dict()
    assert payload["p_permutation"] is None
    assert len(payload["candidates"]) == len(payload["statistics"]) == len(REF["lung_age"]["cuts"])
    json.dumps(payload, allow_nan=False)


@pytest.mark.parametrize(
    ("time", "event", "x", "error", "message"),
    [
        pytest.param([1, 2, 3, 4, 5, 6], [0] * 6, [1, 2, 3, 4, 5, 6], OptionError, "no events",
                     id="no_events"),
        pytest.param(list(range(1, 21)), [1] * 20, [5] * 19 + [6], OptionError,
                     "0 possible cut point", id="no_candidate"),
        pytest.param([1, 2, 3], [1, 0, 1], [1.0, np.nan, 2.0], ColumnError, "marker has missing",
                     id="missing_x"),
    ],
)
def test_optimal_cutpoint_bad_input(time, event, x, error, message):
    with pytest.raises(error, match=message):
        optimal_cutpoint(time, event, x, column="marker")


def test_optimal_cutpoint_bad_options():
    with pytest.raises(OptionError, match="minprop"):
        optimal_cutpoint(LUNG.time, LUNG.status, LUNG.age, minprop=0.6, maxprop=0.4)
    with pytest.raises(OptionError, match="permutations"):
        optimal_cutpoint(LUNG.time, LUNG.status, LUNG.age, permutations=-1)


def test_single_candidate_cut_matches_R():
    """R: maxstat.test(Surv(pfs_months, pfs_event) ~ del17p, data = sample_cohort,
    smethod = "LogRank", pmethod = "Lau94") -> M = 2.82726947585863, p = 0.00469468031375686,
    estimated cutpoint 0 (a 0/1 flag has one candidate cut)."""
    import pandas as pd

    from tests.conftest import SAMPLE_CSV

    sample = pd.read_csv(SAMPLE_CSV)
    found = optimal_cutpoint(sample.pfs_months, sample.pfs_event, sample.del17p, column="del17p")
    assert found.cutpoint == 0.0
    assert found.statistic == pytest.approx(2.82726947585863, rel=1e-6)
    assert found.p_corrected == pytest.approx(0.00469468031375686, rel=1e-6)
