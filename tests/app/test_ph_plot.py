"""AppTest: the Hazard ratios page shows the scaled Schoenfeld residual plot of the PH check."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
from streamlit.testing.v1 import AppTest
from tests.app.apptest import run as _run
from tests.conftest import ROOT, SAMPLE_CSV

from cohort_explorer.analysis import analyze
from cohort_explorer.present.format import format_p

APP = str(ROOT / "app.py")




def _array(value) -> np.ndarray:
    """A plotly JSON array: a list or ``{"dtype": "f8", "bdata": base64}``."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)


def _points(at: AppTest) -> tuple[np.ndarray, np.ndarray, str]:
    """x, y of the residual points and the title of the one PH residual figure on the page."""
    charts = [c for c in at.get("plotly_chart") if "Schoenfeld" in c.proto.spec]
    assert len(charts) == 1
    figure = json.loads(charts[0].proto.spec)
    points = next(t for t in figure["data"] if t.get("mode") == "markers")
    return _array(points["x"]), _array(points["y"]), figure["layout"]["title"]["text"]


def test_hazard_ratios_page_shows_the_ph_residual_plot():
    at = _run(AppTest.from_file(APP, default_timeout=30))
    at.switch_page("pages/hazard_ratios.py")
    _run(at)
    at.multiselect(key="hr_cols_w").set_value(["cyto_risk", "iss_stage", "age"])
    _run(at)
    spec = at.session_state["hr_spec"]
    assert (spec.time_col, spec.covariates) == (
        "pfs_months", ("cyto_risk:cat:ref=standard", "iss_stage:cat:ref=I", "age"))
    ph = analyze(pd.read_csv(SAMPLE_CSV), spec).ph_test
    assert ph.residuals.terms == ("cyto_risk=high", "iss_stage=II", "iss_stage=III", "age")
    residuals, tests = ph.residuals, dict(ph.terms)
    p = [tests[label].p for label in residuals.tested_as]
    choice = at.selectbox(key="hr_ph_term_w")
    words = {"cyto_risk=high": "cyto_risk high vs standard", "iss_stage=II": "iss_stage II vs I",
             "iss_stage=III": "iss_stage III vs I", "age": "age (per unit)"}
    assert list(choice.options) == [f"{words[t]} (PH test {format_p(p_j)})"
                                    for t, p_j in zip(residuals.terms, p, strict=True)]
    assert choice.value == residuals.terms[int(np.argmin(p))]
    x, y, title = _points(at)
    j = residuals.terms.index(choice.value)
    np.testing.assert_allclose(y, residuals.values[:, j], rtol=1e-12)
    np.testing.assert_allclose(x, residuals.time, rtol=1e-12)
    assert f"Scaled Schoenfeld residuals:<br>{words[choice.value]}<br>(PH test" in title

    other = next(t for t in residuals.terms if t != choice.value)
    choice.set_value(other)
    _run(at)
    _, y, title = _points(at)
    np.testing.assert_allclose(y, residuals.values[:, residuals.terms.index(other)], rtol=1e-12)
    assert f"Scaled Schoenfeld residuals:<br>{words[other]}<br>(PH test" in title
    at.switch_page("pages/cohort.py")
    _run(at)
    at.switch_page("pages/hazard_ratios.py")
    _run(at)
    assert at.selectbox(key="hr_ph_term_w").value == other  # the choice survives page switches
