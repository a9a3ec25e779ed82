"""Issue 5, isolation: two sessions (two AppTest instances in one server process, sharing its
caches) never see each other's data, choices or results; caches are keyed by content, never by
file name, and never persisted to disk."""

from __future__ import annotations

import re
from functools import partial

import pandas as pd
from pages._cache import STATE_PREFIX
from streamlit.testing.v1 import AppTest
from tests.app.apptest import page, run, upload
from tests.conftest import ROOT, SAMPLE_CSV

_run = partial(run, timeout=60)
_page = partial(page, timeout=60)
_upload = partial(upload, timeout=60)

APP = str(ROOT / "app.py")


def _cohort(marker: str, drop_q1_deaths: bool) -> bytes:
    """The sample with a marker in a category label and a marker column; different numbers."""
    df = pd.read_csv(SAMPLE_CSV)
    df["cyto_risk"] = df["cyto_risk"].replace("high", f"high_{marker}")
    df[f"note_{marker}"] = marker
    if drop_q1_deaths:
        df = df.iloc[10:]
    return df.to_csv(index=False).encode()


def _everything_shown(at: AppTest) -> str:
    """All text an AppTest session renders: markdown, alerts, tables, frames, widgets, state."""
    parts = [str(e.value) for kind in ("markdown", "caption", "error", "warning", "info",
                                       "success", "title", "subheader", "header", "metric")
             for e in getattr(at, kind)]
    parts += [t.value.to_csv() for t in at.table] + [d.value.to_csv() for d in at.dataframe]
    parts += [str(w.options) + str(w.value) for w in list(at.selectbox) + list(at.multiselect)]
    parts += [str(w.value) for w in at.text_input]
    parts += [repr(v) for v in at.session_state.to_dict().values()]
    parts += [str(dict(at.query_params))]
    return re.sub(r"\\(.)", r"\1", "\n".join(parts))


def _survival_by_risk(at: AppTest) -> AppTest:
    _page(at, "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    _run(at)
    cats = at.selectbox(key="km_cat_w")
    cats.set_value(next(o for o in cats.options if o == "cyto_risk"))
    return _run(at)


def test_two_sessions_same_file_name_different_content():
    """Alice and Bob both upload 'cohort.csv' with different rows: each sees only their own
    data, choices and results, on every page, in either order."""
    alice = _run(AppTest.from_file(APP, default_timeout=60))
    bob = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(alice, "cohort.csv", _cohort("ALICE", drop_q1_deaths=False))
    _upload(bob, "cohort.csv", _cohort("BOB", drop_q1_deaths=True))
    assert alice.session_state["data_shape"] == (60, 21)
    assert bob.session_state["data_shape"] == (50, 21)
    assert alice.session_state["data_digest"] != bob.session_state["data_digest"]

    _survival_by_risk(alice)
    _page(bob, "pages/survival.py")
    bob.selectbox(key="km_bands_w").set_value("Off")
    _run(bob)
    alice_table = alice.table[0].value.to_csv()
    assert "high_ALICE" in alice_table
    assert bob.radio(key="km_kind_w").value != "Category"  # Alice's choice did not leak
    assert alice.selectbox(key="km_bands_w").value.startswith("Automatic")  # nor Bob's

    for path in ("pages/data.py", "pages/cohort.py", "pages/survival.py",
                 "pages/hazard_ratios.py", "pages/report.py"):
        _page(alice, path)
        _page(bob, path)
        shown_alice, shown_bob = _everything_shown(alice), _everything_shown(bob)
        assert "BOB" not in shown_alice, path
        assert "ALICE" not in shown_bob, path
        assert "note_ALICE" in shown_alice and "note_BOB" in shown_bob  # the check can see data
    _page(alice, "pages/survival.py")
    assert alice.table[0].value.to_csv() == alice_table  # Bob's work changed nothing for Alice


def test_a_new_session_starts_from_the_sample_not_from_another_user():
    alice = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(alice, "cohort.csv", _cohort("ALICE", drop_q1_deaths=False))
    _survival_by_risk(alice)
    carol = _run(AppTest.from_file(APP, default_timeout=60))
    assert carol.session_state["data_synthetic"] is True
    assert "ALICE" not in _everything_shown(_page(carol, "pages/survival.py"))
    assert carol.radio(key="km_kind_w").value != "Category"


def test_same_content_shares_the_cache_but_not_the_choices():
    """Content-keyed caching: the same bytes give the same table to both (one parse), while
    their choices stay their own."""
    data = _cohort("SHARED", drop_q1_deaths=False)
    alice = _run(AppTest.from_file(APP, default_timeout=60))
    bob = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(alice, "a.csv", data)
    _upload(bob, "b.csv", data)
    assert alice.session_state["data_digest"] == bob.session_state["data_digest"]
    assert alice.session_state["data_name"] == "a.csv"
    assert bob.session_state["data_name"] == "b.csv"
    _survival_by_risk(alice)
    _page(bob, "pages/survival.py")
    assert bob.radio(key="km_kind_w").value != "Category"


def test_caches_are_per_session_and_keyed_by_content():
    """Behaviour, not source text: after two sessions analysed different data, no process-wide
    Streamlit cache (st.cache_data / st.cache_resource) holds an entry, and every memoised
    result a session keeps is keyed by the content digest of that session's own data."""
    from streamlit.runtime.caching import cache_data_api, cache_resource_api

    cache_data_api.get_data_cache_stats_provider().clear_all()
    cache_resource_api.get_resource_cache_stats_provider().clear_all()
    alice = _run(AppTest.from_file(APP, default_timeout=60))
    bob = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(alice, "cohort.csv", _cohort("ALICE", drop_q1_deaths=False))
    _upload(bob, "cohort.csv", _cohort("BOB", drop_q1_deaths=True))
    for at in (alice, bob):
        _survival_by_risk(at)
        _page(at, "pages/cohort.py")
    shared = [stat for provider in (cache_data_api.get_data_cache_stats_provider(),
                                    cache_resource_api.get_resource_cache_stats_provider())
              for stats in provider.get_stats().values() for stat in stats]
    assert shared == [], "a process-wide cache holds data every session can reach"
    digests = {name: at.session_state["data_digest"] for name, at in (("alice", alice),
                                                                       ("bob", bob))}
    assert digests["alice"] != digests["bob"]
    for name, at in (("alice", alice), ("bob", bob)):
        stores = {key: at.session_state[key] for key in at.session_state.keys()
                  if str(key).startswith(STATE_PREFIX)}
        assert len(stores) >= 3, stores.keys()  # read, suggest, analyse, ...
        other = digests["bob" if name == "alice" else "alice"]
        for slot, store in stores.items():
            for key in store:
                text = repr(key)  # this session's data: the sample first, then its upload
                assert re.search(r"'[0-9a-f]{64}'", text), (slot, "memoised without a digest")
                assert other not in text, (slot, "holds the other session's data")
        assert any(digests[name] in repr(k) for store in stores.values() for k in store)
