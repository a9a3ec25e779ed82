"""Issue 11: errors a user can cause in the app read in plain language, never with a CLI flag:
an event column coded 1/2 (a control with the values found), a filter comparing with a word, a
constant covariate. Each keeps the page working (no exception) and the previous state."""

from __future__ import annotations

import pandas as pd
from pages._widgets import column_key
from tests.app.apptest import page, run, start, upload
from tests.conftest import SAMPLE_CSV

from cohort_explorer.present.messages import CLI_SYNTAX


def _everything_shown(at) -> list[str]:
    texts = [e.value for kind in (at.error, at.warning, at.info, at.markdown, at.success)
             for e in kind]
    for table in at.table:
        texts += [str(v) for v in table.value.astype(str).to_numpy().ravel()]
    return texts


def _no_flags(at) -> None:
    flagged = [t for t in _everything_shown(at) if CLI_SYNTAX.search(t)]
    assert flagged == []


def test_filter_comparing_a_number_with_a_word_is_explained_without_flags():
    at = page(start(), "pages/data.py")
    at.selectbox(key="data_filter_col").set_value("age")
    run(at)  # a numeric column of many values: a text box for the value
    at.selectbox(key="data_filter_op").set_value("<")
    at.text_input(key="data_filter_value_text").set_value("abc")
    run(at)
    at.button(key="data_filter_add").click()
    run(at)
    errors = [e.value for e in at.error]
    assert any("compares with" in e and "abc" in e and "not a number" in e for e in errors)
    assert not at.session_state["data_where"]  # nothing applied, the data as before
    _no_flags(at)


def test_event_column_coded_1_2_asks_which_value_is_the_event_with_a_control():
    """The engine's ``event_coding`` (CLI: "Use --event pfs_event=VALUE") is a choice of the
    event value in the app, offered with the values found; the analysis then runs."""
    data = pd.read_csv(SAMPLE_CSV)
    data["pfs_event"] = data["pfs_event"] + 1
    at = upload(start(), "coded.csv", data.to_csv(index=False).encode())
    choice = next(s for s in at.selectbox if s.key.startswith("data_ep_value_0_"))
    assert {"1", "2"} <= set(choice.options) and choice.value == "2"
    _no_flags(at)
    at = page(at, "pages/survival.py")
    assert not at.error
    _no_flags(at)


def test_constant_covariate_is_explained_without_flags():
    data = pd.read_csv(SAMPLE_CSV).assign(site=1.0)
    at = upload(start(), "site.csv", data.to_csv(index=False).encode())
    at = page(at, "pages/survival.py")
    at = page(at, "pages/hazard_ratios.py")
    at.multiselect(key="hr_cols_w").set_value(["site"])
    run(at)
    at.selectbox(key=column_key("hr_tf", "site") + "_w").set_value("per standard deviation")
    run(at)
    errors = [e.value for e in at.error]
    assert any("site has the same value for every analysed patient" in e for e in errors), \
        errors
    _no_flags(at)
