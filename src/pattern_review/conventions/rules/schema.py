"""Convention rules: schema family."""

from __future__ import annotations
