"""Convention checks: the agent file's patterns and style rules, with libcst."""

from __future__ import annotations
