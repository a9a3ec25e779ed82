"""Group names with their cut-offs for text and tables, and what each Cox term is adjusted for.

``group_labels(result.groups, "IKZF1")`` gives ``IKZF1 Q1 (≤ 0.643)``, ``IKZF1 Q2 (> 0.643 to
≤ 1.12)``, ..., ``IKZF1 Q4 (> 1.94)``: cut points with the fewest significant digits (at least
3) that keep every break of the grouping distinct. ``term_adjustment`` says what one hazard
ratio of a Cox model is adjusted for. (Figures use :mod:`cohort_explorer.present.labels`.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["cut_digits", "format_cut", "interval_text", "group_label", "group_labels",
           "term_adjustment"]


def _value(interval: Any, key: str):
    return interval.get(key) if isinstance(interval, dict) else getattr(interval, key)


def format_cut(value: float, digits: int = 3) -> str:
    """A cut point with ``digits`` significant digits, never in scientific notation.

    Whole parts keep all their digits (``1095.75`` -> ``1096``); ``0.64275`` -> ``0.643``;
    trailing zeros are dropped (``62.0`` -> ``62``).
    """
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, digits - 1 - magnitude)
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def cut_digits(values: Iterable[float], start: int = 3, most: int = 10) -> int:
    """The fewest significant digits (>= ``start``) that show distinct ``values`` as distinct."""
    values = sorted({float(v) for v in values if v is not None})
    for digits in range(start, most + 1):
        shown = {format_cut(v, digits) for v in values}
        if len(shown) == len(values):
            return digits
    return most


def interval_text(interval: Any, digits: int = 3) -> str:
    """``≤ 0.643`` (lowest group, or open below), ``> 0.643 to ≤ 1.12``, ``> 1.94``.

    The lowest quantile group's lower bound is the minimum (closed) and is not shown.
    """
    lower, upper = _value(interval, "lower"), _value(interval, "upper")
    lower_closed = _value(interval, "lower_closed")
    upper_closed = _value(interval, "upper_closed")
    lo = None if lower is None or lower_closed else f"> {format_cut(lower, digits)}"
    if upper is None:
        up = None
    else:
        up = f"{'≤' if upper_closed else '<'} {format_cut(upper, digits)}"
    if lo and up:
        return f"{lo} to {up}"
    return lo or up or "all values"


def group_label(label: str, interval: Any = None, column: str | None = None,
                digits: int = 3, *, top: bool = False) -> str:
    """A group's name with its cut-offs: ``IKZF1 Q1 (≤ 0.643)``; ``age ≤ 62`` for cut groups.

    Parameters
    ----------
    label : str
        The engine's group label (``Q1``, ``Low``, ``<=62``, ``standard``).
    interval : GroupInterval or dict, optional
        ``groups[].interval``; without it the label is returned (after the column name).
    column : str, optional
        The grouping column's display name.
    digits : int
        Significant digits of the cut points (see :func:`cut_digits`).
    top : bool
        The group is the highest of a quantile grouping: its upper bound (the maximum) is not
        shown (``Q4 (> 1.94)``).
    """
    prefix = f"{column} " if column else ""
    if interval is None:
        return f"{prefix}{label}"
    lower, upper = _value(interval, "lower"), _value(interval, "upper")
    if lower is None or upper is None or label.startswith(("<=", ">", "(")):
        return f"{prefix}{interval_text(interval, digits)}"  # a cut group: the interval is the label
    text = f"> {format_cut(lower, digits)}" if top else interval_text(interval, digits)
    return f"{prefix}{label} ({text})"


def group_labels(groups: Sequence[Any], column: str | None = None) -> list[str]:
    """:func:`group_label` of every group of a result (objects or ``to_dict()`` dicts).

    Digits are chosen once for the grouping so that neighbouring cut-offs differ; the highest
    quantile group is shown as ``> q``.
    """
    intervals = [_value(g, "interval") if not isinstance(g, dict) else g.get("interval")
                 for g in groups]
    bounds = [b for i in intervals if i is not None
              for b in (_value(i, "lower"), _value(i, "upper"))]
    digits = cut_digits(bounds)
    quantile_like = bool(bounds) and None not in bounds
    highest = max((i for i in intervals if i is not None), key=lambda i: _value(i, "upper"),
                  default=None) if quantile_like else None
    out = []
    for g, interval in zip(groups, intervals, strict=True):
        label = g["label"] if isinstance(g, dict) else g.label
        top = interval is not None and interval is highest and len(bounds) > 2
        out.append(group_label(label, interval, column, digits, top=top))
    return out


def _covariate_column(term_spec: str) -> str:
    return term_spec.split(":")[0]


def _belongs_to(term: str, column: str) -> bool:
    return term in (column, f"log2({column})", f"z({column})") or term.startswith(f"{column}=")


def term_adjustment(term: str, group_column: str | None, adjusted_for: Sequence[str]) -> str:
    """What one Cox term's HR is adjusted for: ``unadjusted`` or ``adjusted for age, sex``.

    The grouping's terms are adjusted for the covariates; a covariate's term for the grouping
    column and the other covariates.
    """
    columns = [_covariate_column(t) for t in adjusted_for]
    model = ([group_column] if group_column else []) + columns
    own = next((c for c in model if _belongs_to(term, c)), None)
    others = [c for c in model if c != own]
    return f"adjusted for {', '.join(others)}" if others else "unadjusted"
