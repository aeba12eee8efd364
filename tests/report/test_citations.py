"""Each finding quotes the sentence its rule is bound to, not one it also enforces."""

from __future__ import annotations

import pytest

from pattern_review.models import Finding
from pattern_review.report.citations import bound_sentence
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
