"""The reproducible R script: R recomputes every number of an analysis and compares.

The generated script is run with ``Rscript`` (survival, maxstat) on the sample cohort and on
three more analyses; it must report every quantity within tolerance, stop when a number or the
CSV is changed, and run nothing that a column name, label or file name says.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.analysis.analysis_frame import analysis_frame
from cohort_explorer.present.rlang import r_number, r_string, r_strings
from cohort_explorer.present.rscript import r_script_files, write_r_script
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import SAMPLE_CSV, require_r

PFS = {"time_col": "pfs_months", "event_col": "pfs_event"}
ANALYSES = {
    "sample": AnalysisSpec(**PFS, group_by="ikzf1:q1-vs-rest", landmarks=(36.0,),
                           covariates=("cyto_risk:cat:ref=standard",)),
    "quartiles_tests": AnalysisSpec(**PFS, group_by="ikzf1:quartiles", trend=True,
                                    pairwise="BH", strata="sex", rmst_tau=36.0,
                                    landmarks=(12.0, 36.0, 500.0), conf_type="log",
                                    conf_level=0.9, covariates=("age:z", "iss_stage:cat")),
    "optimal_cut": AnalysisSpec(**PFS, group_by="ikzf1:optimal", conf_type="plain",
                                where=("age>=40",), landmarks=(24.0,)),
    "landmark_response": AnalysisSpec(time_col="os_months", event_col="os_event",
                                      group_by="best_response:order=sCR,CR,VGPR,PR,SD,PD",
                                      landmark_from=6.0, response_time_col="response_months",
                                      trend=True, landmarks=(24.0,)),
    "competing_fine_gray": AnalysisSpec(time_col="pfs_months", event_col="pfs_cause",
                                        event_value="1", competing="pfs_cause=2", fine_gray=True,
                                        group_by="ikzf1:q1-vs-rest", covariates=("age",),
                                        landmarks=(36.0,)),
    "spline_rms": AnalysisSpec(**PFS, group_by="ikzf1:q1-vs-rest", spline="age",
                               covariates=("age", "cyto_risk:cat")),
    "delayed_entry": AnalysisSpec(**PFS, entry_col="entry", group_by="ikzf1:quartiles",
                                  covariates=("age",), landmarks=(36.0,), trend=True,
                                  pairwise="holm"),
}
MARKER = "/tmp/cohort-explorer-pwned"
#: R code a name might try to smuggle into the script.
PAYLOADS = [
    f'"); system("touch {MARKER}"); ("',
    f"'); system('touch {MARKER}'); ('",
    f'x\n system("touch {MARKER}") #',
    f'\\"); system("touch {MARKER}"); #\\',
    f'`; system("touch {MARKER}")`',
    f'\r"); file.create("{MARKER}"); #',
    "é ü 中文 \U0001F600 \u202e RTL \x00 nul \ud800",
]


def _sample() -> pd.DataFrame:
    df = pd.read_csv(SAMPLE_CSV)
    df["entry"] = np.round(df["pfs_months"] * 0.2, 1)  # delayed entry, before each time
    return df


def _decode(literal: str) -> str:
    """Read back an R literal as written by r_string (for the Python-side property)."""
    assert literal[0] == literal[-1] == '"'
    body = literal[1:-1]
    pattern = r'\\u\{([0-9a-f]+)\}|\\U\{([0-9a-f]+)\}|\\(["\\])|([^"\\])'
    out, pos = [], 0
    for m in re.finditer(pattern, body):
        assert m.start() == pos, f"unexpected text at {body[pos:]!r}"
        pos = m.end()
        code = m.group(1) or m.group(2)
        out.append(chr(int(code, 16)) if code else (m.group(3) or m.group(4)))
    assert pos == len(body)
    return "".join(out)


@pytest.mark.parametrize("text", PAYLOADS + ["plain", "", 'a"b\\c'])
def test_r_string_is_one_printable_ascii_literal(text):
    literal = r_string(text)
    assert re.fullmatch(r'"([ -~])*"', literal), literal
    expected = text.replace("\x00", "\ufffd").replace("\ud800", "\ufffd")
    assert _decode(literal) == expected


def test_r_numbers_round_trip_and_missing_values():
    assert r_number(0.1) == "0.1" and float(r_number(1 / 3)) == 1 / 3
    assert [r_number(v) for v in (None, np.nan, np.inf, -np.inf, True)] == \
        ["NA", "NA", "Inf", "-Inf", "TRUE"]


def test_r_reads_every_literal_back_as_the_same_text(tmp_path):
    rscript = require_r()
    texts = [p.replace("\x00", "\ufffd").replace("\ud800", "\ufffd") for p in PAYLOADS]
    out = tmp_path / "out.txt"
    script = (f"x <- {r_strings(texts)}\n"
              f"writeLines(enc2utf8(x), file({r_string(out)}, encoding = 'UTF-8'), sep = '\\x1e')\n")
    (tmp_path / "s.R").write_text(script, encoding="ascii")
    done = subprocess.run([rscript, str(tmp_path / "s.R")], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes().decode("utf-8").split("\x1e")[:-1] == texts
    assert not Path(MARKER).exists()


def test_analysis_frame_is_numbers_only_without_identifiers():
    frame = analysis_frame(_sample(), ANALYSES["quartiles_tests"])
    assert list(frame.data.columns) == ["time", "event", "group", "strata", "x1", "x2", "x3",
                                        "x4", "x5", "x6"]
    assert all(pd.api.types.is_numeric_dtype(t) for t in frame.data.dtypes)
    assert frame.labels == ("Q1", "Q2", "Q3", "Q4") and frame.strata_levels == ("F", "M")
    assert frame.coefficients[3:] == ("z(age)", "iss_stage=II", "iss_stage=III")
    assert frame.terms == ((1, 2, 3), (4,), (5, 6))
    text = frame.to_csv_bytes().decode()
    assert "MM-0" not in text and "patient_id" not in text


def _run(rscript: str, script: Path) -> subprocess.CompletedProcess:
    return subprocess.run([rscript, script.name], cwd=script.parent, capture_output=True,
                          text=True, timeout=300)


@pytest.mark.parametrize("name", list(ANALYSES))
def test_generated_r_script_reproduces_every_number(tmp_path, name):
    rscript = require_r("survival", "maxstat", "cmprsk", "rms")
    df, spec = _sample(), ANALYSES[name]
    result = analyze(df, spec)
    written = write_r_script(tmp_path / f"{name}.R", df, spec, result, dataset_sha256="f" * 64)
    assert sorted(p.name for p in written) == sorted([f"{name}.R", f"{name}-data.csv"])
    done = _run(rscript, tmp_path / f"{name}.R")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    agreed = re.search(r"All (\d+) quantities agree with R", done.stdout)
    assert agreed and int(agreed.group(1)) >= 20
    assert "DIFFERS" not in done.stdout and "f" * 64 in done.stdout
    for label in ("KM survival", "median"):
        assert label in done.stdout
    if any(t.estimable for t in result.cox.terms):
        assert "(coef, se, HR, lower, upper, p)" in done.stdout
    if result.logrank is not None:  # with delayed entry: the exact-ties Cox score test
        assert "log-rank (chi2, df, p)" in done.stdout


def test_r_script_stops_when_a_number_differs(tmp_path):
    rscript = require_r("survival")
    df, spec = _sample(), ANALYSES["sample"]
    result = analyze(df, spec)
    files = r_script_files(df, spec, result, stem="a")
    median = result.groups[1].median.estimate
    script = files["a.R"].decode()
    assert repr(median) in script
    script = script.replace(f"median = c({median!r}", f"median = c({median * (1 + 1e-5)!r}", 1)
    (tmp_path / "a.R").write_text(script)
    (tmp_path / "a-data.csv").write_bytes(files["a-data.csv"])
    done = _run(rscript, tmp_path / "a.R")
    assert done.returncode != 0
    assert re.search(r"Q2-Q4: median .*DIFFERS", done.stdout)
    assert "1 of" in done.stderr and "differ from R" in done.stderr


def test_r_script_refuses_another_csv(tmp_path):
    rscript = require_r("survival")
    df, spec = _sample(), ANALYSES["sample"]
    files = r_script_files(df, spec, analyze(df, spec), stem="a")
    (tmp_path / "a.R").write_bytes(files["a.R"])
    lines = files["a-data.csv"].split(b"\n")
    lines[1] = b"999," + lines[1].split(b",", 1)[1]  # another time for the first patient
    (tmp_path / "a-data.csv").write_bytes(b"\n".join(lines))
    done = _run(rscript, tmp_path / "a.R")
    assert done.returncode != 0 and "not the file this script was written for" in done.stderr


def _hostile(payload: str) -> tuple[pd.DataFrame, AnalysisSpec]:
    """Grouping, covariate, subgroup and screened columns, their levels and the predicted
    patient's values all carry ``payload``."""
    df = _sample()
    df["cyto_risk"] = df["cyto_risk"].map({"high": payload, "standard": f"std {payload}"})
    df["sex"] = df["sex"].map({"F": f"F {payload}", "M": f"M {payload}"})
    name, age, sex = (f"{c} {payload}".replace(":", ";") for c in ("risk", "age", "sex"))
    df = df.rename(columns={"cyto_risk": name, "age": age, "sex": sex})
    spec = AnalysisSpec(**PFS, group_by=name, landmarks=(36.0,), covariates=(age,),
                        subgroups=(sex,), screen=(age, f"{sex}:cat"),
                        predict=(f"{age}=60", f"{name}=std {payload}"))
    return df, spec


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_hostile_names_and_labels_run_nothing(tmp_path, payload):
    rscript = require_r("survival")
    Path(MARKER).unlink(missing_ok=True)
    df, spec = _hostile(payload)
    result = analyze(df, spec)
    stem = payload.replace("/", "_").replace("\n", " ").replace("\r", " ")
    script = tmp_path / f"{stem}.R"
    write_r_script(script, df, spec, result)
    done = _run(rscript, script)
    assert not Path(MARKER).exists(), "a name ran code in R"
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "quantities agree with R" in done.stdout
    for shown in ("subgroup sex", "screen age", "screen sex", "predicted survival: median"):
        assert shown in done.stdout
    body = script.read_text(encoding="ascii")
    comments = [line for line in body.splitlines() if line.lstrip().startswith("#")]
    assert not any("touch" in line or "pwned" in line for line in comments)


def test_report_files_carry_the_cox_model_of_another_analysis(tmp_path):
    rscript = require_r("survival")
    df = _sample()
    km_spec = ANALYSES["sample"]
    hr_spec = AnalysisSpec(**PFS, group_by="ikzf1:q1-vs-rest",
                           covariates=("cyto_risk:cat:ref=standard", "age"))
    files = r_script_files(df, km_spec, analyze(df, km_spec), stem="report",
                           cox=(hr_spec, analyze(df, hr_spec)))
    assert set(files) == {"report.R", "report-data.csv", "report-cox-data.csv"}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    done = _run(rscript, tmp_path / "report.R")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Cox model age (coef" in done.stdout


DEEPER = AnalysisSpec(**PFS, group_by="ikzf1:quartiles", covariates=("age", "cyto_risk:cat"),
                      subgroups=("sex", "age:median"), landmarks=(12.0, 36.0),
                      screen=("age", "ikzf1:log2", "iss_stage:cat", "crbn"),
                      predict=("ikzf1=0.5", "age=60", "cyto_risk=high"))


def _deeper_sample() -> pd.DataFrame:
    df = _sample()
    df.loc[[3, 10, 17], "crbn"] = np.nan  # the screen's terms have their own complete cases
    return df


def test_deeper_analyses_are_recomputed_in_r(tmp_path):
    rscript = require_r("survival")
    df = _deeper_sample()
    result = analyze(df, DEEPER)
    assert [row.n for row in result.screen] == [60, 60, 60, 57]
    written = write_r_script(tmp_path / "deep.R", df, DEEPER, result)
    assert sorted(p.name for p in written) == ["deep-data.csv", "deep-screen-data.csv", "deep.R"]
    done = _run(rscript, tmp_path / "deep.R")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = done.stdout
    assert "not recomputed" not in out and "DIFFERS" not in out
    inter = result.subgroups[0].interaction
    assert re.search(rf"subgroup sex: interaction \(LR chi2, df, p\) \[1\] +"
                     rf"{inter.statistic:.12g} .* ok", out)
    assert re.search(r"subgroup sex = M: Q3 vs Q1 \(coef, se, HR, lower, upper, p\) \[3\].* ok",
                     out)
    assert "subgroup age = Low: patients, events" in out
    assert re.search(r"screen crbn: patients, events \[1\] +57 +57 .* ok", out)
    assert re.search(r"screen: BH q-values, p.adjust\(LR p, \"BH\"\) \[4\] .* ok", out)
    median = result.prediction.median.estimate
    assert re.search(rf"predicted survival: median \(estimate, lower, upper\) \[1\] +"
                     rf"{median:g} .* ok", out)
    assert "predicted survival: curve survival" in out
    assert int(re.search(r"All (\d+) quantities agree", out).group(1)) > 100


def test_bootstrap_is_replayed_from_the_embedded_resamples(tmp_path):
    rscript = require_r("survival", "maxstat")
    df = _sample()
    spec = AnalysisSpec(**PFS, group_by="ikzf1:optimal", bootstrap=300, seed=11)
    result = analyze(df, spec)
    files = r_script_files(df, spec, result, stem="b")
    script = files["b.R"].decode("ascii")
    assert "numpy default_rng(seed).integers(0, 60, size=(300, 60))" in script
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    done = _run(rscript, tmp_path / "b.R")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"bootstrap of the cut point: every selected cut +\[300 values\] "
                     r"+\[300 values\] .* ok", done.stdout)
    assert "share in the cut's quartile" in done.stdout
    # another draw (seed) for the same app values: R's cuts differ and the script stops
    other = np.random.default_rng(12).integers(0, 60, size=(300, 60))
    first = "".join(np.base_repr(int(i), 36).lower().rjust(2, "0") for i in other[0])
    line = next(x for x in script.splitlines() if x.startswith('  "'))
    swapped = script.replace(line, f'  "{first}",', 1)
    (tmp_path / "b.R").write_text(swapped, encoding="ascii")
    done = _run(rscript, tmp_path / "b.R")
    assert done.returncode != 0
    assert re.search(r"every selected cut .* DIFFERS", done.stdout), done.stdout[-2000:]


def test_bootstrap_too_large_to_embed_is_said_with_its_seed(monkeypatch):
    from cohort_explorer.present import rscript_deeper

    df = _sample()
    spec = AnalysisSpec(**PFS, group_by="ikzf1:optimal", bootstrap=50, seed=5)
    result = analyze(df, spec)
    monkeypatch.setattr(rscript_deeper, "MAX_BOOTSTRAP_CHARS", 50 * 60 * 2 - 1)
    script = r_script_files(df, spec, result, stem="b")["b.R"].decode("ascii")
    assert "check_bootstrap(" not in script.split("report <- function")[1]
    assert ("the cut-point bootstrap (50 resamples of 60 rows, seed 5) is left out" in script
            and "default_rng(5).integers(0, 60, size=(50, 60))" in script)


def test_r_script_stops_when_a_deeper_number_differs(tmp_path):
    rscript = require_r("survival")
    df = _deeper_sample()
    result = analyze(df, DEEPER)
    files = r_script_files(df, DEEPER, result, stem="a")
    script = files["a.R"].decode()
    q = result.screen[1].q
    assert script.count(f"q = {q!r}") == 1
    script = script.replace(f"q = {q!r}", f"q = {q * (1 + 1e-4)!r}")
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "a.R").write_text(script)
    done = _run(rscript, tmp_path / "a.R")
    assert done.returncode != 0
    assert re.search(r"screen: BH q-values.*\[2\] .* DIFFERS", done.stdout)
    assert "1 of" in done.stderr


def test_cli_r_script_with_every_deeper_analysis_reproduces(tmp_path, capsys):
    from cohort_explorer.cli import main

    rscript = require_r("survival", "maxstat")
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
                 "--group-by", "ikzf1:optimal", "--covariates", "age", "--bootstrap", "200",
                 "--subgroups", "sex", "--screen", "age,crbn", "--predict", "ikzf1=0.8,age=60",
                 "--landmark", "24", "--r-script", str(tmp_path / "cli.R")])
    out = capsys.readouterr().out
    assert code == 0
    done = _run(rscript, tmp_path / "cli.R")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for shown in ("subgroup sex: interaction", "screen: BH q-values", "predicted survival: median",
                  "bootstrap of the cut point: every selected cut", "optimal cut point"):
        assert shown in done.stdout
    assert '"dataset_sha256"' in out and "DIFFERS" not in done.stdout
