"""Spreadsheet exports that are safe to open: CSV and XLSX with formula injection neutralised.

Cells starting with ``= + - @``, tab or CR get a leading apostrophe (OWASP), while numbers,
negative ones included, stay numbers. :func:`export_columns` leaves patient-identifier columns
out unless the user keeps them.

References
----------
OWASP. CSV Injection. https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "FORMULA_PREFIXES", "neutralize", "safe_frame", "export_columns", "to_csv_bytes",
    "to_xlsx_bytes",
]

#: First characters that make a spreadsheet treat a cell as a formula (OWASP).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralize(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet cell.

    Strings starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return get a leading
    apostrophe, unless the whole string is a plain number such as ``-1.5`` (which a spreadsheet
    cannot run). Numbers, booleans, dates and missing values are returned unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        if _NUMBER.match(value.strip()):
            return value
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` with every text cell and column name passed through :func:`neutralize`."""
    out = df.copy()
    out.columns = [neutralize(str(c)) for c in out.columns]
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if column.dtype == object or isinstance(column.dtype, pd.StringDtype) or \
                isinstance(column.dtype, pd.CategoricalDtype):
            out.isetitem(position, column.astype(object).map(neutralize))
    return out


def export_columns(columns: Iterable[str], identifier_columns: Iterable[str],
                   keep: Iterable[str] = ()) -> list[str]:
    """Columns to export: all but the patient identifiers, except those in ``keep``."""
    drop = set(identifier_columns) - set(keep)
    return [c for c in columns if c not in drop]


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM so Excel reads accents) of :func:`safe_frame` of ``df``."""
    # CRLF rows (RFC 4180) make the writer quote a cell holding a bare CR; with "\n" rows it
    # stays unquoted and Excel would start a new row at the CR ("'\r=1+1" -> a live "=1+1").
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _sheet_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\']", "_", str(name)).strip() or "Sheet"
    base = base[:31]
    candidate, counter = base, 1
    while candidate.lower() in used:
        counter += 1
        candidate = f"{base[:28]}_{counter}"
    used.add(candidate.lower())
    return candidate


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per table, every text cell neutralised.

    Parameters
    ----------
    sheets : mapping of sheet name to DataFrame
        Names are cleaned to Excel's rules (31 characters, no ``[]:*?/\\``).
    """
    buffer = io.BytesIO()
    used: set[str] = set()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            safe_frame(frame).to_excel(writer, sheet_name=_sheet_name(name, used), index=False)
        if not sheets:
            pd.DataFrame().to_excel(writer, sheet_name="empty", index=False)
    return buffer.getvalue()
