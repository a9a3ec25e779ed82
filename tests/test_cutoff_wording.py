"""One wording for a group's cut-offs everywhere it is named (issue 8).

Convention (docs/methods.md): ``≤ 0.643`` for the lowest group (its minimum is not shown),
``> 0.643 to ≤ 1.12`` between two cuts, ``> 1.94`` for the highest quantile group — never a
range such as ``0.262–0.643``. Legend, Survival table, key numbers, report, the CLI's text and
Table 1 (tests/app/test_cohort_table_one.py) all print the names of present.cutoffs; the JSON
keeps ``groups[].interval`` as numbers.
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.cli import main
from cohort_explorer.present import plots
from cohort_explorer.present.cutoffs import group_labels
from cohort_explorer.present.key_numbers import key_numbers
from cohort_explorer.present.report import html_report
from cohort_explorer.present.tables import display_group_table
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import SAMPLE_CSV

NAMES = ["Q1 (≤ 0.643)", "Q2 (> 0.643 to ≤ 1.12)", "Q3 (> 1.12 to ≤ 1.94)", "Q4 (> 1.94)"]
RANGE = re.compile(r"\d\s*[–-]\s*\d")  # 0.262–0.643: the wording not used


@pytest.fixture(scope="module")
def result():
    return analyze(pd.read_csv(SAMPLE_CSV), AnalysisSpec(
        time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:quartiles",
        landmarks=(36.0,)))


def test_the_names_follow_one_convention(result):
    assert group_labels(result.groups) == NAMES
    assert not any(RANGE.search(name) for name in NAMES)
    # the JSON keeps the numbers (Q1 = [min, q25], then right-closed)
    first = result.to_dict()["groups"][0]["interval"]
    assert first["lower_closed"] and first["upper_closed"]
    assert f"{first['upper']:.3f}" == "0.643"


def test_legend_table_key_numbers_and_report_print_the_same_names(result):
    legend = [html.unescape(trace.name) for trace in plots.km_figure(result).data
              if trace.name and trace.showlegend is not False]
    assert [name.split(", n = ")[0] for name in legend[:4]] == NAMES
    assert display_group_table(result)["Group"].tolist() == NAMES
    shown = " ".join(f"{k.label} {k.value} {k.detail}" for k in key_numbers(result))
    assert NAMES[0] in shown
    page = html.unescape(html_report(result, result.spec))
    assert all(name in page for name in NAMES)


def test_the_cli_text_prints_the_same_names(capsys):
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
                 "--group-by", "ikzf1:quartiles", "--output", "text"])
    out = capsys.readouterr().out
    assert code == 0
    assert [line.split(":")[0] for line in out.splitlines() if line.startswith("ikzf1 Q")] == [
        f"ikzf1 {name}" for name in NAMES]


def test_landmark_differences_name_the_groups_with_their_cut_offs(result):
    from cohort_explorer.present.deeper_tables import landmark_difference_table

    table = landmark_difference_table(result, "months")
    assert table["Group"].tolist() == NAMES[1:]
    assert set(table["Reference"]) == {NAMES[0]}


def test_a_median_not_reached_reads_so_in_the_cli_text(capsys):
    """Q2 of the sample never falls to one half and has no CI bound: ``median not reached``,
    never ``median NA (95% CI NA–NA)``; Q1 keeps R's NA for its open upper bound."""
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
                 "--group-by", "ikzf1:quartiles", "--output", "text"])
    lines = {line.split(":")[0]: line for line in capsys.readouterr().out.splitlines()}
    assert code == 0
    assert lines[f"ikzf1 {NAMES[1]}"].endswith("median not reached")
    assert lines[f"ikzf1 {NAMES[0]}"].endswith("median not reached (95% CI 47–NA)")


@pytest.mark.parametrize(("values", "text"), [
    ((24.5, 18.0, float("nan")), "24.5 (95% CI 18–NA)"),
    ((float("nan"), 47.0, float("nan")), "not reached (95% CI 47–NA)"),
    ((float("nan"), float("nan"), float("nan")), "not reached"),
    ((12.0, 9.25, 15.0), "12 (95% CI 9.2–15)"),
])
def test_format_median(values, text):
    from cohort_explorer.present.format import format_median

    assert format_median(*values) == text
