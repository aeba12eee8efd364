"""Convention rules: errors family."""

from __future__ import annotations
