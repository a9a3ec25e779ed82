"""The analysis set's extra parts: times from dates, delayed entry and competing events.

:func:`check_options` refuses combinations not supported; :func:`apply_dates` builds time and
event columns from dates before the analysis set is made; :func:`restrict` then adds the entry
times and competing-event states to the analysis set, excluding (with their reason) rows
whose entry is missing or not before their time and rows missing the competing-event column.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cohort_explorer.analysis.analysis_set import AnalysisSet, Excluded
from cohort_explorer.analysis.stratify import category_levels
from cohort_explorer.data.coding import coerce_event, normalise_value
from cohort_explorer.data.dates import require_times, times_from_dates
from cohort_explorer.errors import ColumnError, OptionError

if TYPE_CHECKING:
    from cohort_explorer.spec import AnalysisSpec

__all__ = ["Extras", "check_options", "apply_dates", "date_warnings", "restrict",
           "split_competing", "event_label"]


@dataclass(frozen=True)
class Extras:
    """Per-row entry times and states (0 censored, 1 event, 2 competing) of the analysis set."""

    entry: np.ndarray | None = None
    state: np.ndarray | None = None


def split_competing(text: str) -> tuple[str, str]:
    """``COL=VALUE`` of ``--competing``."""
    column, sep, value = text.rpartition("=")
    if not sep or not column.strip() or not value.strip():
        raise OptionError(f"--competing {text}: give COL=VALUE, e.g. --competing pfs_cause=2",
            code="competing_syntax", fields={"competing": text})
    return column.strip(), value.strip()


def event_label(spec: AnalysisSpec) -> str:
    """The event rule as text: ``status=1`` or ``status=VALUE``."""
    return f"{spec.event_col}={spec.event_value if spec.event_value is not None else 1}"


def check_options(spec: AnalysisSpec) -> None:
    """Refuse what is not (yet) supported together; exit 2 in the CLI."""
    if spec.fine_gray and not spec.competing:
        raise OptionError("--fine-gray needs a competing event: add --competing COL=VALUE",
            code="fine_gray_needs_competing", fields={})
    if spec.competing:
        split_competing(spec.competing)
    if spec.entry_col:
        refused = [name for name, used in (
            (":optimal", spec.group_by is not None and spec.group_by.endswith(":optimal")),
            ("--competing", bool(spec.competing)), ("--fine-gray", spec.fine_gray),
            ("--landmark-from", spec.landmark_from is not None)) if used]
        if refused:
            raise OptionError(f"--entry (delayed entry) cannot be combined with "
                              f"{', '.join(refused)} yet; drop one of them",
            code="entry_not_combinable", fields={"options": [name.lstrip("-") for name in refused]})
    if spec.dates and len(spec.dates) != 3:
        raise OptionError("--dates needs three columns: START,EVENT,LAST (start of follow-up, "
                          "event date, last-contact date)",
            code="dates_need_three", fields={})


def _free_name(df: pd.DataFrame, name: str) -> str:
    candidate, number = name, 2
    while candidate in df.columns:
        candidate, number = f"{name} ({number})", number + 1
    return candidate


def apply_dates(df: pd.DataFrame, spec: AnalysisSpec):
    """Time and event columns from the dates (rows that cannot give a time are dropped).

    Returns the new frame, the spec pointing at the new columns and the exclusion reasons.
    """
    if not spec.dates:
        return df, spec, {}
    start, event, last = spec.dates
    built = times_from_dates(df, start, event, last, unit=spec.time_unit, order=spec.date_order)
    require_times(built)
    keep = ~np.isnan(built.time)
    name = spec.event_name or "event"
    time_col = _free_name(df, f"{name} time ({spec.time_unit})")
    event_col = _free_name(df, name)
    out = df.loc[keep].copy()
    out[time_col] = built.time[keep]
    out[event_col] = built.event[keep].astype(int)
    return out, replace(spec, time_col=time_col, event_col=event_col, event_value=None), built.reasons


def date_warnings(reasons: dict[str, int], spec: AnalysisSpec) -> list[str]:
    """A clear message for dates in the wrong order (the rows are excluded, not fixed)."""
    start, event, last = spec.dates if spec.dates else ("", "", "")
    out = []
    for reason, column in (("event date before start date", event),
                           ("last-contact date before start date", last)):
        if reasons.get(reason):
            out.append(f"{reasons[reason]} row(s) have a date in '{column}' before the start date "
                       f"in '{start}': they are excluded; check those dates.")
    return out


def _count(reasons: dict[str, int], label: str, mask: np.ndarray) -> None:
    if mask.any():
        reasons[label] = reasons.get(label, 0) + int(mask.sum())


def _states(aset: AnalysisSet, spec: AnalysisSpec, reasons: dict[str, int]):
    column, value = split_competing(spec.competing)
    if column not in aset.data.columns:
        raise ColumnError(f"No column '{column}' in the data (--competing {spec.competing})",
            code="unknown_column", fields={"column": column})
    if column == spec.event_col:
        same = (normalise_value(value) == normalise_value(spec.event_value)
                if spec.event_value is not None else normalise_value(value) in ("1", "true"))
        if same:
            raise OptionError(f"--competing {spec.competing}: the competing event must differ "
                              f"from the event of interest ({event_label(spec)})",
                              code="competing_is_the_event", column=column, value=value)
    flags, _ = coerce_event(aset.data[column], value, column=column)
    if not np.any(flags == 1):
        found = ", ".join(category_levels(aset.data[column])[:6])
        raise OptionError(f"--competing {spec.competing}: no row of '{column}' has the value "
                          f"{value}; it holds {found}",
            code="competing_value_absent", fields={"column": column, "value": value, "values": found})
    both = (flags == 1) & (aset.event == 1)
    if both.any():
        raise OptionError(f"{int(both.sum())} rows are both an event ({event_label(spec)}) and "
                          f"a competing event ({spec.competing}); each row can have only one",
                          code="competing_and_event", rows=int(both.sum()),
                          event=event_label(spec), competing=spec.competing)
    ok = ~np.isnan(flags)
    _count(reasons, f"missing {column}", ~ok)
    state = np.where(aset.event == 1, 1, np.where(flags == 1, 2, 0))
    return state, ok


def _entry(aset: AnalysisSet, spec: AnalysisSpec, reasons: dict[str, int]):
    if spec.entry_col not in aset.data.columns:
        raise ColumnError(f"No column '{spec.entry_col}' in the data (--entry)",
            code="unknown_column", fields={"column": spec.entry_col})
    entry = pd.to_numeric(aset.data[spec.entry_col], errors="coerce").to_numpy(dtype=float)
    missing = ~np.isfinite(entry) | (entry < 0)
    _count(reasons, f"missing or invalid {spec.entry_col}", missing)
    late = ~missing & (entry >= aset.time)
    _count(reasons, f"{spec.entry_col} not before time", late)
    return entry, ~missing & ~late


def restrict(aset: AnalysisSet, spec: AnalysisSpec, date_reasons: dict[str, int]):
    """The analysis set with entry times and states; more exclusions counted by reason."""
    reasons = dict(date_reasons)
    reasons.update(aset.excluded.reasons)
    keep = np.ones(aset.time.size, dtype=bool)
    entry = state = None
    if spec.entry_col:
        entry, ok = _entry(aset, spec, reasons)
        keep &= ok
    if spec.competing:
        state, ok = _states(aset, spec, reasons)
        keep &= ok
    dropped = int((~keep).sum()) + sum(date_reasons.values())
    if not keep.any():
        detail = ", ".join(f"{k}: {v}" for k, v in reasons.items() if v)
        raise ColumnError(f"Nothing to analyse: every row was excluded ({detail})")
    if dropped:
        aset = AnalysisSet(data=aset.data.loc[keep], time=aset.time[keep],
                           event=aset.event[keep],
                           excluded=Excluded(aset.excluded.count + dropped, reasons),
                           filtered=aset.filtered)
    return aset, Extras(entry=None if entry is None else entry[keep],
                        state=None if state is None else state[keep])

