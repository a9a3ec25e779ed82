"""Row filters ``COL=V``, ``COL!=V``, ``COL<V``, ``COL<=V``, ``COL>V``, ``COL>=V`` (ANDed)."""

from __future__ import annotations

import re

from cohort_explorer.errors import OptionError

__all__ = ["parse_where"]

_WHERE = re.compile(r"^(.+?)\s*(!=|<=|>=|=|<|>)\s*(.*)$")


def parse_where(text: str) -> tuple[str, str, str]:
    """Split ``COL<op>VALUE``; operators ``= != < <= > >=``."""
    match = _WHERE.match(text.strip())
    if not match or not match.group(1).strip():
        raise OptionError(
            f"--where {text}: expected COL=VALUE, COL!=VALUE, COL<V, COL<=V, COL>V or COL>=V"
        )
    return match.group(1).strip(), match.group(2), match.group(3).strip()
