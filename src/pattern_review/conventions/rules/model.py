"""Convention rules: model family."""

from __future__ import annotations
