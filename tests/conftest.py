"""Shared fixtures."""

from __future__ import annotations

import os
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


# PR tests run as we are here (the suite's repos and Python live where an
# unprivileged user may not go), for fixtures of any scope; the tests of the
# user switch turn it back on (tests/test_secrets.py).
os.environ["PATTERN_REVIEW_RUN_AS"] = "root"
# A review of commits in CI reads its standard from the base commit; the suite
# decides that per test (tests/e2e/test_trust.py sets CI), whatever machine
# runs it, so a CI machine's own CI=true does not change what a test checks.
os.environ.pop("CI", None)
# Built-in quotes link to the running action's repository when the runner
# names it: the tests that want it set it themselves.
os.environ.pop("GITHUB_ACTION_REPOSITORY", None)


@pytest.fixture
def git_repo(tmp_path: Path) -> GitRepo:
    """An empty git repo on branch ``main``."""
    return GitRepo(tmp_path / "repo")


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep each test's tool caches out of the user's ~/.cache.

    Also run the PR's tests as we are: the tests' repos and this venv's
    Python live where an unprivileged user may not go (tests of the user
    switch turn it back on: ``tests/test_secrets.py``).
    """
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "root")
