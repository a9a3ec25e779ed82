"""AppTest: the Biomarker page (cut-point explorer, bootstrap, spline, HR per quartile)."""

from __future__ import annotations

import io
import subprocess
import zipfile

import pytest
from pages._widgets import column_key
from tests.app.apptest import (
    deeper_session,
    page,
    plain,
    plain_table,
    run,
    spy_downloads,
    start,
)
from tests.conftest import require_r

pytestmark = pytest.mark.slow


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_biomarker_page_shows_cut_spline_and_quartiles():
    at = page(start(), "pages/biomarker.py")
    assert at.selectbox(key="bio_marker_w").value == "ikzf1"
    keys = {c.proto.id for c in at.get("plotly_chart")}
    assert len(keys) == 4  # cut curve, spline, quartile forest (wide and narrow layouts)
    text = _markdown(at)
    assert "Selected cut **1.049**" in text
    assert "p for non-linearity" in text
    assert plain_table(at.table[0])["Term"].tolist() == [  # each HR against Q1, with cut-offs
        "ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)",
        "ikzf1 Q3 (> 1.12 to ≤ 1.94) vs Q1 (≤ 0.643)", "ikzf1 Q4 (> 1.94) vs Q1 (≤ 0.643)"]


def test_bootstrap_runs_on_request_and_gives_a_verdict():
    at = page(start(), "pages/biomarker.py")
    at.number_input(key="bio_boot_b").set_value(200)
    run(at)
    assert "moves between" not in _markdown(at)
    at.button(key="bio_boot_run").click()
    run(at)
    text = _markdown(at)
    assert "moves between" in text and "200 resamples" in text
    assert len(at.get("plotly_chart")) == 5  # + the bootstrap histogram
    at.number_input(key="bio_boot_seed").set_value(5)  # another seed: the old result is not shown
    run(at)
    assert "moves between" not in _markdown(at)


def test_bootstrap_cancel_keeps_nothing(monkeypatch):
    """A cancelled bootstrap (the engine's progress callback said stop) leaves no result."""
    from cohort_explorer.analysis import deeper
    from cohort_explorer.stats.cut_explorer import BootstrapCancelled

    def cancelled(*args, progress=None, **kwargs):
        progress(100, 1000)
        raise BootstrapCancelled("cancelled after 100 of 1000 resamples")

    monkeypatch.setattr(deeper, "bootstrap_cutpoint", cancelled)
    at = page(start(), "pages/biomarker.py")
    at.button(key="bio_boot_run").click()
    run(at)
    assert any("cancelled" in i.value for i in at.info)
    assert "moves between" not in _markdown(at)
    assert "bio_boot" not in at.session_state


def test_spline_adjustment_and_marker_choice():
    at = page(start(), "pages/biomarker.py")
    at.multiselect(key="bio_adjust_w").set_value(["age", "cyto_risk"])
    run(at)
    assert "adjusted for" in str(at.get("plotly_chart")[1].proto.spec)
    at.selectbox(key="bio_marker_w").set_value("crbn")
    run(at)
    assert "**crbn**" in _markdown(at)


def test_hazard_ratios_page_subgroup_forest_screen_strata_and_prediction():
    at = page(start(), "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")
    assert at.multiselect(key="hr_subgroups_w").value == ["cyto_risk", "sex"]
    sub = at.dataframe[0].value
    assert set(sub["Subgroup"]) >= {"cyto_risk = high", "sex = F", "sex = M"}
    assert "not estimable" in set(sub["Hazard ratio"]) or sub["Interaction p"].notna().all()
    # stratified Cox
    at.selectbox(key="hr_strata_w").set_value("sex")
    run(at)
    assert any("Not computed for a stratified model" in i.value for i in at.info)
    assert any("not available for a stratified model" in i.value for i in at.info)
    at.selectbox(key="hr_strata_w").set_value("(none)")
    run(at)
    # univariable screen -> the chosen terms become the model's covariates
    at.multiselect(key="hr_screen_w").set_value(["age", "iss_stage", "crbn"])
    run(at)
    table = at.dataframe[1].value
    assert list(table["Candidate"].unique()) == ["age", "iss_stage:cat", "crbn"]
    assert table["BH q"].notna().all()
    at.multiselect(key="hr_screen_take").set_value(["age", "crbn"])
    run(at)
    at.button(key="hr_screen_use").click()
    run(at)
    assert at.multiselect(key="hr_cols_w").value == ["age", "crbn"]


def test_prediction_panel_places_the_patient_and_refuses_missing_values():
    at = page(start(), "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")
    at.number_input(key="hr_pred_group").set_value(0.5)
    submit = [b for b in at.get("form_submit_button")][0]
    submit.click()
    run(at)
    assert any("Enter" in e.value or "Give the patient's cyto_risk" in e.value for e in at.error)
    at.selectbox(key=column_key("hr_pred", "cyto_risk")).set_value("standard")
    at.number_input(key="hr_pred_group").set_value(0.5)
    [b for b in at.get("form_submit_button")][0].click()
    run(at)
    assert any("group **Q1**" in m.value for m in at.markdown)
    assert at.table[-1].value["Estimate"].iloc[-1] == "Median survival"
    at.number_input(key="hr_pred_group").set_value(40.0)
    [b for b in at.get("form_submit_button")][0].click()
    run(at)
    assert any("outside the range" in w.value for w in at.warning)


def test_survival_page_shows_landmark_differences():
    at = page(start(), "pages/survival.py")
    table = next(d.value for d in at.dataframe
                 if "Difference in survival, points (95% CI)" in d.value.columns)
    assert list(table["Group"]) == ["Q2 (> 0.643 to ≤ 1.12)", "Q3 (> 1.12 to ≤ 1.94)",
                                    "Q4 (> 1.94)"]  # with their cut-offs, as the legend
    assert set(table["Reference"]) == {"Q1 (≤ 0.643)"}
    assert list(table["Landmark"]) == ["36 months"] * 3


def test_report_carries_the_deeper_analyses(monkeypatch, tmp_path):
    downloads = spy_downloads(monkeypatch)
    page(deeper_session(["age", "crbn"]), "pages/report.py")
    html = downloads["cohort-report-pfs.html"]().decode("utf-8")
    for text in ("Cut-point explorer for ikzf1", "Bootstrap of the cut of ikzf1",
                 "moves between", "ikzf1 as a spline", "Hazard ratio per quartile against Q1",
                 "Subgroup forest", "Interaction p", "Univariable screen", "BH q",
                 "Survival differences at the landmarks"):
        assert text in html, text
    # the report's R script recomputes these too, each from its own analysis set
    with zipfile.ZipFile(io.BytesIO(downloads["cohort-analysis-R.zip"]())) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path)
    assert {"cohort-analysis/cohort-analysis-1-data.csv",
            "cohort-analysis/cohort-analysis-5-screen-data.csv"} <= names
    rscript = require_r("survival", "maxstat", "rms")
    done = subprocess.run([rscript, "cohort-analysis.R"], cwd=tmp_path / "cohort-analysis",
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for text in ("Biomarker cut point optimal cut point",
                 "Biomarker cut point bootstrap of the cut point: every selected cut",
                 "Biomarker spline spline HR", "HR per quartile ikzf1=Q2 (coef",
                 "Subgroup forest subgroup", "Univariable screen screen: BH q-values"):
        assert text in done.stdout, text
    assert "DIFFERS" not in done.stdout


def test_strata_over_the_level_cap_is_a_clear_message_and_the_page_recovers(monkeypatch):
    """The server's level cap (here 5) covers the stratification column: best_response has 6
    levels -> one error in words, no traceback; back to no strata, the model is shown again."""
    monkeypatch.setenv("COHORT_EXPLORER_MAX_LEVELS", "5")
    at = page(start(), "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")
    tables = len(at.table)
    assert tables > 0  # the Cox table
    at.selectbox(key="hr_strata_w").set_value("best_response")
    run(at)
    errors = [plain(e.value) for e in at.error]
    assert any("Strata column 'best_response' has 6 levels" in e and "limit is 5 levels" in e
               for e in errors), errors
    assert not any("--" in e for e in errors)
    at.selectbox(key="hr_strata_w").set_value("(none)")
    run(at)
    assert not at.error and len(at.table) == tables
