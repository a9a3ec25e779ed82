"""How wide a text is drawn, and lines that fit a width: for laying out text columns of figures.

Widths are those of DejaVu Sans, the font a Debian Chromium draws for the figures' "Arial,
Helvetica, sans-serif" when Arial is not installed (the static exports, the browser tests).
Arial and Helvetica are narrower, so a layout that fits DejaVu fits them too. Plain text in,
plain text out; callers escape the lines.
"""

from __future__ import annotations

import re

__all__ = ["text_px", "wrap_px"]

#: Advance widths of DejaVu Sans (em) by character; bold is about 12% wider.
_EM = {
    0.278: "ijl'", 0.295: "IJ", 0.318: " ,.·", 0.337: "/:;\\|", 0.352: "f", 0.361: "-",
    0.39: "()[]", 0.392: "t", 0.401: "!", 0.411: "r", 0.46: '"', 0.5: "*_`–", 0.521: "s",
    0.525: "z", 0.531: "?", 0.55: "c", 0.557: "L", 0.575: "F", 0.579: "k", 0.592: "vxy",
    0.603: "P", 0.611: "TY", 0.615: "aeo", 0.632: "E", 0.636: "hnuSbdgpq$0123456789{}µ",
    0.656: "K", 0.686: "AVXZB", 0.698: "RC", 0.732: "U", 0.752: "NH", 0.775: "DG",
    0.787: "OQ&", 0.818: "w", 0.838: "#+<=>^~≤≥→←×", 0.863: "M", 0.95: "%", 0.974: "m",
    1.0: "W@—",
}
_WIDTH = {char: em for em, chars in _EM.items() for char in chars}
_BOLD = 1.12
#: Drawn text runs up to 3% wider than these widths (Chromium, 9 to 27 px): a margin for it.
_SLACK = 1.04
_OPERATORS = {"≤", "≥", "<", ">", "=", "<=", ">=", "(>", "(<", "(≤", "(≥"}


def _char_em(char: str) -> float:
    if char in _WIDTH:
        return _WIDTH[char]
    return 1.0 if ord(char) >= 0x2E80 else 0.7  # wide scripts (CJK) a full em; others 0.7


def text_px(text: str, size: float, *, bold: bool = False) -> float:
    """Width in pixels of ``text`` (plain, one line) at font ``size`` px.

    >>> round(text_px("0.643", 10), 1)
    29.8
    """
    width = sum(_char_em(c) for c in str(text)) * size * _SLACK
    return width * _BOLD if bold else width


def _split_word(word: str, max_px: float, size: float, bold: bool) -> list[str]:
    """A word wider than ``max_px`` cut into pieces that fit (at least one character each)."""
    pieces, current = [], ""
    for char in word:
        if current and text_px(current + char, size, bold=bold) > max_px:
            pieces.append(current)
            current = char
        else:
            current += char
    return pieces + ([current] if current else [])


def wrap_px(text: str, max_px: float, size: float, *, bold: bool = False) -> list[str]:
    """``text`` in lines no wider than ``max_px``: one line when it fits, else broken before
    each parenthesis first (a name and its cut-offs), then at spaces (a longer word is cut).

    >>> wrap_px("Q2 (> 0.643 to ≤ 1.12)", 110, 10)
    ['Q2', '(> 0.643 to ≤ 1.12)']
    >>> wrap_px("Q2 (> 0.643 to ≤ 1.12)", 70, 10)
    ['Q2', '(> 0.643 to', '≤ 1.12)']
    """
    if text_px(text, size, bold=bold) <= max_px:
        return [str(text)]
    return [line for part in re.split(r" (?=\()", str(text))
            for line in _greedy(part, max_px, size, bold)]


def _greedy(text: str, max_px: float, size: float, bold: bool) -> list[str]:
    words: list[str] = []
    for word in str(text).split():  # "≤ 1.12" stays together: an operator joins its number
        if words and words[-1] in _OPERATORS:
            words[-1] = f"{words[-1]} {word}"
        else:
            words.append(word)
    if not words:
        return [""]
    lines: list[str] = []
    for word in words:
        pieces = (_split_word(word, max_px, size, bold)
                  if text_px(word, size, bold=bold) > max_px else [word])
        for piece in pieces:
            joined = f"{lines[-1]} {piece}" if lines else piece
            if lines and text_px(joined, size, bold=bold) <= max_px:
                lines[-1] = joined
            else:
                lines.append(piece)
    return lines
