"""Binary table formats: Excel (.xlsx), Parquet, SPSS, Stata, SAS — all read in memory.

Private helper of :mod:`cohort_explorer.io`. Nothing is written to disk: openpyxl, pyarrow and
pyreadstat (>= 1.3, which accepts file-like objects) all read from ``io.BytesIO``.
"""

from __future__ import annotations

import io
import warnings
import zipfile
from typing import Any

import pandas as pd

from cohort_explorer.errors import DataFileError
from cohort_explorer.limits import check_cell_chars, check_cells, check_unzipped, limit

__all__ = ["xlsx_sheet_names", "read_xlsx", "read_parquet", "read_statistical"]

_STAT_NAMES = {
    "sav": "SPSS (.sav)",
    "dta": "Stata (.dta)",
    "sas7bdat": "SAS (.sas7bdat)",
    "xpt": "SAS transport (.xpt)",
}


def _workbook_problem(exc: Exception, label: str) -> DataFileError:
    return DataFileError(
        f"{label} could not be read as an Excel workbook ({type(exc).__name__}: {exc}). "
        "Open it in Excel and save it again as .xlsx, or export the sheet as CSV."
    )


def _workbook_errors() -> tuple[type[Exception], ...]:
    from xml.etree.ElementTree import ParseError

    from openpyxl.utils.exceptions import InvalidFileException

    return (
        zipfile.BadZipFile,
        KeyError,
        ValueError,
        OSError,
        TypeError,
        ParseError,
        InvalidFileException,
        EOFError,
    )


def _check_workbook_content(data: bytes, label: str) -> None:
    """Refuse a zip bomb before openpyxl unpacks it: the declared uncompressed size of all
    entries (zipfile never reads past it) and every shared string's length, streamed."""
    from xml.etree.ElementTree import iterparse

    cap = limit("cell_chars")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        check_unzipped(sum(info.file_size for info in archive.infolist()), label)
        if cap is None or "xl/sharedStrings.xml" not in archive.namelist():
            return
        with archive.open("xl/sharedStrings.xml") as stream:
            index = 0
            for _, element in iterparse(stream, events=("end",)):
                if element.tag.endswith("}si"):
                    index += 1
                    length = sum(len(text) for text in element.itertext())
                    check_cell_chars(length, label, f"shared string {index}")
                    element.clear()


def _open_workbook(data: bytes, label: str) -> Any:
    import openpyxl

    try:
        _check_workbook_content(data, label)
    except _workbook_errors() as exc:
        raise _workbook_problem(exc, label) from None

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles, data validation, ...
            # data_only: cached results of formulas; formulas are never evaluated.
            return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except _workbook_errors() as exc:
        raise _workbook_problem(exc, label) from None


def xlsx_sheet_names(data: bytes, label: str) -> list[str]:
    """Sheet names of an .xlsx workbook, in workbook order."""
    workbook = _open_workbook(data, label)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def _pick_sheet(workbook: Any, sheet: str | int | None, label: str) -> Any:
    names = list(workbook.sheetnames)
    listing = ", ".join(repr(n) for n in names)
    if sheet is None:
        return workbook[names[0]]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return workbook[names[sheet]]
        raise DataFileError(
            f"{label} has {len(names)} sheet(s) ({listing}); there is no sheet number {sheet} "
            "(numbers start at 0)."
        )
    if sheet in names:
        return workbook[sheet]
    raise DataFileError(f"{label} has no sheet named {sheet!r}. Its sheets are: {listing}.")


def _trim(row: tuple) -> list:
    cells = list(row)
    while cells and _blank(cells[-1]):
        cells.pop()
    return cells


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _looks_like_header(cells: list) -> bool:
    filled = [c for c in cells if not _blank(c)]
    return len(filled) >= 2 and all(isinstance(c, str) for c in filled)


def _header_index(rows: list[list]) -> int:
    """Index of the header row: skips leading blank rows and one simple title row.

    A title row is a row with exactly one non-empty cell followed by a row that looks like a
    header (two or more text cells). Anything less clear-cut is left alone.
    """
    first = next((i for i, r in enumerate(rows) if any(not _blank(c) for c in r)), None)
    if first is None:
        return 0
    filled = [c for c in rows[first] if not _blank(c)]
    if len(filled) == 1 and first + 1 < len(rows) and _looks_like_header(rows[first + 1]):
        return first + 1
    return first


def _header_name(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _sheet_rows(worksheet: Any, label: str) -> list[list]:
    """The sheet's rows (trailing blanks trimmed), refused as soon as the cell limit is passed."""
    cap = limit("cells")
    declared_rows, declared_columns = worksheet.max_row, worksheet.max_column  # <dimension>
    if cap is not None and declared_rows and declared_columns:
        check_cells(declared_rows, declared_columns, label)
    rows, cells, width = [], 0, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for row in worksheet.iter_rows(values_only=True):
            cells += len(row)
            width = max(width, len(row))
            if cap is not None and cells > cap:
                check_cells(len(rows) + 1, width, label)
            rows.append(_trim(row))
    return rows


def read_xlsx(data: bytes, sheet: str | int | None, label: str) -> pd.DataFrame:
    """Read one sheet of an .xlsx workbook (first by default) with cached formula values."""
    workbook = _open_workbook(data, label)
    try:
        worksheet = _pick_sheet(workbook, sheet, label)
        rows = _sheet_rows(worksheet, label)
    except _workbook_errors() as exc:
        raise _workbook_problem(exc, label) from None
    finally:
        workbook.close()
    if not any(rows):
        where = f"sheet {worksheet.title!r} of {label}"
        raise DataFileError(f"{where} is empty. Put a header row and one row per patient on it.")
    start = _header_index(rows)
    header = [_header_name(v) for v in rows[start]]
    body = rows[start + 1 :]
    width = max([len(header)] + [len(r) for r in body])
    header += [""] * (width - len(header))
    body = [r + [None] * (width - len(r)) for r in body]
    frame = pd.DataFrame(body, columns=header, dtype=object)
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        frame.isetitem(position, column.where(~column.map(_blank), None))
    return frame


def read_parquet(data: bytes, label: str) -> pd.DataFrame:
    """Read a Parquet file with pyarrow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(io.BytesIO(data))
        nested = [field.name for field in schema if pa.types.is_nested(field.type)]
        if nested:
            shown = ", ".join(repr(name) for name in nested[:5])
            more = f" and {len(nested) - 5} more" if len(nested) > 5 else ""
            raise DataFileError(
                f"{label} has nested columns (lists, structs or maps: {shown}{more}); a cohort "
                "table needs one value per cell. Flatten those columns (or drop them) and save "
                "the file again.", code="nested_columns", columns=nested)
        table = pq.read_table(io.BytesIO(data))
        return table.to_pandas()
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise DataFileError(
            f"{label} could not be read as Parquet ({exc}). The file may be incomplete; "
            "export it again."
        ) from None


def read_statistical(data: bytes, kind: str, label: str) -> pd.DataFrame:
    """Read SPSS / Stata / SAS data with pyreadstat from memory (raw codes, not value labels).

    Value labels stay available in ``df.attrs["value_labels"]`` (column -> {code: label}).
    """
    import pyreadstat

    reader = {
        "sav": pyreadstat.read_sav,
        "dta": pyreadstat.read_dta,
        "sas7bdat": pyreadstat.read_sas7bdat,
        "xpt": pyreadstat.read_xport,
    }[kind]
    options = {"dates_as_pandas_datetime": True}
    try:
        frame, meta = reader(io.BytesIO(data), **options)
    except (pyreadstat.ReadstatError, pyreadstat.PyreadstatError, OSError, ValueError) as exc:
        raise DataFileError(
            f"{label} could not be read as {_STAT_NAMES[kind]} ({exc}). The file may be damaged "
            "or from an unsupported version; export it again or save it as CSV."
        ) from None
    labels = getattr(meta, "variable_value_labels", None) or {}
    frame.attrs["value_labels"] = {str(k): dict(v) for k, v in labels.items()}
    return frame
