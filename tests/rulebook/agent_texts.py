"""Agent-file texts and pull requests shared by the rulebook's tests."""

from __future__ import annotations

from typing import Any

from tests.conftest import SEED_AGENT_FILE
from tests.gitrepo import GitRepo

AGENT_PATH = ".claude/agents/backend-developer.md"
SEED = SEED_AGENT_FILE.read_text(encoding="utf-8")
ROUTER_SENTENCE = "- Use `APIRouter` with `prefix` and `tags`"
TEAM_SENTENCE = "Never call `print()` in application code; log instead"

PRINTING = '''\
"""Helpers."""

from __future__ import annotations


def double(value: int) -> int:
    """Return twice the value."""
    print(value)
    return value * 2
'''


def without_celery(text: str) -> str:
    """Return the agent file without its Celery Task Pattern section."""
    start = text.index("### Celery Task Pattern")
    return text[:start] + text[text.index("## Style Rules") :]


def with_team_sentence(text: str) -> str:
    """Return the agent file with the team's no-print sentence under Error Handling."""
    anchor = "- Use Pydantic validators for input validation"
    return text.replace(anchor, f"{anchor}\n- {TEAM_SENTENCE}")


def open_pr(repo: GitRepo, agent_text: str, files: dict[str, str]) -> None:
    """Base: the agent file; PR: the given files (the agent file unchanged)."""
    repo.write(AGENT_PATH, agent_text, dedent=False)
    repo.write("app/__init__.py", "")
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    for path, content in files.items():
        repo.write(path, content, dedent=False)
    repo.commit("feature")


def findings_of(report: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    """Return the JSON report's findings whose rule id starts with ``prefix``."""
    return [f for f in report["findings"] if f["rule"].startswith(prefix)]
