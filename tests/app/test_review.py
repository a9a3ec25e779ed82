"""Report page for a reviewer: the R script ZIP, the data fingerprint and the lifelines appendix;
a shared link opened on other data says so (AppTest)."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import zipfile

from tests.app.apptest import page, run, spy_downloads, start
from tests.conftest import SAMPLE_CSV, require_r

SAMPLE_SHA = hashlib.sha256(SAMPLE_CSV.read_bytes()).hexdigest()


def _report(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = page(start(), "pages/survival.py")
    at = page(at, "pages/report.py")
    return at, downloads


def test_report_zip_holds_an_r_script_that_reproduces_the_report(monkeypatch, tmp_path):
    at, downloads = _report(monkeypatch)
    assert "Download the R script and its data (.zip)" in [b.label for b in at.download_button]
    assert any(SAMPLE_SHA in c.value for c in at.caption)
    with zipfile.ZipFile(io.BytesIO(downloads["cohort-analysis-R.zip"]())) as archive:
        names = sorted(archive.namelist())
        assert names == ["cohort-analysis/cohort-analysis-data.csv",
                         "cohort-analysis/cohort-analysis.R"]
        archive.extractall(tmp_path)
    folder = tmp_path / "cohort-analysis"
    csv = (folder / "cohort-analysis-data.csv").read_text()
    assert "MM-0" not in csv and "patient_id" not in csv and "ikzf1" not in csv
    assert SAMPLE_SHA in (folder / "cohort-analysis.R").read_text()
    rscript = require_r("survival", "maxstat")
    done = subprocess.run([rscript, "cohort-analysis.R"], cwd=folder, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert re.search(r"All \d+ quantities agree with R", done.stdout)


def test_html_report_carries_the_fingerprint_and_the_lifelines_appendix(monkeypatch):
    at, downloads = _report(monkeypatch)
    html = downloads["cohort-report-pfs.html"]().decode()
    assert f"<dt>Dataset SHA-256</dt><dd>{SAMPLE_SHA}</dd>" in html
    assert "Appendix: independent cross-check with lifelines" in html
    assert "Kaplan–Meier survival" in html and "DIFFERS" not in html
    assert html.count(">agrees<") >= 5
    at.checkbox(key="report_cross_check").uncheck()
    run(at)
    assert "Appendix" not in downloads["cohort-report-pfs.html"]().decode()


def test_link_made_on_other_data_says_so():
    from streamlit.testing.v1 import AppTest
    from tests.app.apptest import APP, TIMEOUT

    other = AppTest.from_file(APP, default_timeout=TIMEOUT)
    other.query_params["data_sha256"] = "0" * 64
    run(other)
    assert any("made on other data" in w.value for w in other.warning)
    same = AppTest.from_file(APP, default_timeout=TIMEOUT)
    same.query_params["data_sha256"] = SAMPLE_SHA
    run(same)
    assert not any("made on other data" in w.value for w in same.warning)
    assert same.query_params["data_sha256"] == [SAMPLE_SHA] or \
        same.query_params["data_sha256"] == SAMPLE_SHA
