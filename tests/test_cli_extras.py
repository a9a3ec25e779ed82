"""CLI: --competing/--fine-gray, --entry and --dates, end to end against the R goldens.

The competing-risk numbers are checked against tests/reference/competing.json (dataset
"sample": the sample cohort's PFS by cause, grouped by ISS stage, Fine–Gray on ISS + IKZF1);
delayed entry against tests/reference/entry.json (R's myeloma, year of diagnosis in quartiles).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from cohort_explorer.cli import main
from tests.conftest import REFERENCE, SAMPLE_CSV, load_reference

COMPETING = load_reference("competing")["datasets"]
ENTRY = load_reference("entry")["datasets"]


def run(capsys, *args):
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def r_array(values):
    values = values if isinstance(values, list) else [values]
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_competing_json_matches_R(capsys):
    code, out, err = run(capsys, "analyze", SAMPLE_CSV, "--time", "pfs_months", "--event",
                         "pfs_cause=1", "--competing", "pfs_cause=2", "--group-by", "iss_stage",
                         "--covariates", "ikzf1", "--fine-gray", "--landmark", "12,36,60")
    assert code == 0, err
    result = json.loads(out)
    expected = COMPETING["sample"]
    competing = result["competing"]
    assert competing["event"] == "pfs_cause=1" and competing["competing"] == "pfs_cause=2"
    assert competing["gray"]["statistic"] == pytest.approx(expected["gray"]["statistic"], rel=1e-6)
    assert competing["gray"]["df"] == 2
    for group in competing["groups"]:
        curve = expected["curves"][group["label"]]["log-log"]
        assert set(group["cif"]) == {"time", "estimate", "lower", "upper"}
        np.testing.assert_allclose(r_array(group["cif"]["estimate"]), r_array(curve["estimate"]),
                                   rtol=1e-6)
        np.testing.assert_allclose(r_array(group["cif"]["upper"]), r_array(curve["upper"]),
                                   rtol=1e-6)
        marks = dict(zip(curve["landmarks"]["time"], curve["landmarks"]["estimate"], strict=True))
        for lm in group["landmarks"]:
            assert lm["estimate"] == pytest.approx(marks[lm["time"]], rel=1e-6)
    terms = result["fine_gray"]["terms"]
    assert [t["term"] for t in terms] == ["iss_stage=II", "iss_stage=III", "ikzf1"]
    np.testing.assert_allclose([t["coef"] for t in terms], expected["fine_gray"]["coef"], rtol=1e-5)
    np.testing.assert_allclose([t["se"] for t in terms], expected["fine_gray"]["se"], rtol=1e-5)


def test_without_competing_the_json_has_no_competing_keys(capsys):
    code, out, _ = run(capsys, "analyze", SAMPLE_CSV, "--time", "pfs_months", "--event",
                       "pfs_event")
    assert code == 0
    assert not {"competing", "fine_gray", "entry"} & set(json.loads(out))


@pytest.mark.parametrize(("args", "message"), [
    (["--competing", "pfs_cause=1"], "must differ from the event of interest"),
    (["--competing", "pfs_event=1"], "24 rows are both an event"),
    (["--competing", "pfs_cause=9"], "no row of 'pfs_cause' has the value 9"),
    (["--fine-gray"], "--fine-gray needs a competing event"),
    (["--competing", "pfs_cause"], "give COL=VALUE"),
    (["--entry", "age", "--competing", "pfs_cause=2"], "cannot be combined with --competing"),
    (["--entry", "age", "--group-by", "ikzf1:optimal"], "cannot be combined with :optimal"),
    (["--entry", "age", "--landmark-from", "6"], "cannot be combined with --landmark-from"),
])
def test_bad_competing_and_entry_options_exit_2_with_one_line(capsys, args, message):
    code, out, err = run(capsys, "analyze", SAMPLE_CSV, "--time", "pfs_months", "--event",
                         "pfs_cause=1", *args)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_entry_moves_the_myeloma_q2_median_and_hr_as_R(capsys):
    data = REFERENCE / ENTRY["myeloma"]["file"]
    code, out, err = run(capsys, "analyze", data, "--time", "time", "--event", "event",
                         "--group-by", "x:quartiles", "--entry", "entry")
    assert code == 0, err
    result = json.loads(out)
    assert result["entry"] == "entry"
    q2 = result["groups"][1]
    assert q2["label"] == "Q2" and q2["median"]["estimate"] == 784
    expected = ENTRY["myeloma"]
    np.testing.assert_allclose(result["logrank"]["statistic"], expected["logrank"]["statistic"],
                               rtol=1e-6)
    hr = result["cox"]["terms"][0]
    assert hr["term"] == "x=Q2" and round(hr["hr"], 2) == 0.91
    code, out, _ = run(capsys, "analyze", data, "--time", "time", "--event", "event",
                       "--group-by", "x:quartiles")
    plain = json.loads(out)
    assert plain["groups"][1]["median"]["estimate"] == 1080
    assert round(plain["cox"]["terms"][0]["hr"], 2) == 0.76


def test_entry_not_before_time_is_excluded_with_its_reason(capsys, tmp_path):
    path = tmp_path / "entry.csv"
    path.write_text("t,e,entry\n5,1,0\n6,0,2\n4,1,4\n7,1,\n8,1,1\n")
    code, out, err = run(capsys, "analyze", path, "--time", "t", "--event", "e", "--entry", "entry")
    assert code == 0, err
    result = json.loads(out)
    assert result["n"] == 3
    assert result["excluded"]["reasons"]["entry not before time"] == 1
    assert result["excluded"]["reasons"]["missing or invalid entry"] == 1


DATES = """id,dx,event_date,last_seen
1,15.01.2020,20.07.2020,
2,15.01.2020,,15.01.2021
3,,01.02.2021,01.03.2021
4,01.06.2020,01.01.2020,01.02.2021
5,13.02.2020,,
6,01/02/2020,03/02/2021,03/02/2021
"""


def test_dates_build_time_and_event_with_reasons(capsys, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text(DATES)
    code, out, err = run(capsys, "analyze", path, "--dates", "dx,event_date,last_seen",
                         "--date-order", "dmy", "--time-unit", "months", "--event-name", "OS")
    assert code == 0, err
    result = json.loads(out)
    assert result["n"] == 3 and result["events"] == 2
    assert result["excluded"]["reasons"] == {**result["excluded"]["reasons"],
                                            "missing start date": 1,
                                            "event date before start date": 1,
                                            "no event or last-contact date": 1}
    assert "1 row(s) have a date in 'event_date' before the start date in 'dx'" in " ".join(
        result["warnings"])
    times = sorted(result["groups"][0]["km"]["time"])
    assert times == pytest.approx([187 / 30.4375, 366 / 30.4375, 368 / 30.4375])


def test_ambiguous_dates_need_the_order(capsys, tmp_path):
    path = tmp_path / "dates.csv"
    path.write_text("dx,ev,last\n01/02/2020,03/02/2021,\n02/03/2020,,04/05/2021\n")
    code, out, err = run(capsys, "analyze", path, "--dates", "dx,ev,last")
    assert code == 2 and "--date-order" in err and "Traceback" not in err
    code, out, err = run(capsys, "analyze", path, "--dates", "dx,ev,last", "--date-order", "mdy")
    assert code == 0, err
    assert sorted(json.loads(out)["groups"][0]["km"]["time"]) == [425.0, 427.0]


@pytest.mark.parametrize(("args", "message"), [
    (["--dates", "dx,ev"], "three columns"),
    (["--dates", "dx,ev,last", "--time", "t"], "drop --time and --event"),
    (["--time-unit", "months", "--time", "t", "--event", "e"], "only apply with --dates"),
    (["--dates", "dx,ev,nope"], "No column 'nope'"),
])
def test_bad_dates_options_exit_2(capsys, tmp_path, args, message):
    path = tmp_path / "dates.csv"
    path.write_text("dx,ev,last,t,e\n2020-01-01,2020-05-01,,1,1\n")
    code, _, err = run(capsys, "analyze", path, *args)
    assert code == 2 and message in err and "Traceback" not in err
