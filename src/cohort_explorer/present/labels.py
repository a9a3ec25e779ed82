"""Words for numbers: display time units, group cut-offs, landmark titles and HR labels.

Everything a figure, table or report needs to say *what* a number is, in one place:

* a display time unit (the data in days, the axes in months or years): :func:`time_scale`;
* a group's cut-offs (``Q1 (≤ 0.643)``) from ``groups[].interval``: :func:`interval_text`;
* an endpoint at a landmark (``PFS at 3 years``): :func:`landmark_title`;
* whether a hazard ratio is unadjusted or adjusted, and for what: :func:`hr_adjustment`.

All functions return plain text; callers escape it for HTML or plotly.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cohort_explorer.present import cutoffs as _cutoffs
from cohort_explorer.present.format import format_time

__all__ = [
    "TIME_UNITS",
    "DAYS_PER_UNIT",
    "time_scale",
    "unit_word",
    "interval_text",
    "group_name",
    "group_names",
    "landmark_title",
    "hr_adjustment",
]

#: Display time units, shortest first.
TIME_UNITS = ("days", "weeks", "months", "years")
#: Length of each unit in days (``docs/methods.md``: a month is 30.4375 days, a year 365.25).
DAYS_PER_UNIT = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}


def time_scale(data_unit: str | None, display_unit: str | None) -> float:
    """Factor turning a time in ``data_unit`` into ``display_unit`` (1 when either is unknown).

    >>> round(time_scale("days", "years") * 1095.75, 6)
    3.0
    """
    if data_unit not in DAYS_PER_UNIT or display_unit not in DAYS_PER_UNIT:
        return 1.0
    return DAYS_PER_UNIT[data_unit] / DAYS_PER_UNIT[display_unit]


def unit_word(value: float, unit: str | None) -> str:
    """``3 years``, ``1 year``, ``18 months``: the unit in the singular for exactly one."""
    if not unit:
        return format_time(value)
    word = unit[:-1] if unit.endswith("s") and float(value) == 1.0 else unit
    return format_time(value, word)


def interval_text(interval: Any, digits: int = 3) -> str:
    """A group's cut-offs (``≤ 0.643``, ``> 0.643 to ≤ 1.12``); empty without an interval.

    The wording is :func:`cohort_explorer.present.cutoffs.interval_text`, the CLI's.
    """
    return "" if interval is None else _cutoffs.interval_text(interval, digits)


def group_names(groups: Sequence[Any], *, with_n: bool = False) -> list[str]:
    """Every group's label with its cut-offs (``Q1 (≤ 0.643)``, ``Q4 (> 1.94)``), the digits
    chosen once so that neighbouring cut-offs differ (:func:`cutoffs.group_labels`), and
    ``, n = 15`` with ``with_n``."""
    names = _cutoffs.group_labels(list(groups))
    if with_n:
        names = [f"{name}, n = {int(g.n)}" for name, g in zip(names, groups, strict=True)]
    return names


def group_name(group: Any, *, with_n: bool = False) -> str:
    """One group's label with its cut-offs (see :func:`group_names` for a whole grouping)."""
    return group_names([group], with_n=with_n)[0]


def landmark_title(time: float, *, endpoint: str | None = None, time_unit: str | None = None,
                   scale: float = 1.0) -> str:
    """``PFS at 3 years`` (``Survival at 36 months`` without an endpoint name)."""
    return f"{endpoint or 'Survival'} at {unit_word(float(time) * scale, time_unit)}"


def hr_adjustment(cox: Any, spec: Any = None, *, group_column: str | None = None) -> str:
    """``unadjusted`` or ``adjusted for age, sex`` for the hazard ratios of ``cox``.

    The engine's ``cox.adjusted_for`` (the covariate terms as given) is used when present;
    otherwise the analysis spec's ``covariates``. The grouping itself is never listed.
    """
    terms = getattr(cox, "adjusted_for", None)
    if terms is None:
        terms = getattr(spec, "covariates", ()) if spec is not None else ()
    names = []
    for term in terms or ():
        column = str(term).split(":")[0]
        if column and column != group_column and column not in names:
            names.append(column)
    return "adjusted for " + ", ".join(names) if names else "unadjusted"
