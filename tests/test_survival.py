"""Kaplan-Meier, quantiles, landmarks, RMST and follow-up against R survival 3.5.3.

Golden values: tests/reference/survival.R -> survival.json (inputs in reference/data/surv_*.csv),
e.g. ``survfit(Surv(time, status == 2) ~ 1, data = lung, conf.type = "log-log")``,
``quantile(fit, c(.25, .5, .75))``, ``summary(fit, times = t, extend = TRUE)``,
``summary(fit, rmean = tau)$table`` and ``quantile(survfit(Surv(time, 1 - event) ~ 1))``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats import (
    KaplanMeier,
    kaplan_meier,
    landmark_survival,
    median_follow_up,
    restricted_mean,
    survival_quantile,
)
from tests.conftest import REFERENCE, load_reference

REF = load_reference("survival")
RTOL = 1e-6


def r_array(values) -> np.ndarray:
    """R vector from JSON (scalar when length 1, null for NA) -> float array with NaN."""
    values = values if isinstance(values, list) else [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def load_curve_data(dataset: str, curve: str) -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / REF["datasets"][dataset]["file"])
    return data if curve == "all" else data[data["group"].astype(str) == curve]


def conf_args(key: str) -> dict:
    """ "log-log", "log", "plain" at 95%, or "log-log_0.9" at 90%."""
    conf_type, _, level = key.partition("_")
    return {"conf_type": conf_type, "conf_level": float(level) if level else 0.95}


def curve_cases(with_conf: bool = True):
    cases = []
    for dataset, record in REF["datasets"].items():
        for curve, values in record["curves"].items():
            keys = values["km"] if with_conf else ["log-log"]
            for key in keys:
                cases.append(pytest.param(dataset, curve, key, id=f"{dataset}-{curve}-{key}"))
    return cases


def assert_survival_function_properties(km: KaplanMeier) -> None:
    """Finite S in [0, 1], non-increasing; lower <= S <= upper where the bounds exist."""
    s = km.survival
    assert np.isfinite(s).all()
    assert ((s >= 0) & (s <= 1)).all()
    assert (np.diff(s) <= 0).all()
    assert (np.diff(km.time) > 0).all()
    assert (np.diff(km.at_risk) <= 0).all()
    assert km.at_risk[0] == km.events.sum() + km.censored.sum()
    for bound in (km.lower, km.upper):
        ok = ~np.isnan(bound)
        assert ((bound[ok] >= 0) & (bound[ok] <= 1)).all()
    both = ~np.isnan(km.lower) & ~np.isnan(km.upper)
    assert (km.lower[both] <= s[both] + 1e-12).all()
    assert (s[both] <= km.upper[both] + 1e-12).all()
    # R gives NA only at S = 0 (all types) or S = 1 (log-log)
    missing = np.isnan(km.lower) | np.isnan(km.upper)
    edge = (s == 0) | ((s == 1) if km.conf_type == "log-log" else False)
    assert (missing == edge).all()


# ---------------------------------------------------------------------------- golden values
@pytest.mark.parametrize(("dataset", "curve", "key"), curve_cases())
def test_kaplan_meier_matches_R(dataset, curve, key):
    data = load_curve_data(dataset, curve)
    expected = REF["datasets"][dataset]["curves"][curve]["km"][key]
    km = kaplan_meier(data["time"], data["event"], **conf_args(key))
    for ours, theirs in [
        (km.time, "time"),
        (km.survival, "surv"),
        (km.lower, "lower"),
        (km.upper, "upper"),
        (km.std_err, "std_err"),
        (km.at_risk, "n_risk"),
        (km.events, "n_event"),
        (km.censored, "n_censor"),
    ]:
        np.testing.assert_allclose(ours, r_array(expected[theirs]), rtol=RTOL, err_msg=theirs)
    assert_survival_function_properties(km)


@pytest.mark.parametrize(("dataset", "curve", "key"), curve_cases())
def test_survival_quantile_matches_R(dataset, curve, key):
    data = load_curve_data(dataset, curve)
    expected = REF["datasets"][dataset]["curves"][curve]["quantile"][key]
    km = kaplan_meier(data["time"], data["event"], **conf_args(key))
    results = [survival_quantile(km, p) for p in expected["probs"]]
    np.testing.assert_allclose([r.estimate for r in results], r_array(expected["quantile"]))
    np.testing.assert_allclose([r.lower for r in results], r_array(expected["lower"]))
    np.testing.assert_allclose([r.upper for r in results], r_array(expected["upper"]))


@pytest.mark.parametrize(
    ("dataset", "curve", "key"),
    [c for c in curve_cases() if not c.values[2].endswith("0.9")],
)
def test_landmark_survival_matches_R(dataset, curve, key):
    record = REF["datasets"][dataset]
    data = load_curve_data(dataset, curve)
    expected = record["curves"][curve]["landmarks"][key]
    km = kaplan_meier(data["time"], data["event"], **conf_args(key))
    times = record["landmark_times"]
    landmarks = landmark_survival(km, times)
    np.testing.assert_allclose([lm.time for lm in landmarks], r_array(expected["time"]))
    assert [lm.at_risk for lm in landmarks] == list(r_array(expected["n_risk"]).astype(int))
    beyond = np.asarray(times) > record["curves"][curve]["last_time"]
    for field, name in [("survival", "surv"), ("lower", "lower"), ("upper", "upper")]:
        ours = np.array([getattr(lm, field) for lm in landmarks])
        # R (extend = TRUE) carries the last value forward; we report null there, except a
        # curve that has dropped to 0, which stays 0 with NA bounds (as R reports them)
        reference = r_array(expected[name])
        dropped = beyond & (r_array(expected["surv"]) == 0)
        theirs = np.where(beyond & ~dropped, np.nan, reference)
        np.testing.assert_allclose(ours, theirs, rtol=RTOL, err_msg=field)


@pytest.mark.parametrize(("dataset", "curve", "key"), curve_cases(with_conf=False))
def test_restricted_mean_matches_R(dataset, curve, key):
    values = REF["datasets"][dataset]["curves"][curve]
    data = load_curve_data(dataset, curve)
    km = kaplan_meier(data["time"], data["event"])
    assert values["rmean"], "every curve has at least one tau R accepts"
    for expected in values["rmean"]:
        result = restricted_mean(km, expected["tau"])
        np.testing.assert_allclose(
            [result.estimate, result.se], [expected["rmean"], expected["se"]], rtol=RTOL
        )
        assert result.truncated == (expected["tau"] > values["last_time"])
        half_width = 1.959963984540054 * result.se
        np.testing.assert_allclose(
            [result.lower, result.upper],
            [result.estimate - half_width, result.estimate + half_width],
            rtol=RTOL,
        )


@pytest.mark.parametrize(("dataset", "curve", "key"), curve_cases(with_conf=False))
def test_median_follow_up_matches_R(dataset, curve, key):
    data = load_curve_data(dataset, curve)
    expected = r_array(REF["datasets"][dataset]["curves"][curve]["follow_up"])
    result = median_follow_up(data["time"], data["event"])
    np.testing.assert_allclose([result.q1, result.median, result.q3], expected, rtol=RTOL)


def test_reference_covers_the_cases_we_promise():
    datasets = REF["datasets"]
    assert REF["survival"] == "3.5.3"
    assert {"lung", "lung_ecog", "aml", "ovarian", "ties", "allcens", "flatmid", "flatend"} <= set(
        datasets
    )
    ties = pd.read_csv(REFERENCE / datasets["ties"]["file"])
    assert (ties["time"] == 0).sum() > 5 and ties["time"].duplicated().sum() > 200
    allcens = pd.read_csv(REFERENCE / datasets["allcens"]["file"])
    assert allcens.loc[allcens["group"] == "C", "event"].sum() == 0


# ---------------------------------------------------------------------------- median rules
def test_median_flat_stretch_takes_midpoint_as_R():
    data = load_curve_data("flatmid", "all")
    km = kaplan_meier(data["time"], data["event"])
    assert survival_quantile(km).estimate == pytest.approx(6.5)  # (5 + 8) / 2


def test_median_flat_to_the_end_uses_last_time_as_quantile_survfit():
    record = REF["datasets"]["flatend"]["curves"]["all"]
    data = load_curve_data("flatend", "all")
    km = kaplan_meier(data["time"], data["event"])
    assert survival_quantile(km).estimate == pytest.approx(8.0)  # (5 + 11) / 2
    # print(fit) / summary(fit)$table use survmean's older rule and say 5: we follow quantile()
    assert record["table_median"] == 5


def test_median_differs_from_lifelines_on_flat_stretch():
    """lifelines reports the first time S <= 0.5 (5); R and we take the midpoint (6.5)."""
    lifelines = pytest.importorskip("lifelines")
    data = load_curve_data("flatmid", "all")
    fitter = lifelines.KaplanMeierFitter().fit(data["time"], data["event"])
    assert fitter.median_survival_time_ == 5.0
    assert survival_quantile(kaplan_meier(data["time"], data["event"])).estimate == 6.5


# ---------------------------------------------------------------------------- degenerate data
def test_all_censored_curve_is_flat_with_null_median():
    km = kaplan_meier([3.0, 1.0, 2.0, 2.0], [0, 0, 0, 0])
    np.testing.assert_array_equal(km.time, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(km.survival, [1.0, 1.0, 1.0])
    np.testing.assert_array_equal(km.std_err, [0.0, 0.0, 0.0])
    assert np.isnan(km.lower).all() and np.isnan(km.upper).all()  # log-log: NA at S = 1
    log = kaplan_meier([3.0, 1.0, 2.0, 2.0], [0, 0, 0, 0], conf_type="log")
    np.testing.assert_array_equal(log.lower, [1.0, 1.0, 1.0])  # R: exp(0 +- 0)
    median = survival_quantile(km)
    assert np.isnan([median.estimate, median.lower, median.upper]).all()
    assert restricted_mean(km, 2.5).estimate == 2.5
    follow_up = median_follow_up([3.0, 1.0, 2.0, 2.0], [0, 0, 0, 0])
    assert (follow_up.q1, follow_up.median, follow_up.q3) == (1.5, 2.0, 2.5)


def test_one_patient_with_event():
    km = kaplan_meier([4.0], [1])
    assert (km.time.tolist(), km.survival.tolist(), km.at_risk.tolist()) == ([4.0], [0.0], [1])
    assert np.isnan([km.lower[0], km.upper[0], km.std_err[0]]).all()  # R: NA, std.err Inf
    assert survival_quantile(km).estimate == 4.0
    assert np.isnan(median_follow_up([4.0], [1]).median)  # no one censored
    landmarks = landmark_survival(km, [0.0, 4.0, 5.0])
    assert [lm.survival for lm in landmarks][:2] == [1.0, 0.0]
    assert landmarks[2].survival == 0.0 and landmarks[2].at_risk == 0  # R extend=TRUE
    assert np.isnan(landmarks[2].lower) and np.isnan(landmarks[2].upper)


def test_time_zero_is_valid():
    km = kaplan_meier([0, 0, 0, 1, 2], [1, 0, 1, 1, 0])
    np.testing.assert_array_equal(km.time, [0.0, 1.0, 2.0])
    np.testing.assert_allclose(km.survival, [0.6, 0.3, 0.3])  # 5 at risk, then 2
    assert landmark_survival(km, [0])[0].survival == pytest.approx(0.6)
    assert landmark_survival(km, [0])[0].at_risk == 5


def test_near_tied_times_are_merged_as_R_timefix():
    km = kaplan_meier([0.1 + 0.2, 0.3, 1.0], [1, 1, 0])
    assert km.time.size == 2
    assert km.events[0] == 2


def test_landmark_before_first_time_has_survival_one_and_everyone_at_risk():
    km = kaplan_meier([5.0, 6.0, 7.0], [1, 0, 1])
    (landmark,) = landmark_survival(km, [2.0])
    assert (landmark.survival, landmark.lower, landmark.upper, landmark.at_risk) == (1, 1, 1, 3)


def test_restricted_mean_beyond_last_time_is_flagged():
    km = kaplan_meier([1.0, 2.0, 3.0], [1, 0, 0])
    result = restricted_mean(km, 5.0)
    assert result.truncated and result.estimate == pytest.approx(1 + 4 * 2 / 3)
    assert not restricted_mean(km, 3.0).truncated


def test_results_are_strict_json_and_read_only():
    km = kaplan_meier([1.0, 2.0, 2.0], [1, 1, 1])
    text = json.dumps(km.to_dict(), allow_nan=False)
    assert json.loads(text)["lower"][-1] is None
    json.dumps(survival_quantile(km).to_dict(), allow_nan=False)
    with pytest.raises(ValueError):
        km.survival[0] = 0.5


def test_bool_event_and_pandas_input_give_the_same_curve():
    time = pd.Series([3.0, 1.0, 2.0, 5.0])
    a = kaplan_meier(time, pd.Series([True, False, True, True]))
    b = kaplan_meier(time.to_numpy(), [1, 0, 1, 1])
    np.testing.assert_array_equal(a.survival, b.survival)
    c = kaplan_meier(time, pd.Series([1, 0, 1, 1], dtype="Int64"))
    np.testing.assert_array_equal(a.survival, c.survival)


# ---------------------------------------------------------------------------- properties
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("conf_type", ["log-log", "log", "plain"])
def test_kaplan_meier_properties_on_random_data(seed, conf_type):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 400))
    time = np.round(rng.exponential(10, n), int(rng.integers(0, 3)))  # ties and zeros
    event = rng.random(n) < rng.uniform(0.0, 1.0)
    km = kaplan_meier(time, event, conf_type=conf_type, conf_level=rng.uniform(0.5, 0.99))
    assert_survival_function_properties(km)
    assert km.events.sum() == event.sum() and km.at_risk[0] == n
    median = survival_quantile(km)
    if not np.isnan(median.estimate):
        assert km.time[0] <= median.estimate <= km.time[-1]
        if not np.isnan(median.lower):
            assert median.lower <= median.estimate
        if not np.isnan(median.upper):
            assert median.estimate <= median.upper
    rmst = restricted_mean(km, float(np.max(time)))
    assert 0 <= rmst.estimate <= np.max(time) and rmst.se >= 0


# ---------------------------------------------------------------------------- input checks
@pytest.mark.parametrize(
    ("time", "event", "message"),
    [
        pytest.param([1.0, 2.0], [1], "length", id="length"),
        pytest.param([], [], "no rows", id="empty"),
        pytest.param([1.0, np.nan], [1, 0], "missing", id="nan-time"),
        pytest.param([1.0, np.inf], [1, 0], "infinite", id="inf-time"),
        pytest.param([1.0, -1.0], [1, 0], "negative", id="negative-time"),
        pytest.param(["a", "b"], [1, 0], "numeric", id="text-time"),
        pytest.param([1.0, 2.0], [1, 2], "0/1", id="event-2"),
        pytest.param([1.0, 2.0], [1, np.nan], "missing", id="event-nan"),
        pytest.param([[1.0, 2.0]], [[1, 0]], "one-dimensional", id="2d"),
    ],
)
def test_bad_columns_raise_column_error(time, event, message):
    with pytest.raises(ColumnError, match=message):
        kaplan_meier(time, event)


@pytest.mark.parametrize("conf_level", [0, 1, -0.5, 1.5, np.nan, np.inf, "0.95", None, True])
def test_bad_conf_level_raises_option_error(conf_level):
    with pytest.raises(OptionError, match="conf_level"):
        kaplan_meier([1, 2], [1, 0], conf_level=conf_level)
    km = kaplan_meier([1, 2], [1, 0])
    with pytest.raises(OptionError, match="conf_level"):
        restricted_mean(km, 1.0, conf_level=conf_level)


@pytest.mark.parametrize("conf_type", ["loglog", "logit", "", None])
def test_bad_conf_type_raises_option_error(conf_type):
    with pytest.raises(OptionError, match="conf_type"):
        kaplan_meier([1, 2], [1, 0], conf_type=conf_type)


def test_bad_quantile_landmark_and_tau_raise_option_error():
    km = kaplan_meier([1, 2], [1, 0])
    for p in (-0.1, 1.1, np.nan, "0.5"):
        with pytest.raises(OptionError, match="p must"):
            survival_quantile(km, p)
    for times in ([-1.0], [np.nan], ["x"]):
        with pytest.raises(OptionError, match="landmark"):
            landmark_survival(km, times)
    for tau in (-1.0, np.inf, [1.0, 2.0]):
        with pytest.raises(OptionError, match="tau"):
            restricted_mean(km, tau)
