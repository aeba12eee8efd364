"""A team's own convention rules: configured modules and installed plugins.

A team adds rules the way it adds built-in ones: a ``Rule`` subclass with an
id, a catalogued ``PATTERN``, the agent-file sentence it enforces
(``AGENT_TEXT``) and VALID/INVALID examples. Two ways in:

- ``rule_modules = ["review/rules/no_print.py", "acme_rules.money"]`` in the
  config: a ``.py`` path (relative to the repository) or an importable module;
- an installed package's entry point in the ``pattern_review.rules`` group
  naming a module.

Loading a module runs its code, as a plugin does: the review loads what the
trusted config names (under ``pull_request_target``, the base commit's
files; see ``rulebook/team_modules.py``).
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import sys
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from pattern_review.config import ConfigError
from pattern_review.conventions.registry import all_rules
from pattern_review.conventions.rule import Rule
from pattern_review.rulebook.catalog import is_pattern_slug

ENTRY_POINT_GROUP = "pattern_review.rules"
# Loaded files get names of their own, so two teams' ``rules.py`` never clash.
_FILE_PACKAGE = "pattern_review_team_rules"


class RuleModuleError(ConfigError):
    """A team rule module cannot be loaded or breaks the rule contract."""


def _load_file(path: str) -> ModuleType:
    digest = hashlib.sha256(path.encode()).hexdigest()[:10]
    name = f"{_FILE_PACKAGE}.{Path(path).stem}_{digest}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise RuleModuleError(f"rule module {path} is not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise RuleModuleError(
            f"rule module {path} failed to load: {type(exc).__name__}: {exc}"
        ) from exc
    return module


def _load(spec: str) -> ModuleType:
    if spec.endswith(".py"):
        return _load_file(spec)
    try:
        return importlib.import_module(spec)
    except Exception as exc:
        raise RuleModuleError(
            f"rule module {spec} failed to import: {type(exc).__name__}: {exc}"
        ) from exc


def _rules_of(module: ModuleType) -> list[type[Rule]]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Rule)
        and value.ID
        and value.__module__ == module.__name__
    ]


def _plugin_modules() -> list[str]:
    return [
        point.value.split(":", 1)[0] for point in entry_points(group=ENTRY_POINT_GROUP)
    ]


@cache
def team_rules(modules: tuple[str, ...] = ()) -> tuple[type[Rule], ...]:
    """Load a team's rule classes, checked against the rule contract.

    Args:
        modules: Configured modules: absolute ``.py`` paths or dotted names.
            Installed ``pattern_review.rules`` entry points are added.

    Returns:
        The team's rule classes, ordered by id.

    Raises:
        RuleModuleError: A module does not load, defines no rule, or a rule
            reuses an id, cites no catalogued pattern, or lacks its sentence.
    """
    taken = {rule.ID for rule in all_rules()}
    found: dict[str, type[Rule]] = {}
    for spec in [*modules, *_plugin_modules()]:
        rules = _rules_of(_load(spec))
        if not rules:
            raise RuleModuleError(f"rule module {spec} defines no Rule subclass")
        for rule in rules:
            if rule.ID in taken or rule.ID in found:
                raise RuleModuleError(f"rule {rule.ID} in {spec}: the id is taken")
            if not is_pattern_slug(rule.PATTERN):
                raise RuleModuleError(
                    f"rule {rule.ID} in {spec}: PATTERN {rule.PATTERN!r} is not a "
                    "catalogued slug (router-pattern, style-rules#4, ...)"
                )
            if not rule.sentences():
                raise RuleModuleError(
                    f"rule {rule.ID} in {spec}: AGENT_TEXT must quote the agent "
                    "file sentence it enforces"
                )
            found[rule.ID] = rule
    return tuple(found[rule_id] for rule_id in sorted(found))


def rules_with(modules: tuple[str, ...] = ()) -> tuple[type[Rule], ...]:
    """Return the built-in rules and the team's, ordered by id.

    Args:
        modules: The team's configured rule modules.

    Returns:
        Every rule class a review may run.
    """
    both = [*all_rules(), *team_rules(modules)]
    return tuple(sorted(both, key=lambda rule: rule.ID))
