"""A configured agent file path stays inside the repository it configures.

The ``agent-file`` setting comes from the reviewed repo (a PR may change it)
and from saved reports (data a fork's job wrote): neither may make a review
or a publish step read, and quote, a file elsewhere on the runner.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pattern_review.cli import main as cli_main
from pattern_review.models import Finding, Report, TargetInfo
from pattern_review.rulebook.agent_file import (
    BUILTIN_NAME,
    AgentFileError,
    find_agent_file,
)
from tests.fakes.github_server import TOKEN, FakeGitHub

REPOSITORY = "octo-org/app"
HEAD = "a" * 40
SECRET = "SECRET-runner-file-text"
RULEBOOK = f"""\
# Backend developer

## Router Pattern

- {SECRET}
- Use `APIRouter` with `prefix` and `tags`

## Completion Checklist

1. `uv run ruff check`
"""


@pytest.fixture
def layout(tmp_path: Path) -> Path:
    """A checkout at ``repo/`` and a private file next to it at ``outside/``."""
    (tmp_path / "repo" / ".claude" / "agents").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.md").write_text(RULEBOOK)
    return tmp_path


@pytest.mark.parametrize(
    "configured",
    ["../outside/secret.md", ".claude/../../outside/secret.md", "/outside/secret.md"],
)
def test_a_path_out_of_the_repo_is_refused(layout: Path, configured: str) -> None:
    if configured.startswith("/"):
        configured = str(layout) + configured
    with pytest.raises(AgentFileError) as raised:
        find_agent_file(layout / "repo", configured)
    message = str(raised.value)
    assert "\n" not in message
    assert "outside the repository" in message or "absolute path" in message


def test_a_symlink_out_of_the_repo_is_refused(layout: Path) -> None:
    link = layout / "repo" / ".claude" / "agents" / "team.md"
    os.symlink(layout / "outside" / "secret.md", link)
    with pytest.raises(AgentFileError, match="outside the repository"):
        find_agent_file(layout / "repo", ".claude/agents/team.md")


def test_a_path_inside_the_repo_is_read_and_cited_plainly(layout: Path) -> None:
    inside = layout / "repo" / ".claude" / "agents" / "team.md"
    inside.write_text(RULEBOOK)
    os.symlink(inside, layout / "repo" / "AGENT.md")

    dotted = find_agent_file(layout / "repo", "./docs/../.claude/agents/team.md")
    linked = find_agent_file(layout / "repo", "AGENT.md")

    assert dotted.path == ".claude/agents/team.md"
    assert SECRET in dotted.rule_text("router-pattern")
    assert linked.text == RULEBOOK and not linked.builtin


def test_a_missing_file_inside_is_still_a_read_error(layout: Path) -> None:
    with pytest.raises(AgentFileError, match="cannot read agent file nope.md"):
        find_agent_file(layout / "repo", "nope.md")


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(REPOSITORY) as fake:
        fake.add_pull(7, head_sha=HEAD, base_sha="b" * 40, hunks={"app/x.py": [(1, 9)]})
        yield fake


@pytest.fixture
def publish_env(gh: FakeGitHub, layout: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A publish step's environment: a token, outputs in the temp folder."""
    monkeypatch.delenv("GITHUB_EVENT_NAME", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", gh.base_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(layout / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(layout / "outputs"))
    monkeypatch.setenv("PATTERN_REVIEW_GITHUB_THROTTLE_S", "0")
    monkeypatch.setenv("PATTERN_REVIEW_GITHUB_BACKOFF_S", "0")
    return layout


def _publish(layout: Path, agent_file: str) -> int:
    report = Report(
        conclusion="failure",
        base="b" * 40,
        head=HEAD,
        target=TargetInfo(repository=REPOSITORY, pr=7, event="pull_request"),
        agent_file=agent_file,
        findings=[
            Finding(
                rule="RTR001",
                pattern="router-pattern",
                source="convention",
                severity="error",
                path="app/x.py",
                line=3,
                message="Route handler queries the database.",
            )
        ],
        diff_hunks={"app/x.py": [(1, 9)]},
    )
    saved = layout / "report.json"
    saved.write_text(report.model_dump_json())
    return cli_main(["publish", str(saved), "--repo", str(layout / "repo")])


@pytest.mark.parametrize(
    "agent_file", ["../outside/secret.md", "{layout}/outside/secret.md"]
)
def test_publish_never_quotes_a_file_outside_the_checkout(
    gh: FakeGitHub, publish_env: Path, agent_file: str
) -> None:
    assert _publish(publish_env, agent_file.format(layout=publish_env)) == 1

    posted = json.dumps([call.body for call in gh.writes()])
    assert "RTR001" in posted
    assert SECRET not in posted
    assert SECRET not in (publish_env / "summary.md").read_text()


def test_publish_of_a_builtin_report_cites_the_builtin_rulebook(
    gh: FakeGitHub, publish_env: Path
) -> None:
    # The checkout's own agent file says something else: the report was made
    # with the built-in rulebook, so that is what its citations quote.
    team = publish_env / "repo" / ".claude" / "agents" / "team.md"
    team.write_text(RULEBOOK)

    assert _publish(publish_env, BUILTIN_NAME) == 1

    posted = json.dumps([call.body for call in gh.writes()])
    assert "RTR001" in posted and SECRET not in posted


def test_publish_cites_an_agent_file_inside_the_checkout(
    gh: FakeGitHub, publish_env: Path
) -> None:
    team = publish_env / "repo" / ".claude" / "agents" / "team.md"
    team.write_text(RULEBOOK)

    assert _publish(publish_env, ".claude/agents/team.md") == 1

    # The finding quotes the team's own sentence, at its line in that file.
    posted = json.dumps([call.body for call in gh.writes()])
    assert "/.claude/agents/team.md#L6" in posted
    assert "Use `APIRouter` with `prefix` and `tags`" in posted
