"""Data checks shared by a table's endpoints (``validate_cohort(shared=...)``): the whole-table
checks run once, every endpoint's report equals the one checked alone."""

from __future__ import annotations

import numpy as np

from cohort_explorer.data.identifiers import find_identifier_columns
from cohort_explorer.data.validation import validate_cohort
from tests.test_validate import USE, _codes, _cohort, _issue


def test_endpoints_sharing_the_whole_table_checks_get_the_same_reports(monkeypatch):
    """``shared``: the identifiers and repeated IDs are computed once for a table's endpoints,
    and every endpoint's report equals the report checked on its own."""
    from cohort_explorer.data import validation

    df = _cohort()
    df["os_months"] = df["pfs_months"] + 3.0
    df["os_event"] = np.tile([0, 1], 20)
    df.loc[3, "patient_id"] = "MM-001"  # a repeated ID (warning) and an email (identifier)
    df["contact"] = [f"p{i}@example.org" for i in range(40)]
    endpoints = [dict(USE), {"time_col": "os_months", "event_col": "os_event"},
                 {"time_col": "os_months", "event_col": "pfs_event"}]
    alone = [validate_cohort(df, **e) for e in endpoints]
    calls = {"identifiers": 0, "repeated": 0}

    def counted(name, function):
        def call(*args):
            calls[name] += 1
            return function(*args)
        return call

    monkeypatch.setattr(validation, "find_identifier_columns",
                        counted("identifiers", find_identifier_columns))
    monkeypatch.setattr(validation, "repeated_count",
                        counted("repeated", validation.repeated_count))
    shared: dict = {}
    together = [validate_cohort(df, shared=shared, **e) for e in endpoints]
    assert together == alone
    assert calls == {"identifiers": 1, "repeated": 1}
    codes = _codes(together[1])
    assert codes["duplicate_id"] == "warning" and codes["identifier"] == "warning"
    assert _issue(together[2], "duplicate_id").count == 1
