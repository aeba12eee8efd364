"""What the repository's CI installs: extras, groups and hatch envs, by name.

The workflow files (``.github/workflows/*.yml``) are PR content and data: they
are read line by line, never run, never parsed as YAML (a broken file reads
as whatever lines still look like an install command). The commands looked
for are those that build a project's environment:

- ``uv sync`` / ``uv run`` with ``--extra X``, ``--all-extras``, ``--group G``,
  ``--all-groups`` (``--dev`` is the ``dev`` group);
- ``pip install -e .[a,b]`` (also ``uv pip install``);
- ``poetry install`` with ``--with a,b``, ``--extras "a b"`` / ``-E a``,
  ``--all-extras``, ``--all-groups``;
- ``hatch run ENV:...`` and ``hatch env create ENV``.

Names are collected across every workflow; a strategy keeps those its project
declares (a monorepo's workflow names the extras of each of its projects).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

_WORKFLOWS = ".github/workflows"
_MAX_BYTES = 500_000
_SPLIT_NAMES = re.compile(r"[,\s]+")
_EDITABLE_EXTRAS = re.compile(r"""^['"]?\.?/?\.?\[([^\]]*)\]['"]?$""")


@dataclass
class CiInstall:
    """The extras, groups and hatch envs the CI workflows install.

    Attributes:
        extras: Extras named (``--extra``, ``.[a,b]``, ``poetry -E``).
        all_extras: An ``--all-extras`` was seen.
        groups: Dependency groups named (``--group``, ``poetry --with``).
        all_groups: An ``--all-groups`` was seen.
        hatch_envs: Hatch environments run (``hatch run test:cov``).
        sources: The workflow files the names come from (repo-relative).
    """

    extras: set[str] = field(default_factory=set)
    all_extras: bool = False
    groups: set[str] = field(default_factory=set)
    all_groups: bool = False
    hatch_envs: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)


def _words(line: str) -> list[str]:
    """Split a shell line as the shell would, tolerating broken quoting."""
    try:
        return shlex.split(line, comments=True)
    except ValueError:
        return line.split()


def _names(value: str) -> set[str]:
    return {name for name in _SPLIT_NAMES.split(value.strip("'\"")) if name}


def _option(words: list[str], index: int, names: tuple[str, ...]) -> str | None:
    """Return the value of ``--opt value`` or ``--opt=value`` at ``index``."""
    word = words[index]
    for name in names:
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
    return None


def _scan_options(
    words: list[str],
    found: CiInstall,
    extra_options: tuple[str, ...],
    group_options: tuple[str, ...],
) -> bool:
    """Collect extras, groups and ``--all-*`` flags of one install command."""
    seen = False
    for index, word in enumerate(words):
        extras = _option(words, index, extra_options)
        groups = _option(words, index, group_options)
        if extras is not None:
            found.extras |= _names(extras)
        if groups is not None:
            found.groups |= _names(groups)
        found.all_extras |= word == "--all-extras"
        found.all_groups |= word == "--all-groups"
        if word == "--dev":
            found.groups.add("dev")
        named = extras is not None or groups is not None
        seen |= named or word in ("--all-extras", "--all-groups", "--dev")
    return seen


def _scan_pip(words: list[str], found: CiInstall) -> bool:
    seen = False
    for word in words:
        match = _EDITABLE_EXTRAS.match(word)
        if match:
            found.extras |= _names(match.group(1))
            seen = True
    return seen


def _scan_hatch(words: list[str], found: CiInstall) -> bool:
    for index, word in enumerate(words[:-1]):
        after = words[index + 1]
        if word == "run" and ":" in after and not after.startswith("-"):
            found.hatch_envs.add(after.split(":", 1)[0])
            return True
        if word == "create" and not after.startswith("-"):
            found.hatch_envs.add(after)
            return True
    return False


def scan_line(line: str, found: CiInstall) -> bool:
    """Collect what one workflow line installs.

    Args:
        line: A line of a workflow file (a ``run:`` step or its continuation).
        found: Where the names go.

    Returns:
        True when the line named something.
    """
    text = line.strip().removeprefix("- ").removeprefix("run:").strip()
    seen = False
    # A step may chain commands: `cd backend && uv sync --extra server`.
    for command in re.split(r"&&|\|\||;", text):
        words = _words(command)
        while words and words[0] in ("python", "python3", "-m", "uv", "pipx"):
            if words[0] == "uv" and words[1:2] in (["sync"], ["run"]):
                break
            words = words[1:]
        head = words[:2]
        if head in (["uv", "sync"], ["uv", "run"]):
            seen |= _scan_options(words[2:], found, ("--extra",), ("--group",))
        elif "pip" in words[:2] and "install" in words[:3]:
            seen |= _scan_pip(words, found)
        elif head == ["poetry", "install"]:
            extras, groups = ("--extras", "-E"), ("--with", "--only")
            seen |= _scan_options(words[2:], found, extras, groups)
        elif words[:1] == ["hatch"]:
            seen |= _scan_hatch(words, found)
    return seen


def ci_install(repo: Path) -> CiInstall:
    """Return what the repository's CI workflows install.

    Args:
        repo: The repository's work tree.

    Returns:
        The names found, empty when there is no workflow or no such command.
    """
    found = CiInstall()
    folder = repo / _WORKFLOWS
    if not folder.is_dir():
        return found
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    for file in files:
        try:
            if not file.is_file() or file.is_symlink():
                continue
            with file.open("rb") as handle:
                text = handle.read(_MAX_BYTES).decode("utf-8", "replace")
        except OSError:
            continue
        # A folded `run: >` step continues on lines ending with a backslash.
        text = text.replace("\\\n", " ")
        for line in text.splitlines():
            if scan_line(line, found):
                found.sources.add(file.relative_to(repo).as_posix())
    return found


# The groups (and, for a PEP 621 library, extras) a repo's tests usually need,
# installed when its CI names none.
TEST_NAMES = ("dev", "test", "tests", "testing")


def normalized(name: str) -> str:
    """Return a PEP 685 extra or PEP 735 group name as tools compare it.

    Args:
        name: The name as written.

    Returns:
        Lowercase, runs of ``-_.`` as one ``-``.
    """
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Selection:
    """The extras and groups a strategy installs, and why.

    ``str(selection)`` is the reason in parentheses, for an environment's
    origin, or nothing when there was no choice.

    Attributes:
        extras: The extras, as the project declares them.
        groups: The groups, as the project declares them.
        reason: Where the choice comes from, for the check's detail.
    """

    extras: tuple[str, ...]
    groups: tuple[str, ...]
    reason: str

    def __str__(self) -> str:
        """Return `` (reason)``, or an empty string without a reason."""
        return f" ({self.reason})" if self.reason else ""


def _phrase(kind: str, names: tuple[str, ...]) -> str:
    return f"{kind} {', '.join(names)}" if names else f"no {kind}"


def select(
    ci: CiInstall,
    extras: list[str],
    groups: list[str],
    default_extras: tuple[str, ...] | None = None,
) -> Selection:
    """Choose the declared extras and groups to install, the CI's first.

    Args:
        ci: What the CI workflows install (``ci_install``).
        extras: The extras the project declares.
        groups: The dependency groups the project declares.
        default_extras: The extras (normalized) when the CI names none;
            None for all.

    Returns:
        The CI's names the project declares when there are any (or all of
        them on ``--all-extras`` / ``--all-groups``); else ``default_extras``
        and the groups among ``TEST_NAMES``. The reason is empty when the
        project declares no extras and no groups (there was no choice).
    """
    if not extras and not groups:
        return Selection((), (), "")
    wanted_extras = {normalized(e) for e in ci.extras}
    wanted_groups = {normalized(g) for g in ci.groups}
    from_ci_extras = tuple(
        e for e in extras if ci.all_extras or normalized(e) in wanted_extras
    )
    from_ci_groups = tuple(
        g for g in groups if ci.all_groups or normalized(g) in wanted_groups
    )
    if from_ci_extras or from_ci_groups:
        where = ", ".join(sorted(ci.sources))
        named = f"{_phrase('extras', from_ci_extras)}, "
        named += _phrase("groups", from_ci_groups)
        return Selection(from_ci_extras, from_ci_groups, f"{named} from {where}")
    chosen_extras = tuple(
        extras
        if default_extras is None
        else [e for e in extras if normalized(e) in default_extras]
    )
    chosen_groups = tuple(g for g in groups if normalized(g) in TEST_NAMES)
    named = "all extras" if default_extras is None and extras else ""
    named = named or _phrase("extras", chosen_extras)
    named += f", {_phrase('groups', chosen_groups)}"
    return Selection(chosen_extras, chosen_groups, f"{named}; no CI workflow names any")
