"""The pyarrow.csv fast path of ``read_delimited`` gives pandas' frame, or steps aside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.io import arrow_csv, text

CASES = {
    "numbers": "id,age,x,flag\nA1,61,1.5,0\nA2,70,2.25,1\nA3,,1e-5,1\n",
    "text_missing": "id,grp,t\np1,high,3\np2,NA,4\np3,,5\np4,n.a.,6\np5,[Not Available],7\n",
    "quoted": 'id,"note, with comma",t\n"a","x ""y""",1\n"b","two\nlines",2\n',
    "spaces": "id,age\na, 61\nb,70 \n",
    "dates": "id,start\na,2020-01-03\nb,2021-12-31\n",
    "booleans": "id,flag\na,True\nb,False\n",
    "empty_column": "id,empty,t\na,,1\nb,,2\n",
    "ragged": "id,t\na,1\nb,2,3\n",
    "big_integers": "id,n\na,18446744073709551615\nb,1\n",
    "long_decimals": "x\n" + "\n".join(repr(v) for v in
                                      np.random.default_rng(1).normal(size=300) * 1e3) + "\n",
    "semicolon": "id;x\na;1.5\nb;2.5\n",
    "tab": "id\tx\na\t1\nb\t\n",
    "inf": "id,x\na,inf\nb,-inf\nc,1\n",
    "plus": "id,x\na,+5\nb,7\n",
    "crlf": "id,x\r\na,1\r\nb,2\r\n",
    "blank_first": "\n\nid,x\na,1\nb,2\n",
    "blank_inside": "id,x\na,1\n\nb,2\n",
    "sep_hint": "sep=;\nid;x\na;1\nb;2\n",
}


def _read(monkeypatch, content: str, arrow: bool, wanted=None):
    monkeypatch.setattr(arrow_csv, "_MIN_BYTES", 0)
    if not arrow:
        monkeypatch.setattr(text, "read_with_arrow", lambda *a, **k: None)
    return text.read_delimited(content.encode(), "The file", wanted)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_equals_pandas(monkeypatch, name):
    content = CASES[name]
    try:
        expected = _read(monkeypatch, content, arrow=False)
    except Exception as error:  # pandas refuses: so must the fast path (it steps aside)
        with pytest.raises(type(error)):
            _read(monkeypatch, content, arrow=True)
        return
    found = _read(monkeypatch, content, arrow=True)
    assert found[1] == expected[1]
    pd.testing.assert_frame_equal(found[0], expected[0], check_exact=True)


def test_fast_path_is_taken_for_plain_numbers_and_text(monkeypatch):
    monkeypatch.setattr(arrow_csv, "_MIN_BYTES", 0)
    frame = arrow_csv.read_with_arrow(CASES["text_missing"].encode(), delimiter=",", decimal=".",
                                      skip=0, names=["id", "grp", "t"], positions=[1, 2],
                                      na_extra=text.EXTRA_NA_VALUES)
    assert list(frame.columns) == ["grp", "t"]
    assert frame["grp"].tolist()[0] == "high" and frame["grp"].isna().tolist()[1:] == [True] * 4
    assert frame["t"].dtype == np.int64
    for name in ("dates", "booleans", "big_integers", "empty_column", "ragged"):
        lines = CASES[name].splitlines()
        names = lines[0].split(",")
        assert arrow_csv.read_with_arrow(CASES[name].encode(), delimiter=",", decimal=".", skip=0,
                                         names=names, positions=None,
                                         na_extra=text.EXTRA_NA_VALUES) is None, name


def test_only_wanted_columns_are_read(monkeypatch):
    content = "a,b,c\n1,x,2.5\n3,y,\n"
    wanted = lambda names: [0, 2]  # noqa: E731
    found = _read(monkeypatch, content, arrow=True, wanted=wanted)[0]
    expected = _read(monkeypatch, content, arrow=False, wanted=wanted)[0]
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
