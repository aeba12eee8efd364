"""File roles (router, schema, model, service, task, test, migration, other).

A role decides which rule families look at a file. Roles come from two places,
added together: the configured path globs, and what the module itself
contains (a module that builds an ``APIRouter`` is a router wherever it lives).
A test file is only ever ``test``: tests get no pattern rules. A migration is
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

import libcst as cst
import libcst.matchers as m

from pattern_review.config import Config, Role
from pattern_review.globs import glob_match

_MODEL_BASES = frozenset({"Base", "DeclarativeBase", "DeclarativeBaseNoMeta"})
_SCHEMA_BASES = frozenset({"BaseModel"})
_TASK_DECORATORS = frozenset({"shared_task", "task"})
# Names whose import marks a module as part of FastAPI's web layer.
_WEB_LAYER_IMPORTS = frozenset(
    {"APIRouter", "FastAPI", "Depends", "Security", "Request", "WebSocket"}
)
_WEB_LAYER_MODULES = ("fastapi", "starlette")
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_route"})

# Roles of application code: every role but tests and migrations. Rules about
# how application code is written (I/O, error handling of writes) use it.
CODE_ROLES: frozenset[Role] = frozenset(
    {"router", "schema", "model", "service", "task", "other"}
)


def _name_of(node: cst.BaseExpression) -> str | None:
    """Return the last name of ``x`` or ``a.b.x``, else None."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    return None


def _calls_api_router(statement: cst.BaseStatement) -> bool:
    router_call = m.Call(
        func=m.Name("APIRouter") | m.Attribute(attr=m.Name("APIRouter"))
    )
    return m.matches(
        statement,
        m.SimpleStatementLine(
            body=[
                m.Assign(value=router_call)
                | m.AnnAssign(value=router_call)
                | m.Expr(value=router_call)
            ]
        ),
    )


def _builds_web_layer(statement: cst.BaseStatement) -> bool:
    """Whether a top-level statement builds an app or a route, or imports one."""
    if isinstance(statement, cst.FunctionDef):
        return any(
            isinstance(decorator.decorator, cst.Call)
            and isinstance(decorator.decorator.func, cst.Attribute)
            and decorator.decorator.func.attr.value in _HTTP_METHODS
            for decorator in statement.decorators
        )
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    app_call = m.Call(func=m.Name("FastAPI") | m.Attribute(attr=m.Name("FastAPI")))
    for small in statement.body:
        if m.matches(small, m.Assign(value=app_call) | m.AnnAssign(value=app_call)):
            return True
        if not isinstance(small, cst.ImportFrom) or small.module is None:
            continue
        module = cst.Module([]).code_for_node(small.module)
        if not module.startswith(_WEB_LAYER_MODULES):
            continue
        if module.endswith((".routing", ".security")):
            return True
        if isinstance(small.names, cst.ImportStar):
            continue
        if any(
            isinstance(alias.name, cst.Name) and alias.name.value in _WEB_LAYER_IMPORTS
            for alias in small.names
        ):
            return True
    return False


def _class_roles(
    node: cst.ClassDef, uses_sqlalchemy: bool, schema_bases: set[str]
) -> set[Role]:
    roles: set[Role] = set()
    bases = {_name_of(arg.value) for arg in node.bases}
    # "Base" alone is too common a class name (unittest.mock has one): it
    # makes a model only in a module that imports SQLAlchemy.
    if (
        (bases & _MODEL_BASES and uses_sqlalchemy)
        or "DeclarativeBase" in bases
        or _has_tablename(node)
    ):
        roles.add("model")
    if bases & schema_bases:
        roles.add("schema")
    if node.name.value.endswith("Service"):
        roles.add("service")
    return roles


def _has_tablename(node: cst.ClassDef) -> bool:
    target = m.Name("__tablename__")
    return any(
        m.matches(
            statement,
            m.SimpleStatementLine(
                body=[
                    m.Assign(targets=[m.AssignTarget(target=target)])
                    | m.AnnAssign(target=target)
                ]
            ),
        )
        for statement in node.body.body
    )


def _is_task(node: cst.FunctionDef) -> bool:
    for decorator in node.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call):
            expr = expr.func
        if _name_of(expr) in _TASK_DECORATORS:
            return True
    return False


def _imports_sqlalchemy(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine):
        return False
    for small in statement.body:
        if isinstance(small, cst.ImportFrom) and small.module is not None:
            if cst.Module([]).code_for_node(small.module).startswith("sqlalchemy"):
                return True
        elif isinstance(small, cst.Import):
            if any(
                cst.Module([]).code_for_node(alias.name).startswith("sqlalchemy")
                for alias in small.names
            ):
                return True
    return False


def content_roles(module: cst.Module) -> frozenset[Role]:
    """Return the roles a module's top-level code shows.

    Only top-level statements are read: a role is a property of the module's
    shape, and reading the whole tree would cost a second traversal. The
    schema role needs evidence that the module is mostly schemas (see the
    module docstring).

    Args:
        module: The parsed module.

    Returns:
        Roles found (possibly empty).
    """
    roles: set[Role] = set()
    uses_sqlalchemy = any(_imports_sqlalchemy(s) for s in module.body)
    web_layer = False
    schemas = others = 0
    # A class deriving a schema of the same module is a schema too.
    schema_bases = set(_SCHEMA_BASES)
    for statement in module.body:
        web_layer = web_layer or _builds_web_layer(statement)
        if isinstance(statement, cst.ClassDef):
            found = _class_roles(statement, uses_sqlalchemy, schema_bases)
            roles |= found - {"schema"}
            if "schema" in found:
                schema_bases.add(statement.name.value)
                schemas += 1
            else:
                others += 1
        elif isinstance(statement, cst.FunctionDef):
            others += 1
            if _is_task(statement):
                roles.add("task")
        elif _calls_api_router(statement):
            roles.add("router")
    if schemas and not web_layer and schemas >= others:
        roles.add("schema")
    return frozenset(roles)


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
    path: str, module: cst.Module | None, config: Config
) -> frozenset[Role]:
    """Return a file's roles from its path and its content.

    Args:
        path: Path relative to the repo root.
        module: The parsed module, or None to use the path alone.
        config: Carries the role globs.

    Returns:
        ``{"test"}`` for a test file, ``{"migration"}`` for a migration;
        else the union of path and content roles; ``{"other"}`` when
        neither gives one.
    """
    by_path = path_roles(path, config)
    for only in ("test", "migration"):
        if only in by_path:
            return frozenset({only})
    found = by_path | (content_roles(module) if module is not None else frozenset())
    return found or frozenset({"other"})
