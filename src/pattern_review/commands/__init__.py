"""CLI verbs: one module each, one entry function each.

``monorepo`` holds what the review and action verbs share: narrowing a change
to a folder, and the agent file of the one project a change lies in.
"""

from __future__ import annotations
