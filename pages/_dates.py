"""Data page parts: build time and event from dates, and the entry-time (delayed entry) choice.

Not a page. The dates are turned into a time and an event column by the engine
(``data.dates``); the day/month order of dates like 03/04/2021 is asked, never guessed.
"""

from __future__ import annotations

import re

import pandas as pd
import streamlit as st
from pages._common import data_key, md, session_cache, show_error, time_unit

from cohort_explorer.data.dates import (
    date_columns,
    needs_date_order,
    require_times,
    times_from_dates,
)
from cohort_explorer.data.validation import looks_like_dates
from cohort_explorer.errors import CohortError

NONE = "(none)"
ORDERS = {"day/month/year (15/03/2021)": "dmy", "month/day/year (03/15/2021)": "mdy",
          "year/month/day (2021/03/15)": "ymd"}
ENTRY_WORDS = re.compile(r"entry|enter|left.?trunc|delay|referr|study.?start|start.?follow",
                         re.IGNORECASE)


@session_cache(max_entries=2)
def _date_columns(key: str, _df: pd.DataFrame) -> list[str]:
    """Columns holding calendar dates (text or date cells; numbers never are), per dataset."""
    candidates = [c for c, kind in _df.dtypes.items() if not pd.api.types.is_numeric_dtype(kind)]
    return [str(c) for c in candidates if looks_like_dates(_df[c])]


def _date_like(df: pd.DataFrame) -> list[str]:
    return _date_columns(data_key(), df)


def dates_builder(df: pd.DataFrame) -> None:
    """A form: start, event and last-contact dates -> a new endpoint (time and event columns)."""
    dated = _date_like(df)
    with st.expander("Build time and event from dates", expanded=bool(dated) and not
                     st.session_state.get("data_dates")):
        if not dated:
            st.markdown("No column holds calendar dates.")
            return
        st.markdown("Time = event date (or last contact when there is no event) − start date. "
                    "Rows without a usable date are excluded and counted by reason.")
        columns = [NONE, *dated]
        left, middle, right = st.columns(3)
        start = left.selectbox("Start (e.g. diagnosis) date", dated, key="data_dates_start")
        event = middle.selectbox("Event date (empty = no event)", columns, key="data_dates_event")
        last = right.selectbox("Last-contact date", columns, key="data_dates_last")
        left, middle, right = st.columns(3)
        name = left.text_input("Endpoint name", "OS", key="data_dates_name").strip() or "OS"
        unit = middle.selectbox("Time unit", ["months", "days", "years"], key="data_dates_unit")
        chosen = [c for c in (start, event, last) if c != NONE]
        ambiguous = any(needs_date_order(df[c]) for c in chosen)
        order = None
        if ambiguous:
            label = right.radio("How are the dates written?", list(ORDERS), index=None,
                                key="data_dates_order",
                                help="Dates like 03/04/2021 could be 3 April or March 4: say which")
            order = ORDERS.get(label)
        if st.button("Build the endpoint from these dates", key="data_dates_build",
                     disabled=NONE in (event, last) or (ambiguous and order is None)):
            _build(df, name, start, event, last, unit, order)
        if ambiguous and order is None:
            st.info("The day/month order of these dates is not shown by the values: choose it "
                    "above before building.")


def _build(df, name, start, event, last, unit, order) -> None:
    try:
        built = times_from_dates(df, start, event, last, unit=unit, order=order)
        require_times(built)  # every row excluded: an error, not an empty endpoint
    except CohortError as error:
        show_error(error)
        return
    entry = (name, start, event, last, unit, order)
    st.session_state["data_dates"] = (*[d for d in st.session_state.get("data_dates", ())
                                        if d[0] != name], entry)
    time_col, event_col = date_columns(name, unit)
    endpoints = [e for e in st.session_state.get("data_endpoints", []) if e["name"] != name]
    endpoints.append({"name": name, "time_col": time_col, "event_col": event_col,
                      "event_value": None})
    st.session_state["data_endpoints"] = endpoints
    if unit != time_unit():
        st.session_state["data_time_unit"] = unit
        st.session_state.pop("data_time_unit_w", None)
    reasons = "; ".join(f"{k}: {v}" for k, v in built.reasons.items()) or "none"
    st.session_state["data_dates_note"] = (
        f"Endpoint {name}: {int((built.time == built.time).sum())} rows with a time, "
        f"{int((built.event == 1).sum())} events. Excluded: {reasons}.")
    st.rerun()


def dates_note() -> None:
    note = st.session_state.get("data_dates_note")
    if note:
        st.success(md(note))


def entry_control(df: pd.DataFrame) -> None:
    """Entry time column for delayed entry, suggested when a column is named like one."""
    numeric = [str(c) for c, kind in df.dtypes.items() if pd.api.types.is_numeric_dtype(kind)
               and not pd.api.types.is_bool_dtype(kind)]
    suggested = [c for c in numeric if ENTRY_WORDS.search(c)]
    current = st.session_state.get("data_entry_col")
    options = [NONE, *numeric]
    index = options.index(current) if current in options else 0
    with st.expander("Delayed entry (left truncation)", expanded=bool(suggested or current)):
        if suggested and not current:
            st.info(f"{md(suggested[0])} looks like an entry time: patients who enter follow-up "
                    "late (e.g. referred after diagnosis) should count at risk only from then.")
        choice = st.selectbox("Entry time column (same unit as the follow-up time)", options,
                              index=index, key="data_entry_choice")
        st.session_state["data_entry_col"] = None if choice == NONE else choice
        if choice != NONE:
            st.markdown(f"Entry times in use: patients are at risk from {md(choice)} to the end of "
                        "their follow-up (Kaplan–Meier, log-rank and Cox).")


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
