"""Where a review's own standard comes from, and what the PR changes in it.

pattern-review's standard is what decides a verdict: its
``[tool.pattern-review]`` settings, which agent file applies and its text,
the team's rule modules and the generated-code marks. On a pull request
(any event the action reviews, and a CI review of commits) it is read from
the base commit: the PR's own versions of these files are listed as
changes, never obeyed, and apply from the next PR on. A local review of a
work tree (a pre-commit hook) reads the work tree's files: there is no one
to protect against. Action inputs and CLI flags win either way; they come
from the workflow, not from the PR's files.

``standard_from_base`` is the one place that decides; ``load_standard`` the
one reader the action and the CLI share.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pattern_review import git
from pattern_review.config import (
    CONFIG_FILE_NAME,
    Config,
    ConfigError,
    load_config,
    settings_from_toml,
)
from pattern_review.models import ReviewTarget, StandardChange
from pattern_review.rulebook.agent_file import (
    AGENTS_DIR,
    AgentFile,
    AgentFileError,
    builtin_agent_file,
    find_agent_file,
    parse_agent_file,
)
from pattern_review.rulebook.book import MAX_IDS_LISTED, build_rulebook
from pattern_review.rulebook.tool_changes import head_file, tool_changes, value_text

# Values of the ``CI`` variable that mean "not in CI".
_NOT_CI = frozenset({"", "0", "false", "no", "off"})
# The finding a PR's change that weakens pattern-review's own standard raises.
STANDARD_SETTING_RULE = "PR104"
NOT_APPLIED = (
    "not applied to this PR: the base commit's standard judged it; the change"
    " applies from the next PR after merge"
)


def standard_from_base(
    event: str, *, work_tree: bool, environ: Mapping[str, str]
) -> bool:
    """Decide whether a review's standard is read from the base commit.

    Args:
        event: The event that started the review (``local`` for the CLI).
        work_tree: The review is of the work tree as it is (``--work-tree``).
        environ: The process environment (``CI`` marks a CI job).

    Returns:
        True for every event the action reviews and for a CLI review of
        commits in CI; False for a work-tree review and a local review.
    """
    if work_tree:
        return False
    if event != "local":
        return True
    return environ.get("CI", "").strip().lower() not in _NOT_CI


@dataclass(frozen=True)
class Standard:
    """The standard a review applies, and what the PR changes in it.

    Attributes:
        config: The review's configuration (flags and inputs applied).
        agent: The agent file that is the rulebook.
        changes: The PR's changes to the standard (empty when the standard
            is the work tree's own).
    """

    config: Config
    agent: AgentFile
    changes: tuple[StandardChange, ...] = ()


Reader = Callable[[str], bytes | None]


def _settings_of(read: Reader, explicit: str | None) -> tuple[dict[str, Any], str]:
    """Return pattern-review's settings from a tree and the file holding them.

    Raises:
        ConfigError: The named file is missing, or a file is not TOML or
            has a malformed table.
    """
    candidates = [explicit] if explicit else [CONFIG_FILE_NAME, "pyproject.toml"]
    for path in candidates:
        data = read(path)
        if data is None:
            if explicit:
                raise ConfigError(f"config {path} does not exist")
            continue
        try:
            parsed = tomllib.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc
        settings = settings_from_toml(parsed, path)
        if settings or path != "pyproject.toml":
            return settings, path
    return {}, candidates[-1]


def base_settings(root: Path, base: str, explicit: str | None) -> dict[str, Any]:
    """Read pattern-review's settings as they are at the base commit.

    Args:
        root: The work tree.
        base: The base commit.
        explicit: A config file named by the workflow, relative to the root.

    Returns:
        The settings table (empty when the base has no config).

    Raises:
        ConfigError: The named file is missing at base, or a file is not
            TOML or has a malformed table.
    """
    try:
        return _settings_of(lambda p: git.show_file(root, base, p), explicit)[0]
    except ConfigError as exc:
        raise ConfigError(f"{exc} (at base {base[:12]})") from exc


def base_agent(
    root: Path, base: str, configured: str | None, start: str | None = None
) -> AgentFile:
    """Read the agent file that applies, as the base commit has it.

    Args:
        root: The work tree.
        base: The base commit.
        configured: The ``agent_file`` setting, when set.
        start: The reviewed project's folder: its ``.claude/agents`` comes
            first, then each folder up to the root.

    Returns:
        The configured file; else the first base ``.claude/agents/*.md``
        with a Completion Checklist, nearest the project first; else the
        built-in rulebook. A file the PR adds is never it.

    Raises:
        AgentFileError: The configured file is missing at base or not UTF-8.
    """
    if configured:
        data = git.show_file(root, base, configured)
        if data is None:
            raise AgentFileError(f"agent file {configured} does not exist at base")
        try:
            return parse_agent_file(data.decode("utf-8"), configured)
        except UnicodeDecodeError as exc:
            raise AgentFileError(f"agent file {configured} is not UTF-8") from exc
    folders = [PurePosixPath(start)] if start else []
    folders += [*(folders[0].parents if folders else ()), PurePosixPath(".")]
    for folder in dict.fromkeys(folders):
        agents = (folder / AGENTS_DIR.as_posix()).as_posix()
        listing = git.run_git(
            root, "ls-tree", "--name-only", f"{base}:{agents}", check=False
        )
        for name in sorted(n for n in listing.splitlines() if n.endswith(".md")):
            data = git.show_file(root, base, f"{agents}/{name}")
            try:
                parsed = parse_agent_file(
                    (data or b"").decode("utf-8"), agents + "/" + name
                )
            except UnicodeDecodeError:
                continue
            if parsed.section("completion-checklist") is not None:
                return parsed
    return builtin_agent_file()


def _one_project(target: ReviewTarget, configured: list[str] | None) -> str | None:
    """The one project outside the root that every reviewed file is in."""
    from pattern_review.projects.discovery import ROOT, assign

    paths = [f.path for f in target.reviewed_files]
    folders = set(assign(target.repo, paths, configured).values())
    only = folders.pop() if len(folders) == 1 else ROOT
    return None if only == ROOT else only


def load_standard(
    target: ReviewTarget,
    local: Path,
    *,
    explicit: str | None,
    overrides: dict[str, Any],
) -> Standard:
    """Read the standard a review applies: the base commit's or the work tree's.

    Args:
        target: The change (``standard_from_base`` says where to read).
        local: The work tree whose files are the standard when it is not the
            base's (the user's checkout).
        explicit: A config file named by a flag or input (relative to the
            repository, or absolute for a file outside it).
        overrides: Values from flags or action inputs (None values ignored).

    Returns:
        The config, the agent file and the PR's changes to the standard.

    Raises:
        ConfigError: The config cannot be used.
        AgentFileError: The configured agent file cannot be read.
    """
    if not target.standard_from_base:
        path = Path(explicit) if explicit else None
        config = load_config(local, path, overrides)
        return Standard(config, find_agent_file(local, config.agent_file))
    root, base = target.repo, target.base
    relative = _inside(root, explicit)
    if explicit and relative is None:
        # A file outside the repository is the workflow's, not the PR's.
        config = load_config(root, Path(explicit), overrides)
    else:
        settings = base_settings(root, base, relative)
        config = load_config(root, None, overrides, file_settings=settings)
    config._standard_at = (root, base)
    start = None if config.agent_file else _one_project(target, config.projects)
    agent = base_agent(root, base, config.agent_file, start)
    changes = standard_changes(target, config, agent, relative)
    return Standard(config, agent, tuple(changes))


def _inside(root: Path, explicit: str | None) -> str | None:
    """A named config file's path relative to the repository, if inside it."""
    if not explicit:
        return None
    path = Path(explicit)
    if not path.is_absolute():
        return path.as_posix()
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def standard_changes(
    target: ReviewTarget, config: Config, agent: AgentFile, explicit: str | None
) -> list[StandardChange]:
    """List what the PR changes in the standard the base commit sets.

    Args:
        target: The change; its work tree is at the head.
        config: The base commit's config (flags applied).
        agent: The base commit's agent file.
        explicit: A config file named by the workflow, relative to the root.

    Returns:
        Setting by setting, the agent file, rule modules and generated
        marks, then what narrows or widens the tools' own configs
        (``tool_changes``); empty when the PR changes none of them.
    """
    root, base = target.repo, target.base
    changes = _setting_changes(root, base, explicit)
    changes += _agent_changes(target, agent, config)
    changes += _module_changes(target, config)
    changes += _generated_changes(target)
    return changes + tool_changes(target)


def _setting_changes(
    root: Path, base: str, explicit: str | None
) -> list[StandardChange]:
    before, where = base_settings(root, base, explicit), explicit
    try:
        after, where = _settings_of(lambda p: head_file(root, p), explicit)
    except ConfigError as exc:
        return [
            StandardChange(
                path=explicit or CONFIG_FILE_NAME,
                what="pattern-review config",
                head=str(exc),
                effect="the PR's config cannot be read; " + NOT_APPLIED,
            )
        ]
    old = {key.replace("_", "-"): value for key, value in before.items()}
    new = {key.replace("_", "-"): value for key, value in after.items()}
    path = where or CONFIG_FILE_NAME
    head_text = head_file(root, path) or b""
    lines = head_text.decode("utf-8", errors="replace").splitlines()
    return [
        _weighed(
            StandardChange(
                path=path,
                what=f"setting {key}",
                base=value_text(old.get(key)),
                head=value_text(new.get(key)),
                effect=NOT_APPLIED,
                line=next(
                    (n for n, text in enumerate(lines, 1) if text.startswith(key)),
                    None,
                ),
            ),
            setting_weakens(key, old.get(key), new.get(key)),
        )
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    ]


def _weighed(change: StandardChange, weakens: bool | None) -> StandardChange:
    """Mark a change of pattern-review's own standard as weakening it or not."""
    if weakens is None:
        return change
    if not weakens:
        return change.model_copy(update={"direction": "strengthens"})
    return change.model_copy(
        update={"direction": "weakens", "rule": STANDARD_SETTING_RULE}
    )


# The lowest failing severity, from the one that fails most PRs.
_FAIL_ON_ORDER = ("note", "warning", "error", "never")
# The filter modes, from the one that looks at most lines.
_FILTER_ORDER = ("nofilter", "file", "diff_context", "added")
# Settings whose entries each narrow what the review reports.
_NARROWING_LISTS = frozenset({"exclude", "ignore", "per-file-ignores"})


def _entries(value: object) -> set[str]:
    if isinstance(value, dict):
        return {f"{key}={item}" for key, items in value.items() for item in items}
    if isinstance(value, list):
        return {str(item) for item in value}
    return set() if value is None else {str(value)}


def setting_weakens(key: str, old: object, new: object) -> bool | None:
    """Say whether a change of one pattern-review setting weakens the standard.

    Args:
        key: The setting, dashed (``fail-on``).
        old: The base commit's value (None: the default).
        new: The PR's value (None: the default).

    Returns:
        True when it would judge less (a lower bar, fewer checks or rules,
        more excluded or ignored), False when it only judges more, None when
        neither can be told (timeouts, the model, the environment).
    """
    for name, order, default in (
        ("fail-on", _FAIL_ON_ORDER, "error"),
        ("filter-mode", _FILTER_ORDER, "added"),
    ):
        if key == name:
            ranks = [
                order.index(str(v)) if v in order else order.index(default)
                for v in (old or default, new or default)
            ]
            return ranks[1] > ranks[0]
    was, now = _entries(old), _entries(new)
    if key in _NARROWING_LISTS:
        return bool(now - was)
    if key == "checks":
        return new is not None and (old is None or bool(was - now))
    if key == "select":
        return bool(now) and (not was or bool(was - now))
    if key == "roles":  # a file taken for a test or migration is judged less
        lenient = {e for e in now - was if e.startswith(("test=", "migration="))}
        return bool(lenient or was - now) or None
    if key in ("rule-modules", "agent-file"):
        return bool(was - now) or None
    return None


def _is_agent_path(path: str) -> bool:
    parts = PurePosixPath(path).parts
    return path.endswith(".md") and len(parts) >= 3 and parts[-3:-1] == AGENTS_DIR.parts


def _agent_changes(
    target: ReviewTarget, agent: AgentFile, config: Config
) -> list[StandardChange]:
    changes: list[StandardChange] = []
    for changed in target.files:
        if changed.path == agent.path and changed.status != "deleted":
            changes.append(_agent_text_change(target, agent, config))
        elif changed.status == "added" and _is_agent_path(changed.path):
            new, team = PurePosixPath(changed.path), PurePosixPath(agent.path)
            # Sorting first in the team's folder, it would be the rulebook
            # after merge.
            shadows = not agent.builtin and (
                new.parent == team.parent and new.name < team.name
            )
            change = StandardChange(
                path=changed.path,
                what="agent file added",
                base=None,
                head=changed.path,
                effect=f"not the rulebook of this PR: {agent.path} is "
                "(which agent file applies is decided at the base commit)"
                + ("; after merge it would replace it" if shadows else ""),
            )
            changes.append(_weighed(change, shadows or None))
    return changes


def _agent_text_change(
    target: ReviewTarget, agent: AgentFile, config: Config
) -> StandardChange:
    """Weigh the PR's edit of the team's agent file: the lines and rules it changes.

    Dropped lines or rules weaken the standard; an edit that only adds
    lines (a new sentence, a rule turned on) strengthens it.
    """
    # A head that is no readable file (a link, a folder) keeps none of it.
    head_text = (head_file(target.repo, agent.path) or b"").decode("utf-8", "replace")
    kept = {line.strip() for line in head_text.splitlines()}
    known = {line.strip() for line in agent.text.splitlines()}
    removed = sum(1 for line in known if line and line not in kept)
    added = sum(1 for line in kept if line and line not in known)
    was = _rules_on(agent, config)
    now = _rules_on(parse_agent_file(head_text, agent.path), config)
    effect = (
        "the base commit's text is the rulebook of this PR; "
        "the new text applies from the next PR after merge"
    )
    if removed:
        effect += f"; it drops {removed} line(s) of the rulebook"
    if was - now:
        effect += "; it turns off " + _ids(was - now)
    if now - was:
        effect += "; it turns on " + _ids(now - was)
    weakens = bool(removed or was - now)
    change = StandardChange(
        path=agent.path,
        what="agent file changed",
        base=agent.path,
        head=agent.path,
        effect=effect,
    )
    return _weighed(change, True if weakens else (False if added else None))


def _ids(rules: set[str]) -> str:
    """A few rule ids for an effect, counting the rest."""
    ids = sorted(rules)
    more = len(ids) - MAX_IDS_LISTED
    return ", ".join(ids[:MAX_IDS_LISTED]) + (f", … {more} more" if more > 0 else "")


def _rules_on(agent: AgentFile, config: Config) -> set[str]:
    """The built-in rules and ruff codes an agent file turns on."""
    return {b.rule for b in build_rulebook(agent, config).bindings if b.on}


def _module_changes(target: ReviewTarget, config: Config) -> list[StandardChange]:
    changes: list[StandardChange] = []
    for spec in config.rule_modules:
        changed = target.file(spec) if spec.endswith(".py") else None
        if changed is None:
            continue
        changes.append(
            _weighed(
                StandardChange(
                    path=changed.path,
                    what=f"rule module {changed.status}",
                    base=spec,
                    head=None if changed.status == "deleted" else changed.path,
                    effect="the base commit's version ran; the PR's version was "
                    "neither imported nor run",
                ),
                changed.status == "deleted" or None,
            )
        )
    return changes


def _generated_changes(target: ReviewTarget) -> list[StandardChange]:
    from pattern_review.target import base_has_header, generated_header

    root = target.repo
    reviewed = [f for f in target.reviewed_files if f.path.endswith((".py", ".pyi"))]
    changes: list[StandardChange] = []
    marked = git.generated_attribute(root, [f.path for f in reviewed])
    for changed in reviewed:
        header = generated_header(root / changed.path)
        if header and not base_has_header(root, target.base, changed):
            what, head = "generated header added", header
        elif changed.path in marked:
            what, head = "linguist-generated mark added", ".gitattributes"
        else:
            continue
        change = StandardChange(
            path=changed.path,
            what=what,
            base=None,
            head=head,
            effect="the file is still reviewed: a generated mark the PR adds "
            "does not exempt it; after merge it would",
            line=1 if what.startswith("generated header") else None,
        )
        changes.append(_weighed(change, True))
    return changes
