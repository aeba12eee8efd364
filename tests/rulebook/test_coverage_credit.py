"""Sentences that rules bound to another sentence enforce are credited to them.

Each rule cites one sentence, but the built-in file says some things twice
(annotations under the Router Pattern and in style rule 2): ``ALSO_ENFORCED``
credits those, so ``rules --coverage`` does not call them "AI review only"
and the AI is not asked to check them.
"""

from __future__ import annotations

import re

import pytest

from pattern_review.config import Config
from pattern_review.rulebook.agent_file import builtin_agent_file, parse_agent_file
from pattern_review.rulebook.book import Rulebook, build_rulebook
from pattern_review.rulebook.coverage import CoverageRow, also_enforced_by
from tests.cli import run_cli
from tests.conftest import SEED_AGENT_FILE

# Every sentence of the built-in file, and what enforces it.
BUILTIN: list[tuple[str, str]] = [
    ("Python 3.12+ (async/await, type annotations, dataclasses)", "nothing"),
    ("FastAPI (routers, dependency injection, middleware, lifespan)", "nothing"),
    ("SQLAlchemy 2.0 (async sessions, Mapped annotations, relationships)", "nothing"),
    ("Pydantic v2 (schemas, settings, validators)", "nothing"),
    ("Alembic (async migrations, autogenerate)", "nothing"),
    ("Celery (background tasks, retries, scheduling)", "nothing"),
    ("PostgreSQL (queries, migrations, indexing)", "nothing"),
    ("uv (package management, script running)", "nothing"),
    (
        "`patterns/backend-patterns.md` - Code patterns for routers, services, "
        "models, schemas",
        "nothing",
    ),
    ("`styles/backend-python.md` - Python style guide and conventions", "nothing"),
    ("Use `APIRouter` with `prefix` and `tags`", "convention: RTR001"),
    ("Inject `AsyncSession` via `Depends(get_db)`", "convention: RTR002, RTR003"),
    ("Instantiate service with session, delegate business logic", "convention: RTR004"),
    ("Use `response_model` for serialization", "convention: RTR005"),
    ("Return appropriate HTTP status codes", "convention: RTR006"),
    ("Add type annotations on all parameters and return values", "ruff: ANN, mypy"),
    ("Add docstrings on all route handlers", "ruff: D1"),
    ("Base schema for shared fields", "convention: SCH005"),
    ("Create schema inherits Base", "convention: SCH005"),
    ("Update schema has all optional fields", "convention: SCH003"),
    (
        "Read schema adds `model_config = ConfigDict(from_attributes=True)` and "
        "DB fields",
        "convention: SCH001, SCH002, SCH004",
    ),
    ("Use `str | None` syntax (not `Optional[str]`)", "ruff: UP007, UP045"),
    (
        "Use `Mapped[]` type annotations (never legacy `Column()`)",
        "convention: MDL001, MDL005",
    ),
    ("Use `mapped_column()` for column definitions", "convention: MDL001"),
    ("Use `String(N)` for varchar, `Text` for unlimited text", "convention: MDL002"),
    ("Use `server_default=func.now()` for timestamps", "convention: MDL003"),
    ("Use `__tablename__` to set the table name explicitly", "convention: MDL004"),
    ("Inject `AsyncSession` via constructor", "convention: SVC001, SVC007"),
    ("Store session as `self._db` (private)", "convention: SVC002, SVC007"),
    ("All methods are `async`", "convention: SVC003"),
    ("Use keyword-only args for optional parameters (`*,`)", "convention: SVC004"),
    ("Use `model_dump()` to convert Pydantic schemas", "convention: STY012"),
    ("Use `model_dump(exclude_unset=True)` for partial updates", "convention: SVC005"),
    (
        "Return `None` or `False` for not-found cases (let router handle HTTP errors)",
        "convention: SVC006",
    ),
    (
        "(example code of Celery Task Pattern)",
        "convention: TSK001, TSK002, TSK003, TSK004",
    ),
    (
        "**`from __future__ import annotations`** - First import in every module",
        "ruff: FA, I002",
    ),
    ("**Type annotations** - On all function parameters and return types", "ruff: ANN"),
    (
        "**Google-style docstrings** - On all public classes and functions",
        "ruff: D1, D4",
    ),
    ("**PEP 8** - Enforced by Ruff (line length 88)", "ruff: E501, W505"),
    ("**f-strings** - For all string formatting", "ruff: UP031, UP032, ISC"),
    (
        "**`snake_case`** - For functions, methods, variables",
        "ruff: N802, N803, N806, N815",
    ),
    ("**`PascalCase`** - For classes", "ruff: N801"),
    ("**`SCREAMING_SNAKE_CASE`** - For constants", "convention: STY008, N816"),
    ("**`str | None`** - Union syntax (not `Optional[str]`)", "ruff: UP007, UP045"),
    (
        "**`list[X]`, `dict[K, V]`** - Lowercase generics (not `typing.List`)",
        "ruff: UP006, UP035",
    ),
    ("**Import order** - stdlib, third-party, local (Ruff isort)", "ruff: I001"),
    ("**`model_dump()`** - Never use deprecated `.dict()`", "convention: STY012"),
    ("**`Mapped[]`** - For all SQLAlchemy column types", "convention: MDL001"),
    ("**`async def`** - For all I/O operations", "convention: STY014, ASYNC"),
    ("**Format**: `uv run ruff format <changed_files>`", "checklist: ruff-format"),
    (
        "**Lint**: `uv run ruff check <changed_files>` (must be zero violations)",
        "checklist: ruff",
    ),
    (
        "**Types**: `uv run mypy <changed_files>` (must be zero errors)",
        "checklist: mypy",
    ),
    (
        "**Tests**: `uv run pytest <related_test_files>` (must all pass)",
        "checklist: pytest",
    ),
    (
        "Use `HTTPException` with appropriate status codes in routers",
        "convention: ERR001, RTR007",
    ),
    ("Return `None` from services for not-found cases", "convention: SVC006"),
    (
        "Use specific exception types (never bare `except Exception`)",
        "convention: ERR002",
    ),
    (
        "Log errors with `logging.getLogger(__name__)` including context",
        "convention: ERR003",
    ),
    ("Use Pydantic validators for input validation", "ai"),
    (
        "Use SQLAlchemy `IntegrityError` handling for unique constraint violations",
        "convention: ERR004",
    ),
]


def _shown(row: CoverageRow) -> str:
    ids = ", ".join([*row.rules, *row.ruff, *row.tools])
    return f"{row.enforced_by}: {ids}" if ids else row.enforced_by


def _book(text: str | None = None, config: Config | None = None) -> Rulebook:
    agent = builtin_agent_file()
    if text is not None:
        agent = parse_agent_file(text, ".claude/agents/backend-developer.md")
    return build_rulebook(agent, config or Config())


def test_every_sentence_of_the_builtin_file_is_credited_correctly() -> None:
    book = _book()
    assert [(row.text, _shown(row)) for row in book.rows] == BUILTIN
    # Only what no check enforces goes to the AI.
    assert [row.text for row in book.uncovered()] == [
        "Use Pydantic validators for input validation"
    ]


@pytest.mark.parametrize(
    ("sentence", "credited"),
    [
        ("Add type annotations on all parameters and return values", ("ANN", "mypy")),
        ("Add docstrings on all route handlers", ("D1",)),
        ("Use `str | None` syntax (not `Optional[str]`)", ("UP007", "UP045")),
        ("Use `model_dump()` to convert Pydantic schemas", ("STY012",)),
        ("**`Mapped[]`** - For all SQLAlchemy column types", ("MDL001",)),
        ("Return `None` from services for not-found cases", ("SVC006",)),
        # A sentence that turns the rule around, or says something else.
        ("Never add docstrings on route handlers", ()),
        ("Use `str | None` syntax", ()),
        ("Use Pydantic validators for input validation", ()),
        ("Return `None` from routers for not-found cases", ()),
    ],
)
def test_a_sentence_is_credited_by_its_words(
    sentence: str, credited: tuple[str, ...]
) -> None:
    assert also_enforced_by(sentence) == credited


def test_a_rule_that_is_off_gets_no_credit() -> None:
    book = _book(config=Config(ignore=["SVC006"]))
    rows = {row.text: row for row in book.rows}
    assert _shown(rows["Return `None` from services for not-found cases"]) == "ai"


def test_a_checklist_without_mypy_credits_the_annotations_to_ruff_alone() -> None:
    text = builtin_agent_file().text
    without_mypy = "\n".join(
        line for line in text.splitlines() if "uv run mypy" not in line
    )
    rows = {row.text: row for row in _book(without_mypy).rows}
    annotations = rows["Add type annotations on all parameters and return values"]
    assert _shown(annotations) == "ruff: ANN"


def test_the_coverage_reads_plain_on_a_terminal_and_markdown_when_asked() -> None:
    agent_file = str(SEED_AGENT_FILE)
    plain = run_cli("rules", "--coverage", "--agent-file", agent_file)
    assert plain.returncode == 0, plain.stderr
    assert not re.search(r"\\[\[\]|*_`(#]|\*\*|^\|", plain.stdout, re.MULTILINE)
    line = next(x for x in plain.stdout.splitlines() if x.startswith("180 "))
    assert line.split() == [
        "180", "schema-pattern", "ruff:", "UP007,", "UP045",
        "Use", "`str", "|", "None`", "syntax", "(not", "`Optional[str]`)",
    ]  # fmt: skip
    assert "319   style-rules#9" in plain.stdout

    markdown = run_cli(
        "rules", "--coverage", "--format", "markdown", "--agent-file", agent_file
    )
    assert markdown.returncode == 0, markdown.stderr
    assert "| Line | Section | Rule | Enforced by |" in markdown.stdout
    assert "\\|" in markdown.stdout  # a pipe in a table cell is escaped there
    assert "\\*\\*" not in markdown.stdout  # bold marks are dropped, not escaped


def test_the_terminal_table_shows_the_teams_words_without_control_characters() -> None:
    from pattern_review.commands.rules import coverage_text

    text = builtin_agent_file().text.replace(
        "- Use Pydantic validators for input validation",
        "- Use Pydantic validators \x1b[2J\x1b[31mfor **input** validation",
    )
    table = coverage_text(_book(text))
    assert "\x1b" not in table
    row = next(line for line in table.splitlines() if "Pydantic validators" in line)
    assert "AI review only" in row
    assert row.endswith("Use Pydantic validators [2J[31mfor input validation")
