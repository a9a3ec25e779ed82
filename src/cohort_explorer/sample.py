"""SYNTHETIC myeloma cohort generator: simulated data, not patient data.

The app's demo cohort (``sample_data/sample_cohort.csv``, 60 patients) is ``make_sample()``
with the default arguments. It is shaped like the DSMM XII substudy of Krönke et al. (Leukemia
2017): newly diagnosed multiple myeloma, RAD induction, autologous transplant and lenalidomide
maintenance, with IKZF1/IKZF3/CRBN/BSG mRNA expression, FISH cytogenetics, best response,
progression-free and overall survival. Every value is drawn from the model below; no row
describes a real person. The same generator makes cohorts of any size for benchmarks
(``make_sample(1_000_000, seed)``, fully vectorised, about a second).

Data-generating model (times in months from diagnosis)
------------------------------------------------------
* Age ~ Normal(57, 7) rounded and clipped to 33–70 (transplant-eligible); 58% male;
  ISS I/II/III 35/40/25%.
* FISH: del(17p) 7%; one IgH translocation at most, t(4;14) 12% or t(14;16) 3% (they are
  mutually exclusive in myeloma); gain(1q) 30%, 60% with t(4;14). ``cyto_risk`` is ``high``
  with del(17p), t(4;14) or t(14;16) (about 21% of patients).
* Expression is log-normal (relative quantities, right-skewed). log IKZF1 rises by 0.25 per
  ISS stage and by 0.8 with high-risk cytogenetics (so few high-risk patients fall in the
  lowest IKZF1 quartile), sd 0.55. IKZF3 is correlated with IKZF1; CRBN and BSG are
  independent of everything and have no effect on any outcome.
* Best response from a latent score (lower with higher IKZF1 and with high-risk cytogenetics):
  sCR/CR/VGPR/PR/SD/PD about 12/18/33/28/7/2%. It is first reached at 8–18 (sCR), 5–16 (CR),
  3–12 (VGPR), 2–8 (PR) or 2–6 months (SD, PD).
* Progression: Weibull proportional hazards (shape 1.8), conditional on no progression before
  best response (primary refractory patients, PD, progress at that time). Hazard ratios: high-
  risk cytogenetics 4.3; IKZF1 above the population 25th percentile (0.73, a smooth step)
  2.4; response sCR 0.74, CR 0.82, PR 1.35, SD 1.82 (reference VGPR). Death without
  progression 0.04% per month. Survival after progression: Weibull (median about 34 months
  for standard risk with low IKZF1) with hazard ratios 3 (high risk) and 2.5 (high IKZF1).
* Censoring: accrual uniform over 24 months, data cut 56 months after the first patient
  (potential follow-up 32–56 months), loss to follow-up 0.3% per month after best response.
  Times are rounded to 0.1 month (a few ties, as in real data).

In a large cohort (n = 1,000,000, seed 1) this model gives 3-year PFS 87.0% in the lowest IKZF1
quartile (Q1) vs 55.7% in Q2–Q4, 3-year OS 96.4% vs 72.9%, multivariable Cox HRs 5.4 (high-risk
cytogenetics) and 2.7 (IKZF1 Q2–Q4), 20.9% high risk, 58% of PFS times censored and a median
follow-up (reverse Kaplan–Meier) of 42.7 months. Under proportional hazards the published
86% vs 51% split and an adjusted HR of 1.9 cannot both hold in expectation (the split alone
implies an HR near 4 unless nearly all high-risk patients sit in Q2–Q4); the model sits between
them, with high-risk cytogenetics concentrated in Q2–Q4 (2.5% of Q1, 27% of Q2–Q4).

How the sample seed was chosen
------------------------------
A 60-patient draw is noisy, so the committed sample is a *selected* draw. Seeds were scanned
in order from 20170101 (a throw-away script, not committed); for each, ``make_sample(60,
seed)`` was checked against every calibration target of ``tests/test_sample.py``. About 1 seed
in 300 meets them all (106 of the first 30,000). ``SAMPLE_SEED`` is the first seed that meets
them with room to spare: 3-year PFS and OS per IKZF1 group within 3 points of 86/51% and
100/74%, and the Cox HRs within a factor 1.25 of the published 5.06 and 1.91 (10 of the
first 30,000 seeds; 20174927 is the first). The sample therefore reproduces the published
story by construction; its p-values are not evidence of anything. The numbers it gives are
listed in ``sample_data/DATA_DICTIONARY.md``. Any change to this module changes the sample:
regenerate it with ``write_sample("sample_data/sample_cohort.csv")``, redo the seed search
and update the dictionary (a test compares the file with ``make_sample()`` byte for byte).

References
----------
Krönke J, et al. IKZF1 expression is a prognostic marker in newly diagnosed standard-risk
multiple myeloma treated with lenalidomide and intensive chemotherapy: a study of the German
Myeloma Study Group (DSMM). Leukemia 2017;31:1363–1367. doi:10.1038/leu.2016.384
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from cohort_explorer.errors import OptionError

__all__ = [
    "SAMPLE_SEED",
    "SAMPLE_N",
    "COLUMNS",
    "ISS_ORDER",
    "RESPONSE_ORDER",
    "make_sample",
    "write_sample",
]

SAMPLE_SEED = 20174927
SAMPLE_N = 60

#: Column names, in file order.
COLUMNS = (
    "patient_id", "age", "sex", "iss_stage",
    "ikzf1", "ikzf3", "crbn", "bsg",
    "del17p", "t_4_14", "t_14_16", "gain_1q", "cyto_risk",
    "best_response", "response_months",
    "pfs_months", "pfs_event", "os_months", "os_event", "pfs_cause",
)
#: ISS stages, in clinical order.
ISS_ORDER = ("I", "II", "III")
#: Best response, best first (IMWG order; not alphabetical).
RESPONSE_ORDER = ("sCR", "CR", "VGPR", "PR", "SD", "PD")


@dataclass(frozen=True)
class _Model:
    """Parameters of the data-generating model (months; expression on the natural-log scale)."""

    age_mean: float = 57.0
    age_sd: float = 7.0
    age_range: tuple[float, float] = (33.0, 70.0)
    p_male: float = 0.58
    p_iss: tuple[float, float, float] = (0.35, 0.40, 0.25)
    p_del17p: float = 0.07
    p_translocation: tuple[float, float, float] = (0.85, 0.12, 0.03)  # none, t(4;14), t(14;16)
    p_gain_1q: float = 0.30
    gain_1q_with_t_4_14: float = 0.30
    ikzf1_iss: float = 0.25
    ikzf1_high_risk: float = 0.8
    ikzf1_sd: float = 0.55
    ikzf3_on_ikzf1: float = 0.5
    ikzf3_sd: float = 0.5
    crbn_sd: float = 0.6
    bsg_mean: float = 0.3
    bsg_sd: float = 0.45
    resp_ikzf1: float = 0.8
    resp_high_risk: float = 0.4
    resp_cuts: tuple[float, ...] = (1.41, 0.5, -0.74, -2.28, -3.39)  # sCR|CR|VGPR|PR|SD|PD
    resp_months_low: tuple[float, ...] = (8.0, 5.0, 3.0, 2.0, 2.0, 2.0)
    resp_months_high: tuple[float, ...] = (18.0, 16.0, 12.0, 8.0, 6.0, 6.0)
    pfs_scale: float = 108.0
    pfs_shape: float = 1.8
    hr_high_risk: float = 4.3
    hr_ikzf1_high: float = 2.4
    ikzf1_threshold: float = 0.73
    ikzf1_width: float = 0.08
    log_hr_response: tuple[float, ...] = (-0.3, -0.2, 0.0, 0.3, 0.6, 0.0)
    death_rate: float = 0.0004
    pps_scale: float = 46.0
    pps_shape: float = 1.2
    pps_hr_high_risk: float = 3.0
    pps_hr_ikzf1_high: float = 2.5
    accrual_months: float = 24.0
    data_cut_months: float = 56.0
    loss_rate: float = 0.003


_MODEL = _Model()


def make_sample(n: int = SAMPLE_N, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """Generate a SYNTHETIC myeloma cohort (simulated, not patient data).

    Parameters
    ----------
    n : int, default SAMPLE_N
        Number of patients (rows), at least 1.
    seed : int, default SAMPLE_SEED
        Seed for ``np.random.default_rng``; the same ``(n, seed)`` always gives the same
        cohort. The defaults give the committed ``sample_data/sample_cohort.csv``.

    Returns
    -------
    pandas.DataFrame
        One row per patient with the columns of :data:`COLUMNS`: ``patient_id`` (``MM-001``,
        widened for n > 999), ``age`` (int), ``sex`` (M/F), ``iss_stage`` (I/II/III),
        ``ikzf1``/``ikzf3``/``crbn``/``bsg`` (positive floats, 3 decimals), ``del17p``,
        ``t_4_14``, ``t_14_16``, ``gain_1q`` (0/1), ``cyto_risk`` (high/standard),
        ``best_response`` (:data:`RESPONSE_ORDER`), ``response_months``, ``pfs_months``,
        ``pfs_event``, ``os_months``, ``os_event`` and ``pfs_cause`` (0 censored, 1 progression,
        2 death without progression). Times are in months, rounded to 0.1.

    Raises
    ------
    OptionError
        If ``n`` is not a positive whole number or ``seed`` not a non-negative one.

    References
    ----------
    Krönke J, et al. Leukemia 2017;31:1363–1367, doi:10.1038/leu.2016.384 (the study whose
    shape the cohort imitates; its data are not used).
    """
    n = _whole_number("n", n, minimum=1)
    seed = _whole_number("seed", seed, minimum=0)
    return _generate(n, seed, _MODEL)


def write_sample(path, n: int = SAMPLE_N, seed: int = SAMPLE_SEED) -> None:
    """Write ``make_sample(n, seed)`` to ``path`` as plain UTF-8 CSV.

    The header row comes first (no comment lines), rows end with ``\\n``, no index column.
    ``write_sample("sample_data/sample_cohort.csv")`` regenerates the committed sample.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file (overwritten).
    n : int, default SAMPLE_N
        Number of patients.
    seed : int, default SAMPLE_SEED
        Random seed.
    """
    frame = make_sample(n, seed)
    with open(Path(path), "w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, index=False, lineterminator="\n")


def _whole_number(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise OptionError(
            f"{name} must be a whole number >= {minimum}, got {value!r}; "
            f"for example {name}={max(minimum, 60 if name == 'n' else 1)}"
        )
    return int(value)


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _later(start: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``start`` plus ``delta`` rounded to 0.1 month and at least 0.1 (strictly later)."""
    return np.round(start + np.maximum(np.round(delta, 1), 0.1), 1)


def _expression(values: np.ndarray) -> np.ndarray:
    """Relative quantity: exp, rounded to 3 decimals, never 0."""
    return np.maximum(np.round(np.exp(values), 3), 0.001)


def _baseline(rng: np.random.Generator, n: int, m: _Model) -> dict:
    age = np.clip(np.round(rng.normal(m.age_mean, m.age_sd, n)), *m.age_range)
    male = rng.random(n) < m.p_male
    iss = rng.choice(3, size=n, p=m.p_iss)
    del17p = rng.random(n) < m.p_del17p
    translocation = rng.choice(3, size=n, p=m.p_translocation)
    t_4_14 = translocation == 1
    gain_1q = rng.random(n) < m.p_gain_1q + m.gain_1q_with_t_4_14 * t_4_14
    return {
        "age": age.astype(np.int64), "male": male, "iss": iss, "del17p": del17p,
        "t_4_14": t_4_14, "t_14_16": translocation == 2, "gain_1q": gain_1q,
        "high": del17p | (translocation > 0),
    }


def _markers(rng: np.random.Generator, base: dict, m: _Model) -> dict:
    z = rng.standard_normal((4, base["iss"].size))
    log_ikzf1 = m.ikzf1_iss * (base["iss"] - 1) + m.ikzf1_high_risk * base["high"]
    log_ikzf1 = log_ikzf1 + m.ikzf1_sd * z[0]
    return {
        "ikzf1": _expression(log_ikzf1),
        "ikzf3": _expression(m.ikzf3_on_ikzf1 * log_ikzf1 + m.ikzf3_sd * z[1]),
        "crbn": _expression(m.crbn_sd * z[2]),
        "bsg": _expression(m.bsg_mean + m.bsg_sd * z[3]),
    }


def _response(rng: np.random.Generator, base: dict, ikzf1: np.ndarray, m: _Model):
    n = ikzf1.size
    latent = (-m.resp_ikzf1 * np.log(ikzf1) / m.ikzf1_sd - m.resp_high_risk * base["high"]
              + rng.standard_normal(n))
    response = np.searchsorted(-np.asarray(m.resp_cuts), -latent)  # 0 = sCR ... 5 = PD
    low = np.asarray(m.resp_months_low)[response]
    high = np.asarray(m.resp_months_high)[response]
    months = np.round(low + (high - low) * rng.beta(2.0, 2.0, n), 1)
    return response, months


def _outcomes(rng, base: dict, ikzf1, response, response_months, m: _Model) -> dict:
    n = ikzf1.size
    ikzf1_high = _expit((np.log(ikzf1) - np.log(m.ikzf1_threshold)) / m.ikzf1_width)
    lp = (np.log(m.hr_high_risk) * base["high"] + np.log(m.hr_ikzf1_high) * ikzf1_high
          + np.asarray(m.log_hr_response)[response])
    # Weibull progression time given none before best response: H(T) = H(r) + Exp(1).
    start = (response_months / m.pfs_scale) ** m.pfs_shape
    latent = m.pfs_scale * (start + rng.exponential(1.0, n) * np.exp(-lp)) ** (1 / m.pfs_shape)
    progression = np.where(response == 5, response_months,
                           _later(response_months, latent - response_months))
    death_first = _later(response_months, rng.exponential(1.0 / m.death_rate, n))
    pps_lp = np.log(m.pps_hr_high_risk) * base["high"] + np.log(m.pps_hr_ikzf1_high) * ikzf1_high
    pps = m.pps_scale * (rng.exponential(1.0, n) * np.exp(-pps_lp)) ** (1 / m.pps_shape)
    death_after = _later(progression, pps)
    admin = np.round(m.data_cut_months - m.accrual_months * rng.random(n), 1)
    loss = _later(response_months, rng.exponential(1.0 / m.loss_rate, n))
    censor = np.minimum(admin, loss)

    first = np.minimum(progression, death_first)
    pfs_event = first <= censor  # an event on the day of censoring counts
    progressed = pfs_event & (progression <= death_first)
    died_first = pfs_event & ~progressed
    os_event = died_first | (progressed & (death_after <= censor))
    os_months = np.where(died_first, death_first,
                         np.where(os_event, death_after, censor))
    return {
        "pfs_months": np.where(pfs_event, first, censor),
        "pfs_event": pfs_event.astype(np.int64),
        "os_months": os_months,
        "os_event": os_event.astype(np.int64),
        "pfs_cause": np.where(progressed, 1, np.where(died_first, 2, 0)).astype(np.int64),
    }


def _generate(n: int, seed: int, m: _Model) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = _baseline(rng, n, m)
    markers = _markers(rng, base, m)
    response, response_months = _response(rng, base, markers["ikzf1"], m)
    outcomes = _outcomes(rng, base, markers["ikzf1"], response, response_months, m)
    number = pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(max(3, len(str(n))))
    columns = {
        "patient_id": ("MM-" + number).to_numpy(dtype=object),
        "age": base["age"],
        "sex": np.where(base["male"], "M", "F").astype(object),
        "iss_stage": np.asarray(ISS_ORDER, dtype=object)[base["iss"]],
        **markers,
        "del17p": base["del17p"].astype(np.int64),
        "t_4_14": base["t_4_14"].astype(np.int64),
        "t_14_16": base["t_14_16"].astype(np.int64),
        "gain_1q": base["gain_1q"].astype(np.int64),
        "cyto_risk": np.where(base["high"], "high", "standard").astype(object),
        "best_response": np.asarray(RESPONSE_ORDER, dtype=object)[response],
        "response_months": response_months,
        **outcomes,
    }
    return pd.DataFrame({name: columns[name] for name in COLUMNS})
