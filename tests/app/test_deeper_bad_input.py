"""AppTest, issue 10's bad input in the app: one clear message in the app's words (no
traceback, no command-line option), and the page keeps working once the input is fixed.

A subgroup with one level (a filter left one), a spline on a marker with fewer than 5 distinct
values among the analysed patients, dates with an event before the start date (excluded with their reason, statistics
rule) or only such dates (refused, the previous endpoints kept). The competing value equal to
the event value cannot be chosen (test_competing_app.py) and a prediction's missing value or
out-of-range value is in test_biomarker_page.py.
"""

from __future__ import annotations

import pandas as pd
from streamlit.testing.v1 import AppTest
from tests.app.apptest import APP, page, plain, run, start, upload
from tests.conftest import SAMPLE_CSV


def _link(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return run(at, timeout=60)


def _errors(at) -> list[str]:
    return [plain(e.value) for e in at.error]


def test_a_subgroup_left_with_one_level_by_the_filter():
    at = page(_link(data_where=["sex=F"]), "pages/survival.py", timeout=60)
    at = page(at, "pages/hazard_ratios.py", timeout=60)
    assert at.multiselect(key="hr_subgroups_w").value == ["cyto_risk", "sex"]
    errors = _errors(at)
    assert any("sex has a single value (F) among the analysed patients" in e for e in errors)
    assert not any("--" in e for e in errors)
    assert at.table  # the Cox model above is still shown
    at.multiselect(key="hr_subgroups_w").set_value(["cyto_risk"])
    run(at, timeout=60)
    assert not at.error
    assert "cyto_risk = high" in set(at.dataframe[0].value["Subgroup"])


def test_a_spline_on_a_marker_with_four_values_in_the_analysed_patients():
    df = pd.read_csv(SAMPLE_CSV)
    df["score"] = [1 + i % 4 for i in range(len(df))]
    df.loc[0, ["score", "pfs_months"]] = [5, None]  # 5 values in the file (offered as a
    at = upload(start(), "score.csv", df.to_csv(index=False).encode(), timeout=60)  # marker)
    at = page(at, "pages/biomarker.py", timeout=60)
    at.selectbox(key="bio_marker_w").set_value("score")
    run(at, timeout=60)
    errors = _errors(at)
    assert any("score has 4 distinct value(s) in the analysed patients; a spline needs a "
               "continuous marker with at least 5" in e for e in errors), errors
    assert not any("--" in e for e in errors)
    at.selectbox(key="bio_marker_w").set_value("ikzf1")
    run(at, timeout=60)
    assert not any("spline" in e for e in _errors(at))


DATES = ("dx,progression,last_seen\n"
         "2020-01-01,2020-06-01,2021-01-01\n2020-01-01,,2021-03-01\n"
         "2020-05-01,2020-02-01,2021-01-01\n2020-01-01,2020-09-01,2021-01-01\n"
         "2020-02-01,,2021-05-01\n2020-03-01,2020-12-01,2021-05-01\n")
ALL_BEFORE = "dx,progression,last_seen\n2020-05-01,2020-02-01,2021-01-01\n" \
             "2020-06-01,2019-12-01,2021-01-01\n"


def _build(at: AppTest) -> AppTest:
    at.selectbox(key="data_dates_start").set_value("dx")
    at.selectbox(key="data_dates_event").set_value("progression")
    at.selectbox(key="data_dates_last").set_value("last_seen")
    run(at, timeout=60)
    assert not [r for r in at.radio if r.key == "data_dates_order"]  # ISO: nothing to ask
    at.button(key="data_dates_build").click()
    return run(at, timeout=60)


def test_an_event_date_before_the_start_date_is_excluded_with_its_reason():
    at = _build(upload(start(), "dates.csv", DATES.encode(), timeout=60))
    done = " ".join(plain(s.value) for s in at.success)
    assert "event date before start date: 1" in done, done
    assert any(e["name"] == "OS" for e in at.session_state["data_endpoints"])


def test_only_dates_before_the_start_date_is_one_error_and_nothing_lost():
    at = upload(start(), "bad.csv", ALL_BEFORE.encode(), timeout=60)
    before = list(at.session_state["data_endpoints"])
    at = _build(at)
    errors = _errors(at)
    assert errors == ["No patient gets a follow-up time from these dates (event date before "
                      "start date: 2). Check that the start, event and last-contact columns are "
                      "the right ones."], errors
    assert "--" not in errors[0]
    assert at.session_state["data_endpoints"] == before
