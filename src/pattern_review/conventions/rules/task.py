"""Convention rules: task family."""

from __future__ import annotations
