"""Delimited text (CSV/TSV): encoding detection, delimiter sniffing, European decimal commas.

Private helper of :mod:`cohort_explorer.io`. Everything happens in memory; the sniffing looks at
the first ``SNIFF_BYTES`` only, the full parse uses the pandas C engine.
"""

from __future__ import annotations

import codecs
import csv
import io
import re

import pandas as pd

from cohort_explorer.errors import DataFileError
from cohort_explorer.io.arrow_csv import read_with_arrow

__all__ = [
    "BRACKETED_MISSING",
    "EXTRA_NA_VALUES",
    "SNIFF_BYTES",
    "decode_to_utf8",
    "looks_like_text",
    "numeric_from_strings",
    "read_delimited",
    "sniff_delimiter",
    "utf16_without_bom",
]

SNIFF_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# Missing-value spellings on top of pandas' defaults ("", "NA", "N/A", "NaN", "null", "#N/A", ...).
# Deliberately not "-": FISH results are often coded "+"/"-".
#: cBioPortal's missing-value words (``[Not Available]``, ...), as written in its files.
BRACKETED_MISSING = ("[Not Available]", "[Not Applicable]", "[Unknown]", "[Not Evaluated]",
                     "[Not Reported]", "[Not Specified]", "[Discrepancy]")
EXTRA_NA_VALUES = (".", "?", "na", "n.a.", "N.A.", "#NV", "#NA", *BRACKETED_MISSING)
_CHUNK = 4 * 1024 * 1024
_ASCII = bytes(range(128))
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13)) + b"\x7f"
_DECIMAL_COMMA = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)?,\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")
_EUROPEAN_NUMBER = re.compile(r"^\s*[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?\s*$|^\s*[+-]?,\d+\s*$")


def _is_utf8(data: bytes) -> bool:
    if data.isascii():  # one fast pass; most cohort files are plain ASCII
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for start in range(0, len(view), _CHUNK):
            decoder.decode(view[start : start + _CHUNK])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when every other byte of an ASCII-ish text is NUL."""
    sample = head[: 4096 - 4096 % 2]
    if len(sample) < 4:
        return None
    even_nul = sample[0::2].count(0) / (len(sample) / 2)
    odd_nul = sample[1::2].count(0) / (len(sample) / 2)
    if odd_nul > 0.9 and even_nul < 0.1:
        return "utf-16-le"
    if even_nul > 0.9 and odd_nul < 0.1:
        return "utf-16-be"
    return None


def decode_to_utf8(data: bytes) -> tuple[bytes, str]:
    """Return ``(utf8_bytes, detected_encoding)`` for a text file.

    BOMs (UTF-8, UTF-16, UTF-32) decide; otherwise UTF-16 without BOM is recognised by its NUL
    bytes, then UTF-8 is tried, then Windows-1252, then Latin-1 (which always succeeds).
    """
    boms = (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    )
    encoding = next((name for bom, name in boms if data.startswith(bom)), None)
    if encoding == "utf-8-sig":
        return data[len(codecs.BOM_UTF8) :], encoding
    encoding = encoding or utf16_without_bom(data[:SNIFF_BYTES])
    if encoding is None:
        if _is_utf8(data):
            return data, "utf-8"
        try:
            return data.decode("cp1252").encode("utf-8"), "cp1252"
        except UnicodeDecodeError:
            return data.decode("latin-1").encode("utf-8"), "latin-1"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise DataFileError(
            f"The file looks like {encoding.upper()} text but is damaged ({exc.reason}). "
            "Save it again as CSV (UTF-8) and upload that."
        ) from None
    return text.lstrip("\ufeff").encode("utf-8"), encoding


def looks_like_text(head: bytes) -> bool:
    """True when ``head`` (already UTF-8) has no NUL bytes and almost no control characters."""
    if not head:
        return True
    if b"\x00" in head:
        return False
    controls = sum(head.count(bytes([b])) for b in _CONTROL)
    return controls <= max(2, len(head) // 1000)


def _sample_lines(text: str) -> list[list[str]]:
    """The complete lines of the sample (a partial last line is dropped when there are others)."""
    if "\n" in text.rstrip("\r\n"):
        text = text[: text.rfind("\n") + 1] if not text.endswith("\n") else text
    return [line for line in text.splitlines() if line.strip()]


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    reader = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter, quotechar='"')
    try:
        return [len(row) for row in reader if row]
    except csv.Error:
        return []


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter (comma, semicolon, tab, pipe) that splits the sample most consistently.

    Score: share of data lines with as many fields as the header (header must have ≥ 2 fields);
    ties go to the delimiter giving more columns, then to the order comma, semicolon, tab, pipe.
    A single-column file gets a comma.
    """
    best = (0.0, 0, -len(DELIMITERS))
    choice = ","
    for rank, delimiter in enumerate(DELIMITERS):
        counts = _field_counts(lines[:200], delimiter)
        if not counts or counts[0] < 2:
            continue
        rows = counts[1:] or counts
        consistency = sum(c == counts[0] for c in rows) / len(rows)
        score = (consistency, counts[0], -rank)
        if score > best:
            best, choice = score, delimiter
    return choice


def _uses_decimal_comma(lines: list[str], delimiter: str) -> bool:
    if delimiter == ",":
        return False
    comma = dot = 0
    for row in csv.reader(io.StringIO("\n".join(lines[1:200])), delimiter=delimiter):
        for cell in row:
            cell = cell.strip()
            comma += bool(_DECIMAL_COMMA.match(cell))
            dot += bool(_DOT_DECIMAL.match(cell))
    return comma > dot


def _header_names(lines: list[str], delimiter: str) -> list[str]:
    for row in csv.reader(io.StringIO("\n".join(lines[:50])), delimiter=delimiter):
        return row
    return []


def _surely_text(column: pd.Series, decimal_comma: bool) -> bool:
    """True when the first 200 present values (all text) already show that
    :func:`numeric_from_strings` returns None: saves the full ``dropna`` of a long text column."""
    first = column.iloc[:1000].dropna()
    if len(first) < 200 and len(column) > 1000:
        return False  # the first 200 present values lie further down: no shortcut
    head = first.iloc[:200]
    if head.empty or pd.api.types.infer_dtype(head, skipna=True) != "string":
        return False
    if pd.to_numeric(head, errors="coerce").notna().all():
        return False
    return not (decimal_comma and head.str.contains(",", regex=False).any()
                and head.str.match(_EUROPEAN_NUMBER).all())


def numeric_from_strings(column: pd.Series, *, decimal_comma: bool = True) -> pd.Series | None:
    """Numeric version of a (stripped) text column whose every non-missing value is a number.

    Accepts ``1.5`` and, with ``decimal_comma``, the European ``1,5`` / ``1.234,5``. Returns None
    when any value is not a number: the column then stays text, so later steps can report the
    bad values instead of silently losing them.
    """
    if _surely_text(column, decimal_comma):
        return None
    text = column.dropna()
    if text.empty or pd.api.types.infer_dtype(text, skipna=True) != "string":
        return None
    head = text.iloc[:200]
    converted = None
    if pd.to_numeric(head, errors="coerce").notna().all():
        attempt = pd.to_numeric(text, errors="coerce")
        if attempt.notna().all():
            converted = attempt
    if (
        converted is None
        and decimal_comma
        and head.str.contains(",", regex=False).any()
        and head.str.match(_EUROPEAN_NUMBER).all()
        and text.str.match(_EUROPEAN_NUMBER).all()
    ):
        dotted = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
        converted = pd.to_numeric(dotted)
    if converted is None:
        return None
    if len(converted) == len(column) and converted.dtype.kind in "iu":
        return converted
    return converted.astype(float).reindex(column.index)


def read_delimited(data: bytes, label: str, wanted=None) -> tuple[pd.DataFrame, str]:
    """Parse CSV/TSV bytes (any supported encoding).

    Returns the frame with the header names exactly as written (pandas' renaming of duplicates
    undone, so the caller can report them) and the delimiter. Text columns are not tidied yet:
    the caller (``io._tidy_columns``) does that. ``wanted(names)`` may return the positions
    of the only header names to parse (the others are skipped by the parser), or None for all.
    """
    utf8, _encoding = decode_to_utf8(data)
    raw_head = data[:SNIFF_BYTES]
    if _encoding in ("cp1252", "latin-1") and len(raw_head.translate(None, _ASCII)) > 0.3 * len(
        raw_head
    ):  # e.g. EBCDIC or an East Asian code page: decoding it as Windows-1252 gives gibberish
        raise DataFileError(
            f"{label} is not in a text encoding Cohort Explorer can read (UTF-8, UTF-16, "
            "Windows-1252 or Latin-1). Save it again as 'CSV UTF-8' and upload that."
        )
    head = utf8[:SNIFF_BYTES]
    if not looks_like_text(head):
        raise DataFileError(
            f"{label} is not a text table (it contains binary data). Upload a CSV, TSV, Excel "
            "(.xlsx), Parquet, SPSS, Stata or SAS file."
        )
    nul = utf8.find(b"\x00")
    if nul >= 0:  # the C parser would cut the value at the NUL, silently
        line = utf8.count(b"\n", 0, nul) + 1
        raise DataFileError(
            f"{label} contains a NUL byte (binary zero) on line {line:,}; the file is damaged or "
            "not plain text. Remove that character (or export the table again) and upload it."
        )
    text = head.decode("utf-8", errors="ignore")
    lines = _sample_lines(text)
    if not lines:
        raise DataFileError(
            f"{label} is empty. Upload a file with a header row and one row per patient."
        )
    skip = 0
    hint = re.fullmatch(r'"?sep=(.)"?', lines[0].strip())
    if hint:  # Excel's "sep=;" first line
        lines, skip = lines[1:], 1
        delimiter = hint.group(1)
    else:
        delimiter = sniff_delimiter(lines)
    decimal = "," if _uses_decimal_comma(lines, delimiter) else "."
    names = _header_names(lines, delimiter)
    positions = None if wanted is None else wanted(names)
    fast = read_with_arrow(utf8, delimiter=delimiter, decimal=decimal, skip=skip, names=names,
                           positions=positions, na_extra=EXTRA_NA_VALUES)
    if fast is not None:  # the same frame as pandas would give (see io/arrow_csv.py)
        return fast, delimiter
    try:
        df = pd.read_csv(
            io.BytesIO(utf8),
            sep=delimiter,
            decimal=decimal,
            engine="c",
            encoding="utf-8",
            skiprows=skip,
            index_col=False,
            na_values=list(EXTRA_NA_VALUES),
            low_memory=False,
            usecols=positions,
        )
    except pd.errors.EmptyDataError:
        raise DataFileError(
            f"{label} is empty. Upload a file with a header row and one row per patient."
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DataFileError(
            f"{label} could not be read as a table ({detail}). Check that every row has the same "
            "number of fields and that quotes are closed."
        ) from None
    if positions is not None:
        names = [names[i] for i in positions]
        if list(df.columns) != names:  # the parser saw another header: read every column
            return read_delimited(data, label)
    if len(names) == len(df.columns):
        df.columns = names
    return df, delimiter
