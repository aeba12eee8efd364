"""Convention rules: service family."""

from __future__ import annotations
