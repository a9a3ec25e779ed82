"""Data page: sample or upload, preview, column roles, validation, identifiers, subgroup filter."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from pages._common import (
    SAMPLE_LABEL,
    SAMPLE_PATH,
    _sheets,
    begin_page,
    column_labeller,
    data_key,
    dataset,
    digest_of,
    end_page,
    endpoints,
    follow_time_unit,
    md,
    persisted,
    raw_dataset,
    session_cache,
    set_dataset,
    show_error,
    show_table,
    suggestion,
)
from pages._dates import dates_builder, dates_note, entry_control

from cohort_explorer.analysis.stratify import apply_where
from cohort_explorer.data.identifiers import find_identifier_columns
from cohort_explorer.data.validation import validate_cohort
from cohort_explorer.errors import CohortError
from cohort_explorer.io.cbioportal import PATIENT_ID, cbioportal_kind
from cohort_explorer.present.messages import app_message
from cohort_explorer.spec.filters import format_where

# "xls" is accepted so an old Excel file (or an HTML page named .xls) gets the engine's message
# saying what to do, instead of the uploader's bare "file type not allowed".
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "xlsm", "xls", "parquet", "sav", "zsav", "dta",
                "sas7bdat", "xpt"]
UNITS = ["months", "days", "weeks", "years"]
OPERATORS = ["=", "!=", "<", "<=", ">", ">="]
NO_EVENT_VALUE = "0/1 coding (1 = event)"
PREVIEW_CHARS = 200


def _source() -> None:
    st.subheader("1. Choose the data")
    left, right = st.columns([1, 2])
    with left:
        if st.button("Use the synthetic sample cohort", key="data_use_sample",
                     disabled=bool(st.session_state.get("data_synthetic"))):
            if set_dataset(SAMPLE_PATH.read_bytes(), SAMPLE_PATH.name, synthetic=True):
                st.session_state["data_name"] = SAMPLE_LABEL
                st.rerun()
    with right:
        upload = st.file_uploader(
            "Upload a cohort: one row per patient (CSV, TSV, Excel, Parquet, SPSS, Stata, SAS)",
            type=UPLOAD_TYPES, key="data_upload")
    if upload is None:
        return
    data = upload.getvalue()
    digest = _upload_digest(upload.file_id, data)
    sheet = None
    try:
        sheets = _sheets(digest, upload.name, data) if data[:2] == b"PK" else []
    except CohortError:
        sheets = []
    if len(sheets) > 1:
        sheet = st.selectbox("Sheet", sheets, key="data_sheet_choice")
    files, name = _with_partner(upload.name, data, digest)
    if files is not None:
        data, digest = files, digest_of(files)
    if (digest, sheet) != (st.session_state.get("data_digest"), st.session_state.get("data_sheet")):
        slot = _load_plot_code()
        with st.spinner("Reading the file…"):
            if set_dataset(data, name, synthetic=False, sheet=sheet, digest=digest):
                st.rerun()
        slot.empty()  # an unreadable file: its message stays, the empty chart goes


def _load_plot_code():
    """While an upload is read: an empty 10-pixel plotly chart, once per session, so the browser
    fetches and compiles plotly's code (4.7 MB, loaded with a session's first chart) while the
    server reads the file, instead of after the Survival page's curves arrive. Returns its slot
    (the rerun after the reading removes it too)."""
    slot = st.empty()
    if st.session_state.get("data_plot_code_loaded"):
        return slot
    st.session_state["data_plot_code_loaded"] = True
    empty = go.Figure(layout={"height": 10, "width": 10, "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
                              "xaxis": {"visible": False}, "yaxis": {"visible": False}})
    slot.plotly_chart(empty, config={"staticPlot": True, "displayModeBar": False}, theme=None,
                      key="data_plot_code", width="content")
    return slot


def _upload_digest(file_id: str, data: bytes) -> str:
    """The upload's content digest, hashed once per uploaded file (not on every rerun of the
    page: 0.05-0.2 s for 80 MB); kept in this session only."""
    known = st.session_state.get("data_upload_digest")
    if known is None or known[:2] != (file_id, len(data)):  # each upload has its own id
        known = (file_id, len(data), digest_of(data))
        st.session_state["data_upload_digest"] = known
    return known[2]


def _with_partner(name: str, data: bytes, digest: str) -> tuple[tuple | None, str]:
    """A cBioPortal clinical file gets a second uploader for the other file of the study
    (the patient file for a sample file, the optional sample file for a patient file); both
    are then read together, joined on PATIENT_ID. Returns the pair and its name, or
    ``(None, name)`` for one file."""
    kind = cbioportal_kind(data)
    if kind is None:
        return None, name
    wanted = "sample" if kind == "patient" else "patient"
    label = (f"cBioPortal study: add its {wanted} file (data_clinical_{wanted}.txt) to join "
             f"the two on {PATIENT_ID}" + (" (optional)" if wanted == "sample" else ""))
    # Keyed by the first file: another study's first file starts without a second one.
    partner = st.file_uploader(label, type=["txt", "tsv"], key=f"data_upload_{digest[:16]}")
    if partner is None:
        return None, name
    return ((name, data), (partner.name, partner.getvalue())), f"{name} + {partner.name}"


def _joined_note(df: pd.DataFrame) -> None:
    """Say what a patient + sample upload joined (the engine's coded notice, in words)."""
    for notice in df.attrs.get("notices", ()):
        if notice.code != "cbioportal_first_sample":
            continue
        added = notice.fields.get("sample_columns") or []
        st.success(md(app_message(notice)) + (
            " Columns from the sample file: " + md(", ".join(added)) + "." if added else ""),
            icon=":material/join_inner:")


def _preview(df: pd.DataFrame) -> None:
    st.subheader("2. Preview")
    st.markdown(f"{len(df)} rows, {df.shape[1]} columns (first 100 rows shown; texts longer "
                f"than {PREVIEW_CHARS} characters cut).")
    st.dataframe(_short_texts(df.head(100)), hide_index=True, height=280)


def _short_texts(frame: pd.DataFrame) -> pd.DataFrame:
    """Long texts cut for the preview: a 1 MB cell would otherwise travel to the browser (and
    sit in the server's memory as a message) for 100 rows at a time."""
    frame = frame.copy()
    for index in range(frame.shape[1]):
        values = frame.iloc[:, index]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            frame.iloc[:, index] = values.map(
                lambda v: v[:PREVIEW_CHARS] + "…" if isinstance(v, str)
                and len(v) > PREVIEW_CHARS else v)
    return frame


def _endpoint_row(index: int, endpoint: dict, columns: list[str], df: pd.DataFrame) -> dict:
    tag = f"{index}_{st.session_state['data_digest'][:12]}"
    with st.container(key=f"data_ep_row_{index}"):
        cols = st.columns([1, 2, 2, 2])
    name = cols[0].text_input("Name", endpoint["name"], key=f"data_ep_name_{tag}")
    # No guess from column positions: an unmapped endpoint starts empty ("Choose…").
    label = column_labeller()
    time_col = cols[1].selectbox("Time column", columns, key=f"data_ep_time_{tag}",
                                 format_func=label,
                                 index=columns.index(endpoint["time_col"])
                                 if endpoint["time_col"] in columns else None,
                                 placeholder="Choose the follow-up time…")
    event_col = cols[2].selectbox("Event column", columns, key=f"data_ep_event_{tag}",
                                  format_func=label,
                                  index=columns.index(endpoint["event_col"])
                                  if endpoint["event_col"] in columns else None,
                                  placeholder="Choose the event indicator…")
    if time_col is None or event_col is None:
        return {"name": name.strip() or f"Endpoint {index + 1}", "time_col": time_col,
                "event_col": event_col, "event_value": None}
    values = [NO_EVENT_VALUE] + sorted({str(v) for v in df[event_col].dropna().unique()})[:50]
    current = endpoint["event_value"] if endpoint["event_value"] in values else NO_EVENT_VALUE
    value = cols[3].selectbox("Value that means event", values, index=values.index(current),
                              key=f"data_ep_value_{tag}_{event_col}",
                              help="e.g. 2 when the file codes 1 = censored, 2 = event")
    return {"name": name.strip() or f"Endpoint {index + 1}", "time_col": time_col,
            "event_col": event_col, "event_value": None if value == NO_EVENT_VALUE else value}


def _roles(df: pd.DataFrame) -> None:
    st.subheader("3. Column roles")
    st.markdown("Each endpoint pairs a follow-up time with an event indicator. The suggestions "
                "come from the column names and values; check them.")
    columns = [str(c) for c in df.columns]
    current = endpoints() or [{"name": "Endpoint 1", "time_col": None, "event_col": None,
                               "event_value": None}]
    if not endpoints():
        st.info("No endpoint found from the column names: choose the column with the follow-up "
                "time (e.g. months from diagnosis) and the column that says whether the event "
                "(death, progression) happened.")
    edited = [_endpoint_row(i, e, columns, df) for i, e in enumerate(current)]
    if any(e["time_col"] is None or e["event_col"] is None for e in edited):
        return  # nothing is analysed until both columns are chosen
    left, right, unit_col = st.columns([1, 1, 2])
    changed = False
    if left.button("Add an endpoint", key="data_ep_add"):
        edited.append(dict(edited[-1], name=f"Endpoint {len(edited) + 1}"))
        changed = True
    if len(edited) > 1 and right.button("Remove the last endpoint", key="data_ep_remove"):
        edited.pop()
        changed = True
    names = [e["name"] for e in edited]
    if len(set(names)) < len(names):
        st.error("Two endpoints have the same name; give each its own name.")
    elif edited != endpoints():
        st.session_state["data_endpoints"] = edited
        if changed:
            st.rerun()
    with unit_col:
        persisted(st.selectbox, "Time unit", "data_time_unit", "months", options=UNITS,
                  on_change=follow_time_unit)


@session_cache(max_entries=2)
def _table_checks(key: tuple) -> dict:
    """The dataset's whole-table check results (identifiers, repeated IDs), shared by the
    checks of its endpoints: computed for the first endpoint, reused by the others."""
    return {}


@session_cache()
def _validate(key: tuple, time_col: str, event_col: str, event_value: str | None,
              _df: pd.DataFrame):
    """``validate_cohort`` cached by content: seconds on a 5,000-column file, every rerun."""
    return validate_cohort(_df, time_col=time_col, event_col=event_col, event_value=event_value,
                           shared=_table_checks(key))


@session_cache(max_entries=2)
def _identifier_columns(key: tuple, _df: pd.DataFrame) -> dict[str, str]:
    return find_identifier_columns(_df)


def _validation(df: pd.DataFrame) -> None:
    st.subheader("4. Data checks")
    for endpoint in endpoints():
        try:
            report = _validate(data_key(), endpoint["time_col"], endpoint["event_col"],
                               endpoint["event_value"], df)
        except CohortError as error:
            show_error(error)
            continue
        errors = [i for i in report.issues if i.severity == "error"]
        warnings = [i for i in report.issues if i.severity == "warning"]
        summary = (f"{md(endpoint['name'])}: {len(errors)} errors, {len(warnings)} warnings, "
                   f"{len(report.issues) - len(errors) - len(warnings)} notes")
        if errors:
            st.error(summary, icon=":material/error:")
        elif warnings:
            st.warning(summary, icon=":material/warning:")
        else:
            st.success(summary, icon=":material/check_circle:")
        if report.issues:
            table = pd.DataFrame([{"Severity": i.severity, "Column": i.column or "",
                                   "Rows": "" if i.count is None else str(i.count),
                                   "What to do": app_message(i)} for i in report.issues])
            show_table(table)


def _identifiers() -> None:
    found = _identifier_columns((st.session_state["data_digest"],
                                 st.session_state.get("data_sheet")), raw_dataset())
    removed = set(st.session_state.get("data_removed", ()))
    direct = {c: r for c, r in found.items() if c not in removed
              and not r.startswith("pseudonymous")}
    pseudonymous = [c for c, r in found.items() if r.startswith("pseudonymous")]
    st.session_state["data_identifiers"] = tuple(found)
    if not (direct or pseudonymous or removed):
        return
    st.subheader("5. Patient identifiers")
    if direct:
        listing = "; ".join(f"{c} ({r})" for c, r in direct.items())
        st.warning("These columns may identify patients: " + md(listing), icon=":material/badge:")
        if st.button("Remove these columns from the session", key="data_remove_ids",
                     type="primary"):
            st.session_state["data_removed"] = tuple(sorted(removed | set(direct)))
            st.rerun()
    if pseudonymous:
        st.info("Pseudonymous study IDs: " + md(", ".join(pseudonymous)) + ". They are left out "
                "of exports unless you keep them below.", icon=":material/info:")
    if removed:
        st.markdown("Removed: " + md(", ".join(sorted(removed))))
    persisted(st.checkbox, "Keep identifier columns in exports (I am allowed to share them)",
              "data_keep_ids", False)


def _filters(df: pd.DataFrame) -> None:
    st.subheader("6. Subgroup filter (optional)")
    where = list(st.session_state.get("data_where", []))
    cols = st.columns([2, 1, 2, 1])
    # Offer grouping-like columns first (e.g. cyto_risk for "standard-risk only").
    groups = [c for c in suggestion().group_candidates if c in df.columns]
    options = groups + [str(c) for c in df.columns if str(c) not in groups]
    column = cols[0].selectbox("Column", options, key="data_filter_col",
                               format_func=column_labeller())
    operator = cols[1].selectbox("Condition", OPERATORS, key="data_filter_op")
    levels = sorted({str(v) for v in df[column].dropna().unique()})
    if df[column].dtype.kind in "if" and len(levels) > 12:
        value = cols[2].text_input("Value", key="data_filter_value_text", max_chars=100)
    else:
        value = cols[2].selectbox("Value", levels, key=f"data_filter_value_{column}")
    if cols[3].button("Add filter", key="data_filter_add") and value not in (None, ""):
        rule = format_where(column, operator, value)
        try:
            apply_where(df, [rule])  # refused here, not as a failure on every page
        except CohortError as error:
            show_error(error)
        else:
            if rule not in where:
                st.session_state["data_where"] = [*where, rule]
                st.rerun()
    for index, rule in enumerate(where):
        left, right = st.columns([4, 1])
        left.markdown(f"Keeping rows where {md(rule)}")
        if right.button("Remove", key=f"data_filter_remove_{index}"):
            st.session_state["data_where"] = [w for w in where if w != rule]
            st.rerun()


begin_page()
st.title("Data")
_source()
df = dataset()
_joined_note(raw_dataset())
_preview(df)
dates_note()
_roles(df)
dates_builder(df)
entry_control(df)
_validation(df)
_identifiers()
_filters(df)
end_page()
