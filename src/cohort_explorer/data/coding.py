"""Coding of time and event columns: missing-value words, decimal commas, 0/1, true/false.

:func:`coerce_time` and :func:`coerce_event` turn a time or event column into numbers and
count, by reason, the rows that cannot be used (``docs/methods.md``: "Analysis set", "Event
coding").
"""

from __future__ import annotations

import re
import shlex

import numpy as np
import pandas as pd

from cohort_explorer.errors import ColumnError
from cohort_explorer.io.text import BRACKETED_MISSING

__all__ = [
    "TIME_REASONS",
    "coerce_time",
    "coerce_event",
    "check_status_columns",
]

#: Keys of the reasons returned by :func:`coerce_time`, always all present.
TIME_REASONS = ("missing time", "non-numeric time", "negative time", "infinite time")

_MISSING_TEXT = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", ".", "?", "#n/a", "#nv", "<na>", "missing",
     *(word.lower() for word in BRACKETED_MISSING)}
)
#: cBioPortal status values ``N:LABEL`` (``1:DECEASED``, ``0:LIVING``): the event is N = 1.
N_LABEL = re.compile(r"^\s*(\d+)\s*:\s*\S")
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d+,\d*|,\d+)$")
_TRUE_WORDS = {"true": "1", "false": "0", "t": "1", "f": "0"}
_MAX_LISTED = 6
EVENT_WORDS = (
    "dead",
    "death",
    "died",
    "deceased",
    "event",
    "yes",
    "y",
    "progression",
    "progressed",
    "relapse",
    "relapsed",
    "recurrence",
    "pd",
    "true",
)

def normalise_value(value) -> str | None:
    """Canonical text of a value for event comparisons; None for missing.

    Numbers lose trailing zeros (``2``, ``2.0`` and ``"2.0"`` all give ``"2"``), booleans and
    ``true``/``false`` become ``"1"``/``"0"``, text is stripped and lower-cased.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return "1" if value else "0"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    text = str(value).strip()
    lower = text.lower()
    if lower in _MISSING_TEXT:
        return None
    if lower in _TRUE_WORDS:
        return _TRUE_WORDS[lower]
    number = pd.to_numeric(
        lower.replace(",", ".") if _DECIMAL_COMMA.match(lower) else lower, errors="coerce"
    )
    if pd.notna(number) and np.isfinite(number):
        return normalise_value(float(number))
    return lower


def normalised_values(values: pd.Series) -> np.ndarray:
    """Object array of normalised strings (None for missing), computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([normalise_value(u) for u in uniques] + [None], dtype=object)
    return table[codes]  # code -1 (missing) picks the final None


def display_value(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def sort_key(text: str) -> tuple:
    number = pd.to_numeric(text, errors="coerce")
    return (0, float(number), "") if pd.notna(number) else (1, 0.0, text)


def _likely_event_value(shown: list[str]) -> str:
    lowered = {s.lower(): s for s in shown}
    for word in EVENT_WORDS:
        if word in lowered:
            return lowered[word]
    numbers = [s for s in shown if sort_key(s)[0] == 0]
    if numbers:
        return max(numbers, key=lambda s: sort_key(s)[1])
    return shown[-1]


def _event_coding_error(values: pd.Series, column: str) -> ColumnError:
    present = values.dropna()
    shown = sorted({display_value(v) for v in pd.unique(present.to_numpy(dtype=object))}, key=sort_key)
    shown = [s for s in shown if s.lower() not in _MISSING_TEXT]
    if len(shown) > 2 * _MAX_LISTED and len(shown) > 0.5 * len(present):
        # Nearly one value per row (IDs, names, measurements): never echo them.
        return ColumnError(
            f"Event column '{column}' has a different value in almost every row "
            f"({len(shown)} different values), so it is not an event flag. Choose the column "
            "that records whether the event happened (0/1, true/false, or "
            f"--event {shlex.quote('COLUMN=VALUE')}).",
            code="event_not_a_flag", fields={"column": column, "distinct": len(shown)},
        )
    listed = ", ".join(shown[:_MAX_LISTED])
    if len(shown) > _MAX_LISTED:
        listed += f", ... ({len(shown)} different values)"
    example = shlex.quote(f"{column}={_likely_event_value(shown)}")
    return ColumnError(
        f"Event column '{column}' has values {listed}; expected 0/1 or true/false. "
        f"Use --event {shlex.quote(column + '=VALUE')} to say which value is the event "
        f"(e.g. --event {example}).",
        code="event_coding",
        fields={"column": column, "values": shown[:_MAX_LISTED], "distinct": len(shown),
                "suggested": _likely_event_value(shown)},
    )


def is_n_label_column(values: pd.Series) -> bool:
    """True when every non-missing value is a cBioPortal ``N:LABEL`` status (``1:DECEASED``)."""
    present = [v for v in pd.unique(values.dropna()) if normalise_value(v) is not None]
    return bool(present) and all(N_LABEL.match(str(v)) for v in present)


def _n_label_numbers(values: pd.Series, normalised: np.ndarray, column: str,
                     check_mixed: bool, distinct=None) -> np.ndarray | None:
    """The N of each ``N:LABEL`` value (NaN elsewhere), or None when the column is not N:LABEL.

    With ``check_mixed``, ``N:LABEL`` values mixed with others (``1:DECEASED`` beside
    ``dead``) raise ``ColumnError`` (code ``event_mixed_n_label``): which are events cannot
    be known. Without it a mixed column is not N:LABEL. ``distinct``: the normalised values
    that occur (at least), when known (saves a pass over ``normalised``).
    """
    present = [u for u in pd.unique(normalised if distinct is None else distinct) if u is not None]
    number = {u: m.group(1).lstrip("0") or "0" for u in present if (m := N_LABEL.match(u))}
    if not number:
        return None
    if len(number) < len(present):
        if not check_mixed:
            return None
        uniques = [v for v in pd.unique(values.dropna()) if normalise_value(v) is not None]
        labelled = sorted({display_value(v) for v in uniques if normalise_value(v) in number},
                          key=sort_key)
        other = sorted({display_value(v) for v in uniques if normalise_value(v) not in number},
                       key=sort_key)
        raise ColumnError(
            f"Event column '{column}' mixes cBioPortal status values ({', '.join(labelled[:3])}) "
            f"with other values ({', '.join(other[:_MAX_LISTED])}); make every value N:LABEL "
            f"(1 = event, 0 = censored) or use --event {shlex.quote(column + '=VALUE')}.",
            code="event_mixed_n_label",
            fields={"column": column, "n_label_values": labelled[:_MAX_LISTED],
                    "other_values": other[:_MAX_LISTED]},
        )
    return pd.Series(normalised, dtype=object).map(number).to_numpy(dtype=object)


def coerce_event(
    values: pd.Series, event_value: str | None = None, *, column: str = "event"
) -> tuple[np.ndarray, dict[str, int]]:
    """Event indicator as floats: 1 event, 0 censored, NaN missing.

    Parameters
    ----------
    values : pandas.Series
        The event column.
    event_value : str, optional
        The value that marks an event (``--event COL=VALUE``). Values are compared as text
        after normalising numbers (``"2"`` matches ``2`` and ``2.0``), stripping spaces and
        ignoring case (``"Dead"`` matches ``dead``). Other non-missing values are censored.
        Without it the column must hold 0/1 or true/false (also ``"0.0"``/``"1.0"``), or
        cBioPortal ``N:LABEL`` statuses (``1:DECEASED``, ``0:LIVING``): an event exactly when
        N = 1; ``[Not Available]``-style values are missing.
    column : str
        The column's name, for the error message.

    Returns
    -------
    events : numpy.ndarray of float
    reasons : dict
        ``{"missing event": count}``.

    Raises
    ------
    ColumnError
        Without ``event_value``, when any value is not 0/1 or true/false (code
        ``event_coding``; the message lists the values found and suggests
        ``--event COL=VALUE``), or N:LABEL values are mixed with others (code
        ``event_mixed_n_label``).
    """
    # decided once per distinct value (``table``), then spread to the rows by their codes
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([normalise_value(u) for u in uniques] + [None], dtype=object)
    normalised = table[codes]  # code -1 (missing) picks the final None
    missing = np.array([v is None for v in table], dtype=bool)[codes]
    wanted = None if event_value is None else normalise_value(event_value)
    exact = wanted is not None and bool((table == wanted).any())  # every entry occurs but None
    numbers = None if exact else _n_label_numbers(values, normalised, column, event_value is None,
                                                       table)
    if numbers is not None:
        # cBioPortal N:LABEL: the event is exactly N = 1 (``--event COL=1`` means the same).
        events = np.where(numbers == (wanted or "1"), 1.0, 0.0)
    elif event_value is None:
        if any(v is not None and v not in ("0", "1") for v in table):
            raise _event_coding_error(values, column)
        events = np.where(table == "1", 1.0, 0.0)[codes]
    else:
        events = np.where(table == wanted, 1.0, 0.0)[codes]
    events[missing] = np.nan
    return events, {"missing event": int(missing.sum())}


def coerce_time(values: pd.Series) -> tuple[np.ndarray, dict[str, int]]:
    """Follow-up times as floats, NaN where a time cannot be used, with the reasons counted.

    Parameters
    ----------
    values : pandas.Series
        The time column: numbers, or text holding numbers (``"12.5"`` or ``"12,5"``).

    Returns
    -------
    times : numpy.ndarray of float
        Time 0 is valid; negative, infinite, non-numeric and missing times are NaN.
    reasons : dict
        Counts for every key of :data:`TIME_REASONS` (zeros included); each unusable row is
        counted once.

    Notes
    -----
    Dates and booleans are not durations and count as "non-numeric time".
    """
    raw, masks = time_masks(values)
    times = raw.copy()
    for mask in masks.values():
        times[mask] = np.nan
    return times, {reason: int(mask.sum()) for reason, mask in masks.items()}


def time_masks(values: pd.Series) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Parsed numbers and, for each of :data:`TIME_REASONS`, the rows excluded for it."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        raw = np.full(len(values), np.nan)
        missing = values.isna().to_numpy()
        non_numeric = ~missing
    elif pd.api.types.is_numeric_dtype(values):
        raw = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        missing = np.isnan(raw)
        non_numeric = np.zeros(len(values), dtype=bool)
    else:
        text = values.astype("string").str.strip()
        missing = (text.isna() | text.str.lower().isin(list(_MISSING_TEXT))).to_numpy(dtype=bool)
        comma = text.str.match(_DECIMAL_COMMA).fillna(False).to_numpy(dtype=bool)
        text = text.where(~comma, text.str.replace(",", ".", regex=False))
        numbers = pd.to_numeric(text.mask(missing), errors="coerce")
        raw = numbers.to_numpy(dtype=float, na_value=np.nan)
        non_numeric = ~missing & np.isnan(raw)
    infinite = np.isinf(raw)
    masks = {
        "missing time": missing,
        "non-numeric time": non_numeric,
        "negative time": ~infinite & (raw < 0),
        "infinite time": infinite,
    }
    return raw, masks


# --------------------------------------------------------------------------------------------
# Role suggestion


def _looks_like_status(name: str) -> bool:
    lower = name.strip().lower()
    return lower.endswith("_status") or lower.split()[-1:] == ["status"]


def check_status_columns(df: pd.DataFrame, columns: tuple[str, ...] = ()) -> None:
    """Refuse a status column that mixes cBioPortal ``N:LABEL`` values with other values.

    Checked: ``columns`` (e.g. the event columns a role suggestion found) and every column named
    like a status (``OS_STATUS``, ``Overall Survival Status``). A column with some ``N:LABEL``
    values (``1:DECEASED``) beside others (``dead``) cannot be coded: which rows are events is
    unknown. The app calls this on upload, so such a file never replaces the session's data.

    Raises
    ------
    ColumnError
        Code ``event_mixed_n_label`` (fields ``column``, ``n_label_values``, ``other_values``,
        ``when="upload"``), for the first such column.
    """
    names = list(dict.fromkeys([*columns, *(c for c in df.columns
                                            if _looks_like_status(str(c)))]))
    for column in names:
        if column not in df.columns:
            continue
        values = df[column]
        normalised = normalised_values(values)
        try:
            _n_label_numbers(values, normalised, str(column), check_mixed=True)
        except ColumnError as error:
            raise ColumnError(str(error), code=error.code,
                              fields={**error.fields, "when": "upload"}) from None
