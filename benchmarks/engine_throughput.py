"""Convention engine throughput next to fixit's, on one core, same files.

Both engines are libcst visitors, so both pay for the parse; what differs is
what each does after it (which rules, which metadata). We time, in this
process and one file after another:

- the libcst parse alone;
- ``pattern_review.conventions.engine.lint_source`` with the full catalog
  (parse + role detection + rules + positions of what was reported);
- fixit's ``fixit_bytes`` with its default rules (``fixit.rules``).

The rules' share of our engine is the full time minus the parse time.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Throughput:
    """Files and lines an engine got through, and how long it took.

    Attributes:
        name: What was timed.
        files: Files processed.
        lines: Lines processed.
        seconds: Wall time.
        findings: Findings produced (0 for the parse alone).
    """

    name: str
    files: int
    lines: int
    seconds: float
    findings: int = 0

    @property
    def files_per_s(self) -> float:
        """Files per second."""
        return self.files / self.seconds if self.seconds else float("inf")

    @property
    def lines_per_s(self) -> float:
        """Lines per second."""
        return self.lines / self.seconds if self.seconds else float("inf")


@dataclass(frozen=True)
class EngineComparison:
    """The three timings on the same files."""

    parse: Throughput
    engine: Throughput
    fixit: Throughput

    @property
    def rules_s(self) -> float:
        """Seconds our engine spent beyond the parse."""
        return max(self.engine.seconds - self.parse.seconds, 0.0)

    @property
    def speedup(self) -> float:
        """Our engine's file throughput over fixit's."""
        return self.engine.files_per_s / self.fixit.files_per_s


def _read(root: Path, paths: Sequence[str]) -> list[tuple[str, str]]:
    return [(path, (root / path).read_text(encoding="utf-8")) for path in paths]


def time_parse(sources: Sequence[tuple[str, str]]) -> Throughput:
    """Time ``libcst.parse_module`` over the sources."""
    import libcst as cst

    lines = sum(text.count("\n") for _, text in sources)
    start = time.perf_counter()
    for _, text in sources:
        cst.parse_module(text)
    return Throughput("libcst parse", len(sources), lines, time.perf_counter() - start)


def time_engine(sources: Sequence[tuple[str, str]]) -> Throughput:
    """Time pattern-review's convention engine (full catalog) over the sources."""
    from pattern_review.config import Config
    from pattern_review.conventions.engine import lint_source

    config = Config()
    lines = sum(text.count("\n") for _, text in sources)
    found = 0
    start = time.perf_counter()
    for path, text in sources:
        found += len(lint_source(path, text, config))
    return Throughput(
        "pattern-review conventions", len(sources), lines,
        time.perf_counter() - start, found,
    )  # fmt: skip


def time_fixit(root: Path, sources: Sequence[tuple[str, str]]) -> Throughput:
    """Time fixit's default rules over the sources, as ``fixit lint`` runs them."""
    from fixit.api import fixit_bytes
    from fixit.config import generate_config

    lines = sum(text.count("\n") for _, text in sources)
    found = 0
    start = time.perf_counter()
    for path, text in sources:
        full = root / path
        config = generate_config(full, root)
        for result in fixit_bytes(full, text.encode(), config=config):
            if result.violation is not None:
                found += 1
    return Throughput(
        "fixit (default rules)", len(sources), lines,
        time.perf_counter() - start, found,
    )  # fmt: skip


def compare(root: Path, paths: Sequence[str]) -> EngineComparison:
    """Time the parse, our engine and fixit on the same files.

    Args:
        root: The repo the paths are relative to.
        paths: Python files, relative to ``root``.

    Returns:
        The three throughputs.
    """
    sources = _read(root, paths)
    # One untimed pass first so neither side pays for imports and rule loading.
    warm = sources[:2]
    time_engine(warm)
    time_fixit(root, warm)
    return EngineComparison(
        parse=time_parse(sources),
        engine=time_engine(sources),
        fixit=time_fixit(root, sources),
    )
