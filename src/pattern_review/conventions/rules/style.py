"""Convention rules: style family."""

from __future__ import annotations
