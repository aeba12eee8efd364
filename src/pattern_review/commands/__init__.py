"""CLI verbs: one module each, one entry function each."""

from __future__ import annotations
