"""Limits that keep one upload or one request from exhausting the server (issue 9).

Each limit has a default and an environment variable the server's administrator may set
(read when the limit is checked, so a restart is not needed in tests; the app reads them at
start-up through the same functions):

=====================================  =====================================  ============
setting                                what it limits                         default
=====================================  =====================================  ============
``COHORT_EXPLORER_MAX_LEVELS``         levels of a grouping, a categorical    200
                                       covariate or a Table 1 category
``COHORT_EXPLORER_MAX_UNZIPPED_MB``    uncompressed content of an XLSX         500
                                       workbook (MB)
``COHORT_EXPLORER_MAX_CELLS``          cells (rows × columns) of a table      100000000
``COHORT_EXPLORER_MAX_CELL_CHARS``     characters in one cell                 100000
=====================================  =====================================  ============

A 1,000,000-row × 50-column cohort (5·10⁷ cells, about 400 MB as XLSX content) is within every
default. A value of ``0`` (or ``none``) turns a limit off.
"""

from __future__ import annotations

import os

from cohort_explorer.errors import LimitError

__all__ = [
    "LIMITS",
    "Limit",
    "check_cell_chars",
    "check_cells",
    "check_levels",
    "check_unzipped",
    "limit",
]


class Limit:
    """One limit: its setting (environment variable), default, unit and what it counts."""

    def __init__(self, setting: str, default: float, what: str, unit: str = "", scale: int = 1):
        self.setting, self.default, self.what, self.unit, self.scale = (
            setting, default, what, unit, scale)

    def value(self) -> int | None:
        """The limit in counted units (bytes for sizes), or None when turned off."""
        raw = os.environ.get(self.setting, "").strip()
        if not raw:
            return int(self.default * self.scale)
        if raw.lower() in ("0", "none", "off"):
            return None
        try:
            number = float(raw)
        except ValueError:
            return int(self.default * self.scale)  # a typo never removes the protection
        return int(number * self.scale) if number > 0 else None

    def shown(self, value: int | None = None) -> str:
        value = self.value() if value is None else value
        return f"{value / self.scale:,.0f}{self.unit}"


_MB = 1024 * 1024
LIMITS = {
    "levels": Limit("COHORT_EXPLORER_MAX_LEVELS", 200, "levels"),
    "unzipped": Limit("COHORT_EXPLORER_MAX_UNZIPPED_MB", 500, "uncompressed workbook content",
                      " MB", _MB),
    "cells": Limit("COHORT_EXPLORER_MAX_CELLS", 100_000_000, "cells"),
    "cell_chars": Limit("COHORT_EXPLORER_MAX_CELL_CHARS", 100_000, "characters in one cell"),
}


def limit(name: str) -> int | None:
    """The current value of limit ``name`` (see :data:`LIMITS`), None when turned off."""
    return LIMITS[name].value()


def _refuse(name: str, message: str, value: int) -> LimitError:
    entry = LIMITS[name]
    return LimitError(
        f"{message} The server's limit is {entry.shown()} {entry.what} (setting "
        f"{entry.setting}, changed by the administrator).",
        code=f"limit_{name}", limit=entry.value(), value=value, setting=entry.setting)


GROUP_ADVICE = "Group it with a rule such as :quartiles or :cut=, or merge rare levels."


def check_levels(count: int, what: str, advice: str = GROUP_ADVICE) -> None:
    """Refuse a grouping / categorical term with more levels than the limit.

    Parameters
    ----------
    count : int
        Number of distinct levels.
    what : str
        What has them, for the message (e.g. ``"grouping column 'site'"``).
    advice : str
        What to do instead (default: group it with a rule).
    """
    cap = limit("levels")
    if cap is not None and count > cap:
        raise _refuse("levels", f"{what[:1].upper()}{what[1:]} has {count:,} levels, too many "
                      "to compare (a category with that many values is usually an ID or a "
                      f"measurement). {advice}", count)


def check_unzipped(size: int, label: str) -> None:
    """Refuse a workbook whose uncompressed content exceeds the limit (a zip bomb)."""
    cap = limit("unzipped")
    if cap is not None and size > cap:
        raise _refuse("unzipped", f"{label} unpacks to {size / _MB:,.0f} MB of workbook content.",
                      size)


def check_cells(rows: int, columns: int, label: str) -> None:
    """Refuse a table with more cells (rows × columns) than the limit."""
    cap = limit("cells")
    if cap is not None and rows * columns > cap:
        raise _refuse("cells", f"{label} has {rows:,} rows × {columns:,} columns = "
                      f"{rows * columns:,} cells. Remove columns you do not need.",
                      rows * columns)


def check_cell_chars(length: int, label: str, where: str = "") -> None:
    """Refuse a cell longer than the limit (cohort data has no 100,000-character values)."""
    cap = limit("cell_chars")
    if cap is not None and length > cap:
        place = f" ({where})" if where else ""
        raise _refuse("cell_chars", f"{label} has a cell of {length:,} characters{place}.",
                      length)
