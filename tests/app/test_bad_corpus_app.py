"""Issue 5, bad input through the app (AppTest): every corpus file is either analysed or refused
with one clear message; never an exception, and a refused file leaves the session as it was.

The files and what a correct program does with each are in ``tests/data/make_bad_corpus.py``.
"""

from __future__ import annotations

import re
from functools import partial

import pytest
from streamlit.testing.v1 import AppTest
from tests.app.apptest import page, run, upload
from tests.conftest import ROOT, SAMPLE_CSV
from tests.data.make_bad_corpus import BAD, CASES, write_sized, write_wide

from cohort_explorer import io as cio
from cohort_explorer.io import upload as upload_module

_run = partial(run, timeout=60)
_page = partial(page, timeout=60)
_upload = partial(upload, mime="application/octet-stream", timeout=60)

APP = str(ROOT / "app.py")
MIB = 1024 * 1024
#: Files the reader itself refuses (the message comes on the Data page, at upload).
UNREADABLE = {
    "empty.csv": ("empty",),
    "whitespace_only.csv": ("empty",),
    "header_only.csv": ("no rows",),
    "binary_garbage.csv": ("binary",),
    "pdf_named.csv": ("PDF",),
    "html_named.xls": ("HTML", ".xlsx"),
    "ebcdic.csv": ("encoding", "UTF-8"),
    "duplicated_names.csv": ("duplicated column", "pfs_months"),
    "long_strings.xlsx": ("150,001 characters", "100,000 characters in one cell"),
}
MINE = SAMPLE_CSV.read_bytes() + b"\n"  # the sample, but not byte-identical (a new upload)
READABLE = sorted({c.name for c in CASES} - set(UNREADABLE))




def _plain(text: str) -> str:
    """Markdown-escaped text as the user reads it."""
    return re.sub(r"\\(.)", r"\1", text)


def _errors(at: AppTest) -> list[str]:
    return [_plain(e.value) for e in at.error]






def _choose_quartiles(at: AppTest) -> AppTest:
    """Survival page, PFS by IKZF1 quartiles (as far as the dataset offers these choices)."""
    _page(at, "pages/survival.py")
    if "PFS" in at.selectbox(key="km_endpoint_w").options:
        at.selectbox(key="km_endpoint_w").set_value("PFS")
    at.radio(key="km_kind_w").set_value("Biomarker (numeric)")
    _run(at)
    keys = {s.key: s for s in at.selectbox}
    if "km_col_w" not in keys:  # no numeric biomarker (e.g. a single patient)
        return at
    if "ikzf1" in keys["km_col_w"].options:
        keys["km_col_w"].set_value("ikzf1")
    keys["km_rule_w"].set_value("Quartiles")
    return _run(at)


def _group_table(at: AppTest) -> list[list[str]]:
    return at.table[0].value.astype(str).values.tolist()


@pytest.fixture(scope="module")
def sample_table():
    """The Survival page's group table for the sample, PFS by IKZF1 quartiles."""
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(at, "mine.csv", MINE)
    return _group_table(_choose_quartiles(at))


def test_refused_files_keep_the_previous_session(sample_table):
    """One session: a good upload and choices, then every unreadable file in turn."""
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(at, "mine.csv", MINE)
    digest = at.session_state["data_digest"]
    _choose_quartiles(at)
    at.selectbox(key="km_bands_w").set_value("Off")
    _run(at)
    _page(at, "pages/data.py")
    for name, fragments in UNREADABLE.items():
        _upload(at, name, (BAD / name).read_bytes())
        errors = _errors(at)
        assert len(errors) == 1, (name, errors)
        assert all(f.lower() in errors[0].lower() for f in fragments), (name, errors[0])
        assert "Traceback" not in errors[0] and "\n" not in errors[0].strip()
        assert at.session_state["data_name"] == "mine.csv", name
        assert at.session_state["data_digest"] == digest, name
        assert at.session_state["data_synthetic"] is False
        assert at.dataframe[0].value.shape[0] == 60  # the preview still shows mine.csv
    _page(at, "pages/survival.py")
    assert at.selectbox(key="km_rule_w").value == "Quartiles"
    assert at.selectbox(key="km_bands_w").value == "Off"
    assert _group_table(at) == sample_table


def test_readable_files_are_analysed(sample_table):
    """One session walks every readable file: no exception; the right numbers or one error."""
    cases = {c.name: c for c in CASES if c.outcome == "ok" and c.options[1] == "pfs_months"}
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _choose_quartiles(at)
    for name in READABLE:
        _upload(at, name, (BAD / name).read_bytes())
        assert at.session_state["data_name"] == name
        assert len(at.error) <= 1 or name == "several_sheets.xlsx", _errors(at)
        if name != "several_sheets.xlsx":  # its first sheet is a note: nothing to choose
            _choose_quartiles(at)
        _page(at, "pages/survival.py")
        errors = _errors(at)
        case = cases.get(name)
        if case is not None and case.same_as_sample and "--sheet" not in case.options:
            assert not errors, (name, errors)
            assert _group_table(at) == sample_table, name
        if name == "negative_times.csv":
            assert "3 rows are not in the analysis: negative time: 3." in [
                _plain(m.value) for m in at.markdown]
        if name in ("all_censored.csv", "duplicated_ids.csv"):
            fragment = "censored" if name == "all_censored.csv" else "repeat a patient ID"
            assert any(fragment in _plain(w.value) for w in at.warning), name
        if name == "dates_as_time.csv":
            assert len(errors) == 1 and "holds calendar dates" in errors[0]
        if name == "text_in_numeric.csv":  # ikzf1 holds text: not offered as a biomarker
            assert "ikzf1" not in at.selectbox(key="km_col_w").options
            assert "2 rows are not in the analysis: non-numeric time: 2." in [
                _plain(m.value) for m in at.markdown]
        assert len(errors) <= 1, (name, errors)
        assert errors or at.table, name
        _page(at, "pages/data.py")


def test_events_coded_1_2_are_recognised_and_a_wrong_coding_explained():
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(at, "events_1_2.csv", (BAD / "events_1_2.csv").read_bytes())
    pfs = at.session_state["data_endpoints"][0]
    assert (pfs["event_col"], pfs["event_value"]) == ("pfs_event", "2")
    value = next(s for s in at.selectbox if s.label == "Value that means event")
    value.set_value("0/1 coding (1 = event)")
    _run(at)
    assert at.session_state["data_endpoints"][0]["event_value"] is None
    _page(at, "pages/survival.py")
    errors = _errors(at)
    assert len(errors) == 1
    # the app's words (no command-line option): which value is the event, the values found
    assert "Which value of 'pfs_event' means the event happened?" in errors[0]
    assert "1, 2" in errors[0] and "--event" not in errors[0]


def test_second_sheet_can_be_chosen(sample_table):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _choose_quartiles(at)
    _upload(at, "several_sheets.xlsx", (BAD / "several_sheets.xlsx").read_bytes())
    sheet = at.selectbox(key="data_sheet_choice")
    assert sheet.options == ["Info", "Data"]
    sheet.set_value("Data")
    _run(at)
    assert at.session_state["data_sheet"] == "Data"
    assert at.session_state["data_shape"] == (60, 20)
    _page(at, "pages/survival.py")
    assert _group_table(at) == sample_table


def test_five_thousand_columns(tmp_path, sample_table):
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _choose_quartiles(at)
    _upload(at, "wide.csv", write_wide(tmp_path / "wide.csv", 5000).read_bytes())
    assert at.session_state["data_shape"] == (60, 5000)
    _page(at, "pages/survival.py")
    assert _group_table(at) == sample_table


def test_at_and_above_the_upload_limit(tmp_path, monkeypatch):
    """With the app's limit lowered to 1 MiB: exactly 1 MiB loads, one byte more is refused
    with the limit named, and the 1 MiB dataset stays."""
    monkeypatch.setattr(cio, "DEFAULT_APP_MAX_BYTES", MIB)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(at, "at_limit.csv", write_sized(tmp_path / "at.csv", MIB).read_bytes())
    assert at.session_state["data_name"] == "at_limit.csv"
    assert at.session_state["data_shape"] == (12664, 20)
    _upload(at, "above.csv", write_sized(tmp_path / "above.csv", MIB + 1).read_bytes())
    errors = _errors(at)
    assert len(errors) == 1 and "the limit is 1 MB" in errors[0]
    assert at.session_state["data_name"] == "at_limit.csv"


def test_app_limit_matches_the_server_upload_limit():
    """The engine refuses what the server would refuse: both 200 MB."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * MIB == cio.DEFAULT_APP_MAX_BYTES


def test_a_refused_file_is_not_parsed_again_on_every_rerun(monkeypatch):
    """While a refused file sits in the uploader, reruns show its message without re-reading
    it (a 200 MB file that fails late would otherwise freeze every rerun)."""
    calls = []
    real = upload_module.read_table  # what the app's reader (io.read_upload) calls

    def counting(*args, **kwargs):
        calls.append(kwargs.get("filename"))
        return real(*args, **kwargs)

    monkeypatch.setattr(upload_module, "read_table", counting)
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(at, "duplicated_names.csv", (BAD / "duplicated_names.csv").read_bytes())
    assert calls.count("duplicated_names.csv") == 1
    for _ in range(3):
        _run(at)
        assert len(_errors(at)) == 1 and "duplicated column" in _errors(at)[0]
    assert calls.count("duplicated_names.csv") == 1


def test_columns_with_a_colon_can_group_the_curves():
    """'Risk: cytogenetic' as a category and 'IKZF1: mRNA' as a biomarker (':' is also the
    separator of the engine's COL:RULE grouping vocabulary)."""
    at = _run(AppTest.from_file(APP, default_timeout=60))
    _upload(at, "colon_names.csv", (BAD / "colon_names.csv").read_bytes())
    _page(at, "pages/survival.py")
    at.radio(key="km_kind_w").set_value("Category")
    _run(at)
    at.selectbox(key="km_cat_w").set_value("Risk: cytogenetic")
    _run(at)
    assert not at.error, _errors(at)
    assert at.table[0].value.iloc[:, 0].tolist() == ["high", "standard"]  # the CLI's order
    at.button(key="km_order_known").click()  # the clinical order, as an explicit :order=
    _run(at)
    assert not at.error, _errors(at)
    assert at.session_state["km_spec"].group_by == "Risk: cytogenetic:order=standard,high"
    assert at.table[0].value.iloc[:, 0].tolist() == ["standard", "high"]
    at.radio(key="km_kind_w").set_value("Biomarker (numeric)")
    _run(at)
    at.selectbox(key="km_col_w").set_value("IKZF1: mRNA")
    at.selectbox(key="km_rule_w").set_value("Q1 vs rest")
    _run(at)
    assert not at.error, _errors(at)
    from tests.app.apptest import plain

    groups = [plain(g) for g in at.table[0].value.iloc[:, 0]]  # with cut-offs: Q1 (≤ 0.643)
    assert [g.split(" (")[0] for g in groups] == ["Q1", "Q2-Q4"]
    assert groups[0].startswith("Q1 (≤ ") and groups[1].startswith("Q2-Q4 (> ")
    # the Cohort page's Table 1 by the same category (its group builder once shared a widget
    # key with the biomarker section: a duplicate-key exception)
    _page(at, "pages/cohort.py")
    at.radio(key="cohort_group_kind_w").set_value("Category")
    _run(at)
    at.selectbox(key="cohort_group_cat_w").set_value("Risk: cytogenetic")
    _run(at)
    assert not at.error, _errors(at)
    assert "Risk: cytogenetic" in at.session_state["cohort_group_cat"]
