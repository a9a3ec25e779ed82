"""Data checks before an analysis: a report of issues a clinician can read and act on.

:func:`validate_cohort` never raises for problems in the data; it reports them as
:class:`Issue` objects with a severity:

* ``"error"``: the analysis cannot run or would be wrong (dates instead of durations, event
  coding that needs ``--event COL=VALUE``, no usable time, duplicated IDs in the given ID
  column);
* ``"warning"``: rows will be excluded or results need caution (missing or invalid values,
  small groups, groups without events, units that do not match the name, likely identifiers);
* ``"info"``: worth knowing (pseudonymous study IDs, constant unused columns, continuous
  grouping columns).

It raises :class:`~cohort_explorer.errors.ColumnError` only for a column that does not exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.data.coding import coerce_event, time_masks
from cohort_explorer.data.identifiers import DATE_PATTERN, PSEUDONYMOUS, find_identifier_columns
from cohort_explorer.data.repeats import all_same, repeated_count
from cohort_explorer.data.roles import parse_time_name
from cohort_explorer.errors import ColumnError

__all__ = [
    "Issue", "ValidationReport", "looks_like_dates", "validate_cohort",
]

SEVERITIES = ("error", "warning", "info")
MIN_GROUP_SIZE = 10
_MAX_GROUP_LEVELS = 10


@dataclass(frozen=True)
class Issue(Result):
    """One finding: ``severity`` is "error", "warning" or "info"; ``code`` is stable."""

    severity: str
    code: str
    message: str
    column: str | None = None
    count: int | None = None
    #: The values the message is made of (for the app's own wording), when the issue has them.
    fields: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ValidationReport(Result):
    """All issues found (errors first), with the table's size."""

    issues: tuple[Issue, ...]
    n_rows: int
    n_columns: int

    @property
    def errors(self) -> tuple[Issue, ...]:
        """Issues that stop the analysis."""
        return tuple(i for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """Issues that exclude rows or call for caution."""
        return tuple(i for i in self.issues if i.severity == "warning")

    @property
    def infos(self) -> tuple[Issue, ...]:
        """Issues worth knowing."""
        return tuple(i for i in self.issues if i.severity == "info")

    @property
    def ok(self) -> bool:
        """True when there is no error."""
        return not self.errors


def _resolve(df: pd.DataFrame, name: str, role: str) -> str:
    if name in df.columns:
        return name
    base = name.split(":", 1)[0]  # CLI specs: "ikzf1:quartiles", "age:z"
    if base in df.columns:
        return base
    names = [str(c) for c in df.columns]
    close = difflib.get_close_matches(base, names, n=3, cutoff=0.6)
    close += [c for c in names if c.lower() == base.lower() and c not in close]
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    raise ColumnError(f"No column '{name}' ({role}) in the data.{hint} Columns: {shown}.",
                      code="unknown_column", fields={"column": name, "role": role, "close": close})


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _verb(count: int, singular: str, plural: str) -> str:
    return singular if count == 1 else plural


def _examples(values: Iterable, limit: int = 3) -> str:
    shown = []
    for value in values:
        text = f"'{value}'"
        if text not in shown:
            shown.append(text)
        if len(shown) == limit:
            break
    return ", ".join(shown)


def looks_like_dates(values: pd.Series) -> bool:
    """True when a column holds calendar dates (datetime values or mostly date-like text)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.notna().any()
    present = values.iloc[:5000].dropna()  # the first 500 present values, usually found here
    present = present if len(present) >= 500 else values.dropna()
    if present.empty or pd.api.types.is_numeric_dtype(values):
        return False
    sample = present.iloc[:500]
    if all(isinstance(v, pd.Timestamp) or hasattr(v, "year") for v in sample):
        return True
    return float(sample.astype(str).str.match(DATE_PATTERN).mean()) >= 0.5


class _Checker:
    """Collects issues; one method per family of checks."""

    def __init__(self, df: pd.DataFrame, shared: dict | None = None) -> None:
        self.df = df
        self.shared = {} if shared is None else shared  # whole-table results (validate_cohort)
        self.issues: list[Issue] = []
        self.usable = np.ones(len(df), dtype=bool)  # rows with usable time and event
        self.events: np.ndarray | None = None

    def add(self, severity, code, message, column=None, count=None, fields=None) -> None:
        self.issues.append(Issue(severity, code, message, column, count, dict(fields or {})))

    def once(self, key: tuple, compute, *args):
        """``compute(*args)``, a function of the whole table, computed once per ``shared``."""
        if key not in self.shared:
            self.shared[key] = compute(*args)
        return self.shared[key]

    def missing(self, column: str, role: str) -> None:
        self._count_missing(column, role, int(self.df[column].isna().sum()))

    def _count_missing(self, column: str, role: str, count: int) -> None:
        n = len(self.df)
        if count == n:
            self.add(
                "error",
                "all_missing",
                f"'{column}' ({role}) is empty in every row. Choose another column or fill it in.",
                column,
                count,
            )
        elif count:
            self.add(
                "warning",
                "missing_values",
                f"{count} of {n} rows {_verb(count, 'has', 'have')} no value in "
                f"'{column}' ({role}); {_verb(count, 'it is', 'they are')} left out of "
                "analyses that use it.",
                column,
                count,
            )

    def time(self, column: str) -> None:
        values = self.df[column]
        if looks_like_dates(values):
            example = values.dropna().iloc[0]
            self.add(
                "error",
                "date_in_time",
                f"'{column}' holds dates (e.g. '{example}'), not "
                "follow-up times. Convert it to a duration: the time from diagnosis (or "
                "start of treatment) to the event or last contact, in days or months.",
                column,
                int(values.notna().sum()),
            )
            return
        raw, masks = time_masks(values)
        times = raw.copy()
        for mask in masks.values():
            times[mask] = np.nan
        self._count_missing(column, "time", int(masks["missing time"].sum()))
        self.usable &= ~np.isnan(times)
        self._bad_times(column, values, masks)
        if np.isnan(times).all() and not masks["missing time"].all():
            self.add(
                "error",
                "no_usable_time",
                f"No row of '{column}' holds a usable follow-up "
                "time (a number ≥ 0). Choose the column with the follow-up durations.",
                column,
                len(values),
            )
        elif not np.isnan(times).all():
            self._units(column, times)

    def _bad_times(self, column: str, values: pd.Series, masks: dict) -> None:
        checks = (  # (mask, code, (one row does, several do), what to do)
            ("non-numeric time", "non_numeric_time", ("is not a number", "are not numbers"),
             "Correct them or leave the cells empty."),
            ("negative time", "negative_time", ("has a negative time", "have negative times"),
             "A follow-up time must be 0 or more: check the dates it was computed from."),
            ("infinite time", "infinite_time", ("has an infinite time", "have infinite times"),
             "Replace them with the real follow-up time."),
        )
        for reason, code, what, fix in checks:
            count = int(masks[reason].sum())
            if count:
                examples = _examples(values[masks[reason]].astype(str))
                self.add(
                    "warning",
                    code,
                    f"{_rows(count)} of '{column}' {_verb(count, *what)} (e.g. {examples}); "
                    f"{_verb(count, 'it', 'they')} will be excluded. {fix}",
                    column,
                    count,
                )

    def _units(self, column: str, times: np.ndarray) -> None:
        parsed = parse_time_name(column)
        unit = parsed[1] if parsed else None
        finite = times[~np.isnan(times)]
        largest = float(finite.max())
        high = float(np.percentile(finite, 99))  # robust to a single outlier in a big cohort
        fractional = float(np.mean(np.mod(finite, 1) != 0))
        looks = None
        if unit == "months" and high > 400:
            looks = f"its values go up to {largest:g}, more than 33 years: the times look like days"
        elif unit == "years" and high > 60:
            looks = f"its largest value is {largest:g}: the times look like months or days"
        elif unit == "days" and largest <= 25 and fractional > 0.5:
            looks = (
                f"its largest value is {largest:g} with fractions: the times look like "
                "months or years"
            )
        if looks:
            self.add(
                "warning",
                "unit_mismatch",
                f"'{column}' is named in {unit}, but {looks}. "
                "Check the unit and rename or convert the column; landmarks and medians "
                "are read in the column's unit.",
                column,
            )

    def event(self, column: str, event_value: str | None) -> None:
        self.missing(column, "event")
        try:
            events, _ = coerce_event(self.df[column], event_value, column=column)
        except ColumnError as exc:
            code = exc.code if exc.code.startswith("event_") else "event_coding"
            self.add("error", code, str(exc), column, fields=exc.fields)
            return
        self.usable &= ~np.isnan(events)
        present = self.df[column].dropna()
        if event_value is not None and not np.nansum(events) and len(present):
            self.add(
                "warning",
                "event_value_absent",
                f"No row of '{column}' has the value "
                f"'{event_value}', so every patient would count as censored. Values "
                f"present: {_examples(present.astype(str).unique(), 6)}.",
                column,
                0,
            )
        elif not np.nansum(events[self.usable]) and self.usable.any():
            self.add(
                "warning",
                "no_events",
                f"No patient has an event in '{column}': all are "
                "censored, so no median, test or hazard ratio can be estimated.",
                column,
                0,
            )
        self.events = events

    def group(self, column: str, spec: str | None) -> None:
        values = self.df[column]
        self.missing(column, "group")
        levels = values.nunique(dropna=True)
        categorical = not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(
            values
        )
        if spec is not None or (not categorical and levels > _MAX_GROUP_LEVELS):
            if spec is None:
                self.add(
                    "info",
                    "continuous_group",
                    f"'{column}' has {levels} different values; "
                    f"group it by quartiles, the median or a cut point (e.g. "
                    f"{column}:quartiles).",
                    column,
                    int(levels),
                )
            return
        usable = self.usable & values.notna().to_numpy()
        subset = values[usable]
        counts = subset.value_counts()
        counts.index = counts.index.map(str)
        small = counts[counts < MIN_GROUP_SIZE]
        if len(counts) > 1 and len(small):
            listed = ", ".join(f"{label} ({n})" for label, n in small.items())
            self.add(
                "warning",
                "small_group",
                f"In '{column}', {len(small)} {_verb(len(small), 'group has', 'groups have')} "
                f"fewer than {MIN_GROUP_SIZE} patients: {listed}. Estimates for "
                f"{_verb(len(small), 'it', 'them')} are imprecise; consider merging groups.",
                column,
                len(small),
            )
        events = self.events
        if events is not None and len(counts) > 1 and np.nansum(events[usable]) > 0:
            per_group = pd.Series(events[usable]).groupby(subset.to_numpy()).sum()
            none = [str(label) for label, n in per_group.items() if n == 0]
            if none:
                self.add(
                    "warning",
                    "group_no_events",
                    f"In '{column}', {_verb(len(none), 'group', 'groups')} {', '.join(none)} "
                    f"{_verb(len(none), 'has', 'have')} no events: the median is not reached "
                    "and the hazard ratio cannot be estimated.",
                    column,
                    len(none),
                )

    def constant(self, column: str, used: bool) -> None:
        if all_same(self.df[column]):  # decided by the first rows when they differ
            values = self.df[column].dropna()
            severity = "warning" if used else "info"
            self.add(
                severity,
                "constant_column",
                f"'{column}' has the same value in every row "
                f"('{values.iloc[0]}'); it cannot separate patients.",
                column,
            )

    def infinite(self, column: str) -> None:
        values = self.df[column]
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            count = int(np.isinf(values.to_numpy(dtype=float, na_value=np.nan)).sum())
            if count:
                self.add(
                    "warning",
                    "infinite_values",
                    f"'{column}' has {count} infinite {_verb(count, 'value', 'values')} "
                    f"('inf'), which cannot be analysed. Replace {_verb(count, 'it', 'them')} "
                    "with the real value or leave the cell empty.",
                    column,
                    count,
                )

    def identifiers(self, id_col: str | None) -> str | None:
        found = self.once(("identifiers",), find_identifier_columns, self.df)
        for column, reason in found.items():
            if reason.startswith(PSEUDONYMOUS):
                self.add(
                    "info",
                    "pseudonymous_id",
                    f"'{column}' looks like a {reason}; fine for analysis (used to find "
                    "repeated patients).",
                    column,
                )
            else:
                self.add(
                    "warning",
                    "identifier",
                    f"'{column}' may identify patients: {reason}. "
                    "Remove it (or replace it by a study code) before sharing data or "
                    "results.",
                    column,
                )
        if id_col is not None:
            return id_col
        return next((c for c, r in found.items() if r.startswith(PSEUDONYMOUS)), None)

    def duplicates(self, column: str, explicit: bool) -> None:
        # the common case: one factorize, no copy, once per table
        if not self.once(("repeated", column), lambda: repeated_count(self.df[column])):
            return
        values = self.df[column].dropna()
        repeated = values[values.duplicated(keep=False)]
        if repeated.empty:
            return
        ids = repeated.astype(str).unique()
        self.add(
            "error" if explicit else "warning",
            "duplicate_id",
            f"{len(ids)} patient {_verb(len(ids), 'ID', 'IDs')} in '{column}' "
            f"{_verb(len(ids), 'appears', 'appear')} more than once (e.g. "
            f"{_examples(ids)}). The analysis assumes one row per patient: remove or merge "
            "the repeated rows.",
            column,
            len(ids),
        )


def _split(df: pd.DataFrame, items: str | Sequence[str], role: str) -> list[tuple[str, str | None]]:
    if isinstance(items, str):
        items = (items,)
    out = []
    for item in items:
        column = _resolve(df, item, role)
        out.append((column, item[len(column) + 1 :] if item != column else None))
    return out


def validate_cohort(
    df: pd.DataFrame,
    *,
    time_col: str | None = None,
    event_col: str | None = None,
    event_value: str | None = None,
    group_cols: str | Sequence[str] = (),
    covariates: str | Sequence[str] = (),
    id_col: str | None = None,
    shared: dict | None = None,
) -> ValidationReport:
    """Check a cohort table for the problems that would make an analysis fail or mislead.

    Parameters
    ----------
    df : pandas.DataFrame
        One row per patient (as :func:`cohort_explorer.io.read_table` returns it).
    time_col, event_col : str, optional
        Follow-up time and event columns.
    event_value : str, optional
        The value marking an event (``--event COL=VALUE``); without it events must be 0/1.
    group_cols, covariates : str or sequence of str
        Columns used for grouping / as Cox covariates. CLI specs (``ikzf1:quartiles``,
        ``age:z``) are accepted; a group with a spec is not checked as categorical.
    id_col : str, optional
        Patient ID column; if omitted, a pseudonymous ID column is looked for.
    shared : dict, optional
        The same (empty at first) dict for each endpoint of one table: the checks of the
        whole table (identifiers, repeated IDs) are computed once.

    Returns
    -------
    ValidationReport
        Issues sorted by severity (errors, warnings, info), then in order of checking.

    Raises
    ------
    ColumnError
        A named column does not exist (the message lists close matches).
    """
    if event_value is not None and event_col is None:
        raise ValueError("event_value needs event_col")
    if not all(isinstance(c, str) for c in df.columns):
        df = df.set_axis([str(c) for c in df.columns], axis=1)
    time = _resolve(df, time_col, "time") if time_col is not None else None
    event = _resolve(df, event_col, "event") if event_col is not None else None
    groups = _split(df, group_cols, "group")
    terms = _split(df, covariates, "covariate")
    identifier = _resolve(df, id_col, "patient ID") if id_col is not None else None
    check = _Checker(df, shared)
    if len(df) == 0:
        check.add("error", "no_rows", "The table has no rows. Upload one row per patient.")
    if time is not None and time == event:
        check.add(
            "error",
            "same_time_event",
            f"'{time}' is chosen as both time and event; "
            "choose the follow-up time and the event indicator.",
            time,
        )
    if time is not None:
        check.time(time)
    if event is not None:
        check.event(event, event_value)
    for column, spec in groups:
        check.group(column, spec)
    for column, _ in terms:
        check.missing(column, "covariate")
    used = {c for c in (time, event) if c} | {c for c, _ in groups} | {c for c, _ in terms}
    for column in map(str, df.columns):
        check.constant(column, column in used)
        if column != time:
            check.infinite(column)
    found_id = check.identifiers(identifier)
    if found_id is not None:
        check.duplicates(found_id, explicit=identifier is not None)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    issues = sorted(check.issues, key=lambda i: order[i.severity])
    return ValidationReport(tuple(issues), int(df.shape[0]), int(df.shape[1]))
