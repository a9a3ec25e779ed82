"""Read a cohort table from CSV/TSV, Excel, Parquet, SPSS, Stata or SAS — by content, in memory.

The format is recognised from the first bytes of the file (magic numbers); the file name's
extension is only a hint for the ambiguous cases. Text files may be comma, semicolon, tab or
pipe separated, in UTF-8 (with or without BOM), UTF-16 or Windows-1252/Latin-1, with decimal
points or European decimal commas. User data is never written to disk: every reader works on
an in-memory buffer.

Choices made here (the app and the CLI rely on them):

* Header names are stripped of surrounding whitespace and otherwise kept as written.
* Duplicated column names are an error (:class:`DataFileError` naming them) rather than being
  renamed: analysing "the other" ``pfs_months`` silently would be worse than asking.
* Completely empty rows are dropped, and so are columns with neither a name nor any value (the
  trailing ``;`` of many Excel exports). A nameless column holding values is called
  ``column_N`` (N = its position, from 1).
* Text cells are stripped; an empty cell is missing. A text column whose every value is a
  number becomes numeric (also ``1,5`` in semicolon/tab files and Excel text cells); a column
  with any non-number stays text, so validation can report the bad values.
* SPSS/Stata/SAS columns keep their raw codes; value labels are in ``df.attrs["value_labels"]``.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from cohort_explorer.errors import DataFileError
from cohort_explorer.io.binary import read_parquet, read_statistical, read_xlsx, xlsx_sheet_names
from cohort_explorer.io.cbioportal import decode_head, split_metadata
from cohort_explorer.io.columns import clean_name as _clean_name
from cohort_explorer.io.columns import subset_picker
from cohort_explorer.io.guards import check_regular_file, check_table_limits
from cohort_explorer.io.text import SNIFF_BYTES, looks_like_text, read_delimited, utf16_without_bom
from cohort_explorer.io.tidy import blank_rows, tidy_columns

__all__ = ["DEFAULT_APP_MAX_BYTES", "FORMATS", "read_table", "list_sheets", "detect_format"]

DEFAULT_APP_MAX_BYTES = 200 * 1024 * 1024
#: What :func:`detect_format` can answer. "xls" (old binary Excel) is recognised, not read.
FORMATS = ("csv", "xlsx", "parquet", "sav", "dta", "sas7bdat", "xpt", "xls")

_MB = 1024 * 1024
_SAS_MAGIC = bytes(12) + bytes.fromhex("c2ea8160b31411cfbd92080009c7318c181f1011")
_OLD_STATA_VERSIONS = (102, 103, 104, 105, 108, 110, 111, 113, 114, 115)
_OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")
_UNICODE_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_NOT_A_TABLE = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip-compressed file"),
    (b"BZh", "a bzip2-compressed file"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"{\\rtf", "a Word/RTF document"),
    (b"ARROW1", "an Arrow/Feather file"),
)
_FIX = (
    "Upload the table as CSV, Excel (.xlsx), Parquet, SPSS (.sav), Stata (.dta) or SAS (.sas7bdat)."
)


def _extension(filename: str | None) -> str:
    return Path(filename).suffix.lower().lstrip(".") if filename else ""


def _zip_format(head: bytes, filename: str | None) -> str:
    if b"xl/" in head:
        return "xlsx"
    if b"word/" in head:
        raise DataFileError(f"This is a Word document, not a data table. {_FIX}")
    if b"opendocument.spreadsheet" in head:
        raise DataFileError(
            "This is an OpenDocument spreadsheet (.ods). Save it as .xlsx or CSV and upload that."
        )
    if _extension(filename) in ("xlsx", "xlsm"):
        return "xlsx"
    raise DataFileError(f"This is a ZIP archive, not a data table. Unzip it first. {_FIX}")


def _markup_kind(head: bytes) -> str | None:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:512].lower()
    if start.startswith((b"<!doctype html", b"<html", b"<table")):
        return "a web page (HTML)"
    if start.startswith(b"<?xml"):
        return "an XML file"
    return None


def detect_format(head: bytes, filename: str | None = None) -> str:
    """Recognise a table's file format from its first bytes.

    Parameters
    ----------
    head : bytes
        The start of the file (64 KB is plenty; 4 bytes suffice for most formats).
    filename : str, optional
        Only a hint, used when the content is ambiguous (a ZIP whose first entries do not show
        whether it is an Excel workbook).

    Returns
    -------
    str
        One of :data:`FORMATS`: ``"csv"`` (any delimited text), ``"xlsx"``, ``"parquet"``,
        ``"sav"``, ``"dta"``, ``"sas7bdat"``, ``"xpt"`` or ``"xls"`` (old binary Excel or a
        password-protected workbook: recognised so the message can say what to do, not read).

    Raises
    ------
    DataFileError
        Empty input, or content that is not a table (PDF, image, archive, HTML, binary data).
    """
    if not head:
        raise DataFileError(
            "The file is empty. Upload a file with a header row and one row per patient."
        )
    signatures = (
        (head.startswith(b"PAR1"), "parquet"),
        (head[:4] in (b"$FL2", b"$FL3"), "sav"),
        (head.startswith(b"<stata_dta>"), "dta"),
        (head[:32] == _SAS_MAGIC, "sas7bdat"),
        (head.startswith(b"HEADER RECORD*******LIB"), "xpt"),
        (head.startswith(_OLE2), "xls"),
        (
            len(head) >= 4
            and head[0] in _OLD_STATA_VERSIONS
            and head[1] in (1, 2)
            and head[2] == 1
            and head[3] == 0,
            "dta",
        ),
    )
    for matched, kind in signatures:
        if matched:
            return kind
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_format(head, filename)
    for magic, what in _NOT_A_TABLE:
        if head.startswith(magic):
            raise DataFileError(f"This is {what}, not a data table. {_FIX}")
    markup = _markup_kind(head)
    if markup:
        raise DataFileError(
            f"This is {markup}, not a data table (some systems save these with an .xls name). "
            "Open it in Excel and save it as .xlsx, or export CSV."
        )
    if (
        head.startswith(_UNICODE_BOMS)
        or utf16_without_bom(head)
        or looks_like_text(head[:SNIFF_BYTES])
    ):
        return "csv"
    raise DataFileError(f"This file is not a readable table (it contains binary data). {_FIX}")


def _size_text(size: int) -> str:
    if size >= _MB:
        return f"{size / _MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size} bytes"


def _limit_text(limit: int) -> str:
    if limit >= _MB:
        return f"{limit / _MB:.4g} MB"
    return _size_text(limit)


def _check_size(size: int, max_bytes: int | None) -> None:
    if max_bytes is None or size <= max_bytes:
        return
    shown, limit = _size_text(size), _limit_text(max_bytes)
    if _size_text(size) == _size_text(max_bytes):  # rounding would hide the difference
        shown = f"{size:,} bytes"
        limit = limit if limit.endswith(" bytes") else f"{limit} ({max_bytes:,} bytes)"
    raise DataFileError(
        f"The file is {shown}; the limit is {limit}. Remove rows or columns you do not need, "
        "or save it as Parquet (usually much smaller), and upload again."
    )


def _load_bytes(source, filename: str | None, max_bytes: int | None) -> tuple[bytes, str | None]:
    """The file's bytes and its name (for messages); the size is checked before reading."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        _check_size(len(data), max_bytes)
        return data, filename
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        check_regular_file(path)
        try:
            _check_size(path.stat().st_size, max_bytes)
            return path.read_bytes(), filename or path.name
        except FileNotFoundError:
            raise DataFileError(f"File not found: {path}. Check the path and the name.") from None
        except IsADirectoryError:
            raise DataFileError(
                f"{path} is a folder, not a file. Give the data file itself."
            ) from None
        except PermissionError:
            raise DataFileError(f"{path} cannot be opened (permission denied).") from None
    if not hasattr(source, "read"):
        raise TypeError(
            f"read_table needs bytes, a path or a binary file object, not {type(source)!r}"
        )
    name = filename or (Path(str(source.name)).name if getattr(source, "name", None) else None)
    seekable = bool(getattr(source, "seekable", lambda: False)())
    size = getattr(source, "size", None)
    if seekable:
        source.seek(0, os.SEEK_END)
        size = source.tell()
        source.seek(0)
    if isinstance(size, int):
        _check_size(size, max_bytes)
        data = source.read()
    else:
        data = source.read() if max_bytes is None else source.read(max_bytes + 1)
        _check_size(len(data), max_bytes)
    if seekable:
        source.seek(0)  # leave it re-readable (list_sheets, then read_table)
    if isinstance(data, str):
        raise TypeError("read_table needs a binary file object (open the file with 'rb')")
    return bytes(data), name


def _label(name: str | None) -> str:
    return f"The file '{name}'" if name else "The file"


def _name_columns(df: pd.DataFrame, label: str) -> pd.DataFrame:
    names = [_clean_name(c) for c in df.columns]
    # an unnamed column is kept only when it holds something (named ones always: no scan)
    keep = [i for i, name in enumerate(names)
            if name or not df.iloc[:, i].isna().all()]
    if len(keep) < df.shape[1]:
        df = df.iloc[:, keep]
    df.columns = [names[i] or f"column_{i + 1}" for i in keep]
    counts = pd.Series(df.columns).value_counts()
    duplicated = counts[counts > 1]
    if not duplicated.empty:
        details = "; ".join(
            f"'{name}' appears {count} times (columns "
            + ", ".join(str(i + 1) for i in keep if (names[i] or f"column_{i + 1}") == name)
            + ")"
            for name, count in duplicated.items()
        )
        raise DataFileError(
            f"{label} has duplicated column names: {details}. Give every column its own name "
            "(rename or delete the extra column) and upload again."
        )
    return df


def _finalize(df: pd.DataFrame, label: str, decimal_comma: bool) -> pd.DataFrame:
    df = _name_columns(df, label)
    if df.shape[1] == 0:
        raise DataFileError(f"{label} has no columns. Put the column names in the first row.")
    df = tidy_columns(df, decimal_comma)
    blank = blank_rows(df)
    if blank.any():
        df = df.loc[~blank].reset_index(drop=True)
    if len(df) == 0:
        shown = ", ".join(map(str, df.columns[:6])) + (", ..." if df.shape[1] > 6 else "")
        raise DataFileError(
            f"{label} has column names ({shown}) but no rows of data. Export the data rows too, "
            "one row per patient."
        )
    return df


def read_table(
    source: bytes | str | os.PathLike | BinaryIO,
    *,
    filename: str | None = None,
    sheet: str | int | None = None,
    max_bytes: int | None = None,
    columns=None,
) -> pd.DataFrame:
    """Read a cohort table, recognising its format from the content.

    Parameters
    ----------
    source : bytes, str, os.PathLike or binary file object
        The file's bytes, its path, or an open binary file (e.g. Streamlit's ``UploadedFile``;
        a seekable object is read from its start and left at its start).
    filename : str, optional
        The original file name, for messages and as a hint only (the content decides).
    sheet : str or int, optional
        Excel sheet by name or 0-based position; the first sheet by default. Ignored for other
        formats.
    max_bytes : int, optional
        Refuse larger files before parsing them (the app passes
        :data:`DEFAULT_APP_MAX_BYTES`); no limit by default.
    columns : callable, optional
        For CSV/TSV: ``columns(names)`` gets the (stripped) header names and returns the set
        of names to parse; the others are skipped (same values, less time and memory). The
        whole file is read instead when that could change the result: a wanted name that is
        missing or repeated, a repeated name anywhere, or a row empty in every wanted column.

    Returns
    -------
    pandas.DataFrame
        One row per file row, column names as written (stripped), numbers as numbers.

    Raises
    ------
    DataFileError
        Missing, too large, empty, header-only, unreadable or non-table files; duplicated
        column names; an Excel sheet that does not exist. The message says what to fix.
    """
    data, name = _load_bytes(source, filename, max_bytes)
    label = _label(name)
    if not data or data.isspace():
        raise DataFileError(
            f"{label} is empty. Upload a file with a header row and one row per patient."
        )
    try:
        kind = detect_format(data[:SNIFF_BYTES], name)
    except DataFileError as exc:
        raise DataFileError(
            str(exc).replace("This file", label).replace("This is", f"{label} is")
        ) from None
    decimal_comma = True
    meta = None
    if kind == "csv":
        head = decode_head(data)  # a cBioPortal file's four '#' rows are metadata, not data
        split = split_metadata(head, label) if head is not None else None
        if split is not None:
            data, meta = split[0].encode("utf-8"), split[1]
        wanted = None if columns is None else subset_picker(columns)
        df, delimiter = read_delimited(data, label, wanted)
        decimal_comma = delimiter != ","
        if wanted is not None:
            parsed = len(df)
            df = _finalize(df, label, decimal_comma)
            if len(df) == parsed:  # no row blank in the wanted columns: same rows as a full read
                df.attrs["format"] = kind
                if meta is not None:
                    df.attrs.update(meta.attrs())
                return df
            df, delimiter = read_delimited(data, label)  # blank rows are judged on every column
    elif kind == "xlsx":
        df = read_xlsx(data, sheet, label)
    elif kind == "parquet":
        df = read_parquet(data, label)
    elif kind == "xls":
        raise DataFileError(
            f"{label} is an old Excel (.xls) workbook or a password-protected one. Open it in "
            "Excel, remove any password, and save it as .xlsx (or CSV)."
        )
    else:
        df = read_statistical(data, kind, label)
    check_table_limits(df, label)
    attrs = dict(df.attrs)
    df = _finalize(df, label, decimal_comma)
    df.attrs.update(attrs)
    df.attrs["format"] = kind
    if meta is not None:
        df.attrs.update(meta.attrs())
    return df


def list_sheets(
    source: bytes | str | os.PathLike | BinaryIO, *, filename: str | None = None
) -> list[str]:
    """Sheet names of an Excel workbook, in order; ``[]`` for every other format.

    Parameters
    ----------
    source : bytes, str, os.PathLike or binary file object
        As for :func:`read_table`.
    filename : str, optional
        The original file name (a hint only).

    Returns
    -------
    list of str

    Raises
    ------
    DataFileError
        The file is missing, empty or not a table.
    """
    data, name = _load_bytes(source, filename, None)
    if detect_format(data[:SNIFF_BYTES], name) != "xlsx":
        return []
    return xlsx_sheet_names(data, _label(name))
