"""Widgets shared by several pages: endpoint choice and the grouping builder.

The grouping builder turns widget choices into the engine's spec strings (``ikzf1:quartiles``,
``best_response:order=sCR,CR,...``, ``high_risk=any:del17p,t_4_14,t_14_16``), the same
vocabulary as the CLI, so a page never re-implements a grouping rule.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from pages._common import column_labeller, endpoints, md, persisted, readable
from pages._links import check_choice

from cohort_explorer.sample import ISS_ORDER, RESPONSE_ORDER

KIND_NONE = "No grouping"
KIND_BIOMARKER = "Biomarker (numeric)"
KIND_CATEGORY = "Category"
KIND_COMPOSITE = "Composite (any of several 0/1 flags)"
RULE_LEVELS = {"quartiles": 4, "tertiles": 3, "median": 2, "q1-vs-rest": 2, "optimal": 2}
RULES = {
    "Quartiles": "quartiles", "Tertiles": "tertiles", "Median split": "median",
    "Q1 vs rest": "q1-vs-rest", "Custom cut points": "cut",
    "Optimal cut point (maxstat)": "optimal",
}
KNOWN_ORDERS = (RESPONSE_ORDER, ISS_ORDER, ("standard", "high"), ("low", "intermediate", "high"))
HIGH_RISK_FLAGS = ("del17p", "t_4_14", "t_14_16")


@dataclass(frozen=True)
class GroupChoice:
    """The engine spec strings for a grouping choice, and a readable description."""

    group_by: str | None = None
    derive: tuple[str, ...] = ()
    column: str | None = None
    description: str = "all patients"
    ordered: bool = False
    is_optimal: bool = False
    levels: int = 1  # number of groups the choice makes (before the data say otherwise)


def column_key(prefix: str, column: str) -> str:
    """Session key of a per-column choice: a digest of the name, so no two columns share one
    (with the name itself, column ``age``'s widget key ``hr_tf_age_w`` is the value key of a
    column ``age_w``)."""
    return f"{prefix}_{hashlib.sha256(str(column).encode()).hexdigest()[:16]}"


def endpoint_select(page: str, label: str = "Endpoint") -> dict | None:
    """Select the endpoint (PFS, OS, …) shared by every page; mapped on the Data page."""
    options = [e["name"] for e in endpoints()]
    if not options:
        st.error("No endpoint is mapped yet: choose a time and an event column on the Data page.")
        return None
    name = persisted(st.selectbox, label, "app_endpoint", options[0], options=options,
                     widget_key=f"{page}_endpoint_w",
                     help="Endpoints are defined on the Data page (time column + event column). "
                          "The choice applies to every page.")
    slot = st.session_state.get("app_endpoint_slot")
    if slot is not None:
        slot.markdown(f"**Active endpoint:** {md(name)}")
    return next(e for e in endpoints() if e["name"] == name)


def default_order(values: pd.Series) -> list[str]:
    """A known clinical order (response, ISS stage, risk) when the levels fit one, else []."""
    levels = {str(v) for v in values.dropna().unique()}
    for order in KNOWN_ORDERS:
        if levels and levels <= set(order):
            return [level for level in order if level in levels]
    return []


#: The synthetic sample's presets (issue 8: the app's default reference is the CLI's, the first
#: group by code point; the sample opens with these instead, shown in the controls and carried
#: in the link like any choice): its categories in clinical order, standard risk the reference.
SAMPLE_REFERENCES = {"cyto_risk": "standard", "sex": "M"}


def preset_order(df: pd.DataFrame, column: str) -> list[str]:
    """The group order a category starts with: the sample's clinical order (so standard risk
    is the reference), else [] — sorted by code point, the command line's default."""
    if not st.session_state.get("data_synthetic") or column not in df.columns:
        return []
    return default_order(df[column])


def preset_reference(column: str, levels: list[str]) -> str:
    """The reference level a categorical covariate starts with: the sample's preset, else the
    first level by code point (the command line's default for ``COL:cat``)."""
    preset = SAMPLE_REFERENCES.get(column) if st.session_state.get("data_synthetic") else None
    return preset if preset in levels else levels[0]


def follow_column(key: str, column: str, default: str) -> None:
    """A text choice that belongs to a column (the order of its groups) starts again from the
    column's ``default`` when another column is chosen. The first column shown keeps a value
    the session already has: a shared link's order (``km_order=high,standard``) is kept."""
    owner = st.session_state.get(f"{key}_for")
    if owner == column:
        return
    st.session_state[f"{key}_for"] = column
    if owner is None and st.session_state.get(key):
        return
    st.session_state[key] = default
    st.session_state.pop(f"{key}_w", None)


def _binary_columns(df: pd.DataFrame) -> list[str]:
    out = []
    for column in df.columns:
        values = pd.to_numeric(df[column], errors="coerce").dropna().unique()
        if len(values) and set(values.tolist()) <= {0, 1} and df[column].notna().any():
            out.append(column)
    return out


def free_name(name: str, columns) -> str:
    """``name``, or ``name_any``, ``name_any2``, ... : the first that is no column of the data
    (a derived flag never shadows a data column: the engine refuses one that would)."""
    taken = {str(c) for c in columns}
    candidate, number = name, 1
    while candidate in taken:
        candidate = f"{name}_any" if number == 1 else f"{name}_any{number}"
        number += 1
    return candidate


def _biomarker(prefix: str, columns: list[str], allow_optimal: bool) -> GroupChoice:
    if not columns:
        st.info("No numeric biomarker column in this dataset.")
        return GroupChoice()
    default = "ikzf1" if "ikzf1" in columns else columns[0]
    left, right = st.columns(2)
    with left:
        column = persisted(st.selectbox, "Biomarker", f"{prefix}_col", default, options=columns,
                           format_func=column_labeller())
    rules = [r for r in RULES if allow_optimal or RULES[r] != "optimal"]
    with right:
        rule_label = persisted(st.selectbox, "Split", f"{prefix}_rule", "Quartiles",
                               options=rules)
    rule = RULES[rule_label]
    if rule == "cut":
        cuts = persisted(st.text_input, "Cut points (comma-separated, x ≤ cut goes below)",
                         f"{prefix}_cuts", "")
        cuts = ",".join(c.strip() for c in cuts.split(",") if c.strip())
        if not cuts:
            st.info("Enter one or more cut points, e.g. 0.5, 1.5.")
            return GroupChoice()
        spec = f"{column}:cut={cuts}"
        levels = len(cuts.split(",")) + 1
    else:
        spec = f"{column}:{rule}"
        levels = RULE_LEVELS[rule]
    return GroupChoice(group_by=spec, column=column,
                       description=f"{readable(column)}, {rule_label.lower()}",
                       ordered=rule != "optimal", is_optimal=rule == "optimal", levels=levels)


def _category(prefix: str, df: pd.DataFrame, columns: list[str]) -> GroupChoice:
    if not columns:
        st.info("No categorical column (2–12 levels) in this dataset.")
        return GroupChoice()
    default = "cyto_risk" if "cyto_risk" in columns else columns[0]
    # Its own key: switching "Stratify by" back to a biomarker keeps the chosen marker. A link
    # made before the category had its own key names it in ``{prefix}_col``.
    if f"{prefix}_cat" not in st.session_state and f"{prefix}_col" in st.session_state:
        legacy = st.session_state[f"{prefix}_col"]
        check_choice(f"{prefix}_col", legacy in columns)
        if legacy in columns:
            st.session_state[f"{prefix}_cat"] = legacy
    column = persisted(st.selectbox, "Category", f"{prefix}_cat", default, options=columns,
                       format_func=column_labeller())
    order_default = ",".join(preset_order(df, column))
    follow_column(f"{prefix}_order", column, order_default)
    order = persisted(st.text_input, "Order of the groups (comma-separated; empty = sorted; "
                      "the first group is the reference)", f"{prefix}_order", order_default)
    order = ",".join(o.strip() for o in order.split(",") if o.strip())
    known = ",".join(default_order(df[column]))
    if order and order == order_default:
        st.markdown(f"Preset of the sample cohort: {md(order.replace(',', ', '))}; "
                    f"{md(order.split(',')[0])} is the reference group.")
    elif known and order != known and st.button(
            f"Use the clinical order: {md(known.replace(',', ', '))}",
            key=f"{prefix}_order_known",
            help="The first group becomes the reference of the hazard ratios."):
        st.session_state[f"{prefix}_order"] = known
        st.session_state.pop(f"{prefix}_order_w", None)
        st.rerun()
    spec = f"{column}:order={order}" if order else column
    levels = len(order.split(",")) if order else int(df[column].dropna().nunique())
    return GroupChoice(group_by=spec, column=column, description=readable(column),
                       ordered=bool(order),
                       levels=levels)


def _composite(prefix: str, df: pd.DataFrame) -> GroupChoice:
    flags = _binary_columns(df)
    if not flags:
        st.info("No 0/1 flag columns to combine in this dataset.")
        return GroupChoice()
    default = [c for c in HIGH_RISK_FLAGS if c in flags]
    chosen = persisted(st.multiselect, "Flags (a patient is 1 if any flag is 1)",
                       f"{prefix}_composite", default, options=flags,
                       format_func=column_labeller())
    name = persisted(st.text_input, "Name of the combined flag", f"{prefix}_composite_name",
                     "high_risk").strip() or "composite"
    if not chosen:
        st.info("Choose at least one flag.")
        return GroupChoice()
    name = free_name(name, df.columns)
    return GroupChoice(group_by=name, derive=(f"{name}=any:{','.join(chosen)}",), column=name,
                       description=f"{name} = any of {', '.join(chosen)}", ordered=True,
                       levels=2)


def group_builder(prefix: str, df: pd.DataFrame, suggestion, *,
                  allow_optimal: bool = True) -> GroupChoice:
    """Widgets for "stratify by": none, a biomarker rule, a category or a composite flag."""
    biomarkers = [c for c in suggestion.biomarker_candidates if c in df.columns]
    categories = [c for c in suggestion.group_candidates if c in df.columns]
    kinds = [KIND_NONE, KIND_BIOMARKER, KIND_CATEGORY, KIND_COMPOSITE]
    default = KIND_BIOMARKER if biomarkers else (KIND_CATEGORY if categories else KIND_NONE)
    kind = persisted(st.radio, "Stratify by", f"{prefix}_kind", default, options=kinds,
                     horizontal=True)
    if kind == KIND_BIOMARKER:
        return _biomarker(prefix, biomarkers, allow_optimal)
    if kind == KIND_CATEGORY:
        return _category(prefix, df, categories)
    if kind == KIND_COMPOSITE:
        return _composite(prefix, df)
    return GroupChoice()


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
