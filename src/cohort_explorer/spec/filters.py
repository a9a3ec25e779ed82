"""Row filters ``COL=V``, ``COL!=V``, ``COL<V``, ``COL<=V``, ``COL>V``, ``COL>=V`` (ANDed).

The column is everything before the first operator. A column whose name contains an operator
character (``LDH>ULN``, ``a=b``) is written between backticks: ```LDH>ULN`=1``; a backtick
inside such a name is doubled. :func:`format_where` writes a rule that way when needed.

The text comes from the command line and from shared links, so it is parsed in one pass
(time linear in its length) — no backtracking regular expression.
"""

from __future__ import annotations

import re

from cohort_explorer.errors import OptionError

__all__ = ["OPERATORS", "format_where", "parse_where", "shown"]

#: The comparison operators, longest first (``<=`` before ``<``).
OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
# Alternatives of fixed length: each start position costs O(1), so a search is linear.
_OPERATOR = re.compile(r"!=|<=|>=|[=<>]")
_OPERATOR_CHARS = frozenset("=<>!`")
_SHOWN = 80


def shown(text: str, limit: int = _SHOWN) -> str:
    """``text`` for a message: long input is cut (a message must stay one readable line)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def _usage(text: str, detail: str = "") -> OptionError:
    return OptionError(
        f"--where {shown(text)}: {detail}expected COL=VALUE, COL!=VALUE, COL<V, COL<=V, COL>V "
        "or COL>=V (a column name containing = < > ! or ` goes between backticks: `LDH>ULN`=1)",
        code="filter_syntax", fields={"filter": shown(text)},
    )


def _quoted_column(text: str) -> tuple[str, int]:
    """The backtick-quoted column at the start of ``text`` and the index after it."""
    parts = []
    position = 1
    while True:
        end = text.find("`", position)
        if end < 0:
            raise _usage(text, "the backtick after the column name is missing; ")
        parts.append(text[position:end])
        if text.startswith("``", end):  # a doubled backtick is a backtick of the name
            parts.append("`")
            position = end + 2
            continue
        return "".join(parts), end + 1


def parse_where(text: str) -> tuple[str, str, str]:
    """Split ``COL<op>VALUE`` into ``(COL, op, VALUE)``; operators ``= != < <= > >=``.

    Parameters
    ----------
    text : str
        The rule. The column may be quoted with backticks: ```LDH>ULN`>=1``.

    Returns
    -------
    tuple of str
        Column (stripped), operator, value (stripped).

    Raises
    ------
    OptionError
        No operator, an empty column name, or an unclosed backtick.

    Examples
    --------
    >>> parse_where("age>=60")
    ('age', '>=', '60')
    >>> parse_where("`LDH>ULN`=1")
    ('LDH>ULN', '=', '1')
    """
    text = str(text).strip()
    if text.startswith("`"):
        column, after = _quoted_column(text)
        rest = text[after:].lstrip()
        operator = next((op for op in OPERATORS if rest.startswith(op)), None)
        if operator is None or not column.strip():
            raise _usage(text)
        return column.strip(), operator, rest[len(operator):].strip()
    match = _OPERATOR.search(text, 1)
    if match is None or not text[: match.start()].strip():
        raise _usage(text)
    return text[: match.start()].strip(), match.group(), text[match.end():].strip()


def format_where(column: str, operator: str, value: object) -> str:
    """The rule text :func:`parse_where` reads back as ``(column, operator, value)``.

    Examples
    --------
    >>> format_where("LDH>ULN", "=", 1)
    '`LDH>ULN`=1'
    """
    if operator not in OPERATORS:
        raise OptionError(f"unknown filter operator {operator!r}; use one of {', '.join(OPERATORS)}")
    name = str(column)
    if set(name) & _OPERATOR_CHARS or name != name.strip():
        name = "`" + name.replace("`", "``") + "`"
    return f"{name}{operator}{value}"
