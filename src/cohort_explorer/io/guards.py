"""The server's size limits (:mod:`cohort_explorer.limits`) applied to a table just read, in any
format: its cells (rows × columns), the longest text cell and the longest column name; and
:func:`check_regular_file`, which names a folder, pipe or device given as a data file."""

from __future__ import annotations

import stat
from pathlib import Path

import pandas as pd

from cohort_explorer.errors import DataFileError
from cohort_explorer.limits import check_cell_chars, check_cells, limit

__all__ = ["check_regular_file", "check_table_limits"]


def check_table_limits(df: pd.DataFrame, label: str) -> None:
    """The server's cell limits (:mod:`cohort_explorer.limits`) on any format."""
    check_cells(len(df), df.shape[1], label)
    if limit("cell_chars") is None:
        return
    for position, dtype in enumerate(df.dtypes):
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            column = df.iloc[:, position]
            found = _longest_text(column)
            if found is not None:
                longest, row = found
                check_cell_chars(longest, label,
                                 f"column '{str(df.columns[position])[:80]}', row {row + 1:,}")
    names = [len(str(c)) for c in df.columns]
    if names:
        check_cell_chars(max(names), label, "a column name")


def _longest_text(column: pd.Series) -> tuple[int, int] | None:
    """(characters, row) of the column's longest text (the first such row), or None when it
    holds no text. Text-only columns are measured by Arrow (``utf8_length`` counts characters
    as ``str.len`` does); anything else by ``str.len``."""
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        array = pa.array(column.to_numpy(), type=pa.string(), from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        array = None
    if array is not None:
        if array.null_count == len(array):
            return None
        lengths = pc.utf8_length(array)
        longest = pc.max(lengths).as_py()
        return int(longest), int(pc.index(lengths, longest).as_py())
    try:
        lengths = column.str.len()
    except AttributeError:  # no text in it (numbers, dates or nothing)
        return None
    longest = lengths.max()
    if longest == longest and longest is not None:  # not NaN (a column of no text)
        return int(longest), int(lengths.fillna(0).to_numpy().argmax())
    return None


def check_regular_file(path: Path) -> None:
    """Refuse what is not a regular file, saying what it is (never blocks on a pipe)."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise DataFileError(f"File not found: {path} (No such file). Check the path and the name."
                            ) from None
    except PermissionError:
        raise DataFileError(f"{path} cannot be opened (permission denied).") from None
    except OSError as exc:
        raise DataFileError(f"{path} cannot be opened ({exc.strerror or exc}).") from None
    if stat.S_ISREG(mode):
        return
    kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file")
    raise DataFileError(f"{path} is {kind}, not a data file. Give the data file itself.")
