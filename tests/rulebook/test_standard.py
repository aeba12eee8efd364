"""Where the review's standard comes from: the base commit or the work tree."""

from __future__ import annotations

import pytest

from pattern_review.config import ConfigError
from pattern_review.rulebook.agent_file import AgentFileError
from tests.conftest import SEED_AGENT_FILE
from tests.gitrepo import GitRepo


def test_base_commit_settings_ignore_what_the_pr_changed(git_repo: GitRepo) -> None:
    from pattern_review.rulebook.standard import base_settings

    git_repo.write("pyproject.toml", '[tool.pattern-review]\nfail-on = "warning"\n')
    base = git_repo.commit("base")
    git_repo.write("pyproject.toml", '[tool.pattern-review]\nfail-on = "never"\n')
    git_repo.write(".pattern-review.toml", 'ignore = ["F401"]\n')
    git_repo.commit("pr")
    assert base_settings(git_repo.path, base, None) == {"fail-on": "warning"}


def test_base_commit_settings_prefer_the_dedicated_file_and_explicit_path(
    git_repo: GitRepo,
) -> None:
    from pattern_review.rulebook.standard import base_settings

    git_repo.write(".pattern-review.toml", 'filter-mode = "file"\n')
    git_repo.write("pyproject.toml", '[tool.pattern-review]\nfail-on = "warning"\n')
    git_repo.write("ci/review.toml", '[tool.pattern-review]\nfail-on = "never"\n')
    git_repo.write("bad.toml", "not = [toml")
    base = git_repo.commit("base")
    assert base_settings(git_repo.path, base, None) == {"filter-mode": "file"}
    explicit = base_settings(git_repo.path, base, "ci/review.toml")
    assert explicit == {"fail-on": "never"}
    with pytest.raises(ConfigError, match="does not exist"):
        base_settings(git_repo.path, base, "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        base_settings(git_repo.path, base, "bad.toml")


def test_base_commit_agent_reads_the_base_version(git_repo: GitRepo) -> None:
    from pattern_review.rulebook.standard import base_agent

    seed = SEED_AGENT_FILE.read_text()
    git_repo.write(".claude/agents/backend-developer.md", seed)
    base = git_repo.commit("base")
    # The PR strips the checklist from its copy.
    git_repo.write(".claude/agents/backend-developer.md", "# Nothing to check\n")
    git_repo.commit("pr")
    agent = base_agent(git_repo.path, base, None)
    assert agent.path == ".claude/agents/backend-developer.md"
    assert not agent.builtin
    assert agent.checklist_tools == ["ruff-format", "ruff", "mypy", "pytest"]
    with pytest.raises(AgentFileError, match="does not exist at base"):
        base_agent(git_repo.path, base, "docs/agent.md")


def test_base_without_agent_file_uses_the_builtin_rulebook(git_repo: GitRepo) -> None:
    from pattern_review.rulebook.standard import base_agent

    git_repo.write("README.md", "hello\n")
    base = git_repo.commit("base")
    assert base_agent(git_repo.path, base, None).builtin


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('tool = "x"\n', r"\[tool\] must be a table"),
        ("[tool]\npattern-review = 3\n", r"\[tool.pattern-review\] must be a table"),
    ],
)
def test_base_commit_config_with_a_bad_tool_table_is_one_line_error(
    git_repo: GitRepo, text: str, message: str
) -> None:
    from pattern_review.rulebook.standard import base_settings

    git_repo.write("pyproject.toml", text)
    base = git_repo.commit("base")
    with pytest.raises(ConfigError, match=message) as caught:
        base_settings(git_repo.path, base, None)
    assert "\n" not in str(caught.value)
    assert f"at base {base[:12]}" in str(caught.value)
