"""AppTest: the report carries the Cohort page's Table 1, its groups named with cut-offs."""

from __future__ import annotations

import html

from tests.app.apptest import page, run, spy_downloads, start
from tests.test_cutoff_wording import NAMES


def _report_html(at, downloads) -> str:
    at = page(at, "pages/report.py")
    at.checkbox(key="report_interactive").check()  # no static images: quicker
    at.checkbox(key="report_cross_check").uncheck()
    run(at)
    (name,) = [n for n in downloads if n and n.endswith(".html")]
    return html.unescape(downloads[name]().decode("utf-8"))


def test_report_has_table_one_of_this_session_with_cut_offs(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = page(page(start(), "pages/survival.py"), "pages/cohort.py")
    text = _report_html(at, downloads)
    assert "Baseline characteristics (Table 1)" in text
    assert "Overall, n = 60" in text
    assert all(f"{name}, n = 15" in text for name in NAMES)
    assert "Numeric groups are named with their cut-offs." in text


def test_report_leaves_out_a_table_one_of_other_data_or_none(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = page(start(), "pages/survival.py")  # the Cohort page never shown
    assert "Baseline characteristics (Table 1)" not in _report_html(at, downloads)
    downloads.clear()
    at = page(at, "pages/cohort.py")
    at.session_state["data_where"] = ["cyto_risk=standard"]  # Table 1 was of all patients
    at = page(at, "pages/survival.py")
    assert "Baseline characteristics (Table 1)" not in _report_html(at, downloads)
