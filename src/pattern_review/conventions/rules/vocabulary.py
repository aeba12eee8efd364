"""What the rule families share: the names of the stack and small helpers.

One list of the names that make a database session, one way to read a node's
code, a call's keyword or an ``Annotated[...]`` type: rules that copied these
drifted apart (a session factory one family knew and another missed).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from pattern_review.conventions.roles import MODEL_BASES

__all__ = [
    "ASYNC_SESSION",
    "MODEL_BASES",
    "SESSION_FACTORIES",
    "SESSION_NAMES",
    "SESSION_TYPES",
    "SYNC_SESSION",
    "annotated_parts",
    "call_to",
    "called_name",
    "code",
    "keyword",
    "named",
    "unannotated",
]

# Callables that make a database session or a session factory: a call of one
# in a router or a service hides the session's lifetime from the request
# that should own it. (``Session`` is left out: ``requests.Session()`` is an
# HTTP client; the router family adds it where the module says SQLAlchemy.)
SESSION_FACTORIES = frozenset(
    {
        "SessionLocal",
        "AsyncSessionLocal",
        "async_session",
        "async_session_maker",
        "sessionmaker",
        "async_sessionmaker",
        "AsyncSession",
    }
)
# The SQLAlchemy session classes a parameter is annotated with.
SESSION_TYPES = frozenset({"AsyncSession", "Session"})
# Names a session usually goes by in handlers and services.
SESSION_NAMES = frozenset({"db", "session", "_db", "_session", "db_session"})


def named(name: str) -> m.OneOf[m.BaseExpression]:
    """Return a matcher of ``name`` or ``anything.name``.

    Args:
        name: The last part of the name.

    Returns:
        The matcher.
    """
    return m.Name(name) | m.Attribute(attr=m.Name(name))


def call_to(name: str) -> m.Call:
    """Return a matcher of a call of ``name`` or ``anything.name``.

    Args:
        name: The last part of the called name.

    Returns:
        The matcher.
    """
    return m.Call(func=named(name))


def called_name(node: cst.CSTNode) -> str | None:
    """Return the last part of the name a call calls: what ``call_to`` matches.

    ``Depends`` for ``Depends(get_db)``, ``get`` for ``router.get("/")``. The
    engine asks this of every call in every file, where a matcher costs about
    ten times as much as reading the two nodes.

    Args:
        node: Any node.

    Returns:
        The name, or None when the node is not a call of a name or attribute.
    """
    if not isinstance(node, cst.Call):
        return None
    if isinstance(node.func, cst.Name):
        return node.func.value
    if isinstance(node.func, cst.Attribute):
        return node.func.attr.value
    return None


ASYNC_SESSION = named("AsyncSession")
SYNC_SESSION = named("Session")


def code(node: cst.CSTNode) -> str:
    """Return a node's source code as libcst writes it.

    Args:
        node: Any node.

    Returns:
        Its code (without the module's header or footer).
    """
    return cst.Module([]).code_for_node(node)


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """Return the argument a call passes as ``name=...``, or None.

    Args:
        call: A call.
        name: The keyword.

    Returns:
        The argument, or None when the call does not pass it.
    """
    return next(
        (arg for arg in call.args if arg.keyword and arg.keyword.value == name), None
    )


def annotated_parts(
    annotation: cst.BaseExpression,
) -> list[cst.BaseExpression] | None:
    """Return the type and metadata of ``Annotated[T, ...]``.

    Args:
        annotation: An annotation's expression.

    Returns:
        ``[T, *metadata]`` (index elements only); None when the annotation
        is not ``Annotated[...]``.
    """
    if not m.matches(annotation, m.Subscript(value=m.Name("Annotated"))):
        return None
    return [
        element.slice.value
        for element in cst.ensure_type(annotation, cst.Subscript).slice
        if isinstance(element.slice, cst.Index)
    ]


def unannotated(annotation: cst.BaseExpression) -> cst.BaseExpression:
    """Return ``T`` for ``Annotated[T, ...]``, else the annotation itself.

    Args:
        annotation: An annotation's expression.

    Returns:
        The annotated type.
    """
    parts = annotated_parts(annotation)
    return parts[0] if parts else annotation
