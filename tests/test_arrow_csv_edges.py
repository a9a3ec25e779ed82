"""More files where pyarrow.csv and pandas read differently: the fast path must step aside."""

from __future__ import annotations

import pandas as pd
import pytest

from cohort_explorer.io import arrow_csv, text

CASES = {
    "hexadecimal": "id,x\n" + "".join(f"a{i},0x1F\n" for i in range(3)),  # Arrow: 31
    "plus_signs": "id,x\n" + "".join(f"a{i},+{i}\n" for i in range(5)),  # Arrow: floats
    "open_quote": 'a,b\n1,"2\n3,4\n',  # Arrow reads to the end; pandas refuses
    "open_quote_even": 'a,b\nx"y,1\n3,"4\n5,6\n',  # a literal quote, then one left open
}


def _read(monkeypatch, content: str, arrow: bool):
    with monkeypatch.context() as patch:
        patch.setattr(arrow_csv, "_MIN_BYTES", 0)
        if not arrow:
            patch.setattr(text, "read_with_arrow", lambda *a, **k: None)
        return text.read_delimited(content.encode(), "The file")


@pytest.mark.parametrize("name", sorted(CASES))
def test_fast_path_steps_aside(monkeypatch, name):
    content = CASES[name]
    monkeypatch.setattr(arrow_csv, "_MIN_BYTES", 0)
    names = content.split("\n")[0].split(",")
    assert arrow_csv.read_with_arrow(content.encode(), delimiter=",", decimal=".", skip=0,
                                     names=names, positions=None,
                                     na_extra=text.EXTRA_NA_VALUES) is None
    try:
        expected = _read(monkeypatch, content, arrow=False)
    except Exception as error:  # pandas refuses: so does the fast path
        with pytest.raises(type(error)):
            _read(monkeypatch, content, arrow=True)
        return
    found = _read(monkeypatch, content, arrow=True)
    pd.testing.assert_frame_equal(found[0], expected[0], check_exact=True)


def test_signed_decimals_and_text_with_plus_still_use_arrow(monkeypatch):
    monkeypatch.setattr(arrow_csv, "_MIN_BYTES", 0)
    content = "id,x,note\n" + "".join(f"a{i},{i}.5,dose+{i}\n" for i in range(20))
    frame = arrow_csv.read_with_arrow(content.encode(), delimiter=",", decimal=".", skip=0,
                                      names=["id", "x", "note"], positions=None,
                                      na_extra=text.EXTRA_NA_VALUES)
    assert frame is not None and frame["x"].tolist()[:2] == [0.5, 1.5]
