"""The pinned real repositories: well-formed data, strategies the code knows."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import get_args

from pattern_review.projects.environments.kinds import EnvironmentKind

FIXTURE = Path(__file__).parent.parent / "fixtures" / "real_repos.toml"


def test_each_pinned_repository_names_a_commit_and_a_known_strategy() -> None:
    repos = tomllib.loads(FIXTURE.read_text(encoding="utf-8"))["repo"]
    assert len(repos) >= 4
    kinds = set(get_args(EnvironmentKind))
    for repo in repos:
        assert re.fullmatch(r"[0-9a-f]{40}", repo["commit"]), repo["name"]
        assert repo["strategy"] in kinds, repo["name"]
        assert re.fullmatch(r"[\w.-]+/[\w.-]+", repo["repo"]), repo["name"]
        assert repo["projects"] and repo["reason"]
    layouts = {repo["strategy"] for repo in repos}
    assert {"uv", "hatch", "poetry", "project"} <= layouts
