"""Text as people read it in a terminal or a notebook."""

from __future__ import annotations

import textwrap


def shorten(text: str, width: int) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than ``width``.

    A revision message cut mid-word ("…on th") reads as a typo in a notebook's output.
    """
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    return textwrap.shorten(line, width, placeholder="…") if " " in line[:width] else line[: width - 1] + "…"
