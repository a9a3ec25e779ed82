"""AppTest: competing risks on the Survival page, dates and entry time on the Data page.

Every number shown is the engine's: the cumulative incidence table and Gray's p come from
``analyze`` with the same spec (whose values tests/test_competing.py checks against R).
"""

from __future__ import annotations

import pandas as pd
from tests.app.apptest import (
    page,
    plain,
    run,
    spy_downloads,
    start,
    swapped_competing_event,
    upload,
)
from tests.conftest import SAMPLE_CSV

from cohort_explorer.analysis import analyze
from cohort_explorer.present.competing import ONE_MINUS_KM, display_cif_table
from cohort_explorer.present.format import format_p


def _texts(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_competing_event_shows_cif_gray_table_and_words():
    at = page(start(), "pages/survival.py")
    assert not at.get("plotly_chart") or len(at.get("plotly_chart")) == 1
    at.selectbox(key="km_cr_col_w").set_value("pfs_cause")
    run(at)
    event = at.selectbox(key="km_cr_event_pfs_cause")
    assert str(event.value) == "1"
    assert str(at.selectbox(key="km_cr_other_pfs_cause").value) == "2"
    at.checkbox(key="km_cr_fine_gray_w").check()
    run(at)
    texts = _texts(at)
    assert "overstates" in texts and "Cumulative incidence with a competing event" in [
        h.value for h in at.subheader]
    assert ONE_MINUS_KM.split(":")[0].split("?")[0] in texts.replace("\\", "")
    spec = at.session_state["km_spec"]
    assert spec.competing == "pfs_cause=2" and spec.event_col == "pfs_cause"
    expected = analyze(pd.read_csv(SAMPLE_CSV), spec)
    assert f"Gray's test {format_p(expected.competing.gray.p)}" in texts.replace("\\", "")
    shown = [t.value for t in at.table]
    table = display_cif_table(expected, "months")
    assert any(s.equals(table) for s in shown)
    assert expected.fine_gray is not None
    assert len(at.get("plotly_chart")) == 2  # KM and CIF


def test_same_value_for_event_and_competing_is_impossible_in_the_controls():
    at = page(start(), "pages/survival.py")
    at.selectbox(key="km_cr_col_w").set_value("pfs_cause")
    run(at)
    event = at.selectbox(key="km_cr_event_pfs_cause").value
    assert event not in at.selectbox(key="km_cr_other_pfs_cause").options


DATES = "dx,progression,last_seen,ref\n" + "\n".join(
    f"0{m}/0{m}/2020,{'0' + str(m) + '/05/2021' if m % 2 else ''},01/09/2022,{m}"
    for m in range(1, 10)) + "\n"


def test_dates_builder_asks_the_order_then_makes_an_endpoint():
    at = upload(start(), "dates.csv", DATES.encode())
    at.selectbox(key="data_dates_start").set_value("dx")
    at.selectbox(key="data_dates_event").set_value("progression")
    at.selectbox(key="data_dates_last").set_value("last_seen")
    run(at)
    assert at.button(key="data_dates_build").disabled  # the order is not chosen yet
    at.radio(key="data_dates_order").set_value("day/month/year (15/03/2021)")
    run(at)
    at.button(key="data_dates_build").click()
    run(at)
    names = [e["name"] for e in at.session_state["data_endpoints"]]
    assert "OS" in names
    assert any("Endpoint OS" in s.value for s in at.success)


def test_entry_column_is_suggested_and_announced():
    data = pd.read_csv(SAMPLE_CSV).assign(entry_months=lambda d: d["pfs_months"] * 0.1)
    at = upload(start(), "entry.csv", data.to_csv(index=False).encode())
    assert any("entry_months looks like an entry time" in i.value.replace("\\", "") for i in at.info)
    at.selectbox(key="data_entry_choice").set_value("entry_months")
    run(at)
    at = page(at, "pages/survival.py")
    assert any("Delayed entry in use" in i.value for i in at.info)
    assert at.session_state["km_spec"].entry_col == "entry_months"
    at = page(at, "pages/hazard_ratios.py")
    assert any("Delayed entry in use" in i.value for i in at.info)
    assert at.session_state["hr_spec"].entry_col == "entry_months"



def test_report_page_includes_the_cif_figure_table_and_methods(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = page(start(), "pages/survival.py")
    at.selectbox(key="km_cr_col_w").set_value("pfs_cause")
    run(at)
    at = page(at, "pages/report.py")
    name = next(n for n in downloads if n and n.startswith("cohort-report") and n.endswith(".html"))
    html = downloads[name]().decode("utf-8")
    assert "Cumulative incidence (Aalen–Johansen) with a competing event" in html  # the figure
    assert "Cumulative incidence with a competing event" in html  # the table
    assert "Gray test" in html and "Aalen–Johansen method" in html


# ---------------------------------------------------------------- the choices in the URL
def _link_session(**params):
    from streamlit.testing.v1 import AppTest
    from tests.app.apptest import APP

    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return run(at, timeout=60)


def test_competing_choices_go_into_the_link_and_come_back():
    at = swapped_competing_event(page(start(), "pages/survival.py"))
    at.checkbox(key="km_cr_fine_gray_w").check()
    run(at)
    params = {k: at.query_params[k] for k in ("km_cr_col", "km_cr_event", "km_cr_other",
                                               "km_cr_fine_gray")}
    assert params == {"km_cr_col": "pfs_cause", "km_cr_event": "2", "km_cr_other": "1",
                      "km_cr_fine_gray": "1"}
    shared = page(_link_session(**params), "pages/survival.py", timeout=60)
    spec = shared.session_state["km_spec"]
    assert (spec.event_col, spec.event_value, spec.competing, spec.fine_gray) == (
        "pfs_cause", "2", "pfs_cause=1", True)
    assert shared.selectbox(key="km_cr_event_pfs_cause").value == "2"
    assert shared.checkbox(key="km_cr_fine_gray_w").value is True
    assert not [w for w in shared.warning if "settings of the link" in plain(w.value)]


def test_bad_competing_link_values_are_ignored_with_a_note():
    at = page(_link_session(km_cr_col="pfs_cause", km_cr_event="9", km_cr_other="0",
                            km_cr_fine_gray="maybe"), "pages/survival.py", timeout=60)
    notes = " ".join(plain(w.value) for w in at.warning if "settings of the link" in
                     plain(w.value))
    assert "km_cr_event" in notes and "km_cr_fine_gray" in notes
    assert "km_cr_col" not in notes and "km_cr_other" not in notes
    spec = at.session_state["km_spec"]  # the default event (1), the link's valid competing 0
    assert (spec.event_value, spec.competing, spec.fine_gray) == ("1", "pfs_cause=0", False)
    at = page(_link_session(km_cr_col="no_such_column"), "pages/survival.py", timeout=60)
    assert any("km_cr_col" in plain(w.value) for w in at.warning)
    assert at.session_state["km_spec"].competing is None and at.table


def test_cause_columns_of_a_large_table_are_those_of_a_full_count():
    """The cause-column finder decides from the first rows only when they already show more
    than 10 values; a code first seen late in a long table still counts."""
    import numpy as np
    from pages._competing import HEAD_ROWS, _few_valued

    n = 3 * HEAD_ROWS
    late = np.zeros(n, dtype=int)
    late[-3:] = [1, 2, 3]  # 2 values among the first rows, 4 in all
    df = pd.DataFrame({"patient_id": [f"P{i}" for i in range(n)], "late_code": late,
                       "status": np.tile([0, 1, 2], n // 3), "age": np.arange(n) % 70,
                       "many_late": np.where(np.arange(n) < n - 20, 0, np.arange(n) % 20),
                       "ikzf1": np.linspace(0, 1, n)})
    full = df[[c for c in df.columns if df[c].dtype.kind != "f"]].nunique()
    expected = [str(c) for c in full.index[(full >= 3) & (full <= 10)]]
    found = _few_valued.__wrapped__("key", df)
    assert sorted(found) == sorted(expected) == ["late_code", "status"]
    assert found[0] == "status"  # named like a status column: offered first
