"""Whether a rule's suggested fix can be committed as it stands.

A suggestion is posted as a GitHub suggestion, which a reviewer commits with
one click, so it must not break the file: every name it brings in must be
defined in the module already (imported, or bound at module level), and its
lines must stay within the line length. A rule says what the code should
be; this module decides whether its text is safe to offer, and otherwise
the finding goes out without one.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import tokenize
from dataclasses import dataclass
from functools import cached_property, lru_cache

# Style rule 4 (ruff's line length).
MAX_LINE = 88
_BUILTINS = frozenset(dir(builtins))
_LAYOUT = frozenset(
    {tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT, tokenize.INDENT, tokenize.DEDENT}
)


@lru_cache(maxsize=1)
def _tree(source: str) -> ast.Module | None:
    # One parse serves both questions about the file being checked.
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None  # newer syntax than this Python knows


def module_names(source: str) -> frozenset[str] | None:
    """Return the names bound at module level, imports included.

    Statements nested in ``if``, ``try`` and ``with`` blocks count (guarded
    and ``TYPE_CHECKING`` imports); function and class bodies do not.

    Args:
        source: The file's text.

    Returns:
        The names, or None when a star import (or a file Python's parser
        refuses) makes them unknowable.
    """
    tree = _tree(source)
    if tree is None:
        return None
    names: set[str] = set()
    statements: list[ast.stmt] = list(tree.body)
    while statements:
        statement = statements.pop()
        if isinstance(statement, (ast.If, ast.Try, ast.With)):
            statements += statement.body
            statements += getattr(statement, "orelse", [])
            statements += getattr(statement, "finalbody", [])
            for handler in getattr(statement, "handlers", []):
                statements += handler.body
        elif isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name == "*":
                    return None
                # ``import a.b`` binds ``a``.
                names.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(
            statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        ):
            names.add(statement.name)
        elif isinstance(statement, ast.Assign):
            names.update(t.id for t in statement.targets if isinstance(t, ast.Name))
        elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
            if isinstance(statement.target, ast.Name):
                names.add(statement.target.id)
    return frozenset(names)


def local_names(source: str) -> frozenset[str] | None:
    """Return the names any function of a file binds locally.

    A suggestion that brings in ``status`` is wrong in a function whose
    parameter is called ``status``, whatever the module imports; not knowing
    which function a fix lands in, any such local counts against it.

    Args:
        source: The file's text (it parses: the engine parsed it).

    Returns:
        Parameter names and names assigned inside functions; None when
        Python's own parser refuses the file (newer syntax than it knows).
    """
    tree = _tree(source)
    if tree is None:
        return None
    names: set[str] = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        arguments = function.args
        every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
        every += [a for a in (arguments.vararg, arguments.kwarg) if a is not None]
        names.update(argument.arg for argument in every)
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return frozenset(names)


@dataclass
class ModuleScope:
    """What a file binds, worked out only when a suggestion needs it.

    Attributes:
        source: The file's text.
    """

    source: str

    @cached_property
    def defined(self) -> frozenset[str] | None:
        """Names bound at module level (:func:`module_names`)."""
        return module_names(self.source)

    @cached_property
    def shadowed(self) -> frozenset[str] | None:
        """Names functions bind locally (:func:`local_names`)."""
        return local_names(self.source)


def introduced_names(suggestion: str, replaced: str) -> set[str]:
    """Return the names a suggestion uses that the code it replaces does not.

    Attribute names (after ``.``), keyword argument names (before ``=``) and
    Python keywords are not names a module must define.

    Args:
        suggestion: The suggested lines.
        replaced: The lines they replace.

    Returns:
        The new names; empty when the suggestion does not tokenize (the
        caller then judges it by the rest).
    """
    return _loaded_names(suggestion) - _loaded_names(replaced)


def _loaded_names(code: str) -> set[str]:
    tokens: list[tokenize.TokenInfo] = []
    try:
        tokens.extend(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a fragment of a longer statement: its tokens so far still count
    names: set[str] = set()
    previous: tokenize.TokenInfo | None = None
    depth = 0
    params_at: int | None = None  # bracket depth of a def's parameter list
    for index, token in enumerate(tokens):
        if token.type in _LAYOUT:
            continue
        starts_line = index == 0 or tokens[index - 1].type in _LAYOUT
        before = previous.string if previous else ""
        after = next(
            (t.string for t in tokens[index + 1 :] if t.type not in _LAYOUT), ""
        )
        previous = token
        if token.string in ("(", "[", "{"):
            depth += 1
            if before and params_at is None and _is_def_name(tokens, index):
                params_at = depth
        elif token.string in (")", "]", "}"):
            if depth == params_at:
                params_at = None
            depth -= 1
        if token.type != tokenize.NAME or keyword.iskeyword(token.string):
            continue
        # ``.name`` is an attribute; ``name=`` after ``(`` or ``,`` a keyword
        # argument, ``name =`` or ``name:`` starting a line a target, and a
        # name opening a def's parameter a parameter.
        keyword_argument = after == "=" and before in ("(", ",")
        target = starts_line and after in ("=", ":")
        parameter = depth == params_at and before in ("(", ",", "*", "**")
        if before == "." or keyword_argument or target or parameter:
            continue
        names.add(token.string)
    return names


def _is_def_name(tokens: list[tokenize.TokenInfo], paren: int) -> bool:
    """Return whether the ``(`` at ``paren`` opens a ``def name(`` list."""
    significant = [t for t in tokens[:paren] if t.type not in _LAYOUT]
    return len(significant) >= 2 and significant[-2].string == "def"


def is_committable(suggestion: str, replaced: str, scope: ModuleScope) -> bool:
    """Return whether a suggestion can replace ``replaced`` without breaking it.

    Args:
        suggestion: The suggested lines (whole lines, indent included).
        replaced: The lines of the file it replaces.
        scope: What the file binds.

    Returns:
        True when no new line is longer than the line length (or than the
        longest line it replaces), and every name it introduces is defined
        in the module (or a star import may define it) or a builtin, and
        bound by no function.
    """
    longest = max([MAX_LINE, *(len(line) for line in replaced.splitlines())])
    if any(len(line) > longest for line in suggestion.splitlines()):
        return False
    introduced = introduced_names(suggestion, replaced) - _BUILTINS
    if not introduced:
        return True
    if scope.shadowed is None or introduced & scope.shadowed:
        return False
    return scope.defined is None or not introduced - scope.defined
