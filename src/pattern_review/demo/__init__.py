"""The bundled example PR of `pattern-review demo`."""

from __future__ import annotations
