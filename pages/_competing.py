"""Survival page parts: competing-risk controls and results, and the delayed-entry notice.

Not a page. ``competing_controls`` returns AnalysisSpec fields (the cause column's event and
competing values, Fine–Gray, the Data page's entry column); ``competing_section`` shows the
cumulative incidence curves with numbers at risk, Gray's test, the landmark table, the words on
why 1 − KM overstates the risk, and the Fine–Gray model when asked.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pages._common import (
    data_key,
    md,
    persisted,
    session_cache,
    show_table,
    theme,
    time_unit,
)
from pages._figure_cache import cached_figure
from pages._figures import chart_config, is_phone
from pages._links import check_choice

from cohort_explorer.analysis.stratify import category_levels
from cohort_explorer.present import plots
from cohort_explorer.present.competing import (
    FINE_GRAY_SENTENCE,
    ONE_MINUS_KM,
    display_cif_table,
    display_fine_gray_table,
)
from cohort_explorer.present.format import format_p
from cohort_explorer.present.plots.theme import FONT_SIZE

NONE = "(no competing event)"


#: Rows looked at first: a column with more than 10 values among them has more in all rows.
HEAD_ROWS = 5000


@session_cache(max_entries=2)
def _few_valued(key: str, _df: pd.DataFrame) -> list[str]:
    """Columns that can code several kinds of event: 3 to 10 distinct values (per dataset).
    A column already showing more than 10 among its first rows (an ID, a count, a date) is not
    hashed in full: on a million rows that was half a second of the Survival page's first draw."""
    coded = [c for c, kind in _df.dtypes.items() if not pd.api.types.is_float_dtype(kind)]
    if len(_df) > 2 * HEAD_ROWS:  # codes are integers or text, never decimals
        head = _df[coded].iloc[:HEAD_ROWS].nunique(dropna=True)
        coded = [c for c in coded if head[c] <= 10]
    counts = _df[coded].nunique(dropna=True)
    found = [str(c) for c in counts.index[(counts >= 3) & (counts <= 10)]]
    causes = [c for c in found if "cause" in c.lower() or "status" in c.lower()]
    return causes + [c for c in found if c not in causes]


def _cause_columns(df: pd.DataFrame, endpoint: dict) -> list[str]:
    return [c for c in _few_valued(data_key(), df) if c != endpoint.get("time_col")]


def suggests_competing(df: pd.DataFrame) -> bool:
    """A column named like a cause codes several kinds of event (the sample's pfs_cause): the
    Survival page's folded choices then say that they hold the competing-risk analysis."""
    return any("cause" in c.lower() for c in _few_valued(data_key(), df))


def competing_controls(df: pd.DataFrame, endpoint: dict | None) -> dict:
    """Spec fields for a competing event (and the entry column chosen on the Data page)."""
    fields: dict = {}
    entry = st.session_state.get("data_entry_col")
    if entry and entry in df.columns:
        fields["entry_col"] = entry
    if endpoint is None:
        return fields
    columns = _cause_columns(df, endpoint)
    current = st.session_state.get("km_cr_col")
    if not columns:
        if current:  # a link's cause column on data without one
            check_choice("km_cr_col", False)
            st.session_state["km_cr_col"] = None
        return fields
    suggested = next((c for c in columns if "cause" in c.lower()), None)
    title = "Competing risks"
    if suggested and not current:
        title += f" — {suggested} codes more than one kind of event"
    with st.expander(title, expanded=bool(current)):
        # persisted: the choices survive page switches and are mirrored in the URL (checked
        # against this dataset's columns and values when a link brings them)
        column = persisted(st.selectbox, "Column coding the kind of event", "km_cr_col", NONE,
                           options=[NONE, *columns])
        if column == NONE:
            st.session_state["km_cr_col"] = None
            return fields
        values = category_levels(df[column])
        left, middle, right = st.columns(3)
        with left:
            event = persisted(st.selectbox, "Event of interest", "km_cr_event",
                              values[min(1, len(values) - 1)], options=values,
                              widget_key=f"km_cr_event_{column}")
        others = [v for v in values if v != event]
        with middle:
            competing = persisted(st.selectbox, "Competing event", "km_cr_other",
                                  others[min(1, len(others) - 1)] if others else None,
                                  options=others, widget_key=f"km_cr_other_{column}")
        with right:
            fine_gray = persisted(st.checkbox, "Fine–Gray subdistribution HRs",
                                  "km_cr_fine_gray", False)
        if competing is None:
            st.warning(f"{md(column)} has one value only: no competing event to choose.")
            return fields
        st.markdown(f"Event of interest: {md(column)} = {md(event)}; competing event: "
                    f"{md(column)} = {md(competing)}; other values are censored. The curves, "
                    "log-rank test and Cox model above become cause-specific (competing events "
                    "censored).")
    fields.update(event_col=column, event_value=str(event), competing=f"{column}={competing}",
                  fine_gray=bool(fine_gray))
    return fields


def entry_notice(result) -> None:
    if getattr(result, "entry", None):
        st.info(f"Delayed entry in use: patients count at risk only from {md(result.entry)} "
                "(left truncation), for the curves, the log-rank test and the Cox model. "
                "Change it on the Data page.", icon=":material/login:")


def competing_section(result, endpoint: dict, group_title: str | None) -> None:
    """Cumulative incidence curves, Gray's test, landmark table and Fine–Gray (when asked)."""
    if getattr(result, "competing", None) is None:
        return
    c = result.competing
    st.subheader("Cumulative incidence with a competing event")
    st.markdown(md(ONE_MINUS_KM))
    unit = time_unit()
    phone = is_phone()  # the legend's rows and the title are laid out for the width

    def build():
        return plots.cif_figure(result, time_unit=unit, endpoint=endpoint.get("name"),
                                group_title=group_title, theme=theme(),
                                width_hint=360 if phone else 1000,
                                font_size=13 if phone else FONT_SIZE)

    # built once per session and choice (plotly construction was most of the page's rerun)
    figure = build() if result.spec is None else cached_figure(
        "cif", (repr(result.spec), endpoint.get("name"), group_title, unit, phone), build)
    st.plotly_chart(figure, config=chart_config(phone), theme=None, key="km_cif_chart",
                    alt="Cumulative incidence curves with numbers at risk")
    if c.gray is not None:
        st.markdown(f"**Gray's test {md(format_p(c.gray.p))}** (χ² = {c.gray.statistic:.2f}, "
                    f"{c.gray.df} df): equal cumulative incidence across the groups.")
    level = result.spec.conf_level if result.spec is not None else 0.95
    show_table(display_cif_table(result, time_unit(), level))
    if result.fine_gray is not None:
        st.markdown("**Fine–Gray model** (subdistribution hazard ratios, sandwich CI)")
        show_table(display_fine_gray_table(result, level))
        st.caption(FINE_GRAY_SENTENCE)


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
