"""Tidying a freshly read table: text stripped, missing-value words made missing, numbers
written as text made numbers; blank rows found. Private helper of :mod:`cohort_explorer.io`
(``reader._finalize``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort_explorer.io.text import EXTRA_NA_VALUES, numeric_from_strings

__all__ = ["blank_rows", "tidy_columns"]

_NA_STRINGS = frozenset(
    {
        "",
        "#N/A",
        "#N/A N/A",
        "#NA",
        "-1.#IND",
        "-1.#QNAN",
        "-NaN",
        "-nan",
        "1.#IND",
        "1.#QNAN",
        "<NA>",
        "N/A",
        "NA",
        "NULL",
        "NaN",
        "None",
        "n/a",
        "nan",
        "null",
        *EXTRA_NA_VALUES,
    }
)


def _numbers_in_mixed(column: pd.Series, decimal_comma: bool) -> pd.Series | None:
    """Numbers and number-like text mixed in one column (Excel) -> float column, else None."""
    values = column.dropna()
    is_text = values.map(lambda v: isinstance(v, str))
    is_number = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    if not (is_text | is_number).all():
        return None
    converted = numeric_from_strings(values[is_text], decimal_comma=decimal_comma)
    if converted is None:
        return None
    out = pd.Series(float("nan"), index=column.index)
    out[values.index[is_number.to_numpy()]] = values[is_number].astype(float)
    out[converted.index] = converted.astype(float)
    return out


def _strip_text(column: pd.Series) -> tuple[pd.Series, np.ndarray | None]:
    """``column.str.strip()`` and which stripped values are missing-value words (None: not
    known, ask ``isin``): fast (pyarrow) and without a copy when nothing changes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(column.to_numpy(), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError):
        return column.str.strip(), None
    trimmed = pc.utf8_trim_whitespace(array)
    words = pc.is_in(trimmed, value_set=pa.array(sorted(_NA_STRINGS), type=pa.string()))
    missing = np.asarray(words.to_numpy(zero_copy_only=False), dtype=bool)
    if not pc.any(pc.not_equal(array, trimmed)).as_py():
        return column, missing
    return (pd.Series(trimmed.to_numpy(zero_copy_only=False), index=column.index, dtype=object),
            missing)


def _tidy_column(column: pd.Series, decimal_comma: bool) -> pd.Series | None:
    """The tidied object column, or None when it is already tidy (saves a copy)."""
    kind = pd.api.types.infer_dtype(column, skipna=True)
    kind = "mixed" if kind == "mixed-integer" else kind  # text and whole numbers (Excel)
    if kind not in ("string", "mixed"):
        converted = column.infer_objects()
        return None if converted.dtype == object else converted
    missing = None
    if kind == "string":
        text, missing = _strip_text(column)
    else:
        text = column.map(lambda v: v.strip() if isinstance(v, str) else v)
    if missing is None:
        missing = text.isin(list(_NA_STRINGS)).to_numpy()
    if missing.any():
        text = text.mask(missing)
    if kind == "mixed":
        numbers = _numbers_in_mixed(text, decimal_comma)
    else:
        numbers = numeric_from_strings(text, decimal_comma=decimal_comma)
    if numbers is not None:
        return numbers
    if text is column:
        return None
    return text.infer_objects() if kind == "mixed" else text


def tidy_columns(df: pd.DataFrame, decimal_comma: bool) -> pd.DataFrame:
    for position, dtype in enumerate(df.dtypes):
        if not pd.api.types.is_object_dtype(dtype):
            continue
        tidy = _tidy_column(df.iloc[:, position], decimal_comma)
        if tidy is not None:
            df.isetitem(position, tidy)
    return df


def blank_rows(df: pd.DataFrame) -> np.ndarray:
    """``df.isna().all(axis=1)`` as an array, column by column on the rows still blank (most
    files: none after the first column, numbers before text)."""
    blank = np.ones(len(df), dtype=bool)
    rows = np.arange(len(df))
    text = [pd.api.types.is_object_dtype(dtype) for dtype in df.dtypes]
    positions = sorted(range(df.shape[1]), key=lambda i: text[i])
    for position in positions:
        if not rows.size:
            break
        column = df.iloc[:, position]
        missing = column.isna().to_numpy() if rows.size == len(df) else (
            column.iloc[rows].isna().to_numpy())
        blank[rows[~missing]] = False
        rows = rows[missing]
    return blank
