"""Issue 9, app side: cache keys that two sessions cannot share, shared-link values that are
checked, per-column widget keys that cannot collide, a link's group order kept, and the
Survival grouping not given twice to the Cox model."""

from __future__ import annotations

from functools import partial

import pandas as pd
from pages._cache import freeze
from pages._widgets import column_key
from streamlit.testing.v1 import AppTest
from tests.app.apptest import page, plain, run, upload
from tests.conftest import ROOT, SAMPLE_CSV

APP = str(ROOT / "app.py")
_run = partial(run, timeout=60)
_page = partial(page, timeout=60)


def _session(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in params.items():
        at.query_params[key] = value
    return _run(at)


def _link_notes(at: AppTest) -> str:
    return " ".join(plain(w.value) for w in at.warning if "settings of the link" in
                    plain(w.value))


def test_cache_keys_of_different_filter_lists_differ():
    """The old keys joined the rules with '|': ['sex=M|age>60'] and ['sex=M', 'age>60'] met."""
    assert freeze(("d", ("sex=M|age>60",))) != freeze(("d", ("sex=M", "age>60")))
    assert freeze(["a", "b"]) != freeze(["a|b"]) != freeze("a|b")
    assert freeze(("a", ("b",))) != freeze(("a", "b"))


def test_a_filter_list_in_one_session_does_not_poison_another():
    """Session A filters by one rule containing '|', session B by the two rules; each gets the
    rows of its own filter on the Cohort page (no IndexError, no shared entry)."""
    alice = _session(data_where=["age>50|ikzf1>0.5"])
    bob = _session(data_where=["age>50", "ikzf1>0.5"])
    alice = _page(alice, "pages/cohort.py")
    bob = _page(bob, "pages/cohort.py")
    df = pd.read_csv(SAMPLE_CSV)
    kept = df[(df["age"] > 50) & (df["ikzf1"] > 0.5)]
    expected = int((kept["pfs_months"].notna() & kept["pfs_event"].notna()).sum())
    assert bob.session_state["data_where"] == ["age>50", "ikzf1>0.5"]
    assert any(f"Table 1 describes the {expected} patients" in plain(m.value)
               for m in bob.markdown), [plain(m.value) for m in bob.markdown]
    # Alice's single rule is not a number comparison: an error, not Bob's table
    assert alice.session_state["data_where"] == ["age>50|ikzf1>0.5"]
    assert alice.error and not alice.table
    assert not any("Table 1 describes" in plain(m.value) for m in alice.markdown)


def test_bad_link_values_are_ignored_with_a_note_never_an_exception():
    at = _session(km_landmark_from="abc", km_rmst="-3", km_landmarks="12,x", km_trend="yes",
                  app_endpoint="Session expired, sign in at https://phish.example/login")
    at = _page(at, "pages/survival.py")
    notes = _link_notes(at)
    for key in ("km_landmark_from", "km_rmst", "km_landmarks", "km_trend", "app_endpoint"):
        assert key in notes, (key, notes)
    assert "phish" not in notes  # the value itself is never shown
    assert "km_landmark_from" not in at.session_state
    assert at.session_state["app_endpoint"] == "PFS"  # the default, not the link's text
    sidebar = " ".join(plain(m.value) for m in at.sidebar.markdown)
    assert "phish" not in sidebar and "Active endpoint:** PFS" in sidebar
    assert at.table  # the analysis ran


def test_overlong_link_values_are_ignored():
    at = _session(data_where="a" + "+" * 60_000 + "b", km_order="x" * 5_000)
    at = _page(at, "pages/cohort.py")
    notes = _link_notes(at)
    assert "data_where" in notes and "km_order" in notes and "longer than" in notes
    assert at.session_state["data_where"] == []


def test_a_link_column_that_does_not_exist_is_noted():
    at = _session(km_kind="Category", km_col="no_such_column")
    at = _page(at, "pages/survival.py")
    assert "km_col" in _link_notes(at)  # a link's km_col names the category
    assert at.selectbox(key="km_cat_w").value == "cyto_risk"


def test_a_shared_link_keeps_its_group_order():
    at = _session(km_kind="Category", km_col="cyto_risk", km_order="high,standard")
    at = _page(at, "pages/survival.py")
    assert at.text_input(key="km_order_w").value == "high,standard"
    assert at.session_state["km_spec"].group_by == "cyto_risk:order=high,standard"
    assert at.query_params["km_order"] == "high,standard"
    assert [g.label for g in _groups(at)] == ["high", "standard"]


def _groups(at: AppTest):
    from cohort_explorer.analysis import analyze

    return analyze(pd.read_csv(SAMPLE_CSV), at.session_state["km_spec"]).groups


def test_survival_category_then_hazard_ratios_does_not_give_the_term_twice():
    at = _session()
    at = _page(at, "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    at = _run(at)
    at.selectbox(key="km_cat_w").set_value("cyto_risk")
    at = _run(at)
    at = _page(at, "pages/hazard_ratios.py")
    assert not at.error, [plain(e.value) for e in at.error]
    assert "cyto_risk" not in at.multiselect(key="hr_cols_w").options
    assert at.table  # the Cox model of the grouping was fitted


def test_covariates_age_and_age_w_have_their_own_widgets():
    df = pd.read_csv(SAMPLE_CSV)
    df["age_w"] = df["age"] * 1.5
    at = upload(_session(), "ages.csv", df.to_csv(index=False).encode(), timeout=60)
    at = _page(at, "pages/hazard_ratios.py")
    at.multiselect(key="hr_cols_w").set_value(["age", "age_w"])
    at = _run(at)
    assert column_key("hr_tf", "age") + "_w" != column_key("hr_tf", "age_w")
    age = at.selectbox(key=column_key("hr_tf", "age") + "_w")
    age.set_value("per standard deviation")
    at = _run(at)
    assert at.selectbox(key=column_key("hr_tf", "age_w") + "_w").value == "as is (per unit)"
    assert at.session_state["hr_terms"] == ["age:z", "age_w"]


def test_a_parquet_file_with_list_struct_and_map_columns_breaks_no_page():
    """Refused with a message (the previous dataset kept) or read with those columns made
    plain: either way no page raises."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    df = pd.read_csv(SAMPLE_CSV)
    n = len(df)
    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.append_column("tags", pa.array([["a", "b"]] * n))
    table = table.append_column("meta", pa.array([{"x": 1, "y": "z"}] * n))
    table = table.append_column("kv", pa.array([[("k", 1)]] * n,
                                               type=pa.map_(pa.string(), pa.int64())))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    at = upload(_session(), "nested.parquet", buffer.getvalue(),
                mime="application/octet-stream", timeout=60)
    refused = [plain(e.value) for e in at.error]
    if refused:
        assert at.session_state["data_name"] != "nested.parquet"  # the sample is kept
        assert any("nested" in m or "list" in m or "plain value" in m for m in refused), refused
    else:
        assert at.session_state["data_name"] == "nested.parquet"
    for path in ("pages/cohort.py", "pages/survival.py", "pages/hazard_ratios.py",
                 "pages/report.py", "pages/data.py"):
        at = _page(at, path)  # _page fails on any exception
