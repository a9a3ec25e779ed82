"""The deeper analyses in the HTML report: figures (with method captions) and tables.

:func:`deeper_report_parts` turns the results of the Biomarker page (cut-point explorer,
bootstrap, spline, HR per quartile), the subgroup forest, the univariable screen and the
landmark differences into figures, captions and ``(title, method sentence, table)`` sections
for :func:`cohort_explorer.present.report.html_report`.
"""

from __future__ import annotations

from typing import Any

from cohort_explorer.present import plots
from cohort_explorer.present.deeper_tables import (
    METHODS,
    bootstrap_verdict,
    landmark_difference_table,
    screen_table,
    subgroup_table,
)
from cohort_explorer.present.tables import display_cox_table
from cohort_explorer.present.term_labels import cox_term_labels, subgroup_term_labels

__all__ = ["deeper_report_parts"]


def deeper_report_parts(*, survival: Any = None, cut: Any = None, bootstrap: Any = None,
                        spline: Any = None, quartiles: Any = None, subgroups: Any = None,
                        overall_cox: Any = None, screen: Any = None,
                        time_unit: str | None = None) -> tuple[dict, dict, list]:
    """Figures, captions and sections for the analyses given (``None`` ones are left out)."""
    figures: dict[str, Any] = {}
    captions: dict[str, str] = {}
    sections: list[tuple[str, str, Any]] = []
    if survival is not None and getattr(survival, "landmark_differences", None):
        sections.append(("Survival differences at the landmarks",
                         METHODS["landmark_differences"],
                         landmark_difference_table(survival, time_unit or "")))
    if cut is not None and cut.cutpoint is not None:
        column = cut.cutpoint.column
        figures["cut-explorer"] = plots.cut_explorer_figure(
            cut.cutpoint, column=column, quartiles=cut.cutpoint.quartiles
            if cut.cutpoint.quartiles is not None else ())
        captions["cut-explorer"] = f"Cut-point explorer for {column}. {METHODS['cutpoint']}"
        if bootstrap is not None:
            figures["cut-bootstrap"] = plots.bootstrap_figure(
                bootstrap, cutpoint=cut.cutpoint.cutpoint, column=column)
            captions["cut-bootstrap"] = (f"Bootstrap of the cut of {column}. "
                                         f"{METHODS['bootstrap']} "
                                         f"{bootstrap_verdict(bootstrap, column)}")
    if spline is not None and spline.spline is not None:
        figures["spline"] = plots.spline_figure(spline.spline)
        captions["spline"] = f"{spline.spline.column} as a spline. {METHODS['spline']}"
    if quartiles is not None and quartiles.cox is not None:
        figures["quartile-hr"] = plots.forest_figure(
            quartiles.cox, groups=quartiles.groups, group_column=quartiles.group_column)
        captions["quartile-hr"] = METHODS["quartiles"]
        sections.append(("Hazard ratio per quartile against Q1", METHODS["quartiles"],
                         display_cox_table(quartiles.cox,
                                           labels=cox_term_labels(quartiles))))
    if subgroups is not None and subgroups.subgroups:
        figures["subgroup-forest"] = plots.subgroup_forest_figure(
            overall_cox, subgroups.subgroups, group_column=subgroups.group_column or "",
            groups=subgroups.groups)
        captions["subgroup-forest"] = f"Subgroup forest. {METHODS['subgroups']}"
        sections.append(("Subgroup forest", METHODS["subgroups"],
                         subgroup_table(subgroups.subgroups,
                                        labels=subgroup_term_labels(subgroups))))
    if screen is not None and screen.screen:
        sections.append(("Univariable screen", METHODS["screen"], screen_table(screen.screen)))
    return figures, captions, sections
