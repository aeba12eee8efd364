"""The ``bundled`` strategy: no environment, the tools installed with pattern-review.

mypy then ignores missing imports, and the check's detail says why no
environment was used.
"""

from __future__ import annotations

from pattern_review.projects.discovery import Project
from pattern_review.projects.environments.kinds import Environment


def bundled(project: Project, why: str) -> Environment:
    """Return the bundled tools as the project's environment.

    Args:
        project: The project.
        why: Why no environment of its own is used (for the check's detail).

    Returns:
        An environment without a prefix.
    """
    return Environment("bundled", None, f"bundled tools: {why}")
