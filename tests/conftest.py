"""Shared fixtures."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from tests.gitrepo import GitRepo

# Everything the tests read is inside the repository (see fixtures/README.md):
# a clone with nothing beside it runs them.
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The agent file the package ships: the seed the rulebook is written from.
SEED_AGENT_FILE = Path(str(resources.files("pattern_review.data"))) / (
    "backend-developer.md"
)


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty git repo on branch ``main``."""
    return GitRepo(tmp_path / "repo")


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep each test's tool caches out of the user's ~/.cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
