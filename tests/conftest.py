"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gitrepo import GitRepo

# shared/ sits beside the clone, here and in CI.
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_AGENT_FILE = SHARED / "seed" / "backend-developer.md"
FIXTURES = SHARED / "fixtures"


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
