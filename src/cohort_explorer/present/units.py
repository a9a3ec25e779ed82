"""Display time units for tables: follow-up kept in the data's unit, shown in the reader's.

Months = days / 30.4375 and years = days / 365.25 (the factors of
:data:`cohort_explorer.present.labels.DAYS_PER_UNIT`, so "3 years" is 1095.75 days everywhere).
:func:`convert_time` converts numbers and arrays for tables and exports; a landmark is named in
the display unit with :func:`cohort_explorer.present.labels.unit_word` (``3 years``). Missing
values are shown blank by :func:`blank_if_missing` (never ``None``, ``nan`` or ``NA``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cohort_explorer.present.labels import DAYS_PER_UNIT

__all__ = ["convert_time", "blank_if_missing"]


def _unit(unit: str) -> str:
    key = (unit or "").strip().lower()
    key = key if key.endswith("s") else key + "s"
    if key not in DAYS_PER_UNIT:
        raise ValueError(f"unknown time unit {unit!r}; use one of {', '.join(DAYS_PER_UNIT)}")
    return key


def convert_time(value: Any, from_unit: str, to_unit: str) -> Any:
    """``value`` (a number, None, or an array; NaN kept) from one time unit to another."""
    factor = DAYS_PER_UNIT[_unit(from_unit)] / DAYS_PER_UNIT[_unit(to_unit)]
    if value is None:
        return None
    if np.ndim(value):
        return np.asarray(value, dtype=float) * factor
    return float(value) * factor


def blank_if_missing(value: Any, formatter=str) -> str:
    """``formatter(value)``, or ``""`` for None, NaN, inf and pandas' NA (a cell never reads
    ``None``)."""
    if value is None or value is pd.NA:
        return ""
    if isinstance(value, (float, np.floating)) and not math.isfinite(float(value)):
        return ""
    return formatter(value)
