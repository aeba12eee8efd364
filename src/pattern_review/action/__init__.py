"""The GitHub Action side: the Actions environment in, step outputs out."""

from __future__ import annotations
