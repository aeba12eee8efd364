"""``python -m pattern_review``."""

from __future__ import annotations

from pattern_review.cli import console_script

console_script()
