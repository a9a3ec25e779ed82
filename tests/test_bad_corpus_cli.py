"""Issue 5, bad input through the CLI: every corpus file gives a correct analysis (exit 0) or
exactly one clear line on stderr (exit 2) — never a traceback.

The corpus and the expected outcome of each file are defined in ``tests/data/make_bad_corpus.py``;
large files (5,000 columns, at and above a size limit) are generated into ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cohort_explorer.cli import main
from cohort_explorer.io import DEFAULT_APP_MAX_BYTES
from tests.data.make_bad_corpus import (
    BAD,
    BASE_OPTIONS,
    CASES,
    SAMPLE_CSV,
    small_files,
    write_sized,
    write_wide,
)

MIB = 1024 * 1024


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def analyse(capsys, path, options=BASE_OPTIONS):
    return run(capsys, "analyze", path, *options)


@pytest.fixture(scope="module")
def sample_result():
    """The sample's own analysis with the base options (what a readable file must reproduce)."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["analyze", str(SAMPLE_CSV), *BASE_OPTIONS]) == 0
    return json.loads(out.getvalue())


def assert_one_line_error(code, out, err, fragments):
    assert code == 2, (out, err)
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("cohort-explorer: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])


def assert_same_numbers(result, reference):
    assert result["n"] == reference["n"] and result["events"] == reference["events"]
    assert [(g["label"], g["n"], g["events"]) for g in result["groups"]] == [
        (g["label"], g["n"], g["events"]) for g in reference["groups"]]
    assert result["logrank"]["p"] == pytest.approx(reference["logrank"]["p"], rel=1e-9)
    assert result["cox"]["terms"][0]["hr"] == pytest.approx(reference["cox"]["terms"][0]["hr"],
                                                            rel=1e-9)
    for group, expected in zip(result["groups"], reference["groups"], strict=True):
        assert group["km"]["survival"] == pytest.approx(expected["km"]["survival"], rel=1e-12)
        assert group["km"]["time"] == pytest.approx(expected["km"]["time"], rel=1e-12)


def test_committed_corpus_is_what_the_generator_writes():
    """tests/data/bad/ is reproducible: regenerating it changes no byte (and adds no file)."""
    expected = small_files()
    committed = {p.name: p.read_bytes() for p in BAD.iterdir() if p.is_file()}
    assert committed.keys() == expected.keys()
    for name, data in expected.items():
        assert committed[name] == data, name
    assert max(len(d) for d in expected.values()) < 20_000  # only small files are committed


@pytest.mark.parametrize("case", CASES, ids=[f"{c.name}:{c.outcome}" for c in CASES])
def test_corpus_file_gives_analysis_or_one_line(capsys, sample_result, case):
    code, out, err = analyse(capsys, BAD / case.name, case.options)
    if case.outcome == "error":
        assert_one_line_error(code, out, err, case.message)
        return
    assert code == 0, err
    result = json.loads(out)
    if case.same_as_sample:
        assert_same_numbers(result, sample_result)
    for reason, count in case.excluded.items():
        assert result["excluded"]["reasons"][reason] == count
    assert result["excluded"]["count"] == sum(case.excluded.values())
    if case.warning:
        assert any(case.warning.lower() in w.lower() for w in result["warnings"]), \
            result["warnings"]


def test_all_censored_has_no_tests_and_null_medians(capsys):
    code, out, _ = analyse(capsys, BAD / "all_censored.csv")
    result = json.loads(out)
    assert code == 0 and result["events"] == 0
    assert result["logrank"] is None and result["cox"] is None
    assert all(g["median"]["estimate"] is None for g in result["groups"])
    assert all(set(g["km"]["survival"]) == {1.0} for g in result["groups"])


def test_one_patient_is_analysed(capsys):
    code, out, _ = analyse(capsys, BAD / "one_patient.csv", ("--time", "os_months", "--event",
                                                             "os_event", "--landmark", "12"))
    result = json.loads(out)
    assert code == 0 and result["n"] == 1
    assert result["groups"][0]["landmarks"][0]["at_risk"] == 1
    assert result["groups"][0]["landmarks"][0]["survival"] == 1.0


def test_excluded_rows_leave_the_rest_intact(capsys):
    """Negative times are excluded and counted; the other 57 rows equal the sample's."""
    code, out, _ = analyse(capsys, BAD / "negative_times.csv",
                           ("--time", "pfs_months", "--event", "pfs_event"))
    code_ref, out_ref, _ = analyse(
        capsys, SAMPLE_CSV, ("--time", "pfs_months", "--event", "pfs_event", "--where",
                             "pfs_months>=0", "--where", "patient_id!=MM-005", "--where",
                             "patient_id!=MM-012", "--where", "patient_id!=MM-031"))
    result, reference = json.loads(out), json.loads(out_ref)
    assert code == code_ref == 0
    assert result["n"] == reference["n"] == 57
    assert result["groups"][0]["km"] == reference["groups"][0]["km"]


def test_text_output_of_a_readable_bad_file(capsys):
    code, out, err = analyse(capsys, BAD / "cp1252_semicolon.csv",
                             ("--time", "pfs_months", "--event", "pfs_event", "--group-by", "sex",
                              "--output", "text"))
    assert code == 0, err
    assert "männlich: n=" in out and "weiblich: n=" in out


def test_validate_command_never_crashes_on_the_corpus(capsys):
    """``validate`` on every file: a report (exit 0/1) or one line (exit 2)."""
    for name in sorted({c.name for c in CASES}):
        code, out, err = run(capsys, "validate", BAD / name)
        assert code in (0, 1, 2), name
        if code == 2:
            assert len(err.strip().splitlines()) == 1 and out == "", name
        else:
            json.loads(out)


def test_console_script_prints_no_traceback_for_garbage():
    """The installed entry point (not just main()): exit 2, one line, for binary garbage."""
    proc = subprocess.run(
        [sys.executable, "-m", "cohort_explorer.cli", "analyze", str(BAD / "binary_garbage.csv"),
         *BASE_OPTIONS], capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_five_thousand_columns(capsys, sample_result, tmp_path):
    path = write_wide(tmp_path / "wide.csv", 5000)
    code, out, err = analyse(capsys, path)
    assert code == 0, err
    assert_same_numbers(json.loads(out), sample_result)
    code, out, _ = run(capsys, "validate", path, "--output", "text")
    assert code in (0, 1) and out.startswith("60 rows, 5000 columns")


def test_file_at_and_above_the_size_limit(capsys, tmp_path):
    """--max-size 1 (MiB): exactly 1 MiB is analysed, one byte more is refused unread."""
    at = write_sized(tmp_path / "at.csv", MIB)
    above = write_sized(tmp_path / "above.csv", MIB + 1)
    code, out, err = analyse(capsys, at, (*BASE_OPTIONS, "--max-size", "1"))
    assert code == 0, err
    assert json.loads(out)["n"] == 12664
    code, out, err = analyse(capsys, above, (*BASE_OPTIONS, "--max-size", "1"))
    assert_one_line_error(code, out, err, ("limit is", "1,048,576 bytes"))


def test_above_the_app_limit_is_refused_before_reading(capsys, tmp_path):
    """200 MiB + 1 byte (a sparse file: nothing is written or read): refused at once."""
    path = tmp_path / "huge.csv"
    with open(path, "wb") as handle:
        handle.truncate(DEFAULT_APP_MAX_BYTES + 1)
    code, out, err = analyse(capsys, path, (*BASE_OPTIONS, "--max-size", "200"))
    assert_one_line_error(code, out, err, ("limit is 200 MB",))


@pytest.mark.slow
def test_file_at_the_app_limit_is_analysed(capsys, tmp_path):
    """Exactly 200 MiB (2.5 million patients): read and analysed (about 20 s, 2 GB)."""
    path = write_sized(tmp_path / "limit.csv", DEFAULT_APP_MAX_BYTES)
    code, out, err = analyse(capsys, path, ("--time", "pfs_months", "--event", "pfs_event",
                                            "--max-size", "200", "--output", "text"))
    path.unlink()
    assert code == 0, err
    assert out.startswith("Patients analysed: 2533300,")


def test_category_column_with_a_colon_in_its_name(capsys):
    code, out, err = analyse(capsys, BAD / "colon_names.csv",
                             ("--time", "pfs_months", "--event", "pfs_event", "--group-by",
                              "Risk: cytogenetic"))
    assert code == 0, err
    result = json.loads(out)
    assert [g["label"] for g in result["groups"]] == ["high", "standard"]
    assert result["cox"]["terms"][0]["term"] == "Risk: cytogenetic=standard"
