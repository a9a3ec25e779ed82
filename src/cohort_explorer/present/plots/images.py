"""Static figure export (PNG/SVG) with kaleido driving the system Chromium.

kaleido 1.x starts Chromium through choreographer. Debian's ``/usr/bin/chromium`` is used
(``$BROWSER_PATH`` or ``$CHROMIUM`` override it); Chromium runs headless without its sandbox,
which also works as root in a container, and MathJax is off so nothing is fetched from a CDN.
Re-exported by :mod:`cohort_explorer.present.plots`.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go

__all__ = ["StaticExportError", "chromium_path", "figure_images"]


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


async def _render(figures, formats, width, height, scale, path):
    import kaleido

    out = {}
    # kaleido starts Chromium headless without its sandbox (works as root in containers);
    # MathJax is off so nothing is fetched from a CDN.
    async with kaleido.Kaleido(n=1, path=path, mathjax=False, timeout=60) as renderer:
        for name, fig in figures.items():
            for fmt in formats:
                opts = {"format": fmt, "width": width, "height": fig.layout.height or height,
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

    def run() -> None:  # own thread + loop: safe inside Streamlit's script thread
        try:
            box["out"] = asyncio.run(_render(dict(figures), tuple(formats), width, height,
                                             scale, path))
        except Exception as error:  # reported to the caller as one StaticExportError
            box["error"] = error

    worker = threading.Thread(target=run, name="figure-export", daemon=True)
    worker.start()
    worker.join(timeout=180)
    if "error" in box or "out" not in box:
        raise StaticExportError(f"figure export failed: {box.get('error', 'timed out')}")
    return {key: bytes(value) if not isinstance(value, bytes) else value
            for key, value in box["out"].items()}
