"""Issue 9, items 6, 9 and 11: inputs that crashed the CLI, identifiers that slipped through,
numbers that were wrong without a word.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.cli import main
from cohort_explorer.data.identifiers import find_identifier_columns
from cohort_explorer.errors import DataFileError, OptionError
from cohort_explorer.io import read_table
from cohort_explorer.present.exports import export_columns
from cohort_explorer.spec import AnalysisSpec
from tests.data.make_bad_corpus import SAMPLE_CSV

BASE = ["--time", "pfs_months", "--event", "pfs_event"]


def one_line(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    return err


# --- item 6: CLI tracebacks ------------------------------------------------------------------

def test_derive_without_columns_is_one_line(capsys):
    err = one_line(capsys, "analyze", SAMPLE_CSV, *BASE, "--derive", "x=any:,,,")
    assert "list the 0/1 columns after 'any:'" in err


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0"])
def test_max_size_must_be_a_positive_finite_number(capsys, value):
    err = one_line(capsys, "analyze", SAMPLE_CSV, *BASE, "--max-size", value)
    assert f"expected a positive finite number, got '{value}'" in err


def test_validate_of_a_parquet_file_with_nested_columns(tmp_path, capsys):
    """Decision: nested columns (list/struct/map) are refused with their names, not guessed."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "nested.parquet"
    pq.write_table(pa.table({
        "time": [1.0, 2.0, 3.0], "event": [1, 0, 1], "tags": [[1, 2], [], None],
        "address": [{"city": "Ulm"}, {"city": "Bonn"}, None],
        "labs": pa.array([[("ldh", 1)], [], None], type=pa.map_(pa.string(), pa.int64())),
    }), path)
    err = one_line(capsys, "validate", path)
    assert "nested columns (lists, structs or maps: 'tags', 'address', 'labs')" in err
    with pytest.raises(DataFileError) as error:
        read_table(path)
    assert error.value.code == "nested_columns"
    assert error.value.fields["columns"] == ["tags", "address", "labs"]


# --- item 9: identifiers ---------------------------------------------------------------------

def test_hospital_numbers_are_flagged_and_left_out_of_exports():
    rng = np.random.default_rng(9)
    n = 60
    df = pd.DataFrame({
        "Hospital ID": [f"H{i:05d}" for i in range(n)],
        "record_id": rng.integers(1_000_000, 9_999_999, n),
        "KIS-Nr": rng.integers(10_000, 99_999, n),
        "Aufnahmenummer": rng.integers(10**8, 10**9, n).astype(float),
        "patient_id": [f"MM-{i:03d}" for i in range(n)],
        "visit_no": np.arange(n) % 3,
        "ikzf1": rng.normal(1, 0.2, n),
    })
    found = find_identifier_columns(df)
    for column in ("Hospital ID", "KIS-Nr", "Aufnahmenummer"):
        assert found[column] == "the column name suggests a hospital record or admission number"
    assert found["record_id"] == "the values look like hospital record numbers (7 or more digits)"
    assert found["patient_id"].startswith("pseudonymous ID")
    assert "visit_no" not in found and "ikzf1" not in found
    assert export_columns(df.columns, found) == ["visit_no", "ikzf1"]


def test_a_small_record_id_stays_a_pseudonymous_study_id():
    """REDCap's record_id 1, 2, 3, ... is a study pseudonym, not a hospital number."""
    df = pd.DataFrame({"record_id": np.arange(1, 61)})
    reason = find_identifier_columns(df).get("record_id", "")
    assert "hospital" not in reason


# --- item 11: silent numerics and files ------------------------------------------------------

def test_a_nul_byte_after_64_kb_is_refused_with_its_line(tmp_path):
    text = "time,event,note\n" + "".join(f"{i % 50 + 1},{i % 2},row{i}\n" for i in range(9000))
    assert len(text) > 70_000
    lines = text.splitlines(keepends=True)
    lines[8000] = lines[8000].replace("row", "ro\x00w")
    path = tmp_path / "nul.csv"
    path.write_text("".join(lines))
    with pytest.raises(DataFileError, match="NUL byte .* on line 8,001"):
        read_table(path)


def test_a_yyyymmdd_time_column_warns():
    rng = np.random.default_rng(11)
    days = pd.to_datetime("2019-01-01") + pd.to_timedelta(rng.integers(0, 900, 40), unit="D")
    df = pd.DataFrame({"time": days.strftime("%Y%m%d").astype(int), "event": rng.integers(0, 2, 40)})
    result = analyze(df, AnalysisSpec("time", "event"))
    assert any("look like calendar dates (yyyymmdd)" in w for w in result.warnings)
    sample = analyze(pd.read_csv(SAMPLE_CSV), AnalysisSpec("pfs_months", "pfs_event"))
    assert not any("yyyymmdd" in w for w in sample.warnings)


def test_all_events_at_one_time_explains_the_missing_test(tmp_path, capsys):
    df = pd.DataFrame({"time": [5.0] * 6, "event": [1] * 6, "g": list("aaabbb")})
    result = analyze(df, AnalysisSpec("time", "event", group_by="g"))
    assert np.isnan(result.logrank.statistic)
    assert any("log-rank test is not defined" in w and "all events fall at one time" in w
               for w in result.warnings)
    path = tmp_path / "one_time.csv"
    df.to_csv(path, index=False)
    assert main(["analyze", str(path), "--time", "time", "--event", "event", "--group-by", "g",
                 "--output", "text"]) == 0
    out = capsys.readouterr().out
    assert "Log-rank: not defined (zero variance; see the warnings)" in out
    assert "nan" not in out.split("Cox model")[0]


def test_rmst_of_1e308_is_finite_and_without_runtime_warnings(capsys):
    with np.errstate(all="raise"):
        code = main(["analyze", str(SAMPLE_CSV), *BASE, "--group-by", "ikzf1:q1-vs-rest",
                     "--rmst", "1e308"])
    out, err = capsys.readouterr()
    assert code == 0, err
    result = json.loads(out)
    for group in result["groups"]:
        rmst = group["rmst"]
        assert all(np.isfinite(rmst[k]) for k in ("estimate", "se", "lower", "upper"))
        assert rmst["lower"] < rmst["estimate"] < rmst["upper"]
    assert any("beyond the last follow-up" in w for w in result["warnings"])


def test_rmst_at_a_usual_tau_is_unchanged():
    """The overflow-safe variance gives R's numbers (the survival golden covers more)."""
    result = analyze(pd.read_csv(SAMPLE_CSV), AnalysisSpec("pfs_months", "pfs_event",
                                                           rmst_tau=36.0))
    km_area = result.groups[0].rmst
    assert km_area.truncated is False and km_area.se > 0


def test_derive_does_not_overwrite_a_column():
    df = pd.read_csv(SAMPLE_CSV)
    with pytest.raises(OptionError, match="already has a column 'ikzf1'"):
        analyze(df, AnalysisSpec("pfs_months", "pfs_event",
                                 derive=("ikzf1=any:del17p,t_4_14",)))


@pytest.mark.parametrize(("kind", "expected"), [
    ("folder", "is a folder"), ("fifo", "is a named pipe (FIFO)"), ("device", "is a device"),
])
def test_directories_fifos_and_devices_are_named(tmp_path, capsys, kind, expected):
    if kind == "folder":
        path = tmp_path
    elif kind == "fifo":
        path = tmp_path / "pipe"
        os.mkfifo(path)
    else:
        path = "/dev/null"
    err = one_line(capsys, "analyze", path, *BASE)
    assert expected in err and "No such file" not in err
    err = one_line(capsys, "validate", path)
    assert expected in err
    with pytest.raises(DataFileError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        read_table(path)
