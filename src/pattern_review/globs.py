"""Path globs as ``.gitignore`` and ruff's ``per-file-ignores`` read them.

Kept apart from the roles module so that matching a path never loads libcst.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Compile a path glob where ``**`` spans directories and ``*`` does not."""
    out: list[str] = []
    index = 0
    while index < len(pattern):
        if pattern.startswith("**/", index):
            out.append("(?:.*/)?")
            index += 3
        elif pattern.startswith("**", index):
            out.append(".*")
            index += 2
        elif pattern[index] == "*":
            out.append("[^/]*")
            index += 1
        elif pattern[index] == "?":
            out.append("[^/]")
            index += 1
        else:
            out.append(re.escape(pattern[index]))
            index += 1
    return re.compile("".join(out) + r"\Z")


def glob_match(path: str, pattern: str) -> bool:
    """Return whether a repo-relative path matches a glob.

    ``**/`` matches any number of directories (none included), ``*`` and
    ``?`` stay inside one path segment, as in ``.gitignore`` and ruff's
    ``per-file-ignores``.

    Args:
        path: Path relative to the repo root, ``/``-separated.
        pattern: The glob, e.g. ``**/routers/**/*.py``.

    Returns:
        True when the whole path matches.
    """
    normalized = path.replace("\\", "/").removeprefix("./")
    return _glob_regex(pattern).match(normalized) is not None
