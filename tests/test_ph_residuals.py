"""Scaled Schoenfeld residuals of the PH check against R (tests/reference/zph.R -> zph.json).

R code (survival 3.5.3)::

    fit <- coxph(Surv(time, status) ~ age + sex + factor(ph.ecog), data = lung)
    z <- cox.zph(fit, terms = FALSE)     # transform = "km"
    z$x; z$time; z$y; diag(z$var)
"""

from __future__ import annotations

import json

import numpy as np
import numpy.testing as npt
import pytest

from cohort_explorer.stats.cox import proportional_hazards_test
from tests.conftest import load_reference
from tests.test_cox import _fit, _model

REF = load_reference("zph")
RTOL = 1e-6


@pytest.mark.parametrize("name", ["lung", "rossi", "ties"])
@pytest.mark.parametrize("reuse_fit", [False, True])
def test_ph_residuals_match_R(name, reuse_fit):
    time, event, design, groups = _model(name)
    ref = REF[name]
    cox = _fit(name) if reuse_fit else None
    residuals = proportional_hazards_test(time, event, design, cox, term_groups=groups).residuals
    assert residuals.terms == tuple(ref["terms"]) == tuple(design.columns)
    assert residuals.values.shape == (int(event.sum()), len(ref["terms"]))
    npt.assert_allclose(residuals.time, ref["x"], rtol=RTOL)
    npt.assert_allclose(residuals.raw_time, ref["time"], rtol=RTOL)
    npt.assert_allclose(residuals.values, np.array(ref["y"]).T, rtol=RTOL)
    npt.assert_allclose(residuals.variance, ref["var"], rtol=RTOL)
    npt.assert_allclose(residuals.coef, ref["coef"], rtol=RTOL)


def test_ph_residuals_name_the_test_of_each_column():
    time, event, design, groups = _model("lung")
    ph = proportional_hazards_test(time, event, design, term_groups=groups)
    assert ph.residuals.tested_as == ("age", "sex", "ph.ecog", "ph.ecog", "ph.ecog")
    assert set(ph.residuals.tested_as) == {label for label, _ in ph.terms}


def test_ph_residuals_of_terms_that_are_not_estimable_are_nan():
    time, event, design, groups = _model("separation")
    ph = proportional_hazards_test(time, event, design, term_groups=groups)
    residuals = ph.residuals
    assert residuals.terms == ("group=B", "group=C", "age")
    assert [t.estimable for t in _fit("separation").terms] == [True, False, True]
    assert np.isnan(residuals.values[:, 1]).all() and np.isnan(residuals.coef[1])
    assert np.isnan(residuals.variance[1])
    assert np.isfinite(residuals.values[:, [0, 2]]).all() and np.isfinite(residuals.coef[[0, 2]]).all()
    assert residuals.time.size == int(event.sum())
    assert np.all(np.diff(residuals.raw_time) >= 0)
    as_json = json.loads(json.dumps(ph.to_dict(), allow_nan=False))
    assert as_json["residuals"]["values"][0][1] is None
    assert as_json["residuals"]["values"][0][2] == pytest.approx(residuals.values[0, 2])


def test_plottable_terms_are_those_with_residuals_worst_first():
    time, event, design, groups = _model("separation")
    ph = proportional_hazards_test(time, event, design, term_groups=groups)
    p_of = ph.plottable()
    assert set(p_of) == {"group=B", "age"}  # group=C is not estimable: nothing to plot
    tests = dict(ph.terms)
    assert list(p_of.values()) == sorted(p_of.values(), key=lambda p: 2.0 if np.isnan(p) else p)
    assert p_of["age"] == tests["age"].p
    lung = proportional_hazards_test(*_model("lung")[:3], term_groups=_model("lung")[3])
    assert list(lung.plottable())[0] == min(
        lung.residuals.terms, key=lambda t: dict(lung.terms)[
            lung.residuals.tested_as[lung.residuals.terms.index(t)]].p)
