"""Plotly figures built from result objects; nothing here fits or tests anything.

Every function takes results computed by the engine (:func:`cohort_explorer.analysis.analyze.analyze`,
the Cox model, the cut point, Table 1) and returns a ``plotly.graph_objects.Figure``. User text
(column names, group labels) is passed in raw and escaped with
:func:`cohort_explorer.present.format.escape`, because plotly renders a subset of HTML in
titles, legends, tick labels and hover text.

Look (:mod:`.theme`): Okabe–Ito colour-blind-safe palette, one line style per group, large fonts
(readable on a projector), a light and a dark variant (``theme="dark"``). Static export
(PNG/SVG) goes through kaleido driving the system Chromium (:mod:`.images`).
"""

from cohort_explorer.present.plots.biomarker import biomarker_figure, cutpoint_figure
from cohort_explorer.present.plots.cif import cif_figure
from cohort_explorer.present.plots.deeper import (
    bootstrap_figure,
    cut_explorer_figure,
    prediction_figure,
    spline_figure,
    subgroup_forest_figure,
)
from cohort_explorer.present.plots.forest import forest_figure
from cohort_explorer.present.plots.images import (
    EXPORT_SIZES,
    StaticExportError,
    chromium_path,
    export_figure,
    figure_images,
)
from cohort_explorer.present.plots.km import at_risk_at, km_figure, time_ticks
from cohort_explorer.present.plots.ph import ph_residual_figure
from cohort_explorer.present.plots.theme import LINE_STYLES, OKABE_ITO, PLOTLY_CONFIG

__all__ = [
    "OKABE_ITO",
    "LINE_STYLES",
    "PLOTLY_CONFIG",
    "StaticExportError",
    "km_figure",
    "cif_figure",
    "forest_figure",
    "cutpoint_figure",
    "biomarker_figure",
    "cut_explorer_figure",
    "bootstrap_figure",
    "spline_figure",
    "subgroup_forest_figure",
    "prediction_figure",
    "ph_residual_figure",
    "time_ticks",
    "at_risk_at",
    "figure_images",
    "export_figure",
    "EXPORT_SIZES",
    "chromium_path",
]
