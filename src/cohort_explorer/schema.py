"""Column roles: which columns are follow-up times, events, groups, biomarkers and identifiers.

:func:`suggest_roles` guesses the roles from names and values (the user confirms them in the
app); :func:`coerce_time` and :func:`coerce_event` turn a time or event column into numbers and
count, by reason, the rows that cannot be used (``statistics.md``: "Analysis set", "Event
coding").
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError

__all__ = [
    "Endpoint",
    "RoleSuggestion",
    "TIME_REASONS",
    "suggest_roles",
    "coerce_time",
    "coerce_event",
]

#: Keys of the reasons returned by :func:`coerce_time`, always all present.
TIME_REASONS = ("missing time", "non-numeric time", "negative time", "infinite time")

_MISSING_TEXT = frozenset(
    {"", "na", "n/a", "n.a.", "nan", "null", "none", ".", "?", "#n/a", "#nv", "<na>", "missing"}
)
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d+,\d*|,\d+)$")
_TRUE_WORDS = {"true": "1", "false": "0", "t": "1", "f": "0"}
_MAX_LISTED = 6

# Role detection by name. Long suffixes may follow the prefix directly ("futime", "ostime",
# "fustat"); short ones need a separator ("os_t", "os_mo").
_UNIT_WORDS = {
    "months": "months",
    "month": "months",
    "mos": "months",
    "mo": "months",
    "mths": "months",
    "mth": "months",
    "days": "days",
    "day": "days",
    "d": "days",
    "years": "years",
    "year": "years",
    "yrs": "years",
    "yr": "years",
    "y": "years",
}
_TIME_LONG = "months|month|days|time|years|yrs|mths"
_TIME_SHORT = "mos|mo|mth|day|d|year|yr|y|t|dur|duration|weeks|wks|wk"
_EVENT_LONG = "events|event|status|stat|censored|censor|cens"
_EVENT_SHORT = "evt|ev|e|ind|indicator|flag|dead|death"
_TIME_RE = re.compile(
    rf"^(?P<prefix>.*?)(?:(?P<long>{_TIME_LONG})|[\s._-]+(?P<short>{_TIME_SHORT}))$", re.I
)
_EVENT_RE = re.compile(
    rf"^(?P<prefix>.*?)(?:(?P<long>{_EVENT_LONG})|[\s._-]+(?P<short>{_EVENT_SHORT}))$", re.I
)
_NOT_DURATIONS = re.compile(r"^(age|birth|dob|diagnosis|dx|calendar|enrol|enroll|study)(_|$)")
_BARE_EVENTS = {"death", "dead", "died", "deceased", "vital_status", "vitalstatus", "vital"}
_GENERIC_PREFIXES = {"", "fu", "surv", "survival", "follow_up", "followup", "follow"}
_KNOWN_ENDPOINTS = {
    "os",
    "pfs",
    "efs",
    "dfs",
    "rfs",
    "ttp",
    "dss",
    "css",
    "mfs",
    "lfs",
    "ttf",
    "tts",
    "ttnt",
    "dor",
    "ffs",
    "ffp",
    "lrfs",
    "dmfs",
    "bcss",
    "crr",
    "nrm",
}
_EVENT_WORDS = (
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
_EXCLUDED_FROM_GROUPS = re.compile(r"cause|status|event|censor", re.I)


@dataclass(frozen=True)
class Endpoint(Result):
    """A time-to-event endpoint: its name (``"PFS"``), time column and event column.

    ``event_value`` is the value marking an event when the event column is not 0/1 (for
    example ``"2"`` for R's 1/2 coding, ``"0"`` for a column of censoring flags).
    """

    name: str
    time_col: str
    event_col: str
    event_value: str | None


@dataclass(frozen=True)
class RoleSuggestion(Result):
    """Suggested column roles; the user confirms or changes them."""

    endpoints: tuple[Endpoint, ...]
    time_unit: str | None
    group_candidates: tuple[str, ...]
    biomarker_candidates: tuple[str, ...]
    identifier_columns: tuple[str, ...]


def _normalise(value) -> str | None:
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
        return _normalise(float(number))
    return lower


def _normalised_values(values: pd.Series) -> np.ndarray:
    """Object array of normalised strings (None for missing), computed once per distinct value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = np.array([_normalise(u) for u in uniques] + [None], dtype=object)
    return table[codes]  # code -1 (missing) picks the final None


def _display(value) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _sort_key(text: str) -> tuple:
    number = pd.to_numeric(text, errors="coerce")
    return (0, float(number), "") if pd.notna(number) else (1, 0.0, text)


def _likely_event_value(shown: list[str]) -> str:
    lowered = {s.lower(): s for s in shown}
    for word in _EVENT_WORDS:
        if word in lowered:
            return lowered[word]
    numbers = [s for s in shown if _sort_key(s)[0] == 0]
    if numbers:
        return max(numbers, key=lambda s: _sort_key(s)[1])
    return shown[-1]


def _event_coding_error(values: pd.Series, column: str) -> ColumnError:
    present = values.dropna()
    shown = sorted({_display(v) for v in pd.unique(present.to_numpy(dtype=object))}, key=_sort_key)
    shown = [s for s in shown if s.lower() not in _MISSING_TEXT]
    if len(shown) > 2 * _MAX_LISTED and len(shown) > 0.5 * len(present):
        # Nearly one value per row (IDs, names, measurements): never echo them.
        return ColumnError(
            f"Event column '{column}' has a different value in almost every row "
            f"({len(shown)} different values), so it is not an event flag. Choose the column "
            "that records whether the event happened (0/1, true/false, or "
            f"--event {shlex.quote('COLUMN=VALUE')})."
        )
    listed = ", ".join(shown[:_MAX_LISTED])
    if len(shown) > _MAX_LISTED:
        listed += f", ... ({len(shown)} different values)"
    example = shlex.quote(f"{column}={_likely_event_value(shown)}")
    return ColumnError(
        f"Event column '{column}' has values {listed}; expected 0/1 or true/false. "
        f"Use --event {shlex.quote(column + '=VALUE')} to say which value is the event "
        f"(e.g. --event {example})."
    )


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
        Without it the column must hold 0/1 or true/false (also ``"0.0"``/``"1.0"``).
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
        Without ``event_value``, when any value is not 0/1 or true/false; the message lists
        the values found and suggests ``--event COL=VALUE``.
    """
    normalised = _normalised_values(values)
    missing = np.array([v is None for v in normalised], dtype=bool)
    if event_value is None:
        bad = ~missing & ~pd.Series(normalised).isin(["0", "1"]).to_numpy()
        if bad.any():
            raise _event_coding_error(values, column)
        events = np.where(normalised == "1", 1.0, 0.0)
    else:
        wanted = _normalise(event_value)
        events = np.where(normalised == wanted, 1.0, 0.0)
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
    raw, masks = _time_masks(values)
    times = raw.copy()
    for mask in masks.values():
        times[mask] = np.nan
    return times, {reason: int(mask.sum()) for reason, mask in masks.items()}


def _time_masks(values: pd.Series) -> tuple[np.ndarray, dict[str, np.ndarray]]:
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


def _parse_time_name(name: str) -> tuple[str, str | None] | None:
    match = _TIME_RE.match(name.strip())
    if not match:
        return None
    suffix = (match.group("long") or match.group("short")).lower()
    prefix = _prefix_key(match.group("prefix"))
    if _NOT_DURATIONS.match(prefix):  # age_years, birth_year, diagnosis_year: not follow-up
        return None
    return prefix, _UNIT_WORDS.get(suffix)


def _parse_event_name(name: str) -> tuple[str, bool] | None:
    lower = name.strip().lower()
    if lower in _BARE_EVENTS:
        return "", False
    match = _EVENT_RE.match(name.strip())
    if not match:
        return None
    suffix = (match.group("long") or match.group("short")).lower()
    return _prefix_key(match.group("prefix")), suffix.startswith("cens")


def _prefix_key(prefix: str) -> str:
    return re.sub(r"[\s._-]+", "_", prefix.lower()).strip("_")


def _endpoint_name(prefix: str, time_col: str) -> str:
    if prefix in _GENERIC_PREFIXES:
        return "Survival"
    if prefix in _KNOWN_ENDPOINTS:
        return prefix.upper()
    match = _TIME_RE.match(time_col.strip())
    return (match.group("prefix") if match else prefix).strip(" ._-") or "Survival"


def _suggest_event_value(values: pd.Series, censor_flag: bool) -> str | None:
    """The value marking an event, when the column is not plainly 0/1 = censored/event."""
    present = [v for v in pd.unique(_normalised_values(values)) if v is not None]
    if not present or set(present) <= {"0", "1"}:
        return "0" if censor_flag and present else None
    if set(present) == {"1", "2"}:
        return "2"  # R's Surv(): 1 = censored, 2 = event
    for word in _EVENT_WORDS:
        if word in present:
            return next(_display(v) for v in pd.unique(values.dropna()) if _normalise(v) == word)
    return None


def _name_roles(df: pd.DataFrame):
    times, events = [], []
    for column in df.columns:
        name = str(column)
        if df[column].isna().all():
            continue
        event = _parse_event_name(name)
        if event is not None:
            events.append((name, *event))
            continue
        time = _parse_time_name(name)
        if time is not None:
            times.append((name, *time))
    return times, events


def _pair_endpoints(df: pd.DataFrame, times: list, events: list) -> list[Endpoint]:
    endpoints: list[Endpoint] = []
    used_times: set[str] = set()
    leftover = []
    for event_col, prefix, censor_flag in events:
        time = next((t for t in times if t[1] == prefix and t[0] not in used_times), None)
        if time is None:
            leftover.append((event_col, prefix, censor_flag))
            continue
        used_times.add(time[0])
        value = _suggest_event_value(df[event_col], censor_flag)
        endpoints.append(Endpoint(_endpoint_name(prefix, time[0]), time[0], event_col, value))
    generic_times = [t for t in times if t[0] not in used_times and t[1] in _GENERIC_PREFIXES]
    generic_events = [e for e in leftover if e[1] in _GENERIC_PREFIXES]
    if len(generic_times) == 1 and generic_events:
        time_col, prefix = generic_times[0][0], generic_times[0][1]
        event_col, _, censor_flag = generic_events[0]
        value = _suggest_event_value(df[event_col], censor_flag)
        endpoints.append(Endpoint(_endpoint_name(prefix, time_col), time_col, event_col, value))
    return endpoints


def _unit_from_values(values: pd.Series) -> str | None:
    times, _ = coerce_time(values)
    if np.isnan(times).all():
        return None
    high = np.nanpercentile(times, 99)  # robust to a single outlier in a big cohort
    if high > 400:
        return "days"
    if high > 25:
        return "months"
    return None


def _distinct(values: pd.Series) -> int:
    return int(values.nunique(dropna=True))


def _is_group(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        present = values.dropna()
        whole = bool(np.all(np.mod(present.to_numpy(dtype=float), 1) == 0))
        return whole and 2 <= _distinct(present) <= 5
    if pd.api.types.is_datetime64_any_dtype(values):
        return False
    return 2 <= _distinct(values) <= 12


def _is_biomarker(values: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    present = values.dropna()
    return _distinct(present) > 5 or (
        _distinct(present) > 2 and not np.all(np.mod(present.to_numpy(dtype=float), 1) == 0)
    )


def _with_text_names(df: pd.DataFrame) -> pd.DataFrame:
    if all(isinstance(c, str) for c in df.columns):
        return df
    return df.set_axis([str(c) for c in df.columns], axis=1)


def suggest_roles(df: pd.DataFrame) -> RoleSuggestion:
    """Guess the role of every column from its name and values.

    Endpoints pair a time column with an event column of the same prefix (``pfs_months`` with
    ``pfs_event``, ``os.time`` with ``os.status``, ``ptime`` with ``pstat``); a generic time
    column (``time``, ``futime``) pairs with a generic event column (``status``, ``fustat``,
    ``death``). 1/2 event coding gets ``event_value="2"`` (R's convention), a censoring flag
    (``*_cens``) ``"0"``, words such as ``dead``/``yes`` themselves.

    Parameters
    ----------
    df : pandas.DataFrame

    Returns
    -------
    RoleSuggestion
        Endpoints, the time unit guessed from the names (else the values: a 99th percentile
        of the times > 400 suggests days, > 25 months), grouping candidates (text with 2-12 levels, whole numbers
        with 2-5 levels, booleans), biomarker candidates (other numeric columns) and
        identifier columns (see :func:`cohort_explorer.validate.find_identifier_columns`).
        Times, events, outcome codes (``*_cause``) and identifiers are never offered as groups
        or biomarkers.
    """
    from cohort_explorer.validate import find_identifier_columns  # validate imports schema

    df = _with_text_names(df)
    times, events = _name_roles(df)
    endpoints = _pair_endpoints(df, times, events)
    time_unit = None
    if endpoints:
        first = endpoints[0].time_col
        time_unit = next((t[2] for t in times if t[0] == first), None)
        time_unit = time_unit or _unit_from_values(df[first])
    identifiers = tuple(find_identifier_columns(df))
    outcome = {t[0] for t in times} | {e[0] for e in events}
    others = [
        str(c)
        for c in df.columns
        if str(c) not in outcome
        and str(c) not in identifiers
        and not _EXCLUDED_FROM_GROUPS.search(str(c))
    ]
    return RoleSuggestion(
        endpoints=tuple(endpoints),
        time_unit=time_unit,
        group_candidates=tuple(c for c in others if _is_group(df[c])),
        biomarker_candidates=tuple(c for c in others if _is_biomarker(df[c])),
        identifier_columns=identifiers,
    )
