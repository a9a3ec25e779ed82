"""Competing risks against R: Aalen–Johansen (survival 3.5.3), Gray's test and Fine–Gray (cmprsk).

Golden values: tests/reference/competing.R -> competing.json (inputs in reference/data/cr_*.csv):
``survfit(Surv(time, factor(state, 0:2)) ~ 1, conf.type = ...)`` per group (pstate, std.err,
lower, upper of state 1, ``summary(fit, times = )``), ``cmprsk::cuminc(time, state, group,
cencode = 0)$Tests`` and ``cmprsk::crr(time, state, model.matrix(~ group + x)[, -1])``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.errors import ColumnError
from cohort_explorer.stats.competing import cif_landmarks, cumulative_incidence, gray_test
from cohort_explorer.stats.fine_gray import fine_gray
from tests.conftest import REFERENCE, load_reference

REF = load_reference("competing")
RTOL = 1e-6


def r_array(values) -> np.ndarray:
    values = values if isinstance(values, list) else [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def load(dataset: str) -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / REF["datasets"][dataset]["file"])
    data["group"] = data["group"].astype(str)
    return data


def curve_cases():
    return [pytest.param(name, group, conf_type, id=f"{name}-{group}-{conf_type}")
            for name, record in REF["datasets"].items()
            for group, curves in record["curves"].items() for conf_type in curves]


@pytest.mark.parametrize(("dataset", "group", "conf_type"), curve_cases())
def test_aalen_johansen_matches_R(dataset, group, conf_type):
    data = load(dataset)
    rows = data[data["group"] == group]
    expected = REF["datasets"][dataset]["curves"][group][conf_type]
    cif = cumulative_incidence(rows["time"], rows["state"], conf_type=conf_type)
    np.testing.assert_array_equal(cif.time, r_array(expected["time"]))
    np.testing.assert_array_equal(cif.at_risk, r_array(expected["n_risk"]))
    for key, mine in (("estimate", cif.estimate), ("std_err", cif.std_err),
                      ("lower", cif.lower), ("upper", cif.upper)):
        np.testing.assert_allclose(mine, r_array(expected[key]), rtol=RTOL, atol=1e-12,
                                   err_msg=key)
    landmarks = cif_landmarks(cif, r_array(expected["landmarks"]["time"]))
    for key in ("estimate", "lower", "upper"):
        mine = np.array([getattr(lm, key) for lm in landmarks])
        np.testing.assert_allclose(mine, r_array(expected["landmarks"][key]), rtol=RTOL,
                                   atol=1e-12, err_msg=f"landmark {key}")


@pytest.mark.parametrize("dataset", list(REF["datasets"]))
def test_gray_test_matches_R(dataset):
    data = load(dataset)
    expected = REF["datasets"][dataset]["gray"]
    result = gray_test(data["time"], data["state"], data["group"])
    assert result.df == expected["df"]
    np.testing.assert_allclose(result.statistic, expected["statistic"], rtol=RTOL)
    np.testing.assert_allclose(result.p, expected["p"], rtol=RTOL)


def test_gray_test_does_not_depend_on_group_order():
    data = load("sample")
    forward = gray_test(data["time"], data["state"], data["group"], levels=["I", "II", "III"])
    backward = gray_test(data["time"], data["state"], data["group"], levels=["III", "II", "I"])
    np.testing.assert_allclose(forward.statistic, backward.statistic, rtol=1e-10)


@pytest.mark.parametrize("dataset", list(REF["datasets"]))
def test_fine_gray_matches_R_crr(dataset):
    data = load(dataset)
    record = REF["datasets"][dataset]
    design = pd.DataFrame({f"group{g}": (data["group"] == g).astype(float)
                           for g in record["groups"][1:]})
    design["x"] = data["x"]
    fit = fine_gray(data["time"], data["state"], design)
    expected = record["fine_gray"]
    assert [t.term for t in fit.terms] == expected["terms"]
    assert fit.converged is expected["converged"]
    for key in ("coef", "se", "p"):
        np.testing.assert_allclose([getattr(t, key) for t in fit.terms], r_array(expected[key]),
                                   rtol=1e-5, err_msg=key)
    t = fit.terms[0]
    np.testing.assert_allclose([t.lower, t.upper], np.exp(t.coef + np.array([-1, 1]) * 1.959963984540054 * t.se))


def test_cif_never_below_zero_and_nondecreasing():
    data = load("mgus2")
    cif = cumulative_incidence(data["time"], data["state"])
    assert np.all(np.diff(cif.estimate) >= -1e-15)
    assert cif.estimate[-1] <= 1
    assert np.all(cif.lower[~np.isnan(cif.lower)] <= cif.estimate[~np.isnan(cif.lower)] + 1e-15)


def test_cif_landmark_past_last_time_is_null():
    cif = cumulative_incidence([1, 2, 3], [1, 2, 0])
    (late,) = cif_landmarks(cif, [10])
    assert np.isnan(late.estimate) and np.isnan(late.lower)


def test_bad_state_is_a_column_error():
    with pytest.raises(ColumnError, match="state must be"):
        cumulative_incidence([1, 2], [1, 3])


def test_report_carries_the_cif_figure_table_and_method_sentence():
    from cohort_explorer.analysis import analyze
    from cohort_explorer.present import plots
    from cohort_explorer.present.competing import ONE_MINUS_KM
    from cohort_explorer.present.report import html_report, methods_paragraph
    from cohort_explorer.spec import AnalysisSpec
    from tests.conftest import SAMPLE_CSV

    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_cause", event_value="1",
                        group_by="ikzf1:q1-vs-rest", competing="pfs_cause=2", fine_gray=True,
                        landmarks=(36,))
    result = analyze(pd.read_csv(SAMPLE_CSV), spec)
    figure = plots.cif_figure(result, time_unit="months", endpoint="Progression")
    assert figure.data[-1].mode == "text"  # the numbers-at-risk row
    legend = [trace.name for trace in figure.data if trace.showlegend is not False and trace.name]
    # the KM legend's cut-off wording: the sample's IKZF1 Q1 is <= 0.643
    assert legend[0].startswith("Q1 (≤ 0.643) (n=15"), legend
    assert legend[1].startswith("Q2-Q4 (&gt; 0.643) (n=45")  # escaped for Plotly, as the KM legend, legend
    html = html_report(result, spec, figures={"cumulative-incidence": figure},
                       captions={"cumulative-incidence": "Cumulative incidence"})
    assert "Cumulative incidence with a competing event" in html
    assert "Fine–Gray subdistribution hazard ratios" in html
    assert "Gray test p = 0.047" in html
    assert "overstates" in html and ONE_MINUS_KM[:20] in html
    assert "<dt>Competing event</dt><dd>pfs_cause=2</dd>" in html  # the choices list, in words
    methods = methods_paragraph(result, spec)
    assert "Aalen–Johansen" in methods and "cmprsk::crr" in methods
    q1 = result.competing.groups[0]
    assert f"{q1.landmarks[0].estimate:.1%}"[:-1] in html  # 13.8% at 36 months
