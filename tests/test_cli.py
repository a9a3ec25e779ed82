"""The cohort-explorer command line: the JSON contract, text output, and exit 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cohort_explorer.cli import main
from tests.conftest import SAMPLE_CSV, load_reference

REF = load_reference("analysis")


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_done_when_command_prints_the_calibrated_numbers(capsys):
    """The issue's acceptance command, JSON: 3-year PFS per group, log-rank p and HR = R."""
    code, out, err = run(capsys, "analyze", SAMPLE_CSV, "--time", "pfs_months", "--event",
                         "pfs_event", "--group-by", "ikzf1:q1-vs-rest", "--landmark", "36")
    assert code == 0, err
    result = json.loads(out)
    ref = REF["sample_pfs"]
    for group, expected in zip(result["groups"], ref["groups"], strict=True):
        assert group["label"] == expected["label"]
        landmark = group["landmarks"][0]
        assert landmark["time"] == 36
        for key in ("survival", "lower", "upper"):
            assert landmark[key] == pytest.approx(expected["landmarks"][key], rel=1e-6)
        assert set(group["km"]) >= {"time", "survival", "lower", "upper", "at_risk", "events",
                                    "censored"}
        assert "rmst" not in group
    assert result["logrank"]["p"] == pytest.approx(ref["logrank"]["p"], rel=1e-6)
    assert result["cox"]["terms"][0]["hr"] == pytest.approx(ref["cox"]["hr"], rel=1e-6)
    assert result["cox"]["ties"] == "efron"
    assert "cutpoint" not in result
    assert set(result["software"]) >= {"cohort_explorer", "numpy", "scipy"}


def test_text_output_is_readable_and_has_no_arrays(capsys):
    code, out, _ = run(capsys, "analyze", SAMPLE_CSV, "--time", "pfs_months", "--event",
                       "pfs_event", "--group-by", "ikzf1:q1-vs-rest", "--landmark", "36",
                       "--output", "text")
    assert code == 0
    assert "ikzf1 Q1 (≤ 0.643): n=" in out and "ikzf1 Q2-Q4 (> 0.643): n=" in out
    assert "survival at 36:" in out and "Log-rank: chi2 =" in out
    assert "ikzf1=Q2-Q4: HR 3.35 (95% CI 1.00–11.27), p = 0.050 (unadjusted)" in out
    assert "[" not in out.replace("[IQR", "")


def test_console_script_runs_without_traceback(tmp_path):
    missing = tmp_path / "nope.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "cohort_explorer.cli", "analyze", str(missing), "--time", "t",
         "--event", "e"], capture_output=True, text=True,
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "No such file" in proc.stderr


@pytest.fixture
def coded_1_2(tmp_path):
    path = tmp_path / "cohort.csv"
    path.write_text("time,status,arm\n5,1,A\n8,2,B\n12,2,A\n3,1,B\n20,1,A\n")
    return path


BAD = [
    pytest.param(["--time", "tim", "--event", "status"], "No column 'tim'", id="unknown-column"),
    pytest.param(["--time", "time", "--event", "status"], "status=VALUE", id="event-coded-1-2"),
    pytest.param(["--time", "time", "--event", "status=2", "--group-by", "arm:quintiles"],
                 "unknown rule", id="bad-group-rule"),
    pytest.param(["--time", "time", "--event", "status=2", "--conf-type", "logit"],
                 "invalid choice", id="bad-conf-type"),
    pytest.param(["--time", "time", "--event", "status=2", "--landmark", "x"],
                 "expected numbers", id="bad-landmark"),
    pytest.param(["--time", "time", "--event", "status=2", "--group-by", "arm", "--reference",
                  "Z"], "not a group of arm", id="unknown-reference"),
    pytest.param(["--time", "time", "--event", "status=2", "--where", "arm=C"],
                 "leaves no rows out of 5", id="everything-filtered"),
    pytest.param(["--time", "time", "--event", "status=2", "--group-by", "arm", "--where",
                  "arm=A", "--pairwise", "holm"], "two groups", id="pairwise-one-group"),
    pytest.param(["--time", "arm", "--event", "status=2"],
                 "Nothing to analyse: every row was excluded (non-numeric time: 5)",
                 id="text-times"),
    pytest.param(["--time", "time", "--event", "status="], "event value", id="empty-event-value"),
    pytest.param(["--time", "time"], "required", id="missing-option"),
]


@pytest.mark.parametrize(("options", "message"), BAD)
def test_bad_input_exits_2_with_one_line(capsys, coded_1_2, options, message):
    code, out, err = run(capsys, "analyze", coded_1_2, *options)
    assert code == 2, out
    assert out == ""
    assert err.startswith("cohort-explorer: error: ") and err.count("\n") == 1
    assert message in err


def test_event_coding_message_names_values(capsys, coded_1_2):
    _, _, err = run(capsys, "analyze", coded_1_2, "--time", "time", "--event", "status")
    assert "1, 2" in err


@pytest.mark.parametrize(
    ("content", "id_"),
    [(b"", "empty"), (b"time,status\n", "header-only"), (bytes(range(256)) * 20, "garbage")],
)
def test_unreadable_files_exit_2(capsys, tmp_path, content, id_):
    path = tmp_path / f"{id_}.csv"
    path.write_bytes(content)
    code, _, err = run(capsys, "analyze", path, "--time", "time", "--event", "status")
    assert code == 2 and err.count("\n") == 1


def test_max_size_refuses_large_file(capsys):
    code, _, err = run(capsys, "analyze", SAMPLE_CSV, "--time", "pfs_months", "--event",
                       "pfs_event", "--max-size", "0.001")
    assert code == 2 and "limit is 1.0 KB" in err


def test_make_sample_writes_a_synthetic_cohort(capsys, tmp_path):
    out = tmp_path / "big.csv"
    code, _, _ = run(capsys, "make-sample", "--n", "1000", "--seed", "7", "--out", out)
    assert code == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 1001 and lines[0].startswith("patient_id,")


def test_validate_reports_event_problem(capsys, coded_1_2):
    code, out, _ = run(capsys, "validate", coded_1_2, "--time", "time", "--event", "status",
                       "--output", "json")
    report = json.loads(out)
    assert report["n_rows"] == 5
    assert code == 1 and any(i["severity"] == "error" for i in report["issues"])


@pytest.mark.parametrize(("group_by", "advised"), [("ikzf1", True), ("ikzf1:quartiles", False),
                                                   ("ikzf1:cut=1", False)])
def test_validate_advises_a_rule_only_when_none_is_given(capsys, group_by, advised):
    code, out, _ = run(capsys, "validate", SAMPLE_CSV, "--time", "pfs_months", "--event",
                       "pfs_event", "--group-by", group_by, "--output", "text")
    assert code == 0
    assert ("group it by quartiles, the median or a cut point" in out) is advised
