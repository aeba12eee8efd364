"""No evidence is not a pass: a check that examined nothing it should have.

A tool that looked at none of the changed files (ruff or mypy config
excluding them all, every rule or error ignored for them) or ran none of
their tests (pytest collecting nothing, ``--co`` in ``addopts``, testpaths
leaving them out, the related tests deleted) says nothing about the change.
Such a check is reported with status ``error`` and a detail starting
``no evidence:``, so the review fails closed as for a check that could not
run.

A tool config that leaves the changed files out is only suspect when the
base commit's config did not: the base versions of the project's tool
configs are copied into a scratch folder (``base_configs``) and asked the
same question. An Alembic migration excluded from mypy by the team's own
config stays a quiet pass.
"""

from __future__ import annotations

import contextlib
import tempfile
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath

from pattern_review import git
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome
from pattern_review.projects.ruff_version import run_ruff

NO_EVIDENCE = "no evidence"
# Files whose base version decides what a tool examines: ruff's (nearest one
# per file), mypy's and pytest's.
TOOL_CONFIGS = (
    "pyproject.toml",
    "ruff.toml",
    ".ruff.toml",
    "mypy.ini",
    ".mypy.ini",
    "setup.cfg",
    "pytest.ini",
    ".pytest.ini",
    "tox.ini",
)
# How many ``extend`` links of a ruff config are followed into the base.
_EXTEND_DEPTH = 5
# Text every ruff rule family has something to say about: with ``--select
# ALL`` a file ruff examines gets findings, one it excludes or ignores
# every rule for gets none.
PROBE = "import os\nx = 1; y = 2\nassert x\nprint(y)\n"
SHOWN = 3


def no_evidence(reason: str, output: str = "") -> CheckError:
    """Return the error that reports a check as having examined nothing.

    Args:
        reason: Why, for a human (what was there to examine, what ran).
        output: What the tool printed, if anything.

    Returns:
        A CheckError whose message starts ``no evidence:``.
    """
    return CheckError(f"{NO_EVIDENCE}: {reason}", output)


def listed(paths: Sequence[str]) -> str:
    """Return a few paths for a message, ``a, b, c, …`` past ``SHOWN``.

    Args:
        paths: The paths.

    Returns:
        Them, comma-separated.
    """
    shown = list(paths[:SHOWN])
    if len(paths) > SHOWN:
        shown.append("…")
    return ", ".join(shown)


def _ancestors(path: str) -> list[str]:
    parents = [p.as_posix() for p in PurePosixPath(path).parents]
    return [p for p in parents if p != "."] + ["."]


def _config_path(folder: str, name: str) -> str:
    return name if folder == "." else f"{folder}/{name}"


def _ruff_extends(path: str, data: bytes) -> str | None:
    """Return the repo path a ruff config's ``extend`` names, if in the repo."""
    try:
        table: object = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    if PurePosixPath(path).name == "pyproject.toml" and isinstance(table, dict):
        tool = table.get("tool")
        table = tool.get("ruff") if isinstance(tool, dict) else None
    value = table.get("extend") if isinstance(table, dict) else None
    if not isinstance(value, str) or value.startswith(("/", "~")):
        return None
    parts: list[str] = list(PurePosixPath(path).parent.parts)
    for part in PurePosixPath(value).parts:
        if part == "..":
            if not parts:
                return None  # outside the repository
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts) or None


def _has_ruff_config(path: str, data: bytes) -> bool:
    if PurePosixPath(path).name != "pyproject.toml":
        return True
    try:
        tool = tomllib.loads(data.decode("utf-8")).get("tool")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(tool, dict) and "ruff" in tool


@contextlib.contextmanager
def base_configs(ctx: CheckContext) -> Iterator[Path | None]:
    """Copy the base commit's tool configs of the change into a scratch folder.

    Every config file in the folders from the repository root down to each
    changed file (ruff takes the nearest), the ruff configs they ``extend``,
    each at its path relative to the repository root. When the root has no
    ruff config at base, an empty ``ruff.toml`` stands for ruff's defaults
    (else ruff would fall back to the config of its working directory).

    Args:
        ctx: The check's context.

    Yields:
        The project's folder inside the scratch copy of the repository, or
        None when the base is no commit of the repository (nothing to
        compare with: the head's config is not second-guessed).
    """
    project = ctx.where
    if git.resolve_commit(ctx.target.repo, ctx.target.base) is None:
        yield None
        return
    folders = {project.path} | {
        folder for path in ctx.python_paths for folder in _ancestors(path)
    }
    wanted = [_config_path(f, name) for f in sorted(folders) for name in TOOL_CONFIGS]
    found = git.read_blobs(ctx.target.repo, ctx.target.base, wanted)
    for _ in range(_EXTEND_DEPTH):
        extends = {_ruff_extends(path, data) for path, data in found.items()}
        more = sorted(e for e in extends if e is not None and e not in found)
        if not more:
            break
        found |= git.read_blobs(ctx.target.repo, ctx.target.base, more)
    with tempfile.TemporaryDirectory(prefix="pattern-review-base-configs-") as tmp:
        mirror = Path(tmp)
        for path, data in found.items():
            (mirror / path).parent.mkdir(parents=True, exist_ok=True)
            (mirror / path).write_bytes(data)
        root_configs = ("ruff.toml", ".ruff.toml", "pyproject.toml")
        if not any(
            name in found and _has_ruff_config(name, found[name])
            for name in root_configs
        ):
            (mirror / "ruff.toml").write_text("", encoding="utf-8")
        yield mirror / project.path if project.path != "." else mirror


def _ruff_examines(ctx: CheckContext, names: Sequence[str]) -> bool | None:
    """Return whether ruff lints any of ``names`` with some rule.

    Each name is linted as the probe text with every rule selected, under
    the config that applies at that path (its excludes forced).

    Returns:
        True at the first name with findings, False when none has any, None
        when ruff could not tell (it failed on a probe).
    """
    for name in names:
        args = ["check", "--no-fix", "--no-cache", "--output-format", "json"]
        args += ["--force-exclude", "--select", "ALL", f"--stdin-filename={name}", "-"]
        done = run_ruff(ctx, args, {}, stdin_text=PROBE)
        if done.exit_code == 1:
            return True
        if done.exit_code != 0:
            return None
    return False


def _ruff_shown(ctx: CheckContext, paths: Sequence[str]) -> set[str]:
    """Return which of ``paths`` ruff would lint (its excludes forced)."""
    done = run_ruff(ctx, ["check", "--show-files", "--force-exclude", "--", *paths], {})
    folder = ctx.where.folder.resolve()
    shown = set()
    for line in done.stdout.splitlines():
        with contextlib.suppress(ValueError):
            shown.add(Path(line.strip()).resolve().relative_to(folder).as_posix())
    return shown


def ruff_evidence(ctx: CheckContext, outcome: CheckOutcome) -> CheckOutcome:
    """Return ruff's outcome, or fail it when ruff examined none of the files.

    A clean run on changed files is probed: when the project's ruff config
    excludes every changed file or ignores every rule for each of them, and
    the base commit's config did not, the check examined nothing the team's
    standard has it examine.

    Args:
        ctx: The check's context.
        outcome: What ruff's run gave.

    Returns:
        ``outcome`` (with a note when the base's config leaves the files
        out too).

    Raises:
        CheckError: No evidence: the PR's ruff config leaves out every file.
    """
    paths = ctx.tool_paths
    clean = outcome.result.status == "passed" and not outcome.findings
    if ctx.target.safe_mode or not clean or not paths:
        return outcome
    if _ruff_examines(ctx, paths) is not False:
        return outcome
    with base_configs(ctx) as base_folder:
        if base_folder is None:
            return outcome  # no base to compare with
        # None (ruff failed on the base's config) is no proof: fail closed.
        at_base = _ruff_examines(ctx, [str(base_folder / p) for p in paths])
    if at_base is False:
        note = "every changed file left out by ruff's config, as at the base"
        detail = outcome.result.detail
        # One parenthesis of notes: ``finished`` may have opened it.
        if detail.endswith(")"):
            outcome.result.detail = f"{detail[:-1]}; {note})"
        else:
            outcome.result.detail = f"{detail} ({note})"
        return outcome
    shown = _ruff_shown(ctx, paths)
    excluded = [p for p in paths if p not in shown]
    ignored = [p for p in paths if p in shown]
    parts = []
    if excluded:
        parts.append(f"excludes {len(excluded)} ({listed(excluded)})")
    if ignored:
        parts.append(f"ignores every rule for {len(ignored)} ({listed(ignored)})")
    raise no_evidence(
        f"ruff's config {' and '.join(parts)} of the {len(paths)} changed"
        " file(s), which the base's config linted"
    )
