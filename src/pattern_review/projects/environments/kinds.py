"""What a project's environment is, and the error of one that cannot be set up.

Types only, importable from below the environments' strategies (the review's
``SharedSetup`` keeps them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pattern_review.errors import CheckError
from pattern_review.projects.discovery import Project

EnvironmentKind = Literal[
    "venv", "uv", "poetry", "hatch", "project", "requirements", "install", "bundled"
]
# What an interpreter runs to say which environment it belongs to.
PRINT_PREFIX = "import sys; print(sys.prefix)"


@dataclass(frozen=True)
class Environment:
    """A project's Python environment, as the checks use it.

    Attributes:
        kind: How it was found or built.
        prefix: Its folder (``bin/python`` inside); None for ``bundled``.
        origin: What it is, for the check's detail (``backend/.venv``).
    """

    kind: EnvironmentKind
    prefix: Path | None
    origin: str

    @property
    def python(self) -> Path | None:
        """The environment's interpreter, None for the bundled tools."""
        return None if self.prefix is None else self.prefix / "bin" / "python"

    def program(self, tool: str) -> Path | None:
        """Return the environment's own copy of a tool, if it has one.

        Args:
            tool: ``mypy`` or ``pytest``.

        Returns:
            Its executable, or None.
        """
        if self.prefix is None:
            return None
        program = self.prefix / "bin" / tool
        return program if program.is_file() else None


class EnvironmentSetupError(CheckError):
    """A project's environment could not be set up."""


def environment_failure(project: Project, reason: str, output: str) -> CheckError:
    """Build the error that fails a project's mypy and pytest.

    Args:
        project: The project.
        reason: The meaningful line (the first ``error:``) and the command.
        output: The whole output of the failed command.

    Returns:
        The error, message ``environment of backend/ could not be set up: ...``.
    """
    return EnvironmentSetupError(
        f"environment of {project.label} could not be set up: {reason}", output
    )
