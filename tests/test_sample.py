"""The synthetic sample cohort: reproducible, internally consistent, calibrated to Krönke 2017.

Calibration statistics use lifelines (KaplanMeierFitter, logrank_test, CoxPHFitter), independent
of the engine in ``cohort_explorer.stats``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test

from cohort_explorer.errors import OptionError
from cohort_explorer.sample import (
    COLUMNS,
    ISS_ORDER,
    RESPONSE_ORDER,
    SAMPLE_N,
    SAMPLE_SEED,
    make_sample,
    write_sample,
)
from tests.conftest import SAMPLE_CSV

LANDMARK = 36.0  # months: "3-year" survival
RATE_TOLERANCE = 0.05  # ±5 percentage points on survival rates
INT_COLUMNS = ("age", "del17p", "t_4_14", "t_14_16", "gain_1q", "pfs_event", "os_event",
               "pfs_cause")
FLOAT_COLUMNS = ("ikzf1", "ikzf3", "crbn", "bsg", "response_months", "pfs_months", "os_months")
TEXT_COLUMNS = ("patient_id", "sex", "iss_stage", "cyto_risk", "best_response")


# ---------------------------------------------------------------------------------- helpers
@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The committed file, read the way any user would read it."""
    return pd.read_csv(SAMPLE_CSV)


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return make_sample(100_000, seed=7)


def _ikzf1_q1(frame: pd.DataFrame) -> np.ndarray:
    """Lowest IKZF1 quartile: R quantile type 7 (numpy default), right-closed (x <= q25)."""
    return (frame["ikzf1"] <= np.quantile(frame["ikzf1"], 0.25)).to_numpy()


def _survival_at(frame: pd.DataFrame, endpoint: str, mask: np.ndarray, time: float) -> float:
    fitter = KaplanMeierFitter().fit(frame.loc[mask, f"{endpoint}_months"],
                                     frame.loc[mask, f"{endpoint}_event"])
    return float(fitter.survival_function_at_times(time).iloc[0])


def _cox(frame: pd.DataFrame, covariates: dict) -> CoxPHFitter:
    data = pd.DataFrame({"time": frame["pfs_months"].to_numpy(),
                         "event": frame["pfs_event"].to_numpy(), **covariates})
    # R's convergence; lifelines' default stops ~4e-5 short (docs/methods.md).
    return CoxPHFitter().fit(data, "time", "event", fit_options={"precision": 1e-12})


def _pfs_cox_cyto_ikzf1(frame: pd.DataFrame) -> CoxPHFitter:
    return _cox(frame, {"cyto_high": (frame["cyto_risk"] == "high").astype(int).to_numpy(),
                        "ikzf1_high": (~_ikzf1_q1(frame)).astype(int)})


# ------------------------------------------------------------------- reproducibility / API
def test_committed_csv_is_make_sample_byte_for_byte(tmp_path):
    written = tmp_path / "sample_cohort.csv"
    write_sample(written)
    assert written.read_bytes() == SAMPLE_CSV.read_bytes()


def test_committed_csv_is_plain_csv_with_header_first(sample):
    raw = SAMPLE_CSV.read_bytes()
    assert raw.decode("utf-8").splitlines()[0] == ",".join(COLUMNS)
    assert b"\r" not in raw and not raw.startswith(b"\xef\xbb\xbf")  # no CRLF, no BOM
    assert len(sample) == SAMPLE_N
    pd.testing.assert_frame_equal(sample, make_sample(), check_dtype=True)


def test_same_seed_same_cohort_other_seed_other_cohort():
    first = make_sample(500, seed=11)
    pd.testing.assert_frame_equal(first, make_sample(500, seed=11))
    other = make_sample(500, seed=12)
    assert not first["ikzf1"].equals(other["ikzf1"])
    assert not first["pfs_months"].equals(other["pfs_months"])


def test_default_arguments_are_the_sample_seed():
    pd.testing.assert_frame_equal(make_sample(), make_sample(SAMPLE_N, SAMPLE_SEED))


@pytest.mark.parametrize(
    ("n", "width"),
    [pytest.param(1, 3, id="one"), pytest.param(999, 3, id="999"),
     pytest.param(1000, 4, id="1000_widens"), pytest.param(12_345, 5, id="12345")],
)
def test_patient_ids_are_numbered_and_widened(n, width):
    ids = make_sample(n, seed=1)["patient_id"]
    assert ids.iloc[0] == "MM-" + "1".zfill(width)
    assert ids.iloc[-1] == "MM-" + str(n).zfill(width)
    assert ids.is_unique


@pytest.mark.parametrize(
    ("arguments", "word"),
    [pytest.param({"n": 0}, "n", id="n_zero"), pytest.param({"n": -5}, "n", id="n_negative"),
     pytest.param({"n": 2.5}, "n", id="n_float"), pytest.param({"n": "60"}, "n", id="n_text"),
     pytest.param({"n": True}, "n", id="n_bool"), pytest.param({"seed": -1}, "seed", id="seed_neg"),
     pytest.param({"seed": 1.5}, "seed", id="seed_float"),
     pytest.param({"seed": None}, "seed", id="seed_none")],
)
def test_bad_arguments_raise_option_error(arguments, word):
    with pytest.raises(OptionError, match=rf"^{word} must be a whole number"):
        make_sample(**arguments)


# ------------------------------------------------------------------ shape of a large cohort
def test_large_cohort_columns_dtypes_and_ranges(large):
    assert tuple(large.columns) == COLUMNS and len(large) == 100_000
    for column in INT_COLUMNS:
        assert large[column].dtype == np.int64, column
    for column in FLOAT_COLUMNS:
        assert large[column].dtype == np.float64, column
        assert np.isfinite(large[column]).all(), column
    for column in TEXT_COLUMNS:
        assert large[column].dtype == object, column
    assert large["age"].between(33, 70).all() and 55 <= large["age"].median() <= 59
    assert set(large["sex"]) == {"M", "F"}
    assert set(large["iss_stage"]) == set(ISS_ORDER)
    assert set(large["best_response"]) == set(RESPONSE_ORDER)
    assert set(large["cyto_risk"]) == {"high", "standard"}
    for column in ("del17p", "t_4_14", "t_14_16", "gain_1q", "pfs_event", "os_event"):
        assert set(large[column]) == {0, 1}, column
    assert set(large["pfs_cause"]) == {0, 1, 2}
    for column in ("ikzf1", "ikzf3", "crbn", "bsg"):  # positive, right-skewed, 3 decimals
        values = large[column]
        assert (values > 0).all() and values.mean() > values.median(), column
        np.testing.assert_allclose(values, values.round(3), rtol=0, atol=1e-12)
    for column in ("response_months", "pfs_months", "os_months"):
        np.testing.assert_allclose(large[column], large[column].round(1), rtol=0, atol=1e-9)
    assert large["response_months"].between(2, 18).all()
    assert large["os_months"].max() <= 56


def test_large_cohort_tells_the_same_story(large):
    """Model-level (n = 100,000) directions; the exact targets are for the 60-patient sample."""
    q1 = _ikzf1_q1(large)
    assert 0.84 <= _survival_at(large, "pfs", q1, LANDMARK) <= 0.90
    assert 0.52 <= _survival_at(large, "pfs", ~q1, LANDMARK) <= 0.60
    assert 0.18 <= (large["cyto_risk"] == "high").mean() <= 0.24
    by_stage = large.groupby("iss_stage")["ikzf1"].median()
    assert by_stage["I"] < by_stage["II"] < by_stage["III"]
    by_response = large.groupby("best_response")["ikzf1"].median()
    assert by_response["sCR"] < by_response["CR"] < by_response["VGPR"] < by_response["PR"]
    assert by_response["PR"] < by_response["SD"]
    assert large["crbn"].corr(large["pfs_months"], method="spearman") == pytest.approx(0, abs=0.01)


@pytest.mark.parametrize("which", ["sample", "large"])
def test_internal_consistency(which, request):
    frame = request.getfixturevalue(which)
    pfs, os_ = frame["pfs_months"], frame["os_months"]
    cause, pfs_event, os_event = frame["pfs_cause"], frame["pfs_event"], frame["os_event"]
    response = frame["response_months"]
    assert (os_ >= pfs).all()
    assert ((cause == 0) == (pfs_event == 0)).all()
    assert (pfs_event[os_event == 1] == 1).all()  # a death is a PFS event
    died_first = cause == 2
    assert (os_event[died_first] == 1).all() and (os_[died_first] == pfs[died_first]).all()
    censored = cause == 0  # no progression seen: OS censored at the same time
    assert (os_event[censored] == 0).all() and (os_[censored] == pfs[censored]).all()
    assert (os_[(cause == 1) & (os_event == 1)] > pfs[(cause == 1) & (os_event == 1)]).all()
    fish_high = frame[["del17p", "t_4_14", "t_14_16"]].any(axis=1)
    assert (frame["cyto_risk"] == np.where(fish_high, "high", "standard")).all()
    assert not (frame["t_4_14"] & frame["t_14_16"]).any()  # IgH translocations exclusive
    primary_refractory = frame["best_response"] == "PD"
    assert (cause[primary_refractory] == 1).all()
    assert (pfs[primary_refractory] == response[primary_refractory]).all()
    later = ~primary_refractory
    assert (pfs[later] > response[later]).all()  # progression, death, censoring after response


# ------------------------------------------------------- calibration of the committed sample
def test_sample_pfs_at_3_years_by_ikzf1_quartile(sample):
    q1 = _ikzf1_q1(sample)
    assert q1.sum() == 15
    assert _survival_at(sample, "pfs", q1, LANDMARK) == pytest.approx(0.86, abs=RATE_TOLERANCE)
    assert _survival_at(sample, "pfs", ~q1, LANDMARK) == pytest.approx(0.51, abs=RATE_TOLERANCE)


def test_sample_pfs_logrank_ikzf1_q1_vs_rest_significant(sample):
    q1 = _ikzf1_q1(sample)
    t, e = sample["pfs_months"], sample["pfs_event"]
    assert logrank_test(t[q1], t[~q1], e[q1], e[~q1]).p_value < 0.05


def test_sample_os_at_3_years_by_ikzf1_quartile(sample):
    q1 = _ikzf1_q1(sample)
    assert _survival_at(sample, "os", q1, LANDMARK) == pytest.approx(1.00, abs=RATE_TOLERANCE)
    assert _survival_at(sample, "os", ~q1, LANDMARK) == pytest.approx(0.74, abs=RATE_TOLERANCE)


def test_sample_multivariable_cox_hazard_ratios(sample):
    hazard_ratio = _pfs_cox_cyto_ikzf1(sample).hazard_ratios_
    assert 3.5 <= hazard_ratio["cyto_high"] <= 7.0
    assert 1.3 <= hazard_ratio["ikzf1_high"] <= 3.0


def test_sample_cohort_composition_and_follow_up(sample):
    assert 0.15 <= (sample["cyto_risk"] == "high").mean() <= 0.25
    reverse = KaplanMeierFitter().fit(sample["pfs_months"], 1 - sample["pfs_event"])
    assert 36 <= reverse.median_survival_time_ <= 48
    assert (sample["pfs_event"] == 0).mean() >= 0.20


def test_sample_ikzf1_by_iss_stage_and_response(sample):
    median = sample.groupby("iss_stage")["ikzf1"].median()
    assert median["III"] > median["I"]
    deep = sample["best_response"].isin(["sCR", "CR", "VGPR"])
    partial = sample["best_response"].isin(["PR", "SD"])
    assert sample.loc[deep, "ikzf1"].median() < sample.loc[partial, "ikzf1"].median()


def test_sample_crbn_has_no_effect_on_pfs(sample):
    assert _cox(sample, {"crbn": sample["crbn"].to_numpy()}).summary.loc["crbn", "p"] > 0.2


def test_sample_ikzf1_worse_within_standard_risk(sample):
    standard = (sample["cyto_risk"] == "standard").to_numpy()
    ikzf1_high = (~_ikzf1_q1(sample)).astype(int)  # quartiles of the whole cohort
    fit = _cox(sample[standard], {"ikzf1_high": ikzf1_high[standard]})
    assert fit.hazard_ratios_["ikzf1_high"] > 1


def test_sample_calibration_numbers_match_R(sample):
    """Values from R 4.x, survival 3.5.3 on sample_data/sample_cohort.csv::

        d$ik <- factor(ifelse(d$ikzf1 <= quantile(d$ikzf1, 0.25), "Q1", "Q2-Q4"))
        d$cyto <- factor(d$cyto_risk, levels = c("standard", "high"))
        summary(survfit(Surv(pfs_months, pfs_event) ~ ik, data = d), times = 36)$surv
        summary(survfit(Surv(os_months, os_event) ~ ik, data = d), times = 36)$surv
        survdiff(Surv(pfs_months, pfs_event) ~ ik, data = d)$chisq
        coef(coxph(Surv(pfs_months, pfs_event) ~ cyto + ik, data = d))
        quantile(survfit(Surv(pfs_months, 1 - pfs_event) ~ 1, data = d), 0.5)$quantile
    """
    q1 = _ikzf1_q1(sample)
    surv = [_survival_at(sample, endpoint, mask, LANDMARK)
            for endpoint in ("pfs", "os") for mask in (q1, ~q1)]
    expected = [0.8615384615384616, 0.5357346889373031, 1.0, 0.7484293767818673]
    np.testing.assert_allclose(surv, expected, rtol=1e-6)
    t, e = sample["pfs_months"], sample["pfs_event"]
    chisq = logrank_test(t[q1], t[~q1], e[q1], e[~q1]).test_statistic
    assert chisq == pytest.approx(4.3030539512366044, rel=1e-6)
    coef = _pfs_cox_cyto_ikzf1(sample).params_
    np.testing.assert_allclose(coef[["cyto_high", "ikzf1_high"]],
                               [1.7729377926217191, 0.5821499863331743], rtol=1e-6)
    reverse = KaplanMeierFitter().fit(t, 1 - e)
    assert reverse.median_survival_time_ == pytest.approx(41.4, rel=1e-6)


def test_data_dictionary_says_synthetic_and_names_the_seed():
    first_line = (SAMPLE_CSV.parent / "DATA_DICTIONARY.md").read_text("utf-8").splitlines()[0]
    assert "SYNTHETIC" in first_line and "not patient data" in first_line
    assert f"seed {SAMPLE_SEED}" in first_line and "cohort_explorer.sample" in first_line
