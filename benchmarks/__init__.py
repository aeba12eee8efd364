"""Benchmarks: what a review costs next to running the checklist by hand.

``python -m benchmarks`` generates synthetic FastAPI backends (generate.py),
reviews a PR in each with pattern-review and runs the agent's Completion
Checklist by hand on the same files (run.py), measuring wall time and memory
(measure.py), and writes ``docs/benchmarks.md``.
"""

from __future__ import annotations
