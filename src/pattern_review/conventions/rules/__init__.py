"""Convention rule families, one module each."""

from __future__ import annotations
