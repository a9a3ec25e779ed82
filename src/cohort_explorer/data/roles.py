"""Column roles by name and values: endpoints (time + event pairs), units, groups, biomarkers.

The user confirms the suggestions in the app; nothing here changes data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.data.coding import (
    EVENT_WORDS,
    N_LABEL,
    coerce_time,
    display_value,
    is_n_label_column,
    normalise_value,
    normalised_values,
)
from cohort_explorer.data.identifiers import find_identifier_columns
from cohort_explorer.errors import Notice
from cohort_explorer.thresholds import FEW_LEVELS_MAX

#: ``_distinct`` counts exactly up to this many values (above every threshold it is compared
#: with: 2, 12, FEW_LEVELS_MAX), looking first at the first ``HEAD_ROWS`` rows.
DISTINCT_CAP = max(12, FEW_LEVELS_MAX)
HEAD_ROWS = 5000

__all__ = ["Endpoint", "RoleSuggestion", "suggest_roles"]

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
    "weeks": "weeks",
    "week": "weeks",
    "wks": "weeks",
    "wk": "weeks",
    # German
    "monate": "months",
    "monat": "months",
    "mon": "months",
    "jahre": "years",
    "jahr": "years",
    "tage": "days",
    "tag": "days",
    "wochen": "weeks",
}
_TIME_LONG = "months|month|days|time|years|yrs|mths"
_TIME_SHORT = "mos|mo|mth|day|d|year|yr|y|t|dur|duration|weeks|wks|wk|monate|monat|jahre|jahr|tage|tag|wochen"
_EVENT_LONG = "events|event|status|stat|censored|censor|cens"
_EVENT_SHORT = "evt|ev|e|ind|indicator|flag|dead|death"


def _split_suffix(name: str, long_words: str, short_words: str) -> tuple[str, str] | None:
    """``(prefix, suffix)`` of a name ending in a long word (``pfs_months``, ``ostime``) or in
    separators and a short word (``os_t``, ``pfs.mo``); the shortest prefix wins. Case is
    ignored. Linear in the name's length (a regular expression here backtracked cubically)."""
    lower = name.lower()
    best: tuple[int, str] | None = None
    for word in long_words.split("|"):
        if lower.endswith(word):
            candidate = (len(name) - len(word), word)
            best = candidate if best is None or candidate[0] < best[0] else best
    for word in short_words.split("|"):
        if not lower.endswith(word):
            continue
        end = start = len(name) - len(word)
        while start > 0 and (name[start - 1].isspace() or name[start - 1] in "._-"):
            start -= 1
        if start < end and (best is None or start < best[0]):
            best = (start, word)
    if best is None or len(lower) != len(name):
        return None
    return name[: best[0]], best[1]

_NOT_DURATIONS = re.compile(r"^(age|birth|dob|diagnosis|dx|calendar|enrol|enroll|study)(_|$)")
#: Endpoint phrases (as prefix keys) and the endpoint they name; "" = generic survival.
_ENDPOINT_PHRASES = {
    "overall_survival": "os",
    "overall": "os",
    "progression_free_survival": "pfs",
    "progression_free": "pfs",
    "progress_free_survival": "pfs",
    "progress_free": "pfs",
    "disease_free_survival": "dfs",
    "disease_free": "dfs",
    "disease_specific_survival": "dss",
    "disease_specific": "dss",
    "event_free_survival": "efs",
    "event_free": "efs",
    "relapse_free_survival": "rfs",
    "relapse_free": "rfs",
    "recurrence_free_survival": "rfs",
    "recurrence_free": "rfs",
    "time_to_progression": "ttp",
    "vital": "",
    "survival_status": "",
    "gesamtüberleben": "os",
    "überleben": "",
    "überlebenszeit": "",
    "nachbeobachtung": "",
    "follow_up_time": "",
}
#: Event column names without a time suffix: "Vital status", "dead/alive", "Progressed/died".
_EVENT_NAMES = {
    "vital_status": "",
    "vitalstatus": "",
    "vital": "",
    "dead_alive": "",
    "alive_dead": "",
    "dead_or_alive": "",
    "alive_or_dead": "",
    "death": "",
    "dead": "",
    "died": "",
    "deceased": "",
    "verstorben": "",
    "tod": "",
    "progressed_died": "pfs",
    "progressed_or_died": "pfs",
    "progression_death": "pfs",
    "progression_or_death": "pfs",
    "died_progressed": "pfs",
    "relapsed_died": "rfs",
    "relapse_or_death": "rfs",
}
#: Readable names of endpoint prefixes that are not abbreviations to upper-case.
_ENDPOINT_NAMES = {"p": "Progression"}
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
    #: Without an endpoint: columns that could be the time / the event (best first), and a
    #: ``no_endpoint_found`` notice. Nothing is pre-filled: the user chooses.
    time_candidates: tuple[str, ...] = ()
    event_candidates: tuple[str, ...] = ()
    notices: tuple[Notice, ...] = ()


def parse_time_name(name: str) -> tuple[str, str | None] | None:
    """``(endpoint prefix, unit)`` of a follow-up time column's name, or None.

    ``pfs_months`` -> ``("pfs", "months")``; ``Overall Survival (Months)`` -> ``("os",
    "months")``; ``PFS (days from dx)`` -> ``("pfs", "days")``; ``OS_Monate`` -> ``("os",
    "months")``. Ages and calendar years (``age_years``, ``diagnosis_year``) are not times; a
    long suffix glued to an unknown word (``protime``) is not one either.
    """
    bracketed = _bracketed(name.strip())
    if bracketed is not None:
        outer, inner_text = bracketed
        words = re.split(r"[^\wäöü]+", inner_text.strip().lower())
        unit = _UNIT_WORDS.get(words[0]) if words else None
        prefix = _prefix_key(outer)
        if unit is None or not prefix or _NOT_DURATIONS.match(prefix):
            return None  # "(mg/dl)", "(s)": a measurement, not a follow-up time
        inner = parse_time_name(outer)  # "Survival time (months)"
        return (inner[0] if inner is not None else _endpoint_key(prefix)), unit
    split = _split_suffix(name.strip(), _TIME_LONG, _TIME_SHORT)
    if split is None:
        return None
    prefix, suffix = _prefix_key(split[0]), split[1]
    if _NOT_DURATIONS.match(prefix):  # age_years, birth_year, diagnosis_year: not follow-up
        return None
    raw = name.strip()
    if not _glued_prefix_ok(split[0], raw[len(split[0]):]):
        return None
    return _endpoint_key(prefix), _UNIT_WORDS.get(suffix)


def _bracketed(name: str) -> tuple[str, str] | None:
    """``("Overall Survival", "Months")`` for ``Overall Survival (Months)``, else None (linear)."""
    if not name.endswith((")", "]")):
        return None
    opening = max(name.rfind("("), name.rfind("["))
    if opening < 0:
        return None
    return name[:opening].rstrip(), name[opening + 1:-1]


def _glued_prefix_ok(raw_prefix: str, raw_suffix: str) -> bool:
    """``futime``, ``ostime``, ``ptime``, ``RelapseTime``: yes; ``protime``, ``lifetime``: no.

    A long suffix glued to its prefix (no separator, no camel-case boundary) counts only
    after a known endpoint, a generic follow-up word or one or two letters.
    """
    if not raw_prefix or raw_prefix[-1] in " ._-/":
        return True
    if raw_prefix[-1].islower() and raw_suffix[:1].isupper():
        return True
    key = _prefix_key(raw_prefix)
    return len(key) <= 2 or key in _KNOWN_ENDPOINTS or key in _GENERIC_PREFIXES


def _endpoint_key(prefix: str) -> str:
    """``overall_survival`` -> ``os``; ``vital`` -> "" (generic); others unchanged."""
    return _ENDPOINT_PHRASES.get(prefix, prefix)


def _parse_event_name(name: str) -> tuple[str, bool] | None:
    key = _prefix_key(name.strip())
    if key in _EVENT_NAMES:
        return _EVENT_NAMES[key], False
    split = _split_suffix(name.strip(), _EVENT_LONG, _EVENT_SHORT)
    if split is None:
        return None
    return _endpoint_key(_prefix_key(split[0])), split[1].startswith("cens")


def _prefix_key(prefix: str) -> str:
    return re.sub(r"[\s._/-]+", "_", prefix.lower()).strip("_")


def _endpoint_name(prefix: str, time_col: str) -> str:
    if prefix in _GENERIC_PREFIXES:
        return "Survival"
    if prefix in _KNOWN_ENDPOINTS:
        return prefix.upper()
    if prefix in _ENDPOINT_NAMES:
        return _ENDPOINT_NAMES[prefix]
    split = _split_suffix(time_col.strip(), _TIME_LONG, _TIME_SHORT)
    return (split[0] if split else prefix).strip(" ._-") or "Survival"


def _suggest_event_value(values: pd.Series, censor_flag: bool) -> str | None:
    """The value marking an event, when the column is not plainly 0/1 = censored/event."""
    present = [v for v in pd.unique(normalised_values(values)) if v is not None]
    if any(N_LABEL.match(v) for v in present):
        return None  # N:LABEL statuses code themselves; mixed with other values they are an error
    if not present or set(present) <= {"0", "1"}:
        return "0" if censor_flag and present else None
    if set(present) == {"1", "2"}:
        return "2"  # R's Surv(): 1 = censored, 2 = event
    for word in EVENT_WORDS:
        if word in present:
            return next(display_value(v) for v in pd.unique(values.dropna()) if normalise_value(v) == word)
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
        time = parse_time_name(name)
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
    if not (len(generic_times) == 1 and generic_events):
        # "Vital status" / "dead/alive" beside an OS time without its own event: overall survival
        generic_times = [t for t in times if t[0] not in used_times and t[1] == "os"][:1]
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
    """Distinct non-missing values, counted exactly up to ``DISTINCT_CAP``; a column with more
    among its first rows answers ``DISTINCT_CAP + 1`` without hashing every row (the callers
    only ask whether the count is within 2, 12 or ``FEW_LEVELS_MAX``)."""
    if len(values) > 2 * HEAD_ROWS and values.iloc[:HEAD_ROWS].nunique(dropna=True) > DISTINCT_CAP:
        return DISTINCT_CAP + 1
    return int(values.nunique(dropna=True))


def _is_group(values: pd.Series) -> bool:
    """Text with 2-12 levels; numbers with 2-FEW_LEVELS_MAX levels (ECOG 0-4, edema 0/0.5/1)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    if pd.api.types.is_numeric_dtype(values):
        return 2 <= _distinct(values.dropna()) <= FEW_LEVELS_MAX
    if pd.api.types.is_datetime64_any_dtype(values):
        return False
    return 2 <= _distinct(values) <= 12


def _is_biomarker(values: pd.Series) -> bool:
    """Numbers with more than FEW_LEVELS_MAX distinct values (fewer are offered as groups)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return False
    return _distinct(values.dropna()) > FEW_LEVELS_MAX


def _could_be_time(values: pd.Series) -> bool:
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return False
    present = values.dropna()
    return len(present) > 0 and bool((present >= 0).all()) and _distinct(present) > FEW_LEVELS_MAX


def _could_be_event(values: pd.Series) -> bool:
    present = values.dropna()
    return 1 <= _distinct(present) <= 2 or is_n_label_column(values)


def _no_endpoint(df: pd.DataFrame, times: list, events: list, excluded: set[str]):
    """Columns that could be the time and the event, and the ``no_endpoint_found`` notice."""
    named_times = [t[0] for t in times]
    named_events = [e[0] for e in events]
    columns = [str(c) for c in df.columns if str(c) not in excluded]
    time_candidates = named_times + [c for c in columns
                                     if c not in named_times and c not in named_events
                                     and _could_be_time(df[c])]
    event_candidates = named_events + [c for c in columns
                                       if c not in named_events and c not in named_times
                                       and _could_be_event(df[c])]
    notice = Notice(
        "No endpoint found: no pair of follow-up time and event columns was recognised by "
        "name. Choose the time column and the event column.",
        "no_endpoint_found",
        {"time_candidates": time_candidates[:10], "event_candidates": event_candidates[:10]},
        severity="info")
    return tuple(time_candidates), tuple(event_candidates), (notice,)


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
        of the times > 400 suggests days, > 25 months), grouping candidates (text with 2-12
        levels, numbers with 2-5 levels such as ECOG or edema 0/0.5/1, booleans), biomarker
        candidates (numbers with more levels) and identifier columns (see
        :func:`cohort_explorer.data.identifiers.find_identifier_columns`; never a time or
        event column). Times, events, outcome codes (``*_cause``) and identifiers are never
        offered as groups or biomarkers. Without an endpoint nothing is guessed from column
        positions: ``time_candidates`` / ``event_candidates`` and a ``no_endpoint_found``
        notice let the app ask.
    """

    df = _with_text_names(df)
    times, events = _name_roles(df)
    endpoints = _pair_endpoints(df, times, events)
    time_unit = None
    if endpoints:
        first = endpoints[0].time_col
        time_unit = next((t[2] for t in times if t[0] == first), None)
        time_unit = time_unit or _unit_from_values(df[first])
    outcome = {t[0] for t in times} | {e[0] for e in events}
    # A column recognised as a time or an event is never an identifier.
    identifiers = tuple(c for c in find_identifier_columns(df) if c not in outcome)
    candidates: tuple = ((), (), ())
    if not endpoints:
        candidates = _no_endpoint(df, times, events, set(identifiers))
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
        time_candidates=candidates[0],
        event_candidates=candidates[1],
        notices=candidates[2],
    )
