"""The Data page never guesses an endpoint from column positions (issue 8): a file whose names
say nothing gets "No endpoint found" and empty time/event choices; once both are chosen, the
endpoint exists and the Survival page analyses it. A cBioPortal patient file maps itself."""

from __future__ import annotations

from tests.app.apptest import page, run, start, upload
from tests.conftest import ROOT

# Columns named so that no role can be read from them; "a" first, "b" second on purpose.
UNNAMED = b"a,b,c\n" + b"".join(
    f"{i % 7},{10 + i},{i % 2}\n".encode() for i in range(40))


def test_unnamed_columns_are_not_mapped_by_position_and_can_be_chosen():
    at = upload(start(), "unnamed.csv", UNNAMED)
    assert at.session_state["data_endpoints"] == []
    assert any("No endpoint found" in i.value for i in at.info)
    time_box = next(s for s in at.selectbox if s.label == "Time column")
    event_box = next(s for s in at.selectbox if s.label == "Event column")
    assert (time_box.value, event_box.value) == (None, None)  # not "a" and "b" by position
    page(at, "pages/survival.py")
    assert any("No endpoint is mapped yet" in e.value for e in at.error)
    page(at, "pages/data.py")
    next(s for s in at.selectbox if s.label == "Time column").set_value("b")
    run(at)
    next(s for s in at.selectbox if s.label == "Event column").set_value("c")
    run(at)
    assert at.session_state["data_endpoints"] == [
        {"name": "Endpoint 1", "time_col": "b", "event_col": "c", "event_value": None}]


def test_cbioportal_patient_file_maps_os_without_a_mapping_step():
    data = (ROOT / "tests/data/cbioportal_pbc/data_clinical_patient.txt").read_bytes()
    at = upload(start(), "data_clinical_patient.txt", data, mime="text/plain")
    assert at.session_state["data_endpoints"] == [
        {"name": "OS", "time_col": "OS_MONTHS", "event_col": "OS_STATUS", "event_value": None}]
    assert not at.info or not any("No endpoint found" in i.value for i in at.info)
