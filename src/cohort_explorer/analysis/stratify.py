"""Grouping rules: quantiles, median, Q1-vs-rest, custom cuts, categories, composite flags.

Spec strings are those of the CLI (``docs/methods.md``): ``COL``, ``COL:quartiles``,
``COL:tertiles``, ``COL:median``, ``COL:q1-vs-rest``, ``COL:cut=V1,V2``, ``COL:optimal``,
``COL:order=L1,L2``. Quantile breaks follow R ``quantile`` type 7 (numpy's default) and the
intervals are right-closed with the lowest value included: Q1 = [min, q25], Q2 = (q25, q50], ...
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.limits import check_levels
from cohort_explorer.spec.filters import parse_where, shown
from cohort_explorer.spec.grouping import QUANTILE_KINDS, GroupSpec

__all__ = [
    "Grouping",
    "group_rows",
    "cut_groups",
    "derive_any",
    "apply_where",
    "format_number",
    "category_levels",
    "match_level",
]

_NUMERIC_KINDS = {"quartiles", "tertiles", "median", "q1-vs-rest", "cut", "optimal"}


@dataclass(frozen=True)
class Grouping:
    """Group label of every row (``None`` where the row has no group) and the ordered labels."""

    column: str
    labels: tuple[str, ...]
    codes: np.ndarray  # int index into labels per row, -1 where missing
    breaks: tuple[float, ...] = ()

    def label_array(self) -> np.ndarray:
        """Label per row as an object array (``None`` where missing)."""
        lookup = np.array([*self.labels, None], dtype=object)
        return lookup[self.codes]


def format_number(value: float) -> str:
    """Shortest faithful text for a cut point or level: ``1.5``, ``3``, ``0.125``."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.10g}"


def numeric_column(df: pd.DataFrame, column: str) -> pd.Series:
    """Column as float with NaN for missing; raise if it holds text that is not a number."""
    values = pd.to_numeric(df[column], errors="coerce")
    bad = values.isna() & df[column].notna()
    if bad.any():
        examples = ", ".join(repr(str(v)) for v in pd.unique(df.loc[bad, column])[:3])
        raise ColumnError(
            f"Column '{column}' must be numeric for this rule but holds text such as {examples}; "
            "fix those cells or group it as a category."
        )
    return values.astype(float)


def _is_boolean(values: pd.Series) -> bool:
    """A true/false column (read as bool, or object holding only bools)."""
    if pd.api.types.is_bool_dtype(values):
        return True
    present = values.dropna()
    return values.dtype == object and len(present) > 0 and all(
        isinstance(v, (bool, np.bool_)) for v in present)


def _bool_labels(values: pd.Series) -> pd.Series:
    return values.astype(object).map(lambda v: None if pd.isna(v) else ("TRUE" if v else "FALSE"))


def _distinct_text(values: pd.Series) -> pd.Series | None:
    """For a column of text only: its codes' distinct values (labels are computed once per
    distinct value, not per row, with the very same rules), else None."""
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    return pd.Series(pd.unique(values.dropna().to_numpy()), dtype=object)


def category_levels(values: pd.Series) -> list[str]:
    """Distinct non-missing values as labels, numbers numerically, text by code point.

    True/false columns are labelled ``FALSE``/``TRUE`` as R prints them.
    """
    distinct = _distinct_text(values)
    if distinct is not None and len(distinct) < len(values):
        values = distinct
    if _is_boolean(values):
        return sorted(set(_bool_labels(values).dropna()))
    present = values.dropna()
    numeric = pd.to_numeric(present, errors="coerce")
    if len(present) and numeric.notna().all():
        return [format_number(v) for v in sorted(pd.unique(numeric.astype(float)))]
    return sorted({str(v) for v in present})


def _as_labels(values: pd.Series) -> pd.Series:
    """Values as label text (numbers normalised: 1.0 -> '1'), missing as None."""
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string":
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) < len(values):
            labels = _row_labels(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
            lookup = np.array([*labels.tolist(), None], dtype=object)
            return pd.Series(lookup[codes], index=values.index, dtype=object)
    return _row_labels(values)


def _row_labels(values: pd.Series) -> pd.Series:
    if _is_boolean(values):
        return _bool_labels(values)
    numeric = pd.to_numeric(values, errors="coerce")
    out = values.astype(object).where(values.notna(), None)
    is_num = numeric.notna()
    if is_num.all() or (is_num | values.isna()).all():
        out = numeric.map(lambda v: None if pd.isna(v) else format_number(v))
    else:
        out = out.map(lambda v: None if v is None else str(v))
    return out


def _codes_for(labels_per_row: pd.Series, levels: list[str]) -> np.ndarray:
    if len(set(levels)) == len(levels):  # one hash look-up per row, in C
        return pd.Index(levels, dtype=object).get_indexer(
            pd.Series(labels_per_row, dtype=object)).astype(int)
    index = {label: i for i, label in enumerate(levels)}
    return np.array([index.get(v, -1) if v is not None else -1 for v in labels_per_row], dtype=int)


def cut_groups(x: np.ndarray, breaks: list[float]) -> np.ndarray:
    """Interval code of each value: 0 for x <= b1, i for b_i < x <= b_(i+1), k for x > b_k
    (right-closed, as R ``cut(x, c(-Inf, breaks, Inf))``); NaN -> -1. Labels are the caller's."""
    x = np.asarray(x, dtype=float)
    codes = np.searchsorted(np.asarray(breaks, dtype=float), x, side="left")
    codes = np.where(np.isnan(x), -1, codes)
    return codes.astype(int)


def _quantile_grouping(spec: GroupSpec, x: np.ndarray) -> Grouping:
    present = x[~np.isnan(x)]
    if present.size == 0:
        raise ColumnError(f"Column '{spec.column}' has no numeric values to split.")
    if spec.kind in QUANTILE_KINDS:
        k, prefix = QUANTILE_KINDS[spec.kind]
        probs = np.arange(1, k) / k
        labels = [f"{prefix}{i}" for i in range(1, k + 1)]
    elif spec.kind == "median":
        probs, labels = np.array([0.5]), ["Low", "High"]
    else:  # q1-vs-rest
        probs, labels = np.array([0.25]), ["Q1", "Q2-Q4"]
    breaks = np.quantile(present, probs)  # R quantile type 7
    inner = np.append(breaks, present.max())  # a group is empty iff two of these coincide
    if np.any(np.diff(inner) <= 0):
        raise OptionError(
            f"too many ties in {spec.column} for {spec.kind}; use :median or :cut="
            if spec.kind != "median"
            else f"too many ties in {spec.column} for a median split; use :cut=",
            code="quantile_ties", fields={"column": spec.column, "kind": spec.kind},
        )
    return Grouping(spec.column, tuple(labels), cut_groups(x, list(breaks)), tuple(breaks))


def cut_labels(breaks: list[float]) -> list[str]:
    text = [format_number(b) for b in breaks]
    labels = [f"<={text[0]}"]
    labels += [f"({lo}, {hi}]" for lo, hi in zip(text[:-1], text[1:], strict=True)]
    labels.append(f">{text[-1]}")
    return labels


_cut_labels = cut_labels  # the name other modules import


def cut_grouping(column: str, x: np.ndarray, breaks: list[float]) -> Grouping:
    """Custom cut points: ``<=b1``, ``(b1, b2]``, ..., ``>bk``; empty intervals dropped."""
    labels = cut_labels(breaks)
    codes = cut_groups(x, breaks)
    used = sorted(set(codes[codes >= 0].tolist()))
    remap = np.full(len(labels) + 1, -1)
    for new, old in enumerate(used):
        remap[old] = new
    return Grouping(column, tuple(labels[i] for i in used), remap[codes], tuple(breaks))


def _parse_breaks(spec: GroupSpec) -> list[float]:
    try:
        breaks = sorted(float(v) for v in spec.values)
    except ValueError:
        raise OptionError(
            f"--group-by {spec.column}:cut=... needs numbers, got {', '.join(spec.values)}",
            code="cut_values_invalid", fields={"column": spec.column, "values": list(spec.values)}) from None
    if len(set(breaks)) != len(breaks) or not np.all(np.isfinite(breaks)):
        raise OptionError(f"--group-by {spec.column}:cut=... needs distinct finite numbers",
            code="cut_values_invalid", fields={"column": spec.column, "values": list(spec.values)})
    return breaks


def group_rows(df: pd.DataFrame, spec: GroupSpec, *, role: str = "grouping") -> Grouping:
    """Assign every row of ``df`` (the analysis set) to a group. ``optimal`` is not handled here.

    ``role`` names the column's use in the level cap's message (``"subgroup"``).

    Raises
    ------
    OptionError
        Ties make quantile breaks coincide, or an explicit order misses observed values.
    ColumnError
        A numeric rule on a text column.
    """
    if spec.kind in _NUMERIC_KINDS and spec.kind != "optimal":
        x = numeric_column(df, spec.column).to_numpy()
        if spec.kind == "cut":
            breaks = _parse_breaks(spec)
            check_levels(len(breaks) + 1, f"the {role} {spec.column}:cut=...")
            return cut_grouping(spec.column, x, breaks)
        return _quantile_grouping(spec, x)
    if spec.kind == "optimal":
        raise OptionError("optimal cut points need survival data; use analysis.analyze")
    labels_per_row = _as_labels(df[spec.column])
    observed = category_levels(df[spec.column])
    check_levels(len(observed), f"{role} column '{spec.column}'")
    if spec.kind == "order":
        levels = list(spec.values)
        missing = [v for v in observed if v not in levels]
        if missing:
            raise OptionError(
                f"--group-by {spec.column}:order=... does not list {', '.join(missing)}; "
                f"add them to the order or remove those rows with --where",
            code="order_missing_levels", fields={"column": spec.column, "missing": list(missing)})
        levels = [v for v in levels if v in observed] if observed else levels
    else:
        levels = observed
    return Grouping(spec.column, tuple(levels), _codes_for(labels_per_row, levels))


def match_level(text: str, levels) -> str:
    """The level ``text`` names: exact, as a number (``1.0`` is ``1``) or ``true``/``false``."""
    if text in levels:
        return text
    try:
        number = format_number(float(text))
    except ValueError:
        number = None
    if number in levels:
        return number
    return text.upper() if text.upper() in ("TRUE", "FALSE") else text


def move_reference(grouping: Grouping, reference: str | None) -> Grouping:
    """Put ``reference`` first (it becomes the Cox reference)."""
    if reference is not None:
        reference = match_level(reference, grouping.labels)
    if reference is None or reference == grouping.labels[0]:
        return grouping
    if reference not in grouping.labels:
        raise OptionError(
            f"--reference {reference} is not a group of {grouping.column}; "
            f"groups are {', '.join(grouping.labels)}",
            code="reference_group_unknown", fields={"reference": reference, "column": grouping.column, "groups": list(grouping.labels)})
    old = grouping.labels.index(reference)
    order = [old] + [i for i in range(len(grouping.labels)) if i != old]
    remap = np.empty(len(order) + 1, dtype=int)
    remap[-1] = -1
    for new, idx in enumerate(order):
        remap[idx] = new
    return Grouping(
        grouping.column, tuple(grouping.labels[i] for i in order), remap[grouping.codes],
        grouping.breaks,
    )


def derive_any(df: pd.DataFrame, columns: list[str]) -> pd.Series:
    """1 where any column is positive (1/true/yes), 0 where all are 0, missing otherwise."""
    flags = []
    for column in columns:
        raw = df[column]
        text = raw.astype(str).str.strip().str.lower()
        positive = text.isin(["1", "1.0", "true", "yes", "y", "pos", "positive"])
        negative = text.isin(["0", "0.0", "false", "no", "n", "neg", "negative"])
        unknown = raw.notna() & ~positive & ~negative
        if unknown.any():
            examples = ", ".join(repr(str(v)) for v in pd.unique(raw[unknown])[:3])
            raise ColumnError(
                f"--derive: column '{column}' must be 0/1 (or true/false), found {examples}",
            code="derive_not_binary", fields={"column": column, "examples": examples})
        flags.append(np.where(positive, 1.0, np.where(negative, 0.0, np.nan)))
    stacked = np.vstack(flags)
    any_positive = (stacked == 1).any(axis=0)
    all_negative = (stacked == 0).all(axis=0)
    out = np.where(any_positive, 1.0, np.where(all_negative, 0.0, np.nan))
    return pd.Series(out, index=df.index).astype("Int64")


def _where_mask(series: pd.Series, op: str, value: str, text: str) -> np.ndarray:
    if op in ("=", "!="):
        labels = _as_labels(series)
        target = value
        try:
            target = format_number(float(value))
        except ValueError:
            pass
        equal = labels.map(lambda v: v is not None and (v == target or v == value)).to_numpy(bool)
        present = labels.notna().to_numpy(bool)
        return equal if op == "=" else (present & ~equal)
    try:
        bound = float(value)
    except ValueError:
        raise OptionError(f"--where {shown(text)}: '{shown(value)}' is not a number",
                          code="filter_not_a_number",
                          fields={"filter": shown(text), "value": shown(value)}) from None
    x = pd.to_numeric(series, errors="coerce").to_numpy(float)
    with np.errstate(invalid="ignore"):
        return {"<": x < bound, "<=": x <= bound, ">": x > bound, ">=": x >= bound}[op]


def apply_where(df: pd.DataFrame, conditions: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Keep rows meeting every condition (missing values never meet one)."""
    mask = np.ones(len(df), dtype=bool)
    for text in conditions:
        column, op, value = parse_where(text)
        if column not in df.columns:
            raise ColumnError(f"--where {shown(text)}: no column '{shown(column)}' in the data",
                              code="unknown_column",
                              fields={"column": shown(column), "filter": shown(text)})
        mask &= _where_mask(df[column], op, value, text)
    return df if mask.all() else df.loc[mask]
