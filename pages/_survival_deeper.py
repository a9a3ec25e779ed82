"""Survival page helper: the survival difference from the reference at each landmark."""

from __future__ import annotations

import streamlit as st
from pages._common import time_unit

from cohort_explorer.present.deeper_tables import METHODS, landmark_difference_table


def landmark_differences_section(result) -> None:
    """Table of S_group(t) - S_reference(t) with its 95% CI (percentage points)."""
    if not getattr(result, "landmark_differences", None):
        return
    st.subheader("Survival difference from the reference group at the landmarks")
    # a dataframe, not st.table: plain cells, and the page's tables keep their positions
    st.dataframe(landmark_difference_table(result, time_unit()), hide_index=True,
                 key="km_landmark_differences")
    st.caption(METHODS["landmark_differences"])


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
