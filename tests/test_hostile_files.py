"""Issue 9, item 3: files that unpack or expand far beyond their size are refused by limit.

A 302 KB XLSX with 300 shared strings of 1 MB each took the server to 1.2 GB per upload. The
reader now refuses, before building the table where it can, a workbook whose uncompressed
content passes ``COHORT_EXPLORER_MAX_UNZIPPED_MB`` (500), a table with more cells than
``COHORT_EXPLORER_MAX_CELLS`` (10⁸) and a cell longer than ``COHORT_EXPLORER_MAX_CELL_CHARS``
(100,000), each message naming its limit and setting. Corpus files: ``long_strings.xlsx`` and
``padded.xlsx`` (``tests/data/make_bad_corpus.py``).
"""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.errors import LimitError
from cohort_explorer.io import read_table
from cohort_explorer.limits import LIMITS
from tests.data.make_bad_corpus import BAD, PADDING_BYTES, SAMPLE_CSV


def test_long_cells_are_refused_naming_the_limit():
    with pytest.raises(LimitError) as error:
        read_table(BAD / "long_strings.xlsx")
    assert error.value.code == "limit_cell_chars"
    assert error.value.fields == {"limit": 100_000, "value": 150_001,
                                  "setting": "COHORT_EXPLORER_MAX_CELL_CHARS"}
    assert "a cell of 150,001 characters (column 'note', row 1)" in str(error.value)


def test_a_padded_workbook_reads_within_the_default_and_is_refused_below(monkeypatch):
    assert read_table(BAD / "padded.xlsx").shape == pd.read_csv(SAMPLE_CSV).shape
    monkeypatch.setenv("COHORT_EXPLORER_MAX_UNZIPPED_MB", "1")
    with pytest.raises(LimitError) as error:
        read_table(BAD / "padded.xlsx")
    assert error.value.code == "limit_unzipped"
    assert error.value.fields["value"] > PADDING_BYTES
    assert "unpacks to 3 MB" in str(error.value) and "COHORT_EXPLORER_MAX_UNZIPPED_MB" in str(
        error.value)


def test_shared_strings_are_checked_before_openpyxl_loads_them():
    """The issue's bomb: shared strings (not inline ones) of 1 MB each, streamed and refused."""
    from cohort_explorer.io.binary import _check_workbook_content

    buffer = io.BytesIO()
    strings = "".join(f"<si><t>{'B' * 1_000_000}</t></si>" for _ in range(3))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/sharedStrings.xml",
                         '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                         f"{strings}</sst>")
    assert len(buffer.getvalue()) < 20_000
    with pytest.raises(LimitError, match="a cell of 1,000,000 characters \\(shared string 1\\)"):
        _check_workbook_content(buffer.getvalue(), "The file 'bomb.xlsx'")


def test_the_cell_limit_is_checked_on_every_format(monkeypatch, tmp_path):
    monkeypatch.setenv("COHORT_EXPLORER_MAX_CELLS", "1000")
    with pytest.raises(LimitError) as error:
        read_table(SAMPLE_CSV)
    assert error.value.code == "limit_cells"
    assert "60 rows × 20 columns = 1,200 cells" in str(error.value)
    with pytest.raises(LimitError, match="limit is 1,000 cells"):
        read_table(BAD / "title_row.xlsx")
    monkeypatch.setenv("COHORT_EXPLORER_MAX_CELLS", "0")  # 0 turns a limit off
    assert read_table(SAMPLE_CSV).shape == (60, 20)


def test_a_million_rows_by_fifty_columns_still_loads(tmp_path):
    """The issue's floor: 5·10⁷ cells are within the default limits."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert LIMITS["cells"].value() >= 1_000_000 * 50
    rng = np.random.default_rng(1)
    column = pa.array(rng.random(1_000_000))
    path = tmp_path / "wide.parquet"
    pq.write_table(pa.table({f"c{i}": column for i in range(50)}), path)
    assert read_table(path).shape == (1_000_000, 50)
