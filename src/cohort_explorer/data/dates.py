"""Follow-up time and event from calendar dates: start (diagnosis), event and last contact.

time = (event date, or the last-contact date when there is no event date) - start date, in
days, months (days / 30.4375) or years (days / 365.25); event = an event date is present. An
event date after the last contact is used as is. Rows that cannot give a time are excluded
with their reason: a missing start date, neither an event nor a last-contact date, an event
(or last-contact) date before the start date, a date that cannot be read.

Dates are read in the common forms: ISO ``2021-03-15`` (also with a time of day),
``15.03.2021``, ``15/03/2021``, ``03/15/2021``, ``15-03-21``, ``20210315``, ``15 Mar 2021``,
``March 15, 2021``, and date/datetime cells of a spreadsheet. Whether ``03/04/2021`` is
3 April or March 4 is never guessed: such columns need ``order`` ("dmy", "mdy" or "ymd"),
unless every value shows it (a first part above 12 means day first).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError, OptionError

__all__ = ["DATE_ORDERS", "TIME_UNITS", "DatedTimes", "add_date_columns", "date_columns",
           "needs_date_order", "parse_dates", "require_times", "times_from_dates"]

DATE_ORDERS = ("dmy", "mdy", "ymd")
TIME_UNITS = {"days": 1.0, "months": 30.4375, "years": 365.25}

_TIME_OF_DAY = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_NUMERIC = r"^\s*(\d{1,4})[./-](\d{1,2})[./-](\d{1,4})" + _TIME_OF_DAY + r"\s*$"
_COMPACT = r"^\s*(\d{4})(\d{2})(\d{2})\s*$"


@dataclass(frozen=True, eq=False)
class DatedTimes(Result):
    """Times and events built from dates; NaN where the row is excluded (``reason`` says why)."""

    time: np.ndarray
    event: np.ndarray
    reason: np.ndarray  # object array: None for usable rows, else the reason
    reasons: dict[str, int]
    unit: str


def _year(text: pd.Series) -> pd.Series:
    year = pd.to_numeric(text, errors="coerce")
    two = text.str.len() <= 2
    # two-digit years as Python's %y: 00-68 -> 2000s, 69-99 -> 1900s
    return year.where(~two, np.where(year < 69, 2000 + year, 1900 + year))


def _compose(year, month, day) -> pd.Series:
    frame = pd.DataFrame({"year": year, "month": month, "day": day}).astype(float)
    return pd.to_datetime(frame, errors="coerce")


def needs_date_order(values: pd.Series) -> bool:
    """True when the column has dates like 03/04/2021 whose day/month order is not shown."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return False
    text = values.dropna().astype(str)
    parts = text.str.extract(_NUMERIC)
    year_last = parts[0].notna() & (parts[0].str.len() <= 2)
    if not year_last.any():
        return False
    first = pd.to_numeric(parts.loc[year_last, 0])
    second = pd.to_numeric(parts.loc[year_last, 1])
    day_first = bool((first > 12).any())
    month_first = bool((second > 12).any())
    return day_first == month_first  # nothing shows the order, or the values contradict


def parse_dates(values: pd.Series, *, order: str | None = None, column: str = "date") -> pd.Series:
    """Calendar dates of a column (midnight timestamps); NaT where missing or unreadable.

    Raises
    ------
    OptionError
        ``order`` is not one of dmy, mdy, ymd; or the day/month order is needed and not given.
    """
    if order is not None and order not in DATE_ORDERS:
        raise OptionError(f"--date-order {order}: use dmy, mdy or ymd",
            code="date_order_unknown", fields={"value": order})
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).dt.tz_localize(None).dt.normalize() \
            if getattr(values.dt, "tz", None) is not None else values.dt.normalize()
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    present = values.notna()
    objects = values[present]
    native = objects.map(lambda v: isinstance(v, (dt.date, pd.Timestamp)))
    if native.any():
        out[native[native].index] = pd.to_datetime(objects[native]).dt.normalize()
    text = objects[~native].astype(str).str.strip()
    text = text[text != ""]
    parts = text.str.extract(_NUMERIC)
    numeric = parts[0].notna()
    year_first = numeric & (parts[0].str.len() == 4)
    out[year_first[year_first].index] = _compose(parts.loc[year_first, 0], parts.loc[year_first, 1],
                                                 parts.loc[year_first, 2]).to_numpy()
    year_last = numeric & ~year_first & (parts[2].str.len().isin((2, 4)))
    if year_last.any():
        chosen = order
        if chosen is None or chosen == "ymd":
            if needs_date_order(text[year_last]) or chosen == "ymd":
                example = text[year_last].iloc[0]
                raise OptionError(
                    f"Dates in '{column}' such as {example!r} could be day/month or month/day: "
                    "say which with --date-order dmy (15/03/2021) or mdy (03/15/2021)",
            code="date_order_ambiguous", fields={"column": column, "example": str(example)})
            chosen = "dmy" if (pd.to_numeric(parts.loc[year_last, 0]) > 12).any() else "mdy"
        first, second = parts.loc[year_last, 0], parts.loc[year_last, 1]
        day, month = (first, second) if chosen == "dmy" else (second, first)
        out[year_last[year_last].index] = _compose(_year(parts.loc[year_last, 2]), month,
                                                   day).to_numpy()
    rest = text[~numeric]
    compact = rest.str.extract(_COMPACT)
    is_compact = compact[0].notna()
    out[is_compact[is_compact].index] = _compose(compact.loc[is_compact, 0],
                                                 compact.loc[is_compact, 1],
                                                 compact.loc[is_compact, 2]).to_numpy()
    words = rest[~is_compact & rest.str.contains(r"[A-Za-z]{3}", regex=True)]
    if not words.empty:  # month names: the order is written out
        out[words.index] = pd.to_datetime(words, format="mixed", errors="coerce").dt.normalize()
    return out


def _reason_array(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def times_from_dates(df: pd.DataFrame, start: str, event: str, last: str, *,
                     unit: str = "days", order: str | None = None) -> DatedTimes:
    """Follow-up time and event per row from start, event and last-contact date columns.

    Parameters
    ----------
    df : pandas.DataFrame
    start, event, last : str
        Column names: start of follow-up (e.g. diagnosis), event date (empty when no event),
        last contact (used when there is no event date).
    unit : {"days", "months", "years"}
        months = days / 30.4375, years = days / 365.25.
    order : {"dmy", "mdy", "ymd"}, optional
        How to read dates like 03/04/2021; required when the data do not show it.

    Returns
    -------
    DatedTimes
    """
    if unit not in TIME_UNITS:
        raise OptionError(f"--time-unit {unit}: use days, months or years",
            code="time_unit_unknown", fields={"value": unit})
    for column in (start, event, last):
        if column not in df.columns:
            raise ColumnError(f"No column '{column}' in the data (--dates START,EVENT,LAST)",
            code="unknown_column", fields={"column": column})
    dates = {}
    unreadable = {}
    for role, column in (("start", start), ("event", event), ("last-contact", last)):
        parsed = parse_dates(df[column], order=order, column=column)
        given = df[column].notna() & (df[column].astype(str).str.strip() != "")
        bad = given & parsed.isna()
        if given.any() and bad.all():
            example = df.loc[bad, column].iloc[0]
            raise ColumnError(f"Column '{column}' ({role} date) holds no readable dates "
                              f"(e.g. {str(example)!r}); choose the {role} date column")
        dates[role], unreadable[role] = parsed, bad.to_numpy()
    n = len(df)
    reason = _reason_array(n)
    s, e, last_contact = (dates[k].to_numpy() for k in ("start", "event", "last-contact"))
    has_event = ~pd.isna(e)
    end = np.where(has_event, e, last_contact)
    rules = [
        (unreadable["start"] | unreadable["event"] | unreadable["last-contact"],
         "unreadable date"),
        (pd.isna(s), "missing start date"),
        (~has_event & pd.isna(last_contact), "no event or last-contact date"),
        (has_event & (e < s), "event date before start date"),
        (~has_event & (last_contact < s), "last-contact date before start date"),
    ]
    for mask, label in rules:
        reason[np.asarray(mask, dtype=bool) & (reason == None)] = label  # noqa: E711
    usable = reason == None  # noqa: E711
    days = (pd.to_datetime(end) - pd.to_datetime(s)) / pd.Timedelta(days=1)
    time = np.where(usable, np.asarray(days, dtype=float) / TIME_UNITS[unit], np.nan)
    flags = np.where(usable, has_event.astype(float), np.nan)
    labels, counts = np.unique(reason[~usable].astype(str), return_counts=True)
    return DatedTimes(time=time, event=flags, reason=reason,
                      reasons={str(k): int(v) for k, v in zip(labels, counts, strict=True)},
                      unit=unit)


def require_times(built: DatedTimes) -> None:
    """Refuse dates from which no row gets a time (every row excluded, with the reasons)."""
    if np.isnan(built.time).all():
        detail = ", ".join(f"{k}: {v}" for k, v in built.reasons.items())
        raise ColumnError(f"Nothing to analyse: no row gives a time from the dates ({detail})",
                          code="no_dated_rows", reasons=dict(built.reasons))


def date_columns(name: str, unit: str) -> tuple[str, str]:
    """Names of the time and event columns built for the endpoint ``name``."""
    return f"{name} time ({unit})", f"{name} event"


def add_date_columns(df: pd.DataFrame, built: tuple | list) -> pd.DataFrame:
    """``df`` with a time and an event column per ``(name, start, event, last, unit, order)``.

    Rows that give no time have both missing (the analysis counts them as missing time).
    """
    if not built:
        return df
    out = df.copy()
    for name, start, event, last, unit, order in built:
        result = times_from_dates(df, start, event, last, unit=unit, order=order)
        time_col, event_col = date_columns(name, unit)
        out[time_col] = result.time
        out[event_col] = pd.array(np.where(np.isnan(result.event), pd.NA, result.event),
                                  dtype="Int64")
    return out
