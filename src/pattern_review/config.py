"""Review configuration: defaults, the target's TOML, environment, CLI flags.

Sources, later wins: built-in defaults, ``PATTERN_REVIEW_*`` environment
variables, ``[tool.pattern-review]`` in the target's ``pyproject.toml`` (or a
``.pattern-review.toml`` / ``--config`` file), command-line flags and action
inputs.
Config is untrusted input (it comes from the PR): unknown keys and bad values
are a ``ConfigError`` with a one-line reason, never a traceback.
"""

from __future__ import annotations

import json
import os
import tomllib
import types
import typing
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from pattern_review.checks.registry import CHECK_NAMES
from pattern_review.models import FailOn, FilterMode, Severity

Role = Literal[
    "router", "schema", "model", "service", "task", "test", "migration", "other"
]

DEFAULT_ROLE_GLOBS: dict[Role, list[str]] = {
    "router": ["**/routers/**/*.py", "**/routes/**/*.py", "**/api/**/*.py"],
    "schema": ["**/schemas/**/*.py"],
    "model": ["**/models/**/*.py"],
    "service": ["**/services/**/*.py", "**/*_service.py"],
    "task": ["**/tasks/**/*.py", "**/tasks.py", "**/*_tasks.py"],
    # Any ``tests/`` folder at any depth (``backend/tests/utils/user.py``).
    "test": ["**/tests/**/*.py", "**/test_*.py", "**/*_test.py", "**/conftest.py"],
    "migration": ["**/alembic/versions/**/*.py", "**/migrations/**/*.py"],
}

CONFIG_FILE_NAME = ".pattern-review.toml"
# Budgets: no setting may hold a check, or the review, for hours.
MAX_TOOL_TIMEOUT_S = 1800.0
MIN_REVIEW_BUDGET_S = 10.0
MAX_REVIEW_BUDGET_S = 21600.0
# The review-wide settings a PR cannot raise for itself: under a PR event
# they come from the base commit (or the action's inputs), and a project's
# own table never sets them.
BUDGET_SETTINGS = frozenset({"tool_timeout_s", "ruff_timeout_s", "review_budget_s"})


class ConfigError(Exception):
    """The configuration cannot be used; the message says why in one line."""


ENV_PREFIX = "PATTERN_REVIEW_"


def _is_structured(annotation: object) -> bool:
    """Tell a list or table setting (given as JSON in the environment)."""
    if typing.get_origin(annotation) in (list, dict):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_is_structured(arm) for arm in typing.get_args(annotation))
    return False


def _environment_settings(fields: dict[str, Any]) -> dict[str, Any]:
    """Read ``PATTERN_REVIEW_<SETTING>`` variables (any case) for some fields.

    Plain pydantic instead of pydantic-settings, whose import costs every run
    about 40 ms: a list or table is JSON, anything else the text itself.

    Args:
        fields: The settings' fields by name.

    Returns:
        Setting -> value, for the settings the environment gives.

    Raises:
        ConfigError: A list or table variable is not JSON.
    """
    found: dict[str, Any] = {}
    for variable, text in os.environ.items():
        if variable[: len(ENV_PREFIX)].upper() != ENV_PREFIX:
            continue
        name = variable[len(ENV_PREFIX) :].lower()
        field = fields.get(name)
        if field is None:
            continue  # other variables of ours (PATTERN_REVIEW_RUN_AS ...)
        if not _is_structured(field.annotation):
            found[name] = text
            continue
        try:
            found[name] = json.loads(text)
        except ValueError as exc:
            raise ConfigError(f"{variable} is not JSON: {exc}") from exc
    return found


class Config(BaseModel):
    """Everything a review can be told.

    Attributes:
        agent_file: Path of the agent definition file, relative to the repo;
            None finds ``.claude/agents/*.md`` or uses the built-in rulebook.
        fail_on: Lowest severity that fails the review.
        filter_mode: Which lines of a changed file count: by default only
            what the PR introduces.
        checks: Checks to run; None means the agent file's checklist plus
            conventions.
        runner: How checklist tools run: ``uv`` (``uv run`` in the target),
            ``direct`` (the tools installed with pattern-review), or ``auto``
            (``uv`` when the target is a uv project).
        tool_timeout_s: Timeout of each checklist tool.
        cache_dir: Where tool caches (mypy's) live between runs; None uses
            ``$XDG_CACHE_HOME/pattern-review``. Never inside the work tree.
            The workflow's choice (``--cache-dir``, the ``cache-dir`` input,
            the base commit's config), used only when nobody else can write
            it (``checks/result_cache.py``).
        roles: File role -> path globs (added to content detection); a role
            given replaces that role's default globs, the others keep theirs.
        select: Only these rule ids (or prefixes) report; empty means all.
            A rule the agent file turned off runs again when named here.
        ignore: Rule ids (or prefixes) never reported.
        rule_modules: The team's own convention rule modules: ``.py`` paths
            relative to the repository, or importable module names
            (``conventions/team_rules.py``).
        per_file_ignores: Path glob -> rule ids ignored in matching files.
        max_inline_comments: Cap on inline review comments per run.
        model: Anthropic model for the AI review.
        ai_budget_tokens: Upper bound on the AI request's input tokens.
        ai_timeout_s: Overall deadline for the AI review.
        jobs: Worker processes for the convention engine; 0 means all cores.
        result_cache: Reuse a check's outcome when the work tree, environment
            and config are byte-for-byte those of an earlier run.
        projects: Folders (or globs) of the repository's Python projects;
            None finds them by their marker files (see projects/discovery.py).
        environment: Where mypy and pytest find a project's packages:
            ``auto`` tries, in order, ``venv`` (its own ``.venv``/``venv`` or
            ``$VIRTUAL_ENV``), ``uv`` (``uv sync --frozen``), ``requirements``
            (an environment uv builds from requirements or PEP 621
            dependencies), ``install`` (the ``install`` command) and
            ``bundled`` (the tools installed with pattern-review).
        install: A shell command, run in the project's folder with
            ``VIRTUAL_ENV`` set to a fresh environment, that installs its
            dependencies there.
        exclude: Path globs of files never reviewed (vendored or generated
            code git does not mark); the report lists them as not reviewed.
        standard_change_severity: Severity of the ``PR1xx`` finding a PR's
            change that weakens the standard raises (read from the base).
        ruff_timeout_s: Budget of ``ruff check`` and ``ruff format`` on one
            file (a batch of files gets it plus a little per file); a file
            that alone overruns it is an error finding on that file.
        review_budget_s: Wall budget of the whole review: when it runs out,
            every check still running is killed and reported as timed out,
            and the review is published. (``tool_timeout_s`` is bounded too:
            each mypy or pytest run, each environment set-up, at most 30
            minutes.)
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    agent_file: str | None = None
    fail_on: FailOn = "error"
    filter_mode: FilterMode = "added"
    checks: list[str] | None = None
    runner: Literal["auto", "uv", "direct"] = "auto"
    tool_timeout_s: float = Field(default=600.0, gt=0, le=MAX_TOOL_TIMEOUT_S)
    ruff_timeout_s: float = Field(default=10.0, gt=0, le=MAX_TOOL_TIMEOUT_S)
    review_budget_s: float = Field(
        default=900.0, ge=MIN_REVIEW_BUDGET_S, le=MAX_REVIEW_BUDGET_S
    )
    cache_dir: str | None = None
    roles: dict[Role, list[str]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_ROLE_GLOBS.items()}
    )
    select: list[str] = Field(default_factory=list)
    ignore: list[str] = Field(default_factory=list)
    rule_modules: list[str] = Field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = Field(default_factory=dict)
    max_inline_comments: int = Field(default=30, ge=0)
    model: str = "claude-sonnet-5-5"
    ai_budget_tokens: int = Field(default=60_000, ge=1_000)
    ai_timeout_s: float = Field(default=120.0, gt=0)
    jobs: int = Field(default=0, ge=0)
    result_cache: bool = True
    projects: list[str] | None = None
    environment: Literal["auto", "venv", "uv", "requirements", "install", "bundled"] = (
        "auto"
    )
    install: str | None = None
    # Settings given as flags or action inputs: a project's own table in its
    # pyproject.toml overrides the root's, never these.
    _given: frozenset[str] = PrivateAttr(default=frozenset())
    # (work tree, commit) when the standard is the base commit's: a project's
    # own table is then read at that commit too (rulebook/standard.py).
    _standard_at: tuple[Path, str] | None = PrivateAttr(default=None)
    exclude: list[str] = Field(default_factory=list)
    standard_change_severity: Severity = "error"

    @model_validator(mode="before")
    @classmethod
    def _environment_under_arguments(cls, data: object) -> object:
        # The environment's settings, below the ones given as arguments.
        if not isinstance(data, dict):
            return data
        return {**_environment_settings(cls.model_fields), **data}

    @field_validator("roles")
    @classmethod
    def _roles_extend_defaults(
        cls, value: dict[Role, list[str]]
    ) -> dict[Role, list[str]]:
        # A team that names its routers' folder keeps every other default.
        return {**{k: list(v) for k, v in DEFAULT_ROLE_GLOBS.items()}, **value}

    @field_validator("checks")
    @classmethod
    def _known_checks(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        unknown = [name for name in value if name not in CHECK_NAMES]
        if unknown:
            raise ValueError(
                f"unknown check(s) {', '.join(unknown)}; "
                f"choose from {', '.join(CHECK_NAMES)}"
            )
        return value


def parse_checks(text: str) -> list[str]:
    """Split a ``--checks`` value.

    Args:
        text: Comma-separated check names.

    Returns:
        The names, stripped, empty ones dropped.
    """
    return [part.strip() for part in text.split(",") if part.strip()]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from exc


def _tool_table(data: dict[str, Any], origin: str) -> dict[str, Any] | None:
    """Return ``[tool.pattern-review]`` of a TOML document, None when absent."""
    tool = data.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"config {origin}: [tool] must be a table")
    table = tool.get("pattern-review")
    if table is not None and not isinstance(table, dict):
        raise ConfigError(f"config {origin}: [tool.pattern-review] must be a table")
    return table


def settings_from_toml(data: dict[str, Any], path: str | Path) -> dict[str, Any]:
    """Pick pattern-review's settings out of a parsed config file.

    Shared by the work-tree reader and the action's base-commit reader, so a
    malformed file is the same one-line error wherever it is read.

    Args:
        data: The parsed TOML document.
        path: The file it came from; its name tells a ``pyproject.toml``.

    Returns:
        ``[tool.pattern-review]`` when present; else the whole document, or
        nothing for a ``pyproject.toml`` (which configures other tools).

    Raises:
        ConfigError: ``tool`` or ``tool.pattern-review`` is not a table.
    """
    table = _tool_table(data, str(path))
    if table is not None:
        return table
    return {} if Path(path).name == "pyproject.toml" else data


def _file_settings(repo: Path, explicit: Path | None) -> tuple[dict[str, Any], str]:
    if explicit is not None:
        path = explicit if explicit.is_absolute() else repo / explicit
        return settings_from_toml(_read_toml(path), path), str(path)
    dedicated = repo / CONFIG_FILE_NAME
    if dedicated.is_file():
        return settings_from_toml(_read_toml(dedicated), dedicated), str(dedicated)
    pyproject = repo / "pyproject.toml"
    if pyproject.is_file():
        table = settings_from_toml(_read_toml(pyproject), pyproject)
        if table:
            return table, f"{pyproject} [tool.pattern-review]"
    return {}, "defaults"


def load_config(
    repo: Path,
    explicit: Path | None = None,
    overrides: dict[str, Any] | None = None,
    file_settings: dict[str, Any] | None = None,
) -> Config:
    """Build the configuration for a review of ``repo``.

    Args:
        repo: The target's work tree.
        explicit: A ``--config`` path, absolute or relative to ``repo``.
        overrides: Values from the command line or action inputs (None values
            are ignored).
        file_settings: Settings already read from a trusted copy of the config
            (safe mode reads it from the base commit); skips reading files.

    Returns:
        The validated configuration.

    Raises:
        ConfigError: The file is unreadable, not TOML, or has bad keys/values.
    """
    if file_settings is None:
        settings, origin = _file_settings(repo, explicit)
    else:
        settings, origin = file_settings, "base commit"
    if not isinstance(settings, dict):
        raise ConfigError(f"config {origin} must be a table")
    written = {key.replace("-", "_"): key for key in settings}
    merged = {key.replace("-", "_"): value for key, value in settings.items()}
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    merged.update(given)
    try:
        config = Config(**merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        message = str(first["msg"]).removeprefix("Value error, ")
        if loc and loc[0] in given:
            # Given as a flag or an action input, where names use dashes.
            flag = loc[0].replace("_", "-")
            raise ConfigError(f"bad value for {flag}: {message}") from exc
        if loc:
            loc[0] = written.get(loc[0], loc[0])
        where = ".".join(loc) or "config"
        raise ConfigError(f"bad config ({origin}): {where}: {message}") from exc
    config._given = frozenset(given)
    return config


def project_config(config: Config, folder: Path) -> Config:
    """Apply a project's own ``[tool.pattern-review]`` over the root's config.

    Settings given as flags or action inputs still win, and ``projects`` and
    the budgets (``BUDGET_SETTINGS``) are the repository's alone.

    Args:
        config: The review's configuration (root config and flags).
        folder: The project's folder.

    Returns:
        ``config`` itself when the project has no table of its own, else a
        copy with the project's settings applied.

    Raises:
        ConfigError: The project's table is malformed or has bad values.
    """
    pyproject = folder / "pyproject.toml"
    data = _project_toml(config, pyproject)
    if data is None:
        return config
    table = settings_from_toml(data, pyproject)
    own = {key.replace("-", "_"): value for key, value in table.items()}
    kept = config._given | {"projects"} | BUDGET_SETTINGS
    own = {k: v for k, v in own.items() if k not in kept}
    if not own:
        return config
    try:
        merged = Config(**{**config.model_dump(), **own})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "config"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise ConfigError(
            f"bad config ({pyproject} [tool.pattern-review]): {where}: {message}"
        ) from exc
    merged._given = config._given
    merged._standard_at = config._standard_at
    return merged


def _project_toml(config: Config, pyproject: Path) -> dict[str, Any] | None:
    """Read a project's ``pyproject.toml`` where the review's standard lives.

    When the standard is the base commit's, the project's table is the base
    version's too: the PR's own edit of it does not judge the PR.
    """
    if config._standard_at is None:
        return _read_toml(pyproject) if pyproject.is_file() else None
    from pattern_review import git

    root, rev = config._standard_at
    try:
        relative = pyproject.relative_to(root).as_posix()
    except ValueError:
        return None
    data = git.show_file(root, rev, relative)
    if data is None:
        return None
    try:
        return tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"config {relative} at base is not valid TOML: {exc}"
        ) from exc
