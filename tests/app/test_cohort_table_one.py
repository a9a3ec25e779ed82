"""AppTest: Table 1 on the Cohort page — a derived flag never shadows a data column (issue 8)."""

from __future__ import annotations

import pandas as pd
from pages._widgets import free_name
from tests.app.apptest import page, plain_table, run, start, upload
from tests.conftest import SAMPLE_CSV
from tests.test_cutoff_wording import NAMES


def test_free_name_skips_every_taken_name():
    assert free_name("high_risk", ["age"]) == "high_risk"
    assert free_name("high_risk", ["high_risk"]) == "high_risk_any"
    assert free_name("high_risk", ["high_risk", "high_risk_any"]) == "high_risk_any2"


def test_composite_flag_does_not_shadow_a_data_column_of_the_same_name():
    data = pd.read_csv(SAMPLE_CSV)
    flag = (data[["del17p", "t_4_14", "t_14_16"]] == 1).any(axis=1)
    data["high_risk"] = "recorded"  # both names the composite could take are data columns
    data["high_risk_any"] = ["yes" if i % 3 == 0 else "no" for i in range(len(data))]
    at = upload(start(), "shadow.csv", data.to_csv(index=False).encode())
    at = page(at, "pages/cohort.py")
    at.radio(key="cohort_group_kind_w").set_value("Composite (any of several 0/1 flags)")
    at = run(at)
    at.multiselect(key="cohort_variables_w").set_value(["high_risk_any"])
    at = run(at)
    assert not at.error, [e.value for e in at.error]
    table = plain_table(at.table[0])
    # grouped by the derived flag (any of del17p, t(4;14), t(14;16)) ...
    assert list(table.columns[2:4]) == [f"0, n = {int((~flag).sum())}",
                                       f"1, n = {int(flag.sum())}"]
    # ... while the characteristic high_risk_any is still the data's column
    first = table.columns[0]
    levels = [str(v).strip() for v in table[first]]
    assert "yes" in levels and "no" in levels, levels
    yes = table.loc[[str(v).strip() == "yes" for v in table[first]], table.columns[1]].iloc[0]
    assert yes.startswith(f"{sum(i % 3 == 0 for i in range(len(data)))} (")


def test_table_one_names_quartile_groups_with_the_cut_offs_of_the_survival_page():
    at = page(start(), "pages/cohort.py")
    assert at.selectbox(key="cohort_group_rule_w").value == "Quartiles"
    headers = list(plain_table(at.table[0]).columns)
    assert headers[1:6] == ["Overall, n = 60"] + [f"{name}, n = 15" for name in NAMES]
    at = page(at, "pages/survival.py")  # the same names as the Survival page's groups
    assert plain_table(at.table[0])["Group"].tolist() == NAMES


def test_table_one_names_custom_cut_groups_by_their_intervals():
    at = page(start(), "pages/cohort.py")
    at.selectbox(key="cohort_group_rule_w").set_value("Custom cut points")
    at = run(at)
    at.text_input(key="cohort_group_cuts_w").set_value("1")
    at = run(at)
    headers = list(plain_table(at.table[0]).columns)
    assert [h.split(", n = ")[0] for h in headers[2:4]] == ["≤ 1", "> 1"]
