"""Static figure export (PNG/SVG) with kaleido driving the system Chromium.

kaleido 1.x starts Chromium through choreographer. Debian's ``/usr/bin/chromium`` is used
(``$BROWSER_PATH`` or ``$CHROMIUM`` override it); Chromium runs headless without its sandbox,
which also works as root in a container, and MathJax is off so nothing is fetched from a CDN.
Re-exported by :mod:`cohort_explorer.present.plots`.
"""

from __future__ import annotations

import asyncio
import io
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

__all__ = ["StaticExportError", "chromium_path", "figure_images", "EXPORT_SIZES", "ExportSize",
           "export_figure"]


@dataclass(frozen=True)
class ExportSize:
    """A figure size for a slide or a journal: CSS pixels (96 per inch) and a base font."""

    label: str
    width: int
    height: int
    font_size: int


#: Sizes offered for figure files: a 16:9 slide (13.33 x 7.5 in) and the single (89 mm) and
#: double (183 mm) column widths of most journals, with fonts of 7-9 pt at print size.
EXPORT_SIZES = {
    "slide": ExportSize("Slide 16:9 (13.3 × 7.5 in)", 1280, 720, 20),
    "single": ExportSize("Single column (89 mm)", 336, 300, 9),
    "double": ExportSize("Double column (183 mm)", 692, 460, 11),
}


def _with_dpi(png: bytes, dpi: int) -> bytes:
    """The PNG with its resolution recorded (pHYs), so a journal reads it as ``dpi``."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as image:
        out = io.BytesIO()
        image.save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()


def export_figure(fig: go.Figure, fmt: str, *, width: int, height: int, dpi: int = 300) -> bytes:
    """One figure file: ``png`` at ``dpi`` (pixels = CSS size × dpi / 96), ``svg`` or ``pdf``.

    Raises
    ------
    StaticExportError
        No Chromium, an unknown format, or the export failed.
    """
    if fmt not in ("png", "svg", "pdf"):
        raise StaticExportError(f"unknown figure format {fmt!r}: use png, svg or pdf")
    fig = go.Figure(fig)
    fig.update_layout(width=width, height=height)
    images = figure_images({"figure": fig}, (fmt,), width=width, height=height,
                           scale=dpi / 96)
    data = images[("figure", fmt)]
    return _with_dpi(data, dpi) if fmt == "png" else data


class StaticExportError(RuntimeError):
    """PNG/SVG export is unavailable (no Chromium) or failed."""


def chromium_path() -> str | None:
    """The Chromium kaleido should drive: ``$BROWSER_PATH``, ``$CHROMIUM``, or Debian's."""
    for candidate in (os.environ.get("BROWSER_PATH"), os.environ.get("CHROMIUM"),
                      "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser"), shutil.which("google-chrome")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


#: Seconds one export may take, and how many times it is tried: a headless Chromium that hangs
#: (once in a browser test, on an idle machine: no download within 120 s) is left and a new one
#: started; after the last try the caller falls back (the report: interactive figures).
EXPORT_SECONDS = 55
EXPORT_ATTEMPTS = 2


def _render_in_thread(figures, formats, width, height, scale, path) -> dict[str, Any]:
    """:func:`_render` in its own thread and event loop (safe inside Streamlit's script
    thread), waited for at most :data:`EXPORT_SECONDS`: ``{"out": ...}``, ``{"error": ...}`` or
    ``{}`` when it did not finish (the daemon thread is left behind)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["out"] = asyncio.run(_render(dict(figures), tuple(formats), width, height,
                                             scale, path))
        except Exception as error:  # reported to the caller as one StaticExportError
            box["error"] = error

    worker = threading.Thread(target=run, name="figure-export", daemon=True)
    worker.start()
    worker.join(timeout=EXPORT_SECONDS)
    return dict(box)


async def _render(figures, formats, width, height, scale, path):
    import kaleido

    out = {}
    # kaleido starts Chromium headless without its sandbox (works as root in containers);
    # MathJax is off so nothing is fetched from a CDN.
    async with kaleido.Kaleido(n=1, path=path, mathjax=False, timeout=60) as renderer:
        for name, fig in figures.items():
            for fmt in formats:
                opts = {"format": fmt, "width": fig.layout.width or width,
                        "height": fig.layout.height or height,
                        "scale": scale if fmt == "png" else 1}
                out[(name, fmt)] = await renderer.calc_fig(fig, opts=opts)
    return out


def figure_images(
    figures: Mapping[str, go.Figure], formats: Sequence[str] = ("png", "svg"), *,
    width: int = 1100, height: int = 640, scale: float = 2.0,
) -> dict[tuple[str, str], bytes]:
    """Render figures to PNG/SVG bytes with one headless Chromium session.

    Parameters
    ----------
    figures : mapping of name to Figure
    formats : sequence of {"png", "svg", "pdf"}
    width, height : int
        Size in CSS pixels (a figure's own ``layout.height`` wins); ``scale`` multiplies PNGs.

    Returns
    -------
    dict
        ``{(name, format): bytes}``.

    Raises
    ------
    StaticExportError
        No Chromium found or the export failed (the interactive figures still work).
    """
    path = chromium_path()
    if path is None:
        raise StaticExportError("PNG/SVG export needs Chromium (apt-get install chromium); "
                                "set BROWSER_PATH to its executable.")
    box: dict[str, Any] = {}
    for _attempt in range(EXPORT_ATTEMPTS):  # a Chromium that hangs is given up and started anew
        box = _render_in_thread(figures, formats, width, height, scale, path)
        if "out" in box or "error" in box:
            break
    if "error" in box or "out" not in box:
        raise StaticExportError(f"figure export failed: {box.get('error', 'timed out')}")
    return {key: bytes(value) if not isinstance(value, bytes) else value
            for key, value in box["out"].items()}
