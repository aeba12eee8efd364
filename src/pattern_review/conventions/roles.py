"""File roles (router, schema, model, service, task, test, migration, other).

A role decides which rule families look at a file. Roles come from two places,
added together: the configured path globs, and what the module itself
contains (a module that builds an ``APIRouter`` is a router wherever it lives).
A test file is only ever ``test``: tests get no pattern rules; but a module
named like a test that holds no test and shows application code (a router,
models, services) is that code (evidence before names). A migration is
only ``migration``: it gets the rules that make sense in any code (blind
``except``, loggers, constants), not the model, router or I/O rules (a
migration's ``sa.Column`` and sync ``upgrade()`` are Alembic's API).

Content gives a role from what the module mostly is: one Pydantic class does
not make an auth helper or a database module a schema module. A module of
FastAPI's web layer (it builds routes or an app, or imports ``APIRouter``,
``Depends``...) is never a schema module, and Pydantic classes make a schema
module only when they are at least as many as the module's other top-level
functions and classes.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from pattern_review.config import Config, Role
from pattern_review.globs import glob_match
from pattern_review.lines import LINE_BREAK

# Base classes of a SQLAlchemy model (the model rules read the same list).
MODEL_BASES = frozenset({"Base", "DeclarativeBase", "DeclarativeBaseNoMeta"})
_SCHEMA_BASES = frozenset({"BaseModel"})
_TASK_DECORATORS = frozenset({"shared_task", "task"})
# Names whose import marks a module as part of FastAPI's web layer.
_WEB_LAYER_IMPORTS = frozenset(
    {"APIRouter", "FastAPI", "Depends", "Security", "Request", "WebSocket"}
)
_WEB_LAYER_MODULES = ("fastapi", "starlette")
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_route"})
# Outside the engine's workers (the AI prompt's guess), only files this
# small and this shallow are read for content roles; the rest go by path.
MAX_GUESS_DEPTH = 100
MAX_GUESS_BYTES = 512 * 1024

# Roles of application code: every role but tests and migrations. Rules about
# how application code is written (I/O, error handling of writes) use it.
CODE_ROLES: frozenset[Role] = frozenset(
    {"router", "schema", "model", "service", "task", "other"}
)

_Function = ast.FunctionDef | ast.AsyncFunctionDef


def _name_of(node: ast.expr) -> str | None:
    """Return the last name of ``x`` or ``a.b.x`` (or ``*x``), else None."""
    if isinstance(node, ast.Starred):
        return _name_of(node.value)
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _calls(node: ast.expr | None, name: str) -> bool:
    """Whether ``node`` calls ``name`` or ``something.name``."""
    return isinstance(node, ast.Call) and (
        isinstance(node.func, (ast.Name, ast.Attribute)) and _name_of(node.func) == name
    )


def _alone(body: Sequence[ast.stmt], index: int, lines: Sequence[str]) -> bool:
    """Whether ``body[index]`` is a statement line of its own.

    Roles are read from whole statement lines: a statement that shares its
    line with another (``a = 1; b = 2``, or a class body written after the
    colon) is not one.
    """
    statement = body[index]
    line = lines[statement.lineno - 1] if statement.lineno <= len(lines) else ""
    if line.encode()[: statement.col_offset].strip():
        return False
    after = body[index + 1] if index + 1 < len(body) else None
    return after is None or after.lineno > (statement.end_lineno or statement.lineno)


def _calls_api_router(statement: ast.stmt) -> bool:
    return isinstance(statement, (ast.Assign, ast.AnnAssign, ast.Expr)) and _calls(
        statement.value, "APIRouter"
    )


def _builds_web_layer(statement: ast.stmt) -> bool:
    """Whether a top-level statement builds an app or a route, or imports one."""
    if isinstance(statement, _Function):
        return any(
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in _HTTP_METHODS
            for decorator in statement.decorator_list
        )
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        return _calls(statement.value, "FastAPI")
    if not isinstance(statement, ast.ImportFrom) or statement.module is None:
        return False
    module = statement.module
    if not module.startswith(_WEB_LAYER_MODULES):
        return False
    if module.endswith((".routing", ".security")):
        return True
    return any(alias.name in _WEB_LAYER_IMPORTS for alias in statement.names)


def _class_roles(
    node: ast.ClassDef,
    uses_sqlalchemy: bool,
    schema_bases: set[str],
    lines: Sequence[str],
) -> set[Role]:
    roles: set[Role] = set()
    bases = {_name_of(base) for base in node.bases}
    # "Base" alone is too common a class name (unittest.mock has one): it
    # makes a model only in a module that imports SQLAlchemy.
    if (
        (bases & MODEL_BASES and uses_sqlalchemy)
        or "DeclarativeBase" in bases
        or _has_tablename(node, lines)
    ):
        roles.add("model")
    if bases & schema_bases:
        roles.add("schema")
    if node.name.endswith("Service"):
        roles.add("service")
    return roles


def _is_tablename(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        target: ast.expr = statement.targets[0]
    elif isinstance(statement, ast.AnnAssign):
        target = statement.target
    else:
        return False
    return isinstance(target, ast.Name) and target.id == "__tablename__"


def _has_tablename(node: ast.ClassDef, lines: Sequence[str]) -> bool:
    return any(
        _is_tablename(statement) and _alone(node.body, index, lines)
        for index, statement in enumerate(node.body)
    )


def _is_task(node: _Function) -> bool:
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call):
            decorator = decorator.func
        if _name_of(decorator) in _TASK_DECORATORS:
            return True
    return False


def _imports_sqlalchemy(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.ImportFrom):
        return (statement.module or "").startswith("sqlalchemy")
    if isinstance(statement, ast.Import):
        return any(alias.name.startswith("sqlalchemy") for alias in statement.names)
    return False


def content_roles(tree: ast.Module, source: str) -> frozenset[Role]:
    """Return the roles a module's top-level code shows.

    Only top-level statements are read: a role is a property of the module's
    shape, and reading the whole tree would cost a second traversal. The
    schema role needs evidence that the module is mostly schemas (see the
    module docstring).

    Args:
        tree: The module, as CPython's parser gives it.
        source: Its text (to tell statements that share a line).

    Returns:
        Roles found (possibly empty).
    """
    lines = LINE_BREAK.split(source)
    roles: set[Role] = set()
    uses_sqlalchemy = any(_imports_sqlalchemy(s) for s in tree.body)
    web_layer = False
    schemas = others = 0
    # A class deriving a schema of the same module is a schema too.
    schema_bases = set(_SCHEMA_BASES)
    for index, statement in enumerate(tree.body):
        web_layer = web_layer or _builds_web_layer(statement)
        if isinstance(statement, ast.ClassDef):
            found = _class_roles(statement, uses_sqlalchemy, schema_bases, lines)
            roles |= found - {"schema"}
            if "schema" in found:
                schema_bases.add(statement.name)
                schemas += 1
            else:
                others += 1
        elif isinstance(statement, _Function):
            others += 1
            if _is_task(statement):
                roles.add("task")
        elif _calls_api_router(statement) and _alone(tree.body, index, lines):
            roles.add("router")
    if schemas and not web_layer and schemas >= others:
        roles.add("schema")
    return frozenset(roles)


def parse_tree(source: str) -> ast.Module | None:
    """Return CPython's tree of ``source``, or None when it does not parse.

    A leading byte order mark is read as the tokenizer reads one in a file
    (CPython refuses it in a string).

    Args:
        source: A file's text.

    Returns:
        The module, or None.
    """
    try:
        return ast.parse(source.removeprefix("\ufeff"))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def guess_tree(source: str) -> ast.Module | None:
    """Return the tree of a file the review's own process may read for roles.

    Outside the engine's workers (the AI prompt) a large or deeply nested PR
    file is judged by its path alone, as the engine reports it anyway.

    Args:
        source: A PR file's text.

    Returns:
        The module; None when it does not parse, is large or is deep.
    """
    if len(source) > MAX_GUESS_BYTES:
        return None
    tree = parse_tree(source)
    if tree is None:
        return None
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_GUESS_DEPTH:
            return None
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return tree


def path_roles(path: str, config: Config) -> frozenset[Role]:
    """Return the roles the configured globs give a path.

    Args:
        path: Path relative to the repo root.
        config: Carries ``roles`` (role -> globs).

    Returns:
        The matching roles (possibly empty).
    """
    return frozenset(
        role
        for role, patterns in config.roles.items()
        if any(glob_match(path, pattern) for pattern in patterns)
    )


def detect_roles(
    path: str, config: Config, tree: ast.Module | None = None, source: str = ""
) -> frozenset[Role]:
    """Return a file's roles from its path and its content.

    Args:
        path: Path relative to the repo root.
        config: Carries the role globs.
        tree: The parsed module (``parse_tree``), or None to use the path
            alone.
        source: The module's text, with ``tree``.

    Returns:
        ``{"test"}`` for a test file, ``{"migration"}`` for a migration;
        else the union of path and content roles; ``{"other"}`` when
        neither gives one.
    """
    by_path = path_roles(path, config)
    by_content = content_roles(tree, source) if tree is not None else frozenset()
    if "test" in by_path and _code_not_tests(tree, by_content):
        by_path -= {"test"}  # evidence before names: see _code_not_tests
    for only in ("test", "migration"):
        if only in by_path:
            return frozenset({only})
    return (by_path | by_content) or frozenset({"other"})


# A line that starts a test function or class: the cheap sign, before any
# parse, that a file a test path names really holds tests.
_TEST_DEFINITION = re.compile(r"^(?:async\s+)?def test|^class Test", re.MULTILINE)


def holds_tests(source: str) -> bool:
    """Return whether a module's text defines a top-level test.

    The engine skips parsing a file its path calls a test only when it
    holds tests: a router renamed ``orders_test.py`` is parsed and judged by
    its content.

    Args:
        source: The module's text.

    Returns:
        True when a line starts ``def test``, ``async def test`` or
        ``class Test``.
    """
    return _TEST_DEFINITION.search(source) is not None


def _code_not_tests(tree: ast.Module | None, by_content: frozenset[Role]) -> bool:
    """Whether a module a test path names is application code, not tests.

    A module that builds an ``APIRouter``, declares models, schemas,
    services or tasks, and holds no test (``test_*`` function or ``Test*``
    class), is that code whatever its name: renaming ``orders.py`` to
    ``orders_test.py`` does not take a router out of review.
    """
    if tree is None or not by_content:
        return False
    return not any(
        (isinstance(node, _Function) and node.name.startswith("test"))
        or (isinstance(node, ast.ClassDef) and node.name.startswith("Test"))
        for node in tree.body
    )
