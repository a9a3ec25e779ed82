"""Look shared by every figure: Okabe–Ito palette, line styles, light/dark themes, fonts, ticks.

References
----------
Okabe M, Ito K. Color Universal Design (CUD): how to make figures and presentations that are
friendly to colorblind people. 2008. https://jfly.uni-koeln.de/color/
"""

from __future__ import annotations

import plotly.graph_objects as go

__all__ = ["OKABE_ITO", "LINE_STYLES", "PLOTLY_CONFIG", "THEMES", "group_colour", "rgba", "base_layout", "FONT_SIZE"]

#: Okabe–Ito palette, ordered so that the first colours contrast best on white.
OKABE_ITO = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
#: Line styles cycled with the colours so groups differ without colour too.
LINE_STYLES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
#: ``config`` for ``st.plotly_chart``: trimmed toolbar, no logo, PNG button at print size.
PLOTLY_CONFIG = {
    "displaylogo": False,
    "modeBarButtonsToRemove": [
        "select2d", "lasso2d", "autoScale2d", "toggleSpikelines",
        "hoverClosestCartesian", "hoverCompareCartesian", "zoomIn2d", "zoomOut2d",
    ],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

FONT_SIZE = 17
THEMES = {
    "light": {"paper": "#FFFFFF", "plot": "#FFFFFF", "text": "#1A1A1A", "grid": "#D9D9D9",
              "black": "#000000"},
    "dark": {"paper": "#121417", "plot": "#121417", "text": "#F2F2F2", "grid": "#3A3F47",
             "black": "#E6E6E6"},
}


def group_colour(index: int, theme: str) -> str:
    colour = OKABE_ITO[index % len(OKABE_ITO)]
    return THEMES[theme]["black"] if colour == "#000000" else colour


def rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def base_layout(fig: go.Figure, theme: str, *, height: int, title: str | None = None,
                font_size: int = FONT_SIZE) -> go.Figure:
    if theme not in THEMES:
        raise ValueError(f"theme must be 'light' or 'dark', not {theme!r}")
    colours = THEMES[theme]
    fig.update_layout(
        template="simple_white" if theme == "light" else "plotly_dark",
        paper_bgcolor=colours["paper"], plot_bgcolor=colours["plot"],
        font={"size": font_size, "color": colours["text"],
              "family": "Arial, Helvetica, sans-serif"},
        height=height, margin={"l": 80, "r": 30, "t": 70 if title else 30, "b": 60},
        hoverlabel={"font_size": font_size - 1},
        title={"text": title, "x": 0.0, "xanchor": "left"} if title else None,
    )
    axes = {"showline": True, "linecolor": colours["text"], "gridcolor": colours["grid"],
            "ticks": "outside", "tickcolor": colours["text"], "zeroline": False,
            "tickfont": {"color": colours["text"]}, "title": {"font": {"color": colours["text"]}}}
    fig.update_xaxes(**axes)
    fig.update_yaxes(**axes)
    return fig


