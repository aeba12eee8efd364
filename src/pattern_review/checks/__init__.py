"""The checks of a review: the agent file's Completion Checklist, and conventions."""

from __future__ import annotations
