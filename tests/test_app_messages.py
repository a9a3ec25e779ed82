"""Issue 11: no command-line flag in any app message.

The engine's errors and notices are coded objects; ``str()`` is the CLI's wording (with its
options), :func:`app_message` the app's. These tests prove that the app never shows an option:

* every error, notice and validation finding the engine constructs either carries a code worded
  for the app, or its own text names no option (read from the source, so a new raise site with
  a ``--flag`` and no code fails here);
* every code's app wording, given representative fields of the shape each raise site passes,
  is plain language: no ``--option``, no ``COL=VALUE`` syntax, no unfilled placeholder;
* real errors raised by ``analyze`` keep their flags for the CLI and lose them for the app.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd
import pytest

from cohort_explorer import AnalysisSpec, analyze, read_table
from cohort_explorer.errors import CohortError
from cohort_explorer.present.messages import APP_WORDING, CLI_SYNTAX, GENERIC, app_message
from tests.conftest import ROOT, SAMPLE_CSV

SRC = ROOT / "src" / "cohort_explorer"
DF = read_table(SAMPLE_CSV)
MESSAGE_CALLS = {"CohortError", "DataFileError", "ColumnError", "OptionError", "LimitError",
                 "Notice", "StaticExportError"}

#: Representative fields of every code (the union of what its raise sites pass).
FIELDS: dict[str, dict] = {
    "event_coding": {"column": "status", "values": ["1", "2"], "distinct": 2, "suggested": "2"},
    "event_not_a_flag": {"column": "status", "values": ["a", "b"], "distinct": 40},
    "event_mixed_n_label": {"column": "OS_STATUS", "n_label_values": ["1:DECEASED"],
                            "other_values": ["dead"]},
    "unknown_column": {"column": "ldh", "filter": "ldh>3", "role": "time", "close": ["LDH"]},
    "quantile_ties": {"column": "del17p", "kind": "quartiles"},
    "filter_syntax": {"filter": "age>>3", "detail": ""},
    "filter_not_a_number": {"filter": "age<abc", "value": "abc"},
    "cbioportal_header": {"problem": "2 '#' rows instead of 4", "rows": 2},
    "cbioportal_sample_without_patient": {"file": "data_clinical_sample.txt"},
    "cbioportal_pair": {"files": ["a.csv", "b.csv"]}, "no_file": {},
    "too_many_files": {"count": 3},
    "small_group": {"group": "Q1", "n": 4, "minimum": 10},
    "group_without_events": {"group": "Q2"},
    "rmst_beyond_follow_up": {"tau": 60.0, "group": "Q1", "last": 50.0},
    "repeated_patient_id": {"repeated": 2, "column": "patient_id"},
    "ph_violation": {"terms": ["age"], "alpha": 0.05},
    "low_events_per_variable": {"epv": 5.0, "events": 25, "coefficients": 5, "minimum": 10.0},
    "cox_not_converged": {"iterations": 30},
    "term_not_estimable": {"term": "age", "reason": "no variation"},
    "all_censored": {}, "one_group": {"column": "arm"},
    "immortal_time": {"column": "best_response"},
    "optimal_cut_selected": {"column": "ikzf1", "cutpoint": 1.12, "p_corrected": 0.03},
    "competing_cause_specific": {"competing": "death without progression"},
    "rows_sampled": {"sample": 5000, "n": 100000, "seed": 1},
    "time_looks_like_yyyymmdd": {"column": "pfs", "example": "20210315"},
    "logrank_undefined": {}, "nested_columns": {"columns": ["a"]},
    "cbioportal_first_sample": {"patients": 10, "patients_with_several_samples": 2,
                                "patients_without_sample": 0, "samples_not_used": 3,
                                "samples": 12, "key": "PATIENT_ID",
                                "sample_columns": ["SAMPLE_ID"]},
    "no_endpoint_found": {"time_candidates": ["a"], "event_candidates": ["b"]},
    "event_value_absent": {"column": "status", "value": "dead", "values": ["alive", "died"]},
    "landmark_negative": {"landmark": -3.0},
    "response_time_without_landmark": {}, "derive_name_taken": {"name": "high_risk"},
    "conf_type_unknown": {"value": "logit"}, "fine_gray_without_terms": {},
    "subgroups_need_groups": {}, "subgroups_optimal_cut": {"column": "ikzf1"},
    "subgroup_one_level": {"column": "sex", "level": "F"},
    "entry_not_combinable": {"options": ["spline", "landmark-from"]},
    "bootstrap_needs_optimal": {}, "predict_with_strata": {},
    "screen_term_failed": {"term": "age", "problem": "constant_covariate",
                           "problem_fields": {"column": "age"}},
    "term_twice": {"term": "age"},
    "reference_level_unknown": {"column": "cyto_risk", "level": "low",
                                "levels": ["standard", "high"]},
    "covariate_is_grouping": {"column": "ikzf1"}, "constant_covariate": {"column": "site"},
    "competing_syntax": {"competing": "pfs_cause"}, "fine_gray_needs_competing": {},
    "dates_need_three": {},
    "competing_value_absent": {"column": "cause", "value": "3", "values": ["1", "2"]},
    "competing_is_the_event": {"column": "pfs_cause", "value": "1"},
    "competing_and_event": {"rows": 3, "event": "pfs_event = 1", "competing": "cause=2"},
    "no_dated_rows": {"reasons": {"no start date": 10}},
    "prediction_out_of_range": {"column": "age", "value": 95.0, "low": 40.0, "high": 80.0},
    "predict_not_a_number": {"column": "age", "value": "old"},
    "prediction_missing_value": {"column": "age"}, "predict_needs_model": {},
    "predict_no_events": {}, "predict_syntax": {"item": "age"},
    "predict_not_a_group": {"column": "ikzf1", "value": "Q9", "groups": ["Q1", "Q2"]},
    "predict_not_a_level": {"column": "cyto_risk", "value": "low",
                            "levels": ["standard", "high"]},
    "predict_log2_positive": {"column": "ldh", "value": "0"},
    "cut_values_invalid": {"column": "ikzf1", "values": ["1", "1"]},
    "cut_values_missing": {"column": "ikzf1", "kind": "cut"},
    "reference_group_unknown": {"reference": "Q9", "column": "ikzf1", "groups": ["Q1", "Q2"]},
    "order_missing_levels": {"column": "iss_stage", "missing": ["III"]},
    "derive_not_binary": {"column": "del17p", "examples": "2, 3"},
    "date_order_unknown": {"value": "xyz"}, "time_unit_unknown": {"value": "fortnights"},
    "date_order_ambiguous": {"column": "dx_date", "example": "03/04/2021"},
    "pushdown_time_not_numeric": {"column": "pfs"},
    "pushdown_not_available": {"option": "landmark-from"},
    "pushdown_grouping": {"group_by": "ikzf1:optimal"}, "engine_unknown": {"engine": "oracle"},
    "spark_missing": {}, "grouping_rule_unknown": {"column": "ikzf1", "rule": "deciles"},
    "grouping_empty": {}, "derive_syntax": {"derive": "high_risk"}, "covariate_empty": {},
    "reference_level_missing": {"term": "cyto_risk:cat:ref="},
    "bootstrap_count": {"resamples": 0},
    "bootstrap_too_large": {"resamples": 1000, "patients": 50000, "rows": 50_000_000,
                            "maximum": 20_000_000},
    "spline_few_values": {"column": "del17p", "distinct": 2, "minimum": 5},
    "spline_knots_coincide": {"column": "del17p", "distinct": 6},
    "spline_no_events": {"column": "ikzf1"},
    "km_thinned": {"groups": 2, "group": "A", "kept": 3000, "times": 90000},
}


def _message_calls():
    """(file, line, code or None, field names or None, text constants) of every error, notice
    and validation finding constructed in the engine (the CLI modules word their own)."""
    for path in sorted(SRC.rglob("*.py")):
        if path.name.startswith("cli") or path.name.startswith("messages"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            validation = name == "add" and path.name == "validation.py" and len(node.args) >= 3
            if name not in MESSAGE_CALLS and not validation:
                continue
            keywords = {kw.arg: kw.value for kw in node.keywords}
            code = keywords.get("code")
            fields = keywords.get("fields")
            if name == "Notice":
                code = node.args[1] if len(node.args) > 1 else code
                fields = node.args[2] if len(node.args) > 2 else fields
            if validation:
                code, text_nodes = node.args[1], [node.args[2]]
            else:
                text_nodes = node.args[:1]
            code = code.value if isinstance(code, ast.Constant) else (
                None if code is None else "<dynamic>")
            names = ([k.value for k in fields.keys] if isinstance(fields, ast.Dict)
                     and all(isinstance(k, ast.Constant) for k in fields.keys) else None)
            extra = [k for k in keywords if k not in ("code", "fields", "severity", None)]
            if extra and not validation:  # CohortError(..., column=..., value=...) fields
                names = (names or []) + extra
            texts = [c.value for t in text_nodes for c in ast.walk(t)
                     if isinstance(c, ast.Constant) and isinstance(c.value, str)]
            yield f"{path.relative_to(SRC)}:{node.lineno}", code, names, texts


CALLS = list(_message_calls())


def test_the_source_scan_sees_the_raise_sites():
    assert len(CALLS) > 200  # errors, notices and validation findings
    assert sum(1 for _, code, _, _ in CALLS if code in APP_WORDING) > 90


@pytest.mark.parametrize(("where", "code", "names", "texts"), CALLS,
                         ids=[c[0] for c in CALLS])
def test_every_message_naming_an_option_has_app_wording(where, code, names, texts):
    """A message whose CLI text names an option (``--event``, ``COL=VALUE``) carries a code
    the app words; a message without wording must be plain already."""
    if code in APP_WORDING:
        if names is not None:  # the wording needs no field that this site does not pass
            fields = {name: FIELDS[code][name] for name in names if name in FIELDS[code]}
            assert set(names) <= set(FIELDS[code]), (where, set(names) - set(FIELDS[code]))
            text = APP_WORDING[code](fields)
            assert not CLI_SYNTAX.search(text), (where, text)
        return
    flagged = [t for t in texts if CLI_SYNTAX.search(t)]
    assert flagged == [], (where, code, flagged)


@pytest.mark.parametrize("code", sorted(APP_WORDING))
def test_every_code_is_worded_in_plain_language(code):
    text = app_message(CohortError("--cli-only wording", code=code, fields=FIELDS[code]))
    assert text and text != GENERIC
    assert not CLI_SYNTAX.search(text), text
    assert "{" not in text and "}" not in text and "None" not in text, text
    if "column" in FIELDS[code]:  # the sentence names the column it is about
        assert FIELDS[code]["column"] in text, (code, text)


def test_every_code_has_representative_fields():
    assert set(FIELDS) == set(APP_WORDING)


def test_cli_syntax_pattern_finds_flags_and_value_syntax_only():
    for text in ("Use --event status=VALUE", "give COL=VALUE pairs", "--group-by x"):
        assert CLI_SYNTAX.search(text), text
    for text in ("Q1 (≤ 0.643), n = 15", "log-log, log or plain", "p = 0.03", "HR 1.2",
                 "Kaplan–Meier", "high_risk from del17p and t_4_14", "age >= 60"):
        assert not CLI_SYNTAX.search(text), text


def test_wording_with_fields_of_another_shape_is_generic_never_the_cli_text():
    error = CohortError("--where x: bad. Use --where COL=VALUE", code="filter_syntax",
                        fields={})
    assert app_message(error) == GENERIC


CASES = [
    (dict(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:quartiles",
          covariates=("ikzf1",)), "covariate_is_grouping"),
    (dict(time_col="pfs_months", event_col="pfs_event",
          covariates=("cyto_risk:cat:ref=low",)), "reference_level_unknown"),
    (dict(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:deciles"),
     "grouping_rule_unknown"),
    (dict(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:quartiles",
          reference="Q9"), "reference_group_unknown"),
    (dict(time_col="pfs_months", event_col="pfs_event", event_value="7"),
     "event_value_absent"),
    (dict(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:median",
          landmark_from=-2.0), "landmark_negative"),
    (dict(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:cut=a,b"),
     "cut_values_invalid"),
    (dict(time_col="pfs_months", event_col="pfs_event", conf_type="logit"),
     "conf_type_unknown"),
    (dict(time_col="pfs_months", event_col="pfs_event", spline="del17p"),
     "spline_few_values"),
]


@pytest.mark.parametrize(("spec", "code"), CASES, ids=[c[1] for c in CASES])
def test_real_errors_keep_flags_for_the_cli_and_lose_them_for_the_app(spec, code):
    with pytest.raises(CohortError) as caught:
        analyze(DF, AnalysisSpec(**spec))
    error = caught.value
    assert error.code == code
    assert CLI_SYNTAX.search(str(error))  # the CLI's wording names its options
    text = app_message(error)
    assert text != GENERIC and not CLI_SYNTAX.search(text), text


def test_the_strip_flags_fallback_is_gone():
    """Messages without a code are shown as they are: none names an option (above)."""
    source = (SRC / "present" / "messages.py").read_text()
    assert "_without_flags" not in source
    assert app_message("A plain sentence.") == "A plain sentence."


def test_validation_findings_are_plain_for_the_app():
    from cohort_explorer.data.validation import validate_cohort

    bad = DF.assign(pfs_event=DF["pfs_event"] + 1, pfs_months=DF["pfs_months"].astype(object))
    bad.loc[0, "pfs_months"] = "soon"
    bad.loc[1, "pfs_months"] = -3
    report = validate_cohort(bad, time_col="pfs_months", event_col="pfs_event")
    assert len(report.issues) >= 2
    for issue in report.issues:
        assert not CLI_SYNTAX.search(app_message(issue)), (issue.code, app_message(issue))


def test_pages_show_engine_errors_only_through_app_message():
    for path in Path(ROOT / "pages").glob("*.py"):
        source = path.read_text()
        assert "str(error)" not in source and "str(exc)" not in source, path.name
    frame = pd.DataFrame({"t": [1.0, 2.0], "e": [0, 1]})
    assert isinstance(frame, pd.DataFrame)


@pytest.mark.parametrize("code", ["low_events_per_variable", "cox_not_converged"])
def test_presentation_one_liners_are_plain_and_short(code):
    from cohort_explorer.present.messages import SHORT_WORDING, short_message

    assert code in SHORT_WORDING
    text = short_message(CohortError("--x", code=code, fields=FIELDS[code]))
    assert len(text) <= 120 and not CLI_SYNTAX.search(text), text  # one line at 1920 px
