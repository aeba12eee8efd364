"""The line of a failed build's log that says what went wrong.

A leaf module (standard library only), so any stage summarising a long log
can reuse it. A failed install prints its cause early and a lot after it
(a build backend's traceback, uv's hint, pip's ``ERROR: Failed building
wheel``): the last line is rarely the cause, the first error-looking one is.
"""

from __future__ import annotations

import re

# The cause itself: a compiler's error, a missing module, a pytest ``E`` line
# naming an exception, the exception line ending a traceback; a Python the
# project's ``.python-version`` names that pyenv does not have (uv says only
# that querying the shim failed, pyenv which version and where it is set).
_CAUSE = (
    re.compile(r"^pyenv: version `[^`']+' is not installed"),
    re.compile(r"\bfatal error:"),
    re.compile(r"^\S+:\d+(?::\d+)?: error:"),
    re.compile(r"\b(?:ModuleNotFoundError|ImportError):"),
    re.compile(r"^E\s+\S*(?:Error|Exception)\b"),
)
# A tool's own summary of a failure: ``error: ...`` (uv, mypy), ``ERROR: ...``
# (pip), uv's ``× Failed to build``.
_SUMMARY = re.compile(r"^(?:error|fatal|ERROR)\b|^× ")
_EXCEPTION = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit)\b(?::|$)")
_MAX = 300


def _traceback_exception(lines: list[str]) -> str | None:
    """Return the exception line that ends the first traceback, if any.

    ``lines`` are undecorated: an exception group's ``|`` margin and the
    indentation of a build backend's output are gone, so its code lines
    (``File "x.py", line 1``, ``raise ...``) are told from the exception by
    their shape alone.
    """
    inside = False
    for line in lines:
        if line.startswith("Traceback (most recent call last)"):
            inside = True
        elif inside and _EXCEPTION.match(line) and ":" in line:
            return line
    return None


def first_error_line(log: str) -> str | None:
    """Return the first line of a log that looks like the error, stripped.

    A cause (``fatal error:``, a compiler's ``file:1:2: error:``,
    ``ModuleNotFoundError``, ``E   ValueError``, the exception line of a
    traceback) wins over a tool's summary (``error:``, ``ERROR:``, ``× ``);
    the first of them, in the log's order. A summary followed by uv's
    ``cause:`` line gets that cause (``error: No solution found when
    resolving dependencies: Because the current Python version...``).

    Args:
        log: A command's output (standard error, then standard output).

    Returns:
        The line (uv's tree drawing and at most 300 characters kept), or
        None when no line looks like an error.
    """
    raw = log.splitlines()
    stripped = [_undecorated(line) for line in raw]
    for line in stripped:
        if any(pattern.search(line) for pattern in _CAUSE):
            return line[:_MAX]
    exception = _traceback_exception(stripped) or _let_out_exception(raw)
    if exception is not None:
        return exception[:_MAX]
    for index, line in enumerate(stripped):
        if _SUMMARY.match(line):
            return f"{line}{_cause(stripped[index + 1 : index + 4])}"[:_MAX]
    return None


def _let_out_exception(raw: list[str]) -> str | None:
    """Return an exception a tool printed on its own, unindented (no traceback).

    poetry prints ``ChefBuildError`` alone, its message on a later line:
    the two are joined.
    """
    unindented = [line.rstrip() for line in raw if line.strip() and line[0] != " "]
    for index, line in enumerate(unindented):
        if _EXCEPTION.match(line):
            if ":" not in line and index + 1 < len(unindented):
                return f"{line}: {unindented[index + 1]}"
            return line
    return None


def _cause(following: list[str]) -> str:
    """Return uv's first ``cause:`` line after its ``error:``, as ``: <cause>``."""
    for line in following:
        if line.startswith("cause:"):
            return f": {line.removeprefix('cause:').strip()}"
    return ""


def _undecorated(line: str) -> str:
    """Strip a line, uv's tree drawing (``├─▶``) and a ``|`` margin."""
    return line.strip().lstrip("│├╰─▶|+ ").strip()
