"""The one error the action's stages raise when a run cannot be reviewed."""

from __future__ import annotations


class ActionError(Exception):
    """The action cannot review this run; the message says why in one line."""
