"""A team's own rule modules: loaded by path or name, held to the rule contract."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.config import Config
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.registry import all_rules
from pattern_review.conventions.rule import Rule
from pattern_review.conventions.selection import RuleSelection
from pattern_review.conventions.team_rules import (
    RuleModuleError,
    rules_with,
    team_rules,
)

RULE_MODULE = '''\
"""No print() in application code."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from pattern_review.conventions.rule import Example, Rule


class NoPrintRule(Rule):
    """Application code logs; ``print`` output is lost in production."""

    ID = "{rule_id}"
    PATTERN = "{pattern}"
    SUMMARY = "No print() in application code"
    AGENT_TEXT = "{agent_text}"
    MESSAGE = "print() in application code: log with logging.getLogger(__name__)."
    VALID = (Example("import logging\\n"), Example("x = 1\\n"))
    INVALID = (
        Example("print('x')\\n", line=1, column=1),
        Example("print(1)\\n", line=1, column=1),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Flag a call of the builtin ``print``."""
        if m.matches(node, m.Call(func=m.Name("print"))):
            self.report(node)
'''


def _module(
    folder: Path,
    name: str,
    *,
    rule_id: str = "ACME001",
    pattern: str = "error-handling",
    agent_text: str = "Never print in application code, log instead",
) -> str:
    path = folder / f"{name}.py"
    path.write_text(
        RULE_MODULE.format(rule_id=rule_id, pattern=pattern, agent_text=agent_text),
        encoding="utf-8",
    )
    return str(path)


def test_a_team_rule_loads_from_a_file_and_runs_in_the_engine(tmp_path: Path) -> None:
    path = _module(tmp_path, "no_print")

    rules = team_rules((path,))

    assert [rule.ID for rule in rules] == ["ACME001"]
    assert issubclass(rules[0], Rule)
    selection = RuleSelection(rules=frozenset({"ACME001"}), modules=(path,))
    findings = lint_source(
        "app/main.py", "print('hi')\n", Config(), selection=selection
    )
    assert [(f.rule, f.line, f.column) for f in findings] == [("ACME001", 1, 1)]


def test_the_built_in_rules_and_the_teams_come_sorted_by_id(tmp_path: Path) -> None:
    path = _module(tmp_path, "no_print")

    ids = [rule.ID for rule in rules_with((path,))]

    assert ids == sorted(ids)
    assert set(ids) == {rule.ID for rule in all_rules()} | {"ACME001"}


@pytest.mark.parametrize(
    ("settings", "words"),
    [
        ({"rule_id": "SVC001"}, "the id is taken"),
        ({"pattern": "no-such-section"}, "is not a catalogued slug"),
        ({"agent_text": ""}, "AGENT_TEXT must quote"),
    ],
)
def test_a_rule_that_breaks_the_contract_is_refused(
    tmp_path: Path, settings: dict[str, str], words: str
) -> None:
    path = _module(tmp_path, "broken", **settings)

    with pytest.raises(RuleModuleError, match=words):
        team_rules((path,))


def test_two_modules_may_not_share_an_id(tmp_path: Path) -> None:
    first = _module(tmp_path, "first")
    second = _module(tmp_path, "second")

    with pytest.raises(
        RuleModuleError, match="ACME001 in .*second.py: the id is taken"
    ):
        team_rules((first, second))


def test_a_module_without_rules_or_that_fails_to_load_is_refused(
    tmp_path: Path,
) -> None:
    empty = tmp_path / "empty.py"
    empty.write_text("X = 1\n", encoding="utf-8")
    broken = tmp_path / "raises.py"
    broken.write_text("raise RuntimeError('boom')\n", encoding="utf-8")

    with pytest.raises(RuleModuleError, match="defines no Rule subclass"):
        team_rules((str(empty),))
    with pytest.raises(RuleModuleError, match="failed to load: RuntimeError: boom"):
        team_rules((str(broken),))
    with pytest.raises(RuleModuleError, match="failed to import: ModuleNotFoundError"):
        team_rules(("acme_rules_that_do_not_exist",))
