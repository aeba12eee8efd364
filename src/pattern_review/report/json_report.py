"""The JSON report: what ``publish`` reads back and scripts consume.

Its documented keys and their order are in docs/architecture.md.
"""

from __future__ import annotations

import json
from typing import Any

from pattern_review.models import Report
from pattern_review.report.shared import ordered

# The documented keys first, in their order; the extra keys a saved report needs to
# be published without the repo (hunks, skipped files, ...) follow.
_TOP_ORDER = ("version", "conclusion", "base", "head", "target", "findings", "checks")
_AI_ORDER = ("status", "model", "input_tokens", "output_tokens", "cache_read_tokens")


def _ordered_keys(data: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    result = {key: data[key] for key in first if key in data}
    result.update((key, value) for key, value in data.items() if key not in result)
    return result


def render_json(report: Report) -> str:
    """Render the report as the documented JSON object.

    Findings are most severe first so two runs of the same review give the
    same bytes.

    Args:
        report: The review.

    Returns:
        Indented JSON ending in a newline; ``Report.model_validate_json``
        reads it back.
    """
    data = report.model_dump(mode="json")
    data["findings"] = [
        finding.model_dump(mode="json") for finding in ordered(report.findings)
    ]
    data["ai"] = _ordered_keys(data["ai"], _AI_ORDER)
    top = _ordered_keys(data, (*_TOP_ORDER, "ai"))
    return json.dumps(top, indent=2, ensure_ascii=False) + "\n"
