"""Which changed files are database migrations.

A migration is written by its tool from a template (Alembic's: no
docstrings, ``Union[str, None]``, a sync ``upgrade()`` calling ``op``), so
the application's conventions and style rules do not apply to it. It is
known by the ``migration`` role's globs (``**/alembic/versions/**``,
``**/migrations/**``), or, wherever a project keeps its revisions
(``database/revisions/tenant/versions/``), by Alembic's own header: a
module-level ``revision`` and ``down_revision`` and an ``upgrade()``.
Plain text, no parse: ruff's check asks before libcst is loaded.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pattern_review.globs import glob_match

_REVISION = re.compile(r"^revision\s*(?::[^=\n]*)?=\s*\S", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=\n]*)?=", re.MULTILINE)
_UPGRADE = re.compile(r"^def upgrade\s*\(", re.MULTILINE)
# Alembic's header sits at the top; a huge file is no revision to look into.
_HEAD_CHARS = 20_000


def is_alembic_revision(text: str) -> bool:
    """Return whether a module is an Alembic revision, by its header.

    Args:
        text: The module's source.

    Returns:
        True when it assigns ``revision`` and ``down_revision`` at module
        level and defines ``upgrade()``.
    """
    head = text[:_HEAD_CHARS]
    if "down_revision" not in head:  # most files: a substring scan, no regex
        return False
    return bool(
        _REVISION.search(head) and _DOWN_REVISION.search(head) and _UPGRADE.search(text)
    )


def is_migration(path: str, text: str | None, globs: Sequence[str]) -> bool:
    """Return whether a file is a migration, by its path or its content.

    Args:
        path: Path relative to the repository root.
        text: Its source, when read (None: by path alone).
        globs: The ``migration`` role's globs.

    Returns:
        True for a migration.
    """
    if any(glob_match(path, pattern) for pattern in globs):
        return True
    return text is not None and is_alembic_revision(text)
