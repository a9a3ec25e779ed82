"""Streamlit's legacy pages-directory mode is switched off in one place (pages/_legacy.py).

These tests fail loudly if Streamlit changes the internals that place relies on: the flag
``PagesManager.uses_pages_directory``, and the behaviour that a ``pages/`` folder beside the
main script puts a session into the legacy mode until ``st.navigation`` runs.
"""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from tests.app.apptest import TIMEOUT, page, run, start
from tests.conftest import ROOT

HELPERS = sorted(p.name for p in (ROOT / "pages").glob("_*.py"))


def test_streamlit_still_has_the_flag_the_workaround_sets():
    assert "uses_pages_directory" in vars(PagesManager), (
        "Streamlit changed its legacy pages-directory flag: update pages/_legacy.py")


def test_a_page_run_alone_by_the_legacy_mode_draws_the_app_frame():
    at = start()
    at = page(at, "pages/survival.py")  # AppTest re-enters the legacy mode on every run
    assert PagesManager.uses_pages_directory is False
    sidebar = "\n".join(m.value for m in at.sidebar.markdown)
    assert "**Active dataset**" in sidebar
    assert at.session_state["km_spec"] is not None


@pytest.mark.parametrize("helper", [h for h in HELPERS if h != "_legacy.py"])
def test_a_helper_module_opened_as_a_page_shows_the_app(helper):
    """The legacy mode lists every file of pages/ as a page: each helper shows the app."""
    at = run(AppTest.from_file(str(ROOT / "pages" / helper), default_timeout=TIMEOUT))
    assert "**Active dataset**" in "\n".join(m.value for m in at.sidebar.markdown)


def test_the_workaround_refuses_to_run_without_the_flag(monkeypatch):
    from pages._legacy import leave_pages_directory_mode

    monkeypatch.delattr(PagesManager, "uses_pages_directory")
    with pytest.raises(RuntimeError, match="Streamlit changed"):
        leave_pages_directory_mode()
