"""AppTest: the app's default reference group is the command line's (issue 8).

Categories are ordered by code point unless an order is given, and the first group is the Cox
reference — in the CLI and, by default, in the app. The bundled synthetic sample opens with a
visible preset instead (its categories in clinical order: standard risk is the reference), which
is an explicit order in the spec and the link (``km_order``), as ``:order=`` is on the command
line. A file with the sample's columns, uploaded, gets the CLI's default.
"""

from __future__ import annotations

import json

import pandas as pd
from tests.app.apptest import page, plain, plain_table, run, start, upload
from tests.conftest import SAMPLE_CSV

from cohort_explorer.cli import main


def cli_groups(capsys, group_by: str) -> dict:
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
                 "--group-by", group_by])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def by_cyto_risk(at):
    at = page(at, "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    at = run(at)
    at.selectbox(key="km_cat_w").set_value("cyto_risk")
    return run(at)


def shown(at) -> tuple[list[str], list[str]]:
    """The group order of the Survival page's table and its hazard ratios."""
    table = plain_table(at.table[0])
    return table["Group"].tolist(), plain_table(at.table[2])["Term"].tolist()


def as_uploaded() -> bytes:
    """The sample's rows as a user's file (columns in another order: not the sample's bytes)."""
    data = pd.read_csv(SAMPLE_CSV)
    return data[data.columns[::-1]].to_csv(index=False).encode()


def test_an_upload_gets_the_cli_default_reference(capsys):
    at = by_cyto_risk(upload(start(), "cohort.csv", as_uploaded()))
    spec = at.session_state["km_spec"]
    assert spec.group_by == "cyto_risk" and spec.reference is None  # no order: the CLI's default
    expected = cli_groups(capsys, spec.group_by)
    groups, terms = shown(at)
    assert [g.split(",")[0] for g in groups] == [g["label"] for g in expected["groups"]]
    assert groups[0] == "high"  # code point: "high" < "standard", as the CLI
    assert [t["term"] for t in expected["cox"]["terms"]] == ["cyto_risk=standard"]
    assert terms == ["cyto_risk standard vs high"]  # the CLI's term, in words
    # the clinical order is offered, not applied; taken, it is an explicit order like :order=
    at.button(key="km_order_known").click()
    at = run(at)
    spec = at.session_state["km_spec"]
    assert spec.group_by == "cyto_risk:order=standard,high"
    expected = cli_groups(capsys, spec.group_by)
    groups, terms = shown(at)
    assert groups[0] == expected["groups"][0]["label"] == "standard"
    assert [t["term"] for t in expected["cox"]["terms"]] == ["cyto_risk=high"]
    assert terms == ["cyto_risk high vs standard"]


def test_the_sample_opens_with_its_visible_preset_and_the_cli_agrees(capsys):
    at = by_cyto_risk(start())
    spec = at.session_state["km_spec"]
    assert spec.group_by == "cyto_risk:order=standard,high"
    assert at.text_input(key="km_order_w").value == "standard,high"  # visible, editable
    assert at.query_params["km_order"] in ("standard,high", ["standard,high"])  # in the link
    assert ("Preset of the sample cohort: standard, high; standard is the reference group."
            in [plain(m.value) for m in at.markdown])
    expected = cli_groups(capsys, spec.group_by)
    groups, terms = shown(at)
    assert groups[0] == expected["groups"][0]["label"] == "standard"
    (term,) = expected["cox"]["terms"]
    assert term["term"] == "cyto_risk=high" and terms == ["cyto_risk high vs standard"]
    assert term["hr"] > 1  # the sample's headline: high risk against standard


def test_covariate_reference_level_is_the_cli_default_except_the_sample_preset():
    at = page(upload(start(), "cohort.csv", as_uploaded()), "pages/hazard_ratios.py")
    assert at.session_state["hr_terms"] == ["cyto_risk:cat:ref=high"]  # first level, as COL:cat
    sample = page(start(), "pages/hazard_ratios.py")
    assert sample.session_state["hr_terms"] == ["cyto_risk:cat:ref=standard"]
