"""Write the step outputs (``GITHUB_OUTPUT``) and job summary files.

Both files are appended to, as the runner expects. Output values use the
multi-line ``name<<DELIMITER`` form with a random delimiter, so a value (a
path, a URL) can never end the block early or inject another output. The
summary is cut to fit GitHub's 1 MiB limit: over it GitHub drops the whole
summary, so a shortened one with a note is far better than none.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path

SUMMARY_LIMIT_BYTES = 1024 * 1024
# Room kept for the truncation note and the newline that ends the file.
_NOTE_RESERVE = 512


class OutputError(Exception):
    """An output file cannot be written; the message says why in one line."""


def format_outputs(values: Mapping[str, str]) -> str:
    """Render outputs in the ``GITHUB_OUTPUT`` multi-line syntax.

    Args:
        values: Output name -> value.

    Returns:
        One ``name<<DELIM`` / value / ``DELIM`` block per output.
    """
    blocks: list[str] = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        while delimiter in value:  # astronomically unlikely, but cheap to rule out
            delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        blocks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(blocks)


def write_outputs(path: Path, values: Mapping[str, str]) -> None:
    """Append outputs to the ``GITHUB_OUTPUT`` file.

    Args:
        path: The file the runner named.
        values: Output name -> value.

    Raises:
        OutputError: The file cannot be written.
    """
    _append(path, format_outputs(values), "GITHUB_OUTPUT")


def fit_summary(markdown: str, limit: int = SUMMARY_LIMIT_BYTES) -> str:
    """Cut a summary to at most ``limit`` bytes of UTF-8, at a line boundary.

    Args:
        markdown: The full summary.
        limit: The byte budget.

    Returns:
        The summary unchanged when it fits; else its leading whole lines, any
        open code fence closed, and a note saying how much was left out.
    """
    if not markdown.endswith("\n"):
        markdown += "\n"
    data = markdown.encode("utf-8")
    if len(data) <= limit:
        return markdown
    budget = max(limit - _NOTE_RESERVE, 0)
    head = data[:budget].decode("utf-8", errors="ignore")
    cut = head.rfind("\n")
    kept = head[: cut + 1] if cut >= 0 else ""
    left_out = markdown[len(kept) :].count("\n")
    fence = "```\n" if kept.count("\n```") % 2 == 1 else ""
    note = (
        f"\n> **Summary truncated:** {left_out} more line(s) did not fit GitHub's "
        "1 MiB job-summary limit. The check run and the JSON report have them all.\n"
    )
    return kept + fence + note


def write_summary(path: Path, markdown: str) -> None:
    """Append the report to the job summary, cut to fit GitHub's limit.

    Args:
        path: The ``GITHUB_STEP_SUMMARY`` file.
        markdown: The summary.

    Raises:
        OutputError: The file cannot be written.
    """
    existing = path.stat().st_size if path.exists() else 0
    _append(path, fit_summary(markdown, SUMMARY_LIMIT_BYTES - existing), "summary")


def _append(path: Path, text: str, what: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise OutputError(f"cannot write {what} file {path}: {exc.strerror}") from exc
