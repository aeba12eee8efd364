"""Migrations are known by path or by Alembic's revision header."""

from __future__ import annotations

from pattern_review.config import Config
from pattern_review.migrations import is_alembic_revision, is_migration
from tests.checks.test_ruff_check import ALEMBIC_REVISION

# What Netflix/dispatch keeps in src/dispatch/database/revisions/tenant/versions/
# (2025-07-14_df10accae9a9.py, shortened): no annotations, its own folder.
DISPATCH_REVISION = '''\
"""Add case notes model

Revision ID: df10accae9a9
Revises: 6e66b6578810
Create Date: 2025-07-11 12:59:07.633861

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "df10accae9a9"
down_revision = "6e66b6578810"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("case", sa.Column("notes", sa.String(), nullable=True))


def downgrade():
    op.drop_column("case", "notes")
'''
GLOBS = Config().roles["migration"]


def test_an_alembic_revision_is_known_by_its_header_wherever_it_lives() -> None:
    assert is_alembic_revision(ALEMBIC_REVISION)
    assert is_alembic_revision(DISPATCH_REVISION)
    path = "src/dispatch/database/revisions/tenant/versions/2025-07-14_df10.py"
    assert not is_migration(path, None, GLOBS)  # not by its path ...
    assert is_migration(path, DISPATCH_REVISION, GLOBS)  # ... by its header


def test_code_that_only_looks_like_a_revision_is_not_one() -> None:
    # A model with a ``revision`` column, a function's local, no upgrade().
    model = (
        "class Document(Base):\n"
        "    revision = Column(Integer)\n"
        "    down_revision = Column(Integer)\n"
    )
    local = (
        "def bump():\n    revision = 1\n    down_revision = 0\n\n\n"
        "def upgrade():\n    pass\n"
    )
    no_upgrade = 'revision = "a1"\ndown_revision = None\n'
    for text in (model, local, no_upgrade):
        assert not is_alembic_revision(text), text
    assert not is_migration("app/models/document.py", model, GLOBS)


def test_the_roles_globs_still_name_migrations_by_path() -> None:
    assert is_migration("backend/app/alembic/versions/1a2b_add.py", None, GLOBS)
    assert is_migration("app/db/migrations/versions/fdf8_main.py", "", GLOBS)
