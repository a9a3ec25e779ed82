"""Browser journey: a cBioPortal study's two clinical files -> Kaplan–Meier by OS status.

The patient file goes in the Data page's upload box, its sample file in the box that then
appears; the app joins them on PATIENT_ID, says so, maps OS_MONTHS/OS_STATUS itself (no mapping
step) and the Survival page shows the CLI's numbers (``--samples``) for bilirubin quartiles.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect
from tests.conftest import ROOT
from tests.e2e.test_journeys import _analysis_controls, _choose, _go, _no_failure, _open, _rerun

from cohort_explorer.cli import main
from cohort_explorer.present.cutoffs import group_labels
from cohort_explorer.present.format import format_p

pytestmark = pytest.mark.browser
STUDY = ROOT / "tests" / "data" / "cbioportal_pbc"


def test_two_cbioportal_files_to_km_by_os_status_equal_the_cli(page: Page, app_url: str,
                                                                 artifacts, capsys):
    code = main(["analyze", str(STUDY / "data_clinical_patient.txt"), "--samples",
                 str(STUDY / "data_clinical_sample.txt"), "--time", "OS_MONTHS", "--event",
                 "OS_STATUS", "--group-by", "BILIRUBIN:quartiles", "--landmark", "36"])
    out, err = capsys.readouterr()
    assert code == 0, err
    expected = json.loads(out)

    _open(page, app_url, "Data")
    uploaders = page.get_by_test_id("stFileUploader")
    _rerun(page, lambda: uploaders.first.locator("input[type=file]").set_input_files(
        STUDY / "data_clinical_patient.txt"))
    second = uploaders.filter(has_text="add its sample file")
    expect(second).to_be_visible()
    _rerun(page, lambda: second.locator("input[type=file]").set_input_files(
        STUDY / "data_clinical_sample.txt"))
    sidebar = page.get_by_test_id("stSidebar")
    expect(sidebar.get_by_text("data_clinical_patient.txt + data_clinical_sample.txt")
           ).to_be_visible()
    expect(page.get_by_text("each of the 418 patients has the values of their first sample",
                            exact=False)).to_be_visible()
    expect(sidebar.get_by_text("418 rows × 13 columns", exact=False)).to_be_visible()
    # must NOT happen: a mapping step (no endpoint found, empty time/event choices)
    expect(page.get_by_text("No endpoint found", exact=False)).to_have_count(0)
    expect(page.get_by_text("Choose the follow-up time", exact=False)).to_have_count(0)

    _go(page, "Survival")
    _analysis_controls(page)
    _choose(page, "Biomarker", "Serum Bilirubin (mg/dl) · BILIRUBIN")  # the '#' display name
    chart = page.get_by_test_id("stPlotlyChart").first
    expect(chart.get_by_text("Number at risk")).to_be_visible()
    expect(chart.get_by_text("Serum Bilirubin (mg/dl)", exact=False).first).to_be_visible()
    names = group_labels(expected["groups"])
    for name, group in zip(names, expected["groups"], strict=True):
        legend = f"{name}, n = {group['n']}"
        expect(chart.get_by_text(re.compile("^" + re.escape(legend)))).to_be_visible()
    expect(page.get_by_text(f"Log-rank {format_p(expected['logrank']['p'])}").first
           ).to_be_visible()
    table = page.get_by_test_id("stTable").first
    for group in expected["groups"]:
        expect(table).to_contain_text(str(group["n"]))
    _no_failure(page)
    page.screenshot(path=str(artifacts / "journey-cbioportal-two-files.png"), full_page=True)
