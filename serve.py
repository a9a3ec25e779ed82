"""Start Cohort Explorer: ``python serve.py [streamlit options]``.

The same as ``streamlit run app.py [options]`` after :func:`pages._server.harden`, which must
run before the server starts: no lookup of the machine's address on the internet (at start and
when a page of another origin connects), uploads kept in memory (never spooled to /tmp), and
freed memory returned to the system (Arrow on the system allocator); the engine and the pages'
shared code are imported before the server listens (the first page does not wait for them). ``make run``, the container, the browser tests and
``make soak`` all start the app this way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


#: What the first page needs, imported before the server listens (nothing is computed, no
#: data is read): the engine, Arrow (Streamlit's tables), plotly and the pages' shared code.
WARM = ("cohort_explorer.analysis", "cohort_explorer.present.plots",
        "cohort_explorer.present.tables", "cohort_explorer.io", "cohort_explorer.data.validation",
        "pyarrow", "pages._common", "pages._widgets", "pages._figures")


def _warm_imports() -> None:
    """Import what the first page needs before the server accepts its first visitor. In a
    thread beside the starting server (as before) the imports were still running when the
    server reported healthy, and the first page waited for them (about 2.5 s longer than the
    next ones on a loaded machine); now the server is healthy only when they are done."""
    import importlib

    for name in WARM:
        try:
            importlib.import_module(name)
        except ImportError:  # pragma: no cover - the page reports it when it runs
            return
    _warm_first_use()


def _warm_first_use() -> None:
    """One-time work of a fresh server's first pages, done before it listens (no data):
    Pillow's image plugins (the favicon is opened on every page), plotly's two templates and
    scatter trace (the first Kaplan–Meier figure loaded them: 0.15 s), and Streamlit's check,
    on its first element, whether it runs in a Python shell, which reads the source of every
    frame of the first script (``inspect.stack``: 0.1-0.8 s by the load) to print a hint for
    shell users; this server is never run from a shell."""
    from PIL import Image

    Image.preinit()
    import plotly.graph_objects as go
    import plotly.io as pio

    for template in ("simple_white", "plotly_dark"):
        go.Figure(go.Scatter(x=[0], y=[0]), layout={"template": pio.templates[template]})
    from streamlit import delta_generator

    delta_generator._use_warning_has_been_displayed = True


def main(argv: list[str] | None = None) -> None:
    # Arrow's default pool (mimalloc) keeps the pages a session's data freed, per thread, out
    # of malloc_trim's reach (0.8 GB after one 300 MB workbook); the system allocator returns
    # them. Set before anything imports pyarrow; an administrator's choice is kept.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from pages._legacy import leave_pages_directory_mode
    from pages._server import harden

    harden()
    # The app declares its pages with st.navigation; without this, a fresh server's first
    # session runs in Streamlit's legacy pages-directory mode, where a shared link such as
    # /hazard-ratios (file hazard_ratios.py) first shows "Page not found".
    leave_pages_directory_mode()
    _warm_imports()
    from streamlit.web import cli

    args = sys.argv[1:] if argv is None else argv
    sys.argv = ["streamlit", "run", str(ROOT / "app.py"), *args]
    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
