"""Smoke test of the monorepo benchmark's section (no timings asserted)."""

from __future__ import annotations

import json

from benchmarks.measure import Measurement
from benchmarks.monorepo import render
from benchmarks.run import TOOLS


def _took(seconds: float, stdout: str = "") -> Measurement:
    return Measurement(("x",), seconds, 0, 0, seconds, 0, stdout, "")


def test_the_section_compares_the_review_with_the_touched_project_by_hand() -> None:
    report = {"checks": [{"name": "mypy", "detail": "api/: no errors"}]}
    best = {
        "review cold": _took(5.0, json.dumps(report)),
        "review warm": _took(3.0),
    }
    for tool in TOOLS:
        best[f"hand cold {tool}"] = _took(2.0)
        best[f"hand warm {tool}"] = _took(0.5)

    text = render(
        {"best": best, "changed": "api/x.py", "tests": ["t.py"], "load": (1.0, 2.0)}
    )

    assert "| cold | 0.62× | ≤ 1.00 | yes |" in text
    assert "| warm | 1.50× | ≤ 1.00 | no |" in text
    assert "mypy: api/: no errors" in text
