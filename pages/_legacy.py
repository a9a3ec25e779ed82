"""Streamlit's legacy "pages directory" mode, handled here and nowhere else.

The product keeps its pages in ``pages/`` beside ``app.py`` (the product's layout), and the app
declares them with ``st.navigation``. Streamlit (1.3x–1.6x), however, starts a main script that
has a ``pages/`` folder beside it in its legacy multipage mode until ``st.navigation`` is first
called — and ``AppTest`` re-enters that mode on every run. In that mode a request for
``/survival`` runs ``pages/survival.py`` alone (without ``app.py``), and every ``.py`` file in
``pages/`` — the ``_`` helper modules too — is a page.

So: every page starts with ``begin_page()``, which calls :func:`leave_pages_directory_mode`;
every helper module ends with ``if __name__ == "__main__": opened_as_page()``. The flag this
relies on (``PagesManager.uses_pages_directory``) is checked here; if Streamlit renames or drops
it, :func:`leave_pages_directory_mode` raises instead of silently doing nothing, and
``tests/app/test_legacy_pages.py`` fails loudly.
"""

from __future__ import annotations


def leave_pages_directory_mode() -> None:
    """Switch Streamlit's legacy pages-directory mode off for the rest of the session."""
    from streamlit.runtime.pages_manager import PagesManager

    if "uses_pages_directory" not in vars(PagesManager):
        raise RuntimeError(
            "Streamlit changed: PagesManager.uses_pages_directory is gone, so the legacy "
            "pages-directory mode cannot be switched off (see pages/_legacy.py)")
    PagesManager.uses_pages_directory = False


def opened_as_page() -> None:
    """A helper module of ``pages/`` run as a page by the legacy mode: show the app instead."""
    from pages._common import begin_page

    begin_page()
