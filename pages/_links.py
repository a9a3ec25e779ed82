"""A shared link's query parameters: read once per session, checked, never trusted.

Not a page. A link is input from whoever wrote it. Each parameter is checked before it reaches
the session: its length, its type, numbers that must be numbers; a choice that must be one of
the page's options (an endpoint, a column) is checked where the options are known
(:func:`check_choice`). A value that fails is ignored, and the viewer is told which setting of
the link was ignored and why, by name only: the value itself is never shown.
"""

from __future__ import annotations

import math
from typing import Any

import streamlit as st

__all__ = ["MAX_VALUE_CHARS", "MAX_LIST_ITEMS", "read_link", "check_choice", "ignore",
           "show_notices"]

#: Longest value of one parameter (a filter rule, an order of groups) and most repeated values.
MAX_VALUE_CHARS = 1_000
MAX_LIST_ITEMS = 50
#: Parameters that hold numbers (comma-separated for lists): checked when the link is read.
_NUMBER = {"km_landmark_from": "a number ≥ 0", "km_rmst": "a number > 0"}
_NUMBER_LISTS = {"km_landmarks": "numbers ≥ 0, comma-separated",
                 "km_cuts": "numbers, comma-separated"}
_LINK_KEYS = "app_link_keys"
_NOTICES = "app_link_notices"
_SLOT = "app_link_notice_slot"


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _check(key: str, kind: type, raw: list[str]) -> tuple[Any, str | None]:
    """``(value, None)`` for an accepted parameter, ``(None, reason)`` for an ignored one."""
    if len(raw) > (MAX_LIST_ITEMS if kind is list else 1):
        return None, "too many values"
    if any(len(v) > MAX_VALUE_CHARS for v in raw):
        return None, f"longer than {MAX_VALUE_CHARS:,} characters"
    if any("\x00" in v for v in raw):
        return None, "contains a NUL character"
    if kind is list:
        return [v for v in raw if v != ""], None
    value = raw[-1]
    if kind is bool:
        return (value == "1", None) if value in ("0", "1") else (None, "must be 0 or 1")
    if key in _NUMBER:
        if value.strip() == "":
            return "", None
        number = _number(value)
        if number is None or number < 0 or (key == "km_rmst" and number == 0):
            return None, f"must be {_NUMBER[key]}"
        return value.strip(), None
    if key in _NUMBER_LISTS:
        parts = [p.strip() for p in value.split(",") if p.strip()]
        numbers = [_number(p) for p in parts]
        if any(n is None for n in numbers) or (key == "km_landmarks"
                                               and any(n < 0 for n in numbers)):
            return None, f"must be {_NUMBER_LISTS[key]}"
        return ", ".join(parts), None
    return value, None


def read_link(params, mirrored: dict[str, type]) -> None:
    """Once per session: copy the link's accepted choices into the session."""
    st.session_state[_LINK_KEYS] = set()
    st.session_state.setdefault(_NOTICES, [])
    for key, kind in mirrored.items():
        if key not in params:
            continue
        value, reason = _check(key, kind, list(params.get_all(key)))
        if reason is not None:
            ignore(key, reason)
            continue
        st.session_state[key] = value
        st.session_state[_LINK_KEYS].add(key)


def check_choice(key: str, valid: bool) -> None:
    """The first check of a link's choice against the real options: ignored if not valid."""
    link_keys = st.session_state.get(_LINK_KEYS) or set()
    if key not in link_keys:
        return
    link_keys.discard(key)
    if not valid:
        ignore(key, "not one of the choices for this dataset")


def ignore(key: str, reason: str) -> None:
    """Record that the link's ``key`` was ignored (shown on this and later runs)."""
    notices = st.session_state.setdefault(_NOTICES, [])
    if (key, reason) not in notices:
        notices.append((key, reason))
    slot = st.session_state.get(_SLOT)
    if slot is not None:
        _draw(slot)


def show_notices() -> None:
    """A slot at the top of the page for the link's ignored settings (filled later if needed),
    and a button to dismiss the ones already known."""
    slot = st.empty()
    st.session_state[_SLOT] = slot
    _draw(slot)
    if st.session_state.get(_NOTICES) and st.button("Dismiss the note on the link",
                                                     key="app_link_notices_dismiss"):
        st.session_state[_NOTICES] = []
        st.rerun()


def _draw(slot) -> None:
    notices = st.session_state.get(_NOTICES) or []
    if not notices:
        return
    from pages._text import md

    listing = "; ".join(f"{md(key)} ({md(reason)})" for key, reason in notices)
    slot.warning("Some settings of the link were ignored: " + listing + ". The page uses its "
                 "defaults for them.", icon=":material/link_off:")


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
