"""Matching a head finding with the base version's: the same rule on the same code.

A finding is matched by its rule, the names of the classes and functions
around it, and the code it flags with what does not make it new left out:
the bodies of the compound statements it heads, the contents of string
literals, comments and layout. Matches are counted: when base has one and
head two, one is new. A finding is first matched in its own file (the old
path of a renamed one), then in any changed file, where moved code comes from.
Pure functions: the base-version run that feeds them is in base_run.py.
"""

from __future__ import annotations

import ast
import functools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from pattern_review.checks.registry import compared_checks
from pattern_review.findings.rules import FILE_LEVEL_RULES
from pattern_review.lines import split_lines
from pattern_review.models import Finding

_COMPARED_SOURCES = frozenset(spec.source for spec in compared_checks())
# Rules about a place, not about the code there: the module (a missing
# docstring or required import, at line 1 whatever line 1 holds) or its
# import block (unsorted as a whole). Matched by rule and message alone: an
# import the PR adds does not make an old unsorted block or a missing
# ``from __future__ import annotations`` the PR's.
PLACE_RULES = frozenset({"I001", "I002", "D100", "D104", "INP001", "CPY001"})
_STRING = re.compile(r"""(?s)[rRbBuUfF]{0,2}("{3}|'{3}|"|')(?:\\.|(?!\1).)*?\1""")
_COMMENT = re.compile(r"#[^\n]*")
_SPACE = re.compile(r"\s+")
_TRAILING_COMMA = re.compile(r",(?=[)\]}]|$)")
_PARENTHESIZED_IMPORT = re.compile(r"^(from\S*?import)\((.*)\)$")

Key = tuple[str, str, str]


@dataclass(frozen=True)
class _Block:
    """A compound statement: where it starts, its body starts, and it ends."""

    header: int
    body: int
    end: int


@dataclass(frozen=True)
class _Shape:
    """What matching needs to know about one file's code.

    Attributes:
        lines: The file's lines.
        scopes: (first line, last line, dotted name) of each class and
            function, decorators included, outermost first.
        statements: (first line, last line) of the simple statement on each
            line that has one.
        blocks: The compound statements, by the line their header starts.
        imports: Each import statement's names in order, by its lines: a
            reformatted or re-sorted import is the same import.
    """

    lines: list[str]
    scopes: list[tuple[int, int, str]]
    statements: dict[int, tuple[int, int]]
    blocks: dict[int, list[_Block]]
    imports: dict[tuple[int, int], str]


# The comparison and each early answer key the same files again: a text is
# parsed once (the shape is only read). Bounded: a review process runs on.
@functools.lru_cache(maxsize=4096)
def shape_of(source: str) -> _Shape:
    """Read the scopes and statements of a file (none when it does not parse).

    Args:
        source: The file's text.

    Returns:
        Its shape.
    """
    lines = split_lines(source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return _Shape(lines, [], {}, {}, {})
    scopes: list[tuple[int, int, str]] = []
    statements: dict[int, tuple[int, int]] = {}
    blocks: dict[int, list[_Block]] = {}
    imports: dict[tuple[int, int], str] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        # Statements only: expressions hold no scope, statement or block.
        for child in _child_statements(node):
            name = prefix
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}.{child.name}" if prefix else child.name
                first = min([d.lineno for d in child.decorator_list] + [child.lineno])
                scopes.append((first, child.end_lineno or child.lineno, name))
            body = getattr(child, "body", None)
            end = getattr(child, "end_lineno", None) or 0
            if isinstance(body, list) and body:
                header = getattr(child, "lineno", None) or body[0].lineno
                blocks.setdefault(header, []).append(
                    _Block(header, body[0].lineno, end)
                )
            elif isinstance(child, ast.stmt):
                span = (child.lineno, end or child.lineno)
                for number in range(span[0], span[1] + 1):
                    statements[number] = span
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                imports[(child.lineno, end)] = _import_names(child)
            visit(child, name)

    visit(tree, "")
    return _Shape(lines, scopes, statements, blocks, imports)


_BLOCK_FIELDS = ("body", "orelse", "finalbody", "handlers", "cases")


def _child_statements(node: ast.AST) -> list[ast.AST]:
    """Return the statements, handlers and match cases directly under a node."""
    children: list[ast.AST] = []
    for field in _BLOCK_FIELDS:
        value = getattr(node, field, None)
        if isinstance(value, list):
            children += [item for item in value if isinstance(item, ast.AST)]
    return children


def _import_names(node: ast.Import | ast.ImportFrom) -> str:
    names = sorted(
        f"{a.name} as {a.asname}" if a.asname else a.name for a in node.names
    )
    if isinstance(node, ast.Import):
        return f"import {', '.join(names)}"
    module = "." * node.level + (node.module or "")
    return f"from {module} import {', '.join(names)}"


def _scope(shape: _Shape, line: int) -> str:
    names = [name for first, last, name in shape.scopes if first <= line <= last]
    return names[-1] if names else ""


def flagged_code(shape: _Shape, line: int, end_line: int) -> str:
    """Return the code a finding flags, as compared between base and head.

    A finding inside a simple statement covers the whole statement; the
    bodies of the compound statements it heads are left out, and so are the
    contents of strings, comments, white space and trailing commas (and the
    parentheses of a parenthesized import).

    Args:
        shape: The file's shape.
        line: The finding's first line.
        end_line: Its last line.

    Returns:
        The normalized code.
    """
    first, last = line, max(end_line, line)
    first = min(first, shape.statements.get(first, (first, first))[0])
    last = max(last, shape.statements.get(last, (last, last))[1])
    if (first, last) in shape.imports:
        return shape.imports[(first, last)]
    cut: set[int] = set()
    for header in range(first, last + 1):
        for block in shape.blocks.get(header, ()):
            if block.body > block.header:
                cut.update(range(block.body, block.end + 1))
    kept = [
        shape.lines[number - 1]
        for number in range(first, last + 1)
        if number not in cut and number <= len(shape.lines)
    ]
    return normalize("\n".join(kept))


def normalize(code: str) -> str:
    """Fold code to what a change of layout, wording or comments leaves alone.

    Args:
        code: Python source lines.

    Returns:
        The code without string contents, comments, white space, trailing
        commas, and a parenthesized import's parentheses.
    """
    text = _STRING.sub('""', code)
    text = _COMMENT.sub("", text)
    text = _SPACE.sub("", text)
    text = _TRAILING_COMMA.sub("", text)
    return _PARENTHESIZED_IMPORT.sub(r"\1\2", text)


class _Keys:
    """Match keys of findings, each file's shape worked out once."""

    def __init__(self, sources: Mapping[str, str]) -> None:
        self._sources = sources
        self._shapes: dict[str, _Shape] = {}

    def key(self, finding: Finding) -> Key:
        if finding.rule in PLACE_RULES:
            return (finding.rule, "", finding.message)
        shape = self._shapes.get(finding.path)
        if shape is None:
            shape = shape_of(self._sources.get(finding.path, ""))
            self._shapes[finding.path] = shape
        code = flagged_code(shape, finding.line, finding.end_line)
        return (finding.rule, _scope(shape, finding.line), code or finding.message)


def compared(finding: Finding) -> bool:
    """Return whether a finding is compared with the base version's.

    Args:
        finding: A finding of any check.

    Returns:
        True for ruff, formatter and convention findings, except whole-file
        ones (a file that does not parse is the PR's concern however it was).
    """
    return finding.source in _COMPARED_SOURCES and finding.rule not in FILE_LEVEL_RULES


def unmatched(
    head: Sequence[Finding],
    head_sources: Mapping[str, str],
    base: Iterable[Finding],
    base_sources: Mapping[str, str],
    base_path: Callable[[str], str],
    candidate: Callable[[Finding], bool],
) -> set[int]:
    """Return the indexes of the candidate head findings that base does not have.

    Args:
        head: Compared head findings.
        head_sources: Head file text by path.
        base: Base findings (paths at base).
        base_sources: Base file text by base path.
        base_path: A head path's path at base.
        candidate: Whether a head finding may be new (it touches an added
            line); the others use up base matches first.

    Returns:
        Indexes into ``head``.
    """
    # A key starts with its rule: a finding whose rule the other side lacks
    # matches nothing, and its file is not parsed for a key (on a large PR,
    # most of its new files).
    head_keys, base_keys = _Keys(head_sources), _Keys(base_sources)
    head_rules = {finding.rule for finding in head}
    left: dict[str, Counter[Key]] = defaultdict(Counter)
    rules_left: dict[str, set[str]] = defaultdict(set)
    for finding in base:
        if finding.rule in head_rules:
            left[finding.path][base_keys.key(finding)] += 1
            rules_left[finding.path].add(finding.rule)
    keys: dict[int, Key] = {}

    def key(index: int) -> Key:
        if index not in keys:
            keys[index] = head_keys.key(head[index])
        return keys[index]

    order = sorted(range(len(head)), key=lambda i: candidate(head[i]))
    new: list[int] = []
    for index in order:
        path = base_path(head[index].path)
        counts = left[path]
        if head[index].rule in rules_left[path] and counts[key(index)] > 0:
            counts[key(index)] -= 1
        elif candidate(head[index]):
            new.append(index)
    # Moved between files: whatever another changed file had and lost.
    anywhere: Counter[Key] = Counter()
    for counts in left.values():
        anywhere.update(+counts)
    rules_anywhere = {rule for rule, _, _ in anywhere}
    result: set[int] = set()
    for index in new:
        if head[index].rule in rules_anywhere and anywhere[key(index)] > 0:
            anywhere[key(index)] -= 1
        else:
            result.add(index)
    return result
