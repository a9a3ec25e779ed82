"""Reading cohort tables: every format by content, encodings, delimiters, limits and bad files."""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from cohort_explorer import io as cio
from cohort_explorer.errors import CohortError, DataFileError
from cohort_explorer.io import DEFAULT_APP_MAX_BYTES, detect_format, read_table
from tests.io_common import assert_same, csv, pyreadstat_bytes, rows, small_cohort, xlsx

FORMATS_DIR = Path(__file__).parent / "data" / "formats"


@pytest.fixture()
def cohort() -> pd.DataFrame:
    """A small cohort with text, integers, floats (some with decimals), a missing value, accents."""
    return small_cohort()




# ---- text formats -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        pytest.param({}, id="csv_comma"),
        pytest.param({"sep": "\t"}, id="tsv"),
        pytest.param({"sep": "|"}, id="pipe"),
        pytest.param({"sep": ";", "decimal": ","}, id="semicolon_decimal_comma"),
        pytest.param({"sep": "\t", "decimal": ","}, id="tab_decimal_comma"),
        pytest.param({"sep": ";"}, id="semicolon_decimal_point"),
        pytest.param({"encoding": "latin-1"}, id="latin1_accents"),
        pytest.param({"encoding": "cp1252", "sep": ";", "decimal": ","}, id="cp1252_european"),
        pytest.param({"encoding": "utf-8-sig"}, id="utf8_bom"),
        pytest.param({"encoding": "utf-16"}, id="utf16_bom"),
        pytest.param({"encoding": "utf-16-le", "sep": "\t"}, id="utf16le_no_bom"),
        pytest.param({"encoding": "utf-16-be"}, id="utf16be_no_bom"),
        pytest.param({"lineterminator": "\r\n"}, id="crlf"),
    ],
)
def test_text_round_trip(cohort, options):
    data = csv(cohort, **options)
    df = read_table(data, filename="cohort.csv")
    assert_same(df, cohort)
    assert df.attrs["format"] == "csv"


def test_decimal_comma_gives_floats_not_text():
    df = read_table(b"time;event;ikzf1\n12,5;1;0,25\n3;0;1,75\n", filename="eu.csv")
    assert df["time"].tolist() == [12.5, 3.0]
    assert df["ikzf1"].dtype == float and df["ikzf1"].tolist() == [0.25, 1.75]
    assert df["event"].tolist() == [1, 0]


def test_european_thousands_separator():
    df = read_table(b"id;dose\nA;1.234,5\nB;12,0\nC;7\n")
    assert df["dose"].tolist() == [1234.5, 12.0, 7.0]


def test_decimal_comma_is_not_guessed_in_comma_separated_files():
    df = read_table(b'id,lines\nA,"1,2"\nB,"3,4"\n')
    assert df["lines"].tolist() == ["1,2", "3,4"]


def test_column_with_a_word_stays_text_so_validation_can_report_it():
    df = read_table(b"pfs_months,pfs_event\n12.5,1\nunknown,0\n3,1\n")
    assert df["pfs_months"].tolist() == ["12.5", "unknown", "3"]


def test_missing_spellings_and_inf():
    df = read_table(b"a,b,c\n1,NA,inf\n2,.,-inf\n3,,5\n")
    assert df["b"].isna().all()
    assert df["c"].tolist() == [np.inf, -np.inf, 5.0]


def test_headers_stripped_and_values_trimmed_but_names_kept():
    df = read_table(b" Patient ID , Age ,PFS (months)\n MM-1 ,50,1.5\nMM-2,60,2\n")
    assert list(df.columns) == ["Patient ID", "Age", "PFS (months)"]
    assert df["Patient ID"].tolist() == ["MM-1", "MM-2"]


def test_excel_sep_hint_line():
    df = read_table(b"sep=;\na;b\n1,5;2\n")
    assert list(df.columns) == ["a", "b"] and df["a"].tolist() == [1.5]


def test_blank_rows_and_trailing_empty_columns_dropped():
    df = read_table(b"a;b;;\n1;2;;\n;;;\n3;4;;\n")
    assert list(df.columns) == ["a", "b"]
    assert df["a"].tolist() == [1, 3]


def test_rows_of_blanks_only_are_dropped():
    df = read_table(b"a;b\n1;x\n  ; \n2;y\n")
    assert df["a"].tolist() == [1, 2] and df["b"].tolist() == ["x", "y"]


def test_nameless_column_with_values_is_named_by_position():
    df = read_table(b"a,,c\n1,x,3\n")
    assert list(df.columns) == ["a", "column_2", "c"]


def test_quoted_fields_with_delimiters_inside():
    df = read_table(b'id;comment;time\n1;"PR; then PD";3,5\n2;"none";4\n')
    assert df["comment"].tolist() == ["PR; then PD", "none"]
    assert df["time"].tolist() == [3.5, 4.0]


def test_single_column_file():
    df = read_table(b"time\n1\n2\n")
    assert list(df.columns) == ["time"] and df["time"].tolist() == [1, 2]


# ---- detection by content ---------------------------------------------------------------


def _all_formats(tmp_path, cohort) -> dict[str, bytes]:
    parquet, dta = io.BytesIO(), io.BytesIO()
    cohort.to_parquet(parquet)
    cohort.to_stata(dta, write_index=False, version=117)
    return {
        "csv": csv(cohort, sep=";", decimal=","),
        "xlsx": xlsx({"S": rows(cohort)}),
        "parquet": parquet.getvalue(),
        "sav": pyreadstat_bytes(tmp_path, pyreadstat.write_sav, cohort, "c.sav"),
        "dta": dta.getvalue(),
        "sas7bdat": (FORMATS_DIR / "cohort.sas7bdat").read_bytes(),
        "xpt": pyreadstat_bytes(tmp_path, pyreadstat.write_xport, cohort[["age"]], "c.xpt"),
    }


@pytest.mark.parametrize("wrong_name", ["data.csv", "data.xlsx", "data.sav", "data.txt", None])
def test_format_detected_by_content_not_extension(tmp_path, cohort, wrong_name):
    for kind, data in _all_formats(tmp_path, cohort).items():
        assert detect_format(data[:65536], wrong_name) == kind
        df = read_table(data, filename=wrong_name)
        assert df.attrs["format"] == kind
        assert df["age"].tolist() == [57, 63, 49, 71], kind


def test_detect_format_needs_only_the_first_bytes(tmp_path, cohort):
    for kind, data in _all_formats(tmp_path, cohort).items():
        if kind != "xlsx":  # zip: the "xl/" entry name is a few hundred bytes in
            assert detect_format(data[:32]) == kind


def test_zip_without_visible_entries_uses_the_extension_as_hint():
    head = b"PK\x03\x04" + bytes(40)
    assert detect_format(head, "cohort.xlsx") == "xlsx"
    with pytest.raises(DataFileError, match="ZIP archive"):
        detect_format(head, "cohort.zip")


# ---- sources, size limit ----------------------------------------------------------------


def test_sources_path_str_binary_file(tmp_path, cohort):
    path = tmp_path / "c.csv"
    path.write_bytes(csv(cohort))
    for source in (path, str(path)):
        assert_same(read_table(source), cohort)
    with path.open("rb") as handle:
        assert_same(read_table(handle), cohort)
    upload = io.BytesIO(csv(cohort))
    upload.name = "upload.csv"
    upload.read(10)  # a seekable upload is read from its start ...
    assert_same(read_table(upload), cohort)
    assert_same(read_table(upload), cohort)  # ... and left re-readable


def test_text_file_object_is_a_programming_error(tmp_path):
    with pytest.raises(TypeError):
        read_table(io.StringIO("a,b\n1,2\n"))


def test_missing_file(tmp_path):
    with pytest.raises(DataFileError, match="File not found: .*nope.csv"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(DataFileError, match="is a folder"):
        read_table(tmp_path)


def test_size_limit_just_under_and_over(cohort):
    data = csv(cohort)
    assert len(read_table(data, max_bytes=len(data))) == 4
    with pytest.raises(DataFileError, match=r"^The file is .* the limit is .*Parquet"):
        read_table(data, max_bytes=len(data) - 1)


@pytest.mark.parametrize(
    ("size", "limit", "message"),
    [
        pytest.param(101, 100, "The file is 101 bytes; the limit is 100 bytes.", id="bytes"),
        pytest.param(
            2**20 + 1,
            2**20,
            "The file is 1,048,577 bytes; the limit is 1 MB (1,048,576 bytes).",
            id="rounding_would_hide_it",
        ),
        pytest.param(
            DEFAULT_APP_MAX_BYTES + 1,
            DEFAULT_APP_MAX_BYTES,
            "The file is 209,715,201 bytes; the limit is 200 MB (209,715,200 bytes).",
            id="app_limit_plus_one",
        ),
        pytest.param(3 * 2**20, 2**20 + 2**19, "The file is 3.0 MB; the limit is 1.5 MB.", id="mb"),
    ],
)
def test_size_limit_messages(size, limit, message):
    with pytest.raises(DataFileError) as caught:
        read_table(io.BytesIO(bytes(size)), max_bytes=limit)
    assert str(caught.value).startswith(message)


def test_size_limit_message_and_no_parsing(tmp_path):
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:  # sparse: takes no disk space
        handle.truncate(int(250.3 * 1024 * 1024))
    with pytest.raises(DataFileError, match=r"^The file is 250.3 MB; the limit is 200 MB\. "):
        read_table(big, max_bytes=DEFAULT_APP_MAX_BYTES)

    class Upload(io.RawIOBase):
        size = DEFAULT_APP_MAX_BYTES + 1

        def read(self, *args):  # pragma: no cover - must not be called
            raise AssertionError("read before the size check")

    with pytest.raises(DataFileError, match="limit is 200 MB"):
        read_table(Upload(), max_bytes=DEFAULT_APP_MAX_BYTES)


def test_size_limit_on_unseekable_stream_reads_at_most_limit_plus_one():
    class Stream(io.RawIOBase):
        def __init__(self):
            self.asked = []

        def readable(self):
            return True

        def read(self, size=-1):
            self.asked.append(size)
            return b"a,b\n" + b"1,2\n" * 100

    stream = Stream()
    with pytest.raises(DataFileError, match="limit is 100 bytes"):
        read_table(stream, max_bytes=100)
    assert stream.asked == [101]


# ---- files that cannot be read ----------------------------------------------------------


def _garbage() -> bytes:
    return np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        pytest.param(b"", "is empty", id="empty"),
        pytest.param(b"  \n\r\n\t", "is empty", id="whitespace"),
        pytest.param(
            b"a,b,c\n", r"has column names \(a, b, c\) but no rows of data", id="header_only"
        ),
        pytest.param(b"a;b\n;\n\n", "but no rows of data", id="header_and_blank_rows"),
        pytest.param(_garbage(), "binary data", id="garbage"),
        pytest.param(b"\x00\x01\x02\x03" * 100, "binary data", id="nul_bytes"),
        pytest.param(b"%PDF-1.7\n...", "is a PDF document", id="pdf"),
        pytest.param(b"\x89PNG\r\n\x1a\n....", "PNG image", id="png"),
        pytest.param(b"\x1f\x8b\x08\x00....", "gzip", id="gzip"),
        pytest.param(b"<html><table><tr><td>1</td></tr></table></html>", "web page", id="html_xls"),
        pytest.param(
            bytes.fromhex("d0cf11e0a1b11ae1") + bytes(600), r"old Excel \(\.xls\)", id="xls"
        ),
        pytest.param(b"PAR1garbagePAR1", "could not be read as Parquet", id="broken_parquet"),
        pytest.param(b"$FL2" + bytes(300), r"could not be read as SPSS \(\.sav\)", id="broken_sav"),
        pytest.param(b"<stata_dta><header>", r"could not be read as Stata", id="broken_dta"),
        pytest.param(
            b"PK\x03\x04xl/workbook.xml" + bytes(50),
            "could not be read as an Excel workbook",
            id="broken_xlsx",
        ),
        pytest.param(b"a,b\n1,2\n3\n4,5,6,7\n", "could not be read as a table", id="ragged"),
    ],
)
def test_unreadable_files_give_a_clear_message(data, message):
    with pytest.raises(DataFileError, match=message) as caught:
        read_table(data, filename="upload.xlsx")
    assert isinstance(caught.value, CohortError)


def test_message_names_the_file():
    with pytest.raises(DataFileError, match=r"^The file 'scan\.csv' is a PDF document"):
        read_table(b"%PDF-1.4", filename="scan.csv")


def test_zip_that_is_not_a_workbook():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("cohort.csv", "a,b\n1,2\n")
    with pytest.raises(DataFileError, match="ZIP archive.*Unzip"):
        read_table(buffer.getvalue(), filename="cohort.zip")


@pytest.mark.parametrize(
    ("data", "names"),
    [
        pytest.param(b"id,age,age\n1,2,3\n", "'age' appears 2 times \\(columns 2, 3\\)", id="csv"),
        pytest.param(b"id;age; age \n1;2;3\n", "'age' appears 2 times", id="after_strip"),
        pytest.param(b"a,b,a,b\n1,2,3,4\n", "'a' appears 2 times .*'b' appears 2 times", id="two"),
    ],
)
def test_duplicated_column_names_are_an_error(data, names):
    with pytest.raises(DataFileError, match=f"duplicated column names: {names}"):
        read_table(data)


def test_duplicated_names_in_excel():
    data = xlsx({"S": [["time", "event", "time"], [1, 0, 2]]})
    with pytest.raises(DataFileError, match="'time' appears 2 times \\(columns 1, 3\\)"):
        read_table(data)


# ---- privacy and speed ------------------------------------------------------------------


def test_no_file_is_written_while_reading(tmp_path, cohort, monkeypatch):
    formats = _all_formats(tmp_path, cohort)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def refuse(*args, **kwargs):
        raise AssertionError("a temporary file was requested")

    for name in (
        "NamedTemporaryFile",
        "TemporaryFile",
        "mkstemp",
        "mkdtemp",
        "SpooledTemporaryFile",
    ):
        monkeypatch.setattr(tempfile, name, refuse)
    before = set(os.listdir(tmp_path))
    for kind, data in formats.items():
        assert read_table(data).attrs["format"] == kind
    assert set(os.listdir(tmp_path)) == before
    assert os.listdir(scratch) == []


def test_formats_constant_lists_every_answer():
    assert set(cio.FORMATS) == {"csv", "xlsx", "parquet", "sav", "dta", "sas7bdat", "xpt", "xls"}
