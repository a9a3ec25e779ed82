"""Shared by the reading tests (test_io, test_io_binary): a small cohort and file builders."""

from __future__ import annotations

import io

import numpy as np
import openpyxl
import pandas as pd


def small_cohort() -> pd.DataFrame:
    """A small cohort with text, integers, floats (some with decimals), a missing value, accents."""
    return pd.DataFrame(
        {
            "patient_id": ["MM-001", "MM-002", "MM-003", "MM-004"],
            "age": [57, 63, 49, 71],
            "center": ["Würzburg", "Köln", "Besançon", "Zürich"],
            "ikzf1": [0.52, 1.25, np.nan, 2.75],
            "pfs_months": [12.5, 3.0, 40.25, 0.0],
            "pfs_event": [1, 0, 1, 0],
        }
    )


def csv(df: pd.DataFrame, **options) -> bytes:
    encoding = options.pop("encoding", "utf-8")
    return df.to_csv(index=False, **options).encode(encoding)


def assert_same(read: pd.DataFrame, expected: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(read, expected, check_dtype=False)
    for column in ("age", "ikzf1", "pfs_months", "pfs_event"):
        assert pd.api.types.is_numeric_dtype(read[column]), column


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rows(df: pd.DataFrame) -> list[list]:
    return [list(df.columns)] + [
        [None if pd.isna(v) else v for v in row] for row in df.itertuples(index=False)
    ]


def pyreadstat_bytes(tmp_path, writer, df, name) -> bytes:
    path = tmp_path / name  # writing the test fixture needs a path; reading never does
    writer(df, str(path))
    return path.read_bytes()
