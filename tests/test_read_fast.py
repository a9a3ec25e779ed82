"""The reader's shortcuts for large files give what the plain computations give."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.io.arrow_csv import _hex_prefix
from cohort_explorer.io.text import _is_utf8, numeric_from_strings
from cohort_explorer.io.tidy import _NA_STRINGS, _strip_text, blank_rows, tidy_columns


@pytest.mark.parametrize("data", [
    b"", b"0", b"x", b"0x", b"0X1F", b"a,0x1F\n", b"sex,ox\n1,2\n", b"x" + b"0" * 100,
    b"box,fox\n" * 1500, b"box,fox\n" * 1500 + b"9,0x2\n", b"X0,x" * 3000, b"10X" + b"x" * 2000,
], ids=lambda data: f"{len(data)}:{data[:12]!r}")
def test_hex_prefix_is_the_two_byte_search(data):
    assert _hex_prefix(data) == (b"0x" in data or b"0X" in data)


@pytest.mark.parametrize("data", [b"", b"a,b\n1,2\n", "é,ü\n".encode(), b"\xe9\n", b"\xff\xfe",
                                  b"a\n" * 10 + "ß".encode()[:1]])
def test_utf8_check_with_ascii_shortcut(data):
    try:
        data.decode("utf-8")
        expected = True
    except UnicodeDecodeError:
        expected = False
    assert _is_utf8(data) is expected


def test_blank_rows_as_isna_all():
    df = pd.DataFrame({
        "text": ["a", None, None, np.nan, " ", None],
        "x": [1.0, np.nan, 2.0, np.nan, np.nan, np.nan],
        "n": pd.array([1, None, None, None, None, None], dtype="Int64"),
        "d": pd.to_datetime(["2020-01-01", None, None, None, None, "2020-01-02"]),
    })
    expected = df.isna().all(axis=1).to_numpy()
    assert expected.tolist() == [False, True, False, True, False, False]
    assert blank_rows(df).tolist() == expected.tolist()
    assert blank_rows(df[["text"]]).tolist() == df[["text"]].isna().all(axis=1).tolist()
    assert blank_rows(df.iloc[:0]).tolist() == []


def test_stripped_text_and_missing_words_as_pandas():
    column = pd.Series([" a ", "NA", " NA ", None, "b", "", "n/a", np.nan] * 3)
    text, missing = _strip_text(column)
    expected = column.str.strip()
    assert text.isna().tolist() == expected.isna().tolist()
    assert text.dropna().tolist() == expected.dropna().tolist()
    assert missing.tolist() == text.isin(list(_NA_STRINGS)).tolist()
    tidy = pd.Series(["a", "NA"])
    same, missing = _strip_text(tidy)
    assert same is tidy and missing.tolist() == [False, True]


@pytest.mark.parametrize("values", [
    ["a", "b"] * 600,  # text: the shortcut answers
    ["1", "2.5"] * 600,  # numbers
    ["1"] * 300 + ["x"] * 900,  # numbers first, then text
    [None] * 1200 + ["3", "4"] * 150,  # present values only beyond row 1000
    ["1,5", "2,25"] * 600,  # European decimals
    ["1,5", "a,b"] * 600,  # commas, not numbers
    ["a"] * 150,  # short column
])
@pytest.mark.parametrize("decimal_comma", [True, False])
def test_numeric_from_strings_shortcut_changes_nothing(values, decimal_comma):
    column = pd.Series(values, dtype=object)
    got = numeric_from_strings(column, decimal_comma=decimal_comma)
    # the same computation without the shortcut: the full column's present values
    text = column.dropna()
    head = text.iloc[:200]
    if pd.to_numeric(head, errors="coerce").notna().all() and pd.to_numeric(
            text, errors="coerce").notna().all():
        assert got is not None
        pd.testing.assert_series_equal(
            got, pd.to_numeric(text).astype(float).reindex(column.index)
            if len(text) < len(column) or pd.to_numeric(text).dtype.kind not in "iu"
            else pd.to_numeric(text))
    elif decimal_comma and values[0] == "1,5" and values[1] == "2,25":
        assert got is not None and got.iloc[0] == 1.5 and got.iloc[1] == 2.25
    else:
        assert got is None


def test_tidy_columns_big_text_column():
    n = 5000
    df = pd.DataFrame({"id": [f" P{i} " for i in range(n)],
                       "risk": (["high", "NA", "standard ", "null"] * n)[:n]})
    out = tidy_columns(df.copy(), decimal_comma=False)
    assert out["id"].tolist() == [f"P{i}" for i in range(n)]
    expected = df["risk"].str.strip().mask(df["risk"].str.strip().isin(["NA", "null"]))
    pd.testing.assert_series_equal(out["risk"], expected)


def _many_rows() -> dict[str, str]:
    rng = np.random.default_rng(3)
    n = 80_000  # > 1 MB: several parse blocks, each with its own dictionary
    risk = rng.choice(["high", "standard", "", "NA", " low"], n)
    late = [f"value{i}" if i > n // 2 else "same" for i in range(n)]  # distinct ones come late
    return {
        "few_values": "id,risk,t\n" + "".join(f"p{i},{r},{i % 97}\n" for i, r in enumerate(risk)),
        "many_late": "id,code\n" + "".join(f"p{i},{c}\n" for i, c in enumerate(late)),
    }


@pytest.mark.parametrize("name", ["few_values", "many_late"])
def test_dictionary_encoded_text_equals_pandas(monkeypatch, name):
    from cohort_explorer.io import arrow_csv, text

    content = _many_rows()[name].encode()
    fast = text.read_delimited(content, "The file")[0]
    monkeypatch.setattr(text, "read_with_arrow", lambda *a, **k: None)
    expected = text.read_delimited(content, "The file")[0]
    pd.testing.assert_frame_equal(fast, expected, check_exact=True)
    names = content[:40].split(b"\n")[0].decode().split(",")
    assert arrow_csv.read_with_arrow(content, delimiter=",", decimal=".", skip=0, names=names,
                                     positions=None, na_extra=text.EXTRA_NA_VALUES) is not None
