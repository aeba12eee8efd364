"""Convention rules: router family."""

from __future__ import annotations
