"""Splitting source text into lines the way Python and git count them.

``str.splitlines`` also breaks at form feeds, vertical tabs and Unicode line
separators, which are legal inside Python source and are not line ends to
the tokenizer, to git or to the tools: using it shifts every line number after
one of them.
"""

from __future__ import annotations

import re

LINE_BREAK = re.compile(r"\r\n|\r|\n")
_LINE_WITH_END = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")


def split_lines(text: str, *, keepends: bool = False) -> list[str]:
    """Split text at LF, CRLF and CR only.

    Args:
        text: The text.
        keepends: Keep each line's terminator, as ``splitlines(True)`` does.

    Returns:
        The lines; no empty last item for text ending in a newline.
    """
    if keepends:
        return _LINE_WITH_END.findall(text)
    lines = LINE_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()
    return lines
