"""Reading binary cohort files: XLSX (sheets, title rows, formulas), Parquet, SPSS, Stata, SAS."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cohort_explorer.errors import DataFileError
from cohort_explorer.io import list_sheets, read_table
from tests.io_common import assert_same, csv, pyreadstat_bytes, rows, small_cohort, xlsx

FORMATS_DIR = Path(__file__).parent / "data" / "formats"


@pytest.fixture()
def cohort() -> pd.DataFrame:
    """A small cohort with text, integers, floats (some with decimals), a missing value, accents."""
    return small_cohort()


# ---- binary formats ---------------------------------------------------------------------


@pytest.fixture()
def workbook(cohort) -> bytes:
    return xlsx(
        {
            "Cohort": [["DSMM XII substudy (synthetic data)"], *rows(cohort)],
            "Dictionary": [["column", "meaning"], ["pfs_months", "progression-free survival"]],
        }
    )


def test_xlsx_first_sheet_with_title_row(cohort, workbook):
    df = read_table(workbook, filename="cohort.xlsx")
    assert_same(df, cohort)
    assert df.attrs["format"] == "xlsx"


@pytest.mark.parametrize("sheet", ["Dictionary", 1])
def test_xlsx_sheet_choice(workbook, sheet):
    df = read_table(workbook, sheet=sheet)
    assert list(df.columns) == ["column", "meaning"]
    assert df["column"].tolist() == ["pfs_months"]


def test_list_sheets(workbook, cohort):
    assert list_sheets(workbook) == ["Cohort", "Dictionary"]
    assert list_sheets(io.BytesIO(workbook)) == ["Cohort", "Dictionary"]
    assert list_sheets(csv(cohort)) == []


@pytest.mark.parametrize(
    ("sheet", "expected"),
    [
        pytest.param(
            "Data", "no sheet named 'Data'. Its sheets are: 'Cohort', 'Dictionary'", id="name"
        ),
        pytest.param(2, "no sheet number 2", id="position"),
    ],
)
def test_xlsx_unknown_sheet(workbook, sheet, expected):
    with pytest.raises(DataFileError, match=expected):
        read_table(workbook, sheet=sheet)


def test_xlsx_title_row_not_guessed_when_unclear():
    data = xlsx({"S": [["time", "event"], [1.5, 1], [2, 0]]})
    assert list(read_table(data).columns) == ["time", "event"]
    data = xlsx({"S": [["Cohort"], [1, 2], [3, 4]]})  # next row is numbers: not a header
    assert list(read_table(data).columns) == ["Cohort", "column_2"]


def test_xlsx_text_numbers_na_strings_and_dates():
    data = xlsx(
        {
            "S": [
                ["time", "ikzf1", "note", "diagnosed"],
                ["12,5", 0.5, "NA", pd.Timestamp("2015-03-01").to_pydatetime()],
                [3, "n/a", "ok", pd.Timestamp("2016-07-15").to_pydatetime()],
                [7.25, 1.5, None, None],
            ]
        }
    )
    df = read_table(data)
    assert df["time"].tolist() == [12.5, 3.0, 7.25]
    assert df["ikzf1"].iloc[[0, 2]].tolist() == [0.5, 1.5] and np.isnan(df["ikzf1"].iloc[1])
    assert df["note"].iloc[1] == "ok" and df["note"].isna().sum() == 2
    assert pd.api.types.is_datetime64_any_dtype(df["diagnosed"])


def _edit_first_sheet(data: bytes, edit) -> bytes:
    """The workbook ``data`` with its first sheet's XML replaced by ``edit(xml)``."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                content = edit(content)
            target.writestr(item, content)
    return buffer.getvalue()


def _with_cached_formula(cached: str) -> bytes:
    """Workbook whose C2 holds =B2*2 with a cached result that is deliberately not B2*2."""

    def cache(content: bytes) -> bytes:
        for empty in (b"<f>B2*2</f><v></v>", b"<f>B2*2</f><v />"):
            content = content.replace(empty, f"<f>B2*2</f><v>{cached}</v>".encode())
        assert cached.encode() in content
        return content

    return _edit_first_sheet(xlsx({"S": [["a", "b", "c"], [1, 21, "=B2*2"]]}), cache)


def test_xlsx_formulas_give_cached_values_and_are_never_evaluated():
    df = read_table(_with_cached_formula("999"))
    assert df["c"].tolist() == [999]  # B2*2 would be 42


def test_xlsx_with_a_damaged_sheet():
    damaged = _edit_first_sheet(xlsx({"S": [["a", "b"], [1, 2]]}),
                                lambda content: content[: len(content) // 2])
    with pytest.raises(
        DataFileError, match="could not be read as an Excel workbook.*save it again"
    ):
        read_table(damaged, filename="damaged.xlsx")


def test_parquet_round_trip(cohort):
    buffer = io.BytesIO()
    cohort.to_parquet(buffer)
    df = read_table(buffer.getvalue(), filename="cohort.parquet")
    assert_same(df, cohort)
    assert df.attrs["format"] == "parquet"


def test_sav_round_trip_keeps_codes_and_labels(tmp_path, cohort):
    frame = cohort.assign(sex=[1, 2, 2, 1])
    data = pyreadstat_bytes(
        tmp_path,
        lambda df, p: pyreadstat.write_sav(df, p, variable_value_labels={"sex": {1: "M", 2: "F"}}),
        frame,
        "c.sav",
    )
    df = read_table(data, filename="cohort.sav")
    assert_same(df, frame)
    assert df.attrs["format"] == "sav"
    assert df.attrs["value_labels"] == {"sex": {1.0: "M", 2.0: "F"}}


@pytest.mark.parametrize("version", [114, 118])
def test_dta_round_trip_old_and_new_format(cohort, version):
    buffer = io.BytesIO()
    cohort.to_stata(buffer, write_index=False, version=version)
    data = buffer.getvalue()
    assert data.startswith(b"<stata_dta>") == (version == 118)
    df = read_table(data, filename="cohort.dta")
    assert_same(df, cohort)
    assert df.attrs["format"] == "dta"


def test_dta_from_pyreadstat(tmp_path, cohort):
    data = pyreadstat_bytes(tmp_path, pyreadstat.write_dta, cohort, "c.dta")
    assert_same(read_table(data), cohort)


def test_xpt_round_trip(tmp_path, cohort):
    frame = cohort.drop(columns=["center"]).rename(
        columns={"patient_id": "pid", "pfs_months": "pfs_mo", "pfs_event": "pfs_ev"}
    )
    data = pyreadstat_bytes(tmp_path, pyreadstat.write_xport, frame, "c.xpt")
    df = read_table(data)
    pd.testing.assert_frame_equal(df, frame, check_dtype=False)
    assert df.attrs["format"] == "xpt"


def test_sas7bdat_fixture_made_by_haven():
    """tests/data/formats/cohort.sas7bdat: written by make_sas7bdat.R (haven::write_sas)."""
    df = read_table(FORMATS_DIR / "cohort.sas7bdat")
    expected = pd.DataFrame(
        {
            "patient_id": ["MM-001", "MM-002", "MM-003", "MM-004"],
            "age": [57.0, 63.0, 49.0, 71.0],
            "sex": ["M", "F", "F", "M"],
            "pfs_months": [12.5, 3.0, 40.25, 0.0],
            "pfs_event": [1.0, 0.0, 1.0, 0.0],
        }
    )
    pd.testing.assert_frame_equal(df, expected)
    assert df.attrs["format"] == "sas7bdat"
