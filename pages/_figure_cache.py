"""Per-session memo of the deeper panels' figures: a rerun with unchanged choices reuses the
figure instead of rebuilding it (plotly construction dominates those reruns). Kept in this
session's memory only, a few entries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st
from pages._common import data_key, theme

MAX_ENTRIES = 12


def cached_figure(name: str, key: Any, build: Callable[[], Any]) -> Any:
    """The figure ``name`` for ``key`` (with the dataset and theme), built once per session."""
    memo = st.session_state.setdefault("deeper_figures", {})
    full_key = (name, data_key(), theme(), key)
    if full_key not in memo:
        if len(memo) >= MAX_ENTRIES:
            memo.pop(next(iter(memo)))
        memo[full_key] = build()
    return memo[full_key]


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
