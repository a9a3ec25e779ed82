"""Reading only the columns an analysis uses (the CLI on large CSV files).

A cohort file often has dozens of columns of which an analysis uses five. Parsing only those is
several times faster and lighter, and gives the same values: pandas infers each column's type
from that column alone. :func:`spec_columns` says which header names an analysis may touch (a
superset: any name the options mention, and ID-like names for the repeated-ID warning).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

__all__ = ["clean_name", "spec_columns", "subset_picker"]


def clean_name(name) -> str:
    """A header name as the reader keeps it: stripped; pandas' ``Unnamed: N`` is no name."""
    if name is None or (isinstance(name, float) and name != name):
        return ""
    text = str(name).strip()
    return "" if re.fullmatch(r"Unnamed: \d+", text) else text


def subset_picker(columns: Callable[[list[str]], Iterable[str]]):
    """``wanted(names)`` for ``read_delimited``: positions of the names ``columns`` picks, or
    None (read everything) when names repeat or a picked name is not exactly once there."""

    def wanted(names: list[str]) -> list[int] | None:
        clean = [clean_name(n) for n in names]
        named = [c for c in clean if c]
        if len(set(named)) < len(named):
            return None  # the whole read reports the repeated names
        picked = set(columns(named))
        positions = [i for i, c in enumerate(clean) if c in picked]
        return positions if positions and len(positions) == len(picked) else None

    return wanted


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, (tuple, list)):
        return [s for v in value for s in _strings(v)]
    return []


def spec_columns(spec) -> Callable[[list[str]], list[str]]:
    """The header names an :class:`AnalysisSpec` may use: every name that occurs in one of its
    text options (so ``age`` for ``--covariates age:z``), and ID-like names."""
    from dataclasses import fields

    from cohort_explorer.data.identifiers import is_id_column_name

    texts = [s for f in fields(spec) for s in _strings(getattr(spec, f.name))]

    def pick(names: list[str]) -> list[str]:
        return [n for n in names if is_id_column_name(n) or any(n in t for t in texts)]

    return pick
