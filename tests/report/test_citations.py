"""Each finding quotes the sentence its rule is bound to, not one it also enforces."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.models import Finding
from pattern_review.report.citations import (
    BUILTIN_SOURCE,
    bound_sentence,
    builtin_source_url,
    sentence_url,
)
from pattern_review.rulebook.agent_file import builtin_agent_file


def _finding(rule: str, source: str, pattern: str) -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": pattern,
            "source": source,
            "severity": "error",
            "path": "app/a.py",
            "line": 1,
            "message": "m",
        }
    )


@pytest.mark.parametrize(
    ("rule", "source", "pattern", "starts"),
    [
        # Each also enforces a sentence written earlier in the file (the
        # Router, Schema or Service Pattern), which must not be quoted.
        ("ANN201", "ruff", "style-rules#2", "**Type annotations**"),
        ("D103", "ruff", "style-rules#3", "**Google-style docstrings**"),
        ("UP007", "ruff", "style-rules#9", "**`str | None`**"),
        ("STY012", "convention", "style-rules#12", "**`model_dump()`**"),
        ("mypy:return-value", "mypy", "completion-checklist", "**Types**"),
        ("SVC006", "convention", "service-pattern", "Return `None` or `False`"),
        ("MDL001", "convention", "model-pattern", "Use `Mapped[]`"),
    ],
)
def test_a_rule_quotes_its_own_sentence_not_one_it_is_credited_with(
    rule: str, source: str, pattern: str, starts: str
) -> None:
    cited = bound_sentence(builtin_agent_file(), _finding(rule, source, pattern))
    assert cited is not None
    assert cited.text.startswith(starts), cited


ACTION_ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_ACTION_REPOSITORY": "acme/pattern-review",
    "GITHUB_ACTION_REF": "v1",
}


def test_a_built_in_quote_links_to_the_running_actions_own_copy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in ACTION_ENV.items():
        monkeypatch.setenv(name, value)
    agent = builtin_agent_file()
    cited = bound_sentence(agent, _finding("RTR001", "convention", "router-pattern"))
    assert cited is not None
    url = sentence_url(agent, cited.line, "https://github.com/o/app/blob/abc")
    assert url == (
        "https://github.com/acme/pattern-review/blob/v1/"
        f"src/pattern_review/data/backend-developer.md#L{cited.line}"
    )
    # That path, at that line, is the sentence quoted: the file ships there.
    shipped = (Path(__file__).parents[2] / BUILTIN_SOURCE).read_text()
    assert (
        "`APIRouter` with `prefix` and `tags`" in shipped.splitlines()[cited.line - 1]
    )


@pytest.mark.parametrize(
    "env",
    [
        {},  # outside Actions
        {**ACTION_ENV, "GITHUB_ACTION_REPOSITORY": ""},  # `uses: ./`
        {**ACTION_ENV, "GITHUB_ACTION_REPOSITORY": "a/b/../../evil"},
        {**ACTION_ENV, "GITHUB_SERVER_URL": "javascript:alert(1)"},
    ],
)
def test_a_built_in_quote_without_a_sure_address_is_not_linked(
    env: dict[str, str],
) -> None:
    assert builtin_source_url(env) is None
