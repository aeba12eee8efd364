"""The rulebook of a review with the team's own rule modules.

A team's rule module is a ``.py`` file of its repository or an installed
module. When the standard is the base commit's (every pull request event, a
CI review; ``rulebook/standard.py``) neither may come from the pull request:
a file is read from the base commit and copied to a private folder, and a
module name that resolves inside the work tree is refused. The PR's own
version of a rule module is never imported in the review's process, which
holds the job's secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pattern_review import git
from pattern_review.config import Config
from pattern_review.models import ReviewTarget
from pattern_review.rulebook.agent_file import AgentFile, AgentFileError, inside_repo
from pattern_review.rulebook.book import Rulebook, build_rulebook
from pattern_review.rulebook.facts import builtin_rule_facts

if TYPE_CHECKING:
    from pattern_review.conventions.rule import Rule


def _module_file(spec: str, target: ReviewTarget, folder: Path) -> str:
    """Return the absolute path a configured ``.py`` rule module is loaded from.

    When the standard is the base commit's, the file is taken from the base
    commit (copied under ``folder``): the PR's own version is never loaded.
    """
    # Lazy: team_rules loads the rule base class, and with it libcst.
    from pattern_review.conventions.team_rules import RuleModuleError

    try:
        path, relative = inside_repo(target.repo, spec)
    except AgentFileError as exc:
        raise RuleModuleError(str(exc).replace("agent file", "rule module")) from exc
    if not target.standard_from_base:
        if not path.is_file():
            raise RuleModuleError(f"rule module {spec} does not exist")
        return str(path)
    data = git.show_file(target.repo, target.base, relative)
    if data is None:
        raise RuleModuleError(f"rule module {spec} does not exist at base")
    copy = folder / "team-rules" / target.base / relative
    copy.parent.mkdir(parents=True, exist_ok=True)
    copy.write_bytes(data)
    return str(copy)


def _installed_module(name: str, target: ReviewTarget) -> str:
    """Refuse a module name that Python would find in the PR's files."""
    if target.standard_from_base:
        import importlib.util

        from pattern_review.conventions.team_rules import RuleModuleError

        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError) as exc:
            raise RuleModuleError(f"rule module {name} cannot be found: {exc}") from exc
        origin = Path(spec.origin) if spec and spec.origin else None
        if origin is not None and origin.resolve().is_relative_to(
            target.repo.resolve()
        ):
            raise RuleModuleError(
                f"rule module {name} resolves to the pull request's own files; "
                "on a pull request only installed modules or base-commit "
                "files load"
            )
    return name


def rulebook_for(
    target: ReviewTarget,
    config: Config,
    agent: AgentFile,
    folder: Path,
    *,
    conventions: bool = True,
) -> Rulebook:
    """Build the rulebook of one review: built-in rules and the team's own.

    Args:
        target: What is reviewed (its repo holds the team's rule modules).
        config: ``rule_modules``, ``ignore`` and ``select``.
        agent: The team's agent file.
        folder: A writable folder outside the work tree (base-commit rule
            modules are copied there).
        conventions: Whether the convention rules run; when they do not,
            only ruff codes are bound, and the sentences the rules would
            enforce are the AI's.

    Returns:
        The rulebook.

    Raises:
        RuleModuleError: A team rule module is missing or breaks the contract.
    """
    if not conventions:
        return build_rulebook(agent, config, rules=[])
    modules = tuple(
        _module_file(spec, target, folder)
        if spec.endswith(".py")
        else _installed_module(spec, target)
        for spec in config.rule_modules
    )
    team: Sequence[type[Rule]] = ()
    if modules:
        # Only a team's own rules are imported here (with libcst); the
        # built-in ones bind from their facts.
        from pattern_review.conventions.team_rules import team_rules

        team = team_rules(modules)
    return build_rulebook(
        agent,
        config,
        [*builtin_rule_facts(), *team],
        modules,
        frozenset(rule.ID for rule in team),
    )
