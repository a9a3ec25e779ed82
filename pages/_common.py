"""Shared UI plumbing for the pages: dataset state, cached engine calls, URL choices, escaping.

Not a page (``app.py`` lists the pages explicitly; this file is never one). State lives in
``st.session_state`` under page-prefixed keys (``data_``, ``cohort_``, ``km_``, ``hr_``,
``report_``, ``app_``); the current choices are mirrored in ``st.query_params`` (choices only,
never data). Engine calls are memoised per session (``pages/_cache.py``), keyed by tuples
that start with a hash of the file's bytes, in memory only, never shared between sessions.
User text is made inert by ``md``/``show_table`` (``pages/_text.py``); a shared link's
parameters are checked by ``pages/_links.py``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from pages._cache import session_cache
from pages._legacy import leave_pages_directory_mode
from pages._links import check_choice, read_link, show_notices
from pages._review import link_fingerprint, remember_link_fingerprint, warn_if_other_data
from pages._text import md, show_table

from cohort_explorer import io as cio
from cohort_explorer.analysis.stratify import apply_where
from cohort_explorer.data.coding import check_status_columns
from cohort_explorer.data.roles import suggest_roles
from cohort_explorer.errors import CohortError
from cohort_explorer.io.cbioportal import cbioportal_kind
from cohort_explorer.present.messages import app_message

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = ROOT / "sample_data" / "sample_cohort.csv"
#: The favicon, served by this server (a ``:material/...:`` icon is fetched from Google's CDN).
ICON = ROOT / "assets" / "icon.png"
SAMPLE_LABEL = "Synthetic sample cohort (60 patients)"
SYNTHETIC_TEXT = ("Synthetic data: the demo cohort is simulated (shaped like the DSMM XII "
                  "substudy, Krönke et al., Leukemia 2017). No row describes a real patient.")
__all__ = ["md", "show_table", "session_cache"]  # re-exported for the pages
#: Default landmark time of the Survival page, per time unit (3 years).
DEFAULT_LANDMARK = {"months": "36", "days": "1095", "weeks": "156", "years": "3"}

#: Session keys mirrored in the URL, with their type. Everything else stays server-side.
MIRRORED: dict[str, type] = {
    "app_endpoint": str, "km_kind": str, "km_col": str, "km_cat": str, "km_rule": str, "km_cuts": str,
    "km_order": str, "km_composite": list, "km_composite_name": str, "km_reference": str,
    "km_landmarks": str, "km_rmst": str, "km_pairwise": str, "km_trend": bool, "km_bands": str,
    "km_display_unit": str, "km_landmarks_unit": str,
    "km_landmark_from": str, "km_response_col": str,
    "km_cr_col": str, "km_cr_event": str, "km_cr_other": str, "km_cr_fine_gray": bool,
    "hr_terms": list, "hr_with_group": bool,
    "cohort_biomarker": str, "cohort_category": str, "cohort_order": str,
    "data_where": list, "data_time_unit": str,
}


# --------------------------------------------------------------------------- entry
def page_config() -> None:
    """Title, favicon and layout. Called before ``st.navigation``: without a favicon set first,
    the browser takes the page's ``:material/...:`` icon as favicon, from Google's servers.
    The sidebar starts open on wide screens and closed on phones (``auto``); presentation mode
    closes it (the figure gets the window)."""
    st.set_page_config(
        page_title="Cohort Explorer", page_icon=str(ICON), layout="wide",
        initial_sidebar_state="collapsed" if st.session_state.get("app_present") else "auto",
        menu_items={"About": "Cohort Explorer: Kaplan–Meier, log-rank and Cox models that "
                             "match R's survival package."})


def frame(*, sidebar: bool = True) -> None:
    """Page config, URL choices, the default dataset and the sidebar (run once per rerun);
    presentation mode draws no sidebar at all (``sidebar=False``)."""
    page_config()
    from pages._auth import sign_in_gate  # optional OpenID Connect sign-in (docs/DEPLOYMENT.md)

    if not sign_in_gate():
        st.stop()
    load_query_params()
    ensure_dataset()
    show_notices()
    warn_if_other_data()
    endpoint = st.session_state.get("app_endpoint")
    if endpoint is not None:  # a link's endpoint must be one of the dataset's endpoints
        known = endpoint_by_name(endpoint) is not None
        check_choice("app_endpoint", known)
        if not known:
            st.session_state.pop("app_endpoint")
            endpoint = None
    if not sidebar:  # presentation mode: the figure gets the whole window
        return
    with st.sidebar:
        st.markdown("**Active dataset**")
        st.markdown(md(st.session_state.get("data_name", "none")))
        rows, columns = st.session_state.get("data_shape", (0, 0))
        st.markdown(f"{rows} rows × {columns} columns · time in {md(time_unit())}")
        where = st.session_state.get("data_where") or []
        if where:
            st.markdown("**Subgroup filter:** " + md(" and ".join(where)))
        # One endpoint for every page; the page's endpoint selector rewrites this slot, since a
        # change made on this rerun reaches the session only when the page body runs.
        slot = st.empty()
        if endpoint:
            slot.markdown(f"**Active endpoint:** {md(endpoint)}")
        st.session_state["app_endpoint_slot"] = slot
        notice_synthetic()


def begin_page() -> None:
    """First call of every page: make sure :func:`frame` ran for this rerun.

    ``app.py`` runs the frame and marks it. Streamlit, however, starts with a main script
    beside a ``pages/`` folder in its legacy "pages directory" mode until ``st.navigation`` is
    first called (and ``AppTest`` re-enters that mode on every run); in that mode a request for
    ``/survival`` runs ``pages/survival.py`` alone. Then this switches the legacy mode off and
    either reruns through ``app.py`` (a new session: nothing to lose) or draws the frame itself.
    """
    if st.session_state.pop("app_frame_done", False):
        return
    leave_pages_directory_mode()  # pages/_legacy.py: the one place that knows Streamlit's flag
    if not st.session_state.get("app_ready"):
        st.session_state["app_ready"] = True
        st.rerun()
    frame()


def end_page() -> None:
    """Last call of every page: mirror the choices into the URL."""
    save_query_params()


# --------------------------------------------------------------------------- text
def show_error(error: Exception) -> None:
    """A user-fixable error as one readable message (never a traceback), in the app's words
    (``app_message``: plain language, no command-line options)."""
    st.error(md(app_message(error)), icon=":material/error:")


# --------------------------------------------------------------------------- persistent widgets
def persisted(widget: Callable, label: str, key: str, default: Any, *,
              options: Sequence | None = None, widget_key: str | None = None,
              **kwargs: Any) -> Any:
    """Render ``widget`` whose value survives page switches (stored under ``key``).

    Streamlit forgets a widget's state when its page is not shown; the value is kept in a
    plain session key and copied into the widget key ``key + "_w"`` when the widget comes back.
    Values no longer among ``options`` (another dataset) fall back to ``default``. A choice
    shared by several pages gives each page its own ``widget_key``.
    """
    wkey = widget_key or f"{key}_w"
    value = st.session_state.get(key, default)
    if options is not None:
        options = list(options)
        if isinstance(value, list):
            check_choice(key, all(v in options for v in value))
            value = [v for v in value if v in options]
        elif value not in options:
            check_choice(key, False)
            value = default if default in options else (options[0] if options else None)
        else:
            check_choice(key, True)
        current = st.session_state.get(wkey, value)
        valid = (all(v in options for v in current) if isinstance(current, list)
                 else current in options)
        if wkey not in st.session_state or not valid:
            st.session_state[wkey] = value
        result = widget(label, options, key=wkey, **kwargs)
    else:
        if wkey not in st.session_state:
            st.session_state[wkey] = value
        result = widget(label, key=wkey, **kwargs)
    st.session_state[key] = result
    return result


# --------------------------------------------------------------------------- URL <-> choices
def load_query_params() -> None:
    """Once per session: copy the choices in the URL into the session (validated later)."""
    if st.session_state.get("app_query_loaded"):
        return
    st.session_state["app_query_loaded"] = True
    read_link(st.query_params, MIRRORED)
    remember_link_fingerprint(st.query_params)


def save_query_params() -> None:
    """Mirror the current choices into the URL (only when they changed)."""
    wanted: dict[str, Any] = {}
    for key, kind in MIRRORED.items():
        if key not in st.session_state or st.session_state[key] is None:
            continue
        value = st.session_state[key]
        if kind is list:
            wanted[key] = [str(v) for v in value]
        elif kind is bool:
            wanted[key] = "1" if value else "0"
        else:
            wanted[key] = str(value)
    wanted.update(link_fingerprint())  # which data the choices were made on (never the data)
    current = {k: (st.query_params.get_all(k) if isinstance(wanted.get(k), list)
                   else st.query_params.get(k)) for k in st.query_params}
    if current != wanted:
        st.query_params.from_dict(wanted)


# --------------------------------------------------------------------------- dataset
#: What a dataset is read from: one file's bytes, or a cBioPortal patient file with its sample
#: file as ``((name, bytes), (name, bytes))``.
Files = bytes | tuple[tuple[str, bytes], ...]


def digest_of(data: Files) -> str:
    """Content key and fingerprint of a file (SHA-256 of its bytes); of a cBioPortal pair, the
    SHA-256 of the patient file's bytes then the sample file's, as the command line's
    (``cat PATIENTS SAMPLES | sha256sum``), whichever box each was given in."""
    if isinstance(data, (bytes, bytearray)):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    for _, content in sorted(data, key=lambda file: cbioportal_kind(file[1]) != "patient"):
        digest.update(content)
    return digest.hexdigest()


@session_cache(max_entries=2)
def _read(digest: str, filename: str | None, sheet: str | None, _data: Files) -> pd.DataFrame:
    files = list(_data) if isinstance(_data, tuple) else [(filename, _data)]
    return cio.read_upload(files, sheet=sheet, max_bytes=cio.DEFAULT_APP_MAX_BYTES)


@session_cache(max_entries=2)
def _sheets(digest: str, filename: str | None, _data: bytes) -> list[str]:
    return cio.list_sheets(_data, filename=filename)


@session_cache(max_entries=4)
def _suggest(key: tuple, _df: pd.DataFrame):
    return suggest_roles(_df)


def set_dataset(data: Files, name: str, *, synthetic: bool, sheet: str | None = None,
                digest: str | None = None) -> bool:
    """Read ``data`` (one file, or a cBioPortal patient + sample pair) and make it the
    session's dataset; on error keep the previous one. A status column mixing cBioPortal
    ``N:LABEL`` values with others is such an error (which rows are events is unknown).
    ``digest``: ``digest_of(data)`` when the caller has it already."""
    digest = digest or digest_of(data)
    replacing = "data_digest" in st.session_state  # not the session's first dataset (the URL's)
    failed = st.session_state.get("data_failed")
    if failed is not None and failed[:2] == (digest, sheet):  # not parsed again on every rerun
        show_error(failed[2])
        return False
    try:
        df = _read(digest, name, sheet, data)
        # read as the session's data will be keyed, before anything of the session changes
        suggestion = _suggest((digest, sheet, (), ()), df)  # = data_key() once it is set
        check_status_columns(df, tuple(e.event_col for e in suggestion.endpoints))
    except CohortError as error:
        st.session_state["data_failed"] = (digest, sheet, error)
        show_error(error)
        return False
    except (TypeError, ValueError) as error:  # e.g. cells holding lists (nested Parquet)
        message = (f"This file has values the app cannot analyse ({type(error).__name__}); "
                   "save it with one plain value per cell (no lists or nested records).")
        st.session_state["data_failed"] = (digest, sheet, message)
        show_error(CohortError(message))
        return False
    # The session's first dataset keeps the filter and time unit a shared link carried.
    where = [] if replacing else list(st.session_state.get("data_where") or [])
    st.session_state.update({
        "data_bytes": data, "data_name": name, "data_digest": digest, "data_sheet": sheet,
        "data_synthetic": synthetic, "data_removed": (), "data_keep_ids": False,
        "data_where": where, "data_shape": df.shape,
    })
    st.session_state["data_endpoints"] = [
        {"name": e.name, "time_col": e.time_col, "event_col": e.event_col,
         "event_value": e.event_value} for e in suggestion.endpoints]
    unit = suggestion.time_unit or "months"
    if not replacing and st.session_state.get("data_time_unit") in DEFAULT_LANDMARK:
        unit = st.session_state["data_time_unit"]
    st.session_state["data_time_unit"] = unit
    if replacing:
        _reset_dataset_choices(unit)
    return True


def _reset_dataset_choices(unit: str) -> None:
    """Choices that belong to the previous dataset start again from this one's defaults.

    A widget key left over from the previous dataset would otherwise be written back over the
    new value when its page runs (e.g. the sample's "months" over an upload's "days").
    """
    # km_spec/hr_spec are analyses of the previous data: the Report page must not rerun them.
    for key in ("data_time_unit_w", "km_response_col", "km_response_col_w", "km_spec",
                "hr_spec", "data_dates", "data_entry_col", "km_cr_col", "km_cr_col_w",
                "km_cr_event", "km_cr_other", "km_display_unit", "km_display_unit_w"):
        st.session_state.pop(key, None)
    st.session_state["km_landmark_from"] = ""  # landmark mode needs the old response column
    _default_landmarks(unit)


def _default_landmarks(unit: str) -> None:
    st.session_state["km_landmarks"] = DEFAULT_LANDMARK.get(unit, "36")
    st.session_state["km_landmarks_unit"] = unit
    st.session_state.pop("km_landmarks_w", None)


def follow_time_unit() -> None:
    """``on_change`` of the Data page's time unit: a default landmark becomes the new unit's
    default (36 months -> 1095 days); landmark times the user typed are kept. The display
    unit follows the data's again."""
    if st.session_state.get("km_landmarks") in DEFAULT_LANDMARK.values():
        _default_landmarks(st.session_state.get("data_time_unit_w") or "months")
    else:
        st.session_state["km_landmarks_unit"] = st.session_state.get("data_time_unit_w")
    st.session_state.pop("km_display_unit", None)
    st.session_state.pop("km_display_unit_w", None)


def default_display_unit(data_unit: str) -> str:
    """Times are shown in months for data in days or weeks, else in the data's unit."""
    return "months" if data_unit in ("days", "weeks") else data_unit


def landmarks_in(unit: str) -> None:
    """Rewrite the landmark text (and RMST horizon) into ``unit`` when it was written in
    another: a default becomes the unit's default (1095 days -> 36 months), typed values are
    converted (36 months -> 3 years)."""
    from cohort_explorer.present.labels import time_scale

    written = st.session_state.get("km_landmarks_unit") or time_unit()
    if written == unit:
        return
    text = st.session_state.get("km_landmarks", "")
    if text in DEFAULT_LANDMARK.values() and DEFAULT_LANDMARK.get(written) == text:
        converted = DEFAULT_LANDMARK.get(unit, text)
    else:
        converted = _convert_times(text, time_scale(written, unit))
    st.session_state["km_landmarks"] = converted
    st.session_state["km_rmst"] = _convert_times(st.session_state.get("km_rmst", ""),
                                                 time_scale(written, unit))
    for key in ("km_landmarks_w", "km_rmst_w"):
        st.session_state.pop(key, None)
    st.session_state["km_landmarks_unit"] = unit


def _convert_times(text: str, factor: float) -> str:
    out = []
    for part in str(text or "").split(","):
        try:
            out.append(f"{float(part) * factor:.4g}")
        except ValueError:
            if part.strip():
                out.append(part.strip())
    return ", ".join(out)


def ensure_dataset() -> None:
    """Load the synthetic sample once per session (the default dataset)."""
    if "data_digest" not in st.session_state:
        set_dataset(SAMPLE_PATH.read_bytes(), SAMPLE_PATH.name, synthetic=True)
        st.session_state["data_name"] = SAMPLE_LABEL


def data_key() -> tuple:
    """Cache key of the current dataset: content hash, sheet and removed columns (a tuple:
    never a joined string, which two different lists of names could share)."""
    return (st.session_state["data_digest"], st.session_state.get("data_sheet"),
            tuple(st.session_state.get("data_removed", ())),
            tuple(st.session_state.get("data_dates", ())))  # endpoints built from dates


def where_key() -> tuple:
    """Cache key of the current dataset with its subgroup filter rules."""
    return data_key(), tuple(st.session_state.get("data_where", ()))


def raw_dataset() -> pd.DataFrame:
    """The table as read (all columns)."""
    return _read(st.session_state["data_digest"], st.session_state["data_name"],
                 st.session_state.get("data_sheet"), st.session_state["data_bytes"])


def dataset() -> pd.DataFrame:
    """The table without the columns the user removed (identifiers), plus times from dates."""
    df = raw_dataset()
    removed = [c for c in st.session_state.get("data_removed", ()) if c in df.columns]
    df = df.drop(columns=removed) if removed else df
    built = st.session_state.get("data_dates", ())
    return _with_dates(data_key(), df, built) if built else df


@session_cache(max_entries=2)
def _with_dates(key: tuple, _df: pd.DataFrame, _built) -> pd.DataFrame:
    from cohort_explorer.data.dates import add_date_columns

    return add_date_columns(_df, _built)


def display_names() -> dict[str, str]:
    """Readable names of the dataset's columns given by the file (a cBioPortal file's first
    ``#`` row: ``OS_MONTHS`` -> ``Overall Survival (Months)``); {} for other files."""
    if "data_digest" not in st.session_state:
        return {}
    names = raw_dataset().attrs.get("display_names") or {}
    return {str(k): str(v).strip() for k, v in names.items()
            if str(v).strip() and str(v).strip() != str(k)}


def readable(column: Any) -> str:
    """A column's display name for titles, legends and tables, else its name."""
    return display_names().get(str(column), str(column))


def column_labeller() -> Callable[[Any], str]:
    """``format_func`` of a column picker: ``Overall Survival (Months) · OS_MONTHS`` for a
    column with a display name (the raw name stays visible and is the value), else the name.
    Options are shown as plain text, never as Markdown."""
    names = display_names()
    return lambda column: (f"{names[str(column)]} · {column}" if str(column) in names
                           else str(column))


def filtered_dataset() -> pd.DataFrame:
    """:func:`dataset` with the subgroup filters applied (the engine's ``where`` rules)."""
    where = tuple(st.session_state.get("data_where", ()))
    return apply_where(dataset(), where) if where else dataset()


def suggestion():
    """The engine's role suggestion for the current dataset (cached by content)."""
    return _suggest(data_key(), dataset())


def endpoints() -> list[dict]:
    return list(st.session_state.get("data_endpoints", []))


def endpoint_by_name(name: str | None) -> dict | None:
    return next((e for e in endpoints() if e["name"] == name), None)


def time_unit() -> str:
    return st.session_state.get("data_time_unit") or "months"


def theme() -> str:
    """``"dark"`` when the viewer chose the dark theme, else ``"light"``."""
    try:
        kind = st.context.theme.type
    except AttributeError:
        kind = None
    return "dark" if kind == "dark" else "light"


def notice_synthetic() -> None:
    """The visible "synthetic data" notice (not ``st.caption``: it fails colour contrast)."""
    if st.session_state.get("data_synthetic"):
        st.info(SYNTHETIC_TEXT, icon=":material/science:")


def warnings_box(messages: Sequence[str]) -> None:
    """Engine warnings in the app's words (``app_message``), each escaped, in one box."""
    if messages:
        st.warning("\n".join(f"- {md(app_message(m))}" for m in messages),
                   icon=":material/warning:")


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
