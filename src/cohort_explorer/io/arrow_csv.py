"""A fast path for reading CSV/TSV: ``pyarrow.csv`` (multithreaded) instead of pandas' C parser.

Used by :func:`cohort_explorer.io.text.read_delimited` only where it gives the frame the pandas
parser would give: dot decimals; every column Arrow reads as int64, float64 or text (dates,
booleans, all-empty columns and anything else fall back to pandas); no text column whose
values pandas would have read as numbers (e.g. numbers with spaces around them); no float
column holding integers too large for int64 (pandas keeps those exact); pandas' missing-value
spellings; missing text as NaN. Anything Arrow cannot parse (ragged rows, bad quotes) also
falls back, so pandas still words the error; so do hexadecimal-looking text (``0x1F``: an
integer for Arrow), an odd number of quotes or a last row whose text holds a line break (a
quote left open, which Arrow reads to the end of the file and pandas refuses), and whole
numbers in a file with a ``+`` sign (``+5`` is an integer for pandas, a float for Arrow).
Returns None to fall back. Text columns with few distinct values are dictionary-encoded by
the parser and decoded to rows sharing one ``str`` per value (the same frame, far fewer
Python objects: 1M rows of a risk group were 1M strings).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["read_with_arrow"]

_MIN_BYTES = 1 << 20  # below 1 MB pandas is as fast (and pyarrow.csv need not be imported)


def _na_values(extra) -> list[str]:
    from pandas._libs.parsers import STR_NA_VALUES

    return sorted(set(STR_NA_VALUES) | set(extra))


def _hex_prefix(data: bytes) -> bool:
    """``b"0x" in data or b"0X" in data``, from the few x/X of a numeric table (searching for
    the two-byte needle is slow where zeros abound: 0.15 s for 80 MB; one byte is a memchr)."""
    for letter in (b"x", b"X"):
        found, seen = data.find(letter, 1), 0
        while found >= 0:
            if data[found - 1] == 0x30:  # "0"
                return True
            seen += 1
            if seen > 1000:  # x is common here: one scan for the pair
                if b"0" + letter in data:
                    return True
                break
            found = data.find(letter, found + 1)
    return False


def read_with_arrow(utf8: bytes, *, delimiter: str, decimal: str, skip: int,
                    names: list[str], positions: list[int] | None,
                    na_extra) -> pd.DataFrame | None:
    """The frame of ``names`` (all, or those at ``positions``), or None: read with pandas."""
    if len(utf8) < _MIN_BYTES or decimal != "." or not names or len(set(names)) < len(names):
        return None
    if _hex_prefix(utf8) or utf8.count(b'"') % 2:
        return None  # hexadecimal: Arrow reads 0x1F as 31, pandas as text; a quote left open
    signed = b"+" in utf8  # "+5": pandas reads an integer, Arrow a float
    first = utf8[:1 << 16].removeprefix(b"\xef\xbb\xbf").splitlines()[:skip + 1]
    if len(first) < skip + 1 or not all(line.strip() for line in first):
        return None  # blank lines before the header: pandas skips them, Arrow would count them
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    keys = [f"c{i}" for i in range(len(names))]
    picked = list(range(len(names))) if positions is None else list(positions)
    try:
        table = pcsv.read_csv(
            pa.py_buffer(utf8),
            read_options=pcsv.ReadOptions(column_names=keys, skip_rows=skip + 1),
            parse_options=pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(
                include_columns=[keys[i] for i in picked], null_values=_na_values(na_extra),
                strings_can_be_null=True, quoted_strings_can_be_null=True,
                timestamp_parsers=[], auto_dict_encode=True))
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows == 0:
        return None
    columns = {}
    for key, i in zip([keys[i] for i in picked], picked, strict=True):
        values = _values(table.column(key), pa, pc, signed)
        if values is None:
            return None
        columns[names[i]] = values
    return pd.DataFrame(columns, copy=False)


def _values(column, pa, pc, signed: bool) -> np.ndarray | None:
    """One column as pandas' parser gives it, or None (fall back to pandas)."""
    kind = column.type
    if pa.types.is_integer(kind) and kind == pa.int64():
        return column.to_numpy() if column.null_count == 0 else (
            column.cast(pa.float64()).to_numpy())
    if pa.types.is_floating(kind) and kind == pa.float64():
        big = pc.max(pc.abs(column)).as_py()
        if big is not None and big >= 2.0**63:
            return None  # pandas reads such integers exactly (uint64) or as text
        values = column.to_numpy()
        if signed and column.null_count == 0 and bool(
                np.all(np.isfinite(values) & (values == np.floor(values)))):
            return None  # whole numbers, perhaps written "+5": pandas' int64
        return values
    text = (pa.string(), pa.large_string())
    if pa.types.is_dictionary(kind) and kind.value_type in text:
        values = _decoded(column, pc)  # few distinct values (ConvertOptions.auto_dict_encode)
    elif kind in text:
        values = column.to_numpy(zero_copy_only=False)
    else:
        return None
    last = values[-1] if len(values) else None
    if isinstance(last, str) and ("\n" in last or "\r" in last):
        return None  # a quote left open runs to the end for Arrow; pandas refuses
    if column.null_count:
        values[pd.isna(values)] = np.nan
    sample = pd.Series(values[:2000]).dropna()[:200]
    if not sample.empty and pd.to_numeric(sample, errors="coerce").notna().all():
        return None  # number-like text pandas would have parsed
    return values


def _decoded(column, pc) -> np.ndarray:
    """A dictionary-encoded text column (few distinct values) as an object array whose rows
    share one ``str`` per distinct value (None where missing, as ``to_numpy`` gives)."""
    parts = []
    for chunk in column.chunks:
        words = np.array(chunk.dictionary.to_pylist() + [None], dtype=object)
        codes = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False)
        parts.append(words[codes])  # code -1 picks the final None
    return np.concatenate(parts) if parts else np.empty(0, dtype=object)
