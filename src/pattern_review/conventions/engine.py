"""The convention engine: parse each file once, run every applicable rule.

One file: parse (libcst), detect roles, instantiate only the rules that apply
to those roles, run them all in one batched traversal, and resolve positions
only when a rule reported something (position metadata costs about three
parses). Many files: the same per file, in child processes (``pool``).
A file that cannot be read, decoded, parsed or analysed in time gives one
finding, never a crash.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import libcst as cst
from libcst.metadata import (
    CodePosition,
    CodeRange,
    MetadataWrapper,
    PositionProvider,
)

from pattern_review.config import Config, Role
from pattern_review.conventions.registry import all_rules
from pattern_review.conventions.roles import (
    detect_roles,
    holds_tests,
    parse_tree,
    path_roles,
)
from pattern_review.conventions.rule import (
    FileContext,
    Rule,
    RuleReport,
    RuleSelection,
    VisitorMethod,
)
from pattern_review.conventions.suggestions import ModuleScope, is_committable
from pattern_review.findings.failures import file_failure
from pattern_review.findings.rules import (
    ANALYSIS_FAILED_RULE,
    BINARY_FILE_RULE,
    DECODE_ERROR_RULE,
    PARSE_ERROR_RULE,
    RULE_CRASH_RULE,
    UNREADABLE_RULE,
)
from pattern_review.lines import LINE_BREAK
from pattern_review.migrations import is_alembic_revision
from pattern_review.models import Finding

# Larger files are not parsed (libcst's tree takes ~100 times the file's
# size in memory); ruff and the formatter, which take any size, still run.
MAX_FILE_BYTES = 2 * 1024 * 1024

_VISITED_FIELD = re.compile(r'visit_\w+\(\s*self,\s*"(\w+)"')
_LIBCST_WHERE = re.compile(r"^(?:parser error: )?error at (\d+):(\d+): ")


def _parse_error(path: str, source: str, exc: cst.ParserSyntaxError) -> Finding:
    """Turn a parse failure into one finding, with CPython's clearer words.

    libcst's message lists every expected token; CPython's compiler says
    "invalid syntax" or "unexpected indent" at the right column, so it is
    asked first (only on this error path). Where CPython accepts the code
    (syntax newer than libcst knows), libcst's own message is kept.
    """
    try:
        compile(source, path, "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as syntax:
        return file_failure(
            PARSE_ERROR_RULE,
            path,
            f"File does not parse: {syntax.msg}",
            line=syntax.lineno or 1,
            column=syntax.offset or 1,
        )
    except (ValueError, RecursionError, MemoryError):
        pass
    message = " ".join(exc.message.split())
    line, column = exc.raw_line, exc.raw_column + 1
    where = _LIBCST_WHERE.match(message)
    if where:
        line, column = int(where.group(1)), int(where.group(2)) + 1
        message = message[where.end() :]
    return file_failure(
        PARSE_ERROR_RULE,
        path,
        f"File does not parse: {message}",
        line=line,
        column=column,
    )


def _own_code(
    suggestion: str,
    node: cst.CSTNode,
    source_lines: list[str],
    start: CodePosition,
    end: CodePosition,
) -> str:
    """Trim what a suggestion built with ``code_for_node`` has outside the node.

    A node's code carries text its position range leaves out (an argument's
    trailing comma, a statement's leading blank lines); a rule that renders a
    changed node gets that text too, and it must not be spliced in twice.
    """
    code = cst.Module([]).code_for_node(node)
    if start.line == end.line:
        spanned = source_lines[start.line - 1][start.column : end.column]
    else:
        spanned = "\n".join(
            [
                source_lines[start.line - 1][start.column :],
                *source_lines[start.line : end.line - 1],
                source_lines[end.line - 1][: end.column],
            ]
        )
    at = code.find(spanned)
    if at < 0 or not spanned:
        return suggestion
    lead, trail = code[:at], code[at + len(spanned) :]
    if lead and suggestion.startswith(lead):
        suggestion = suggestion[len(lead) :]
    if trail and suggestion.endswith(trail):
        suggestion = suggestion[: -len(trail)]
    return suggestion


def _splice(
    source_lines: list[str], report: RuleReport, where: CodeRange
) -> tuple[int, int, int, str | None]:
    """Return line, column, end line and the whole-line suggestion of a report."""
    start, end = where.start, where.end
    if report.suggestion is None:
        return start.line, start.column + 1, end.line, None
    first = source_lines[start.line - 1] if start.line <= len(source_lines) else ""
    last = source_lines[end.line - 1] if end.line <= len(source_lines) else ""
    prefix, suffix = first[: start.column], last[end.column :]
    replacement = _own_code(report.suggestion, report.node, source_lines, start, end)
    if prefix.strip() == "":
        # Continuation lines of a statement-level fix keep the statement's indent.
        replacement = replacement.replace("\n", "\n" + prefix)
    return start.line, start.column + 1, end.line, prefix + replacement + suffix


def _subtree(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        for name in _child_fields(type(node)):
            value = getattr(node, name)
            if isinstance(value, cst.CSTNode):
                stack.append(value)
            elif isinstance(value, (tuple, list)):
                stack.extend(item for item in value if isinstance(item, cst.CSTNode))


def _statement_lines(
    module: cst.Module, source: str, tree: ast.Module | None = None
) -> list[int] | None:
    """Return the first line of each top-level statement, from CPython's parser.

    Every libcst small statement is one ``ast`` statement and every compound
    statement one too, so the two bodies line up; None when they do not.
    ``tree`` is CPython's tree of ``source`` when the caller has it already.
    """
    if tree is None:
        tree = parse_tree(source)
    if tree is None:
        return None
    statements = iter(tree.body)
    lines: list[int] = []
    for statement in module.body:
        count = (
            len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
        )
        found = [next(statements, None) for _ in range(count)]
        first = found[0]
        if first is None or found[-1] is None:
            return None
        # Both parsers put a decorated def/class at its ``def``/``class`` line.
        lines.append(first.lineno)
    return None if next(statements, None) is not None else lines


def _positions(
    wrapper: MetadataWrapper,
    source: str,
    nodes: Sequence[cst.CSTNode],
    tree: ast.Module | None = None,
) -> Mapping[cst.CSTNode, CodeRange]:
    """Return the source range of each reported node.

    libcst's PositionProvider regenerates the whole module's code (about
    three parses). Only the top-level statements holding a reported node are
    regenerated here, each on its own, and shifted to the line CPython's
    parser gives it; anything unusual (a report on the module itself, bodies
    that do not line up) falls back to the whole-module provider. ``tree``
    is CPython's tree of ``source`` when the caller has it already.
    """
    module = wrapper.module
    remaining = set(nodes)
    owner: dict[cst.CSTNode, int] = {}
    for index, statement in enumerate(module.body):
        if not remaining:
            break
        for node in _subtree(statement):
            if node in remaining:
                owner[node] = index
                remaining.discard(node)
    starts = None if remaining else _statement_lines(module, source, tree)
    if starts is None:
        return wrapper.resolve(PositionProvider)
    ranges: dict[cst.CSTNode, CodeRange] = {}
    for index in sorted(set(owner.values())):
        statement = module.body[index]
        alone = module.with_changes(body=[statement], header=[], footer=[])
        local = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
        shift = starts[index] - local[statement].start.line
        for node, at in owner.items():
            if at == index:
                here = local[node]
                ranges[node] = CodeRange(
                    (here.start.line + shift, here.start.column),
                    (here.end.line + shift, here.end.column),
                )
    return ranges


@cache
def _child_fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    """Return a node type's child fields in the order libcst itself visits them.

    The order is read once per type from the node's own
    ``_visit_and_replace_children`` (source order: decorators before the
    name, bases before the body), so rules see the same sequence as under
    ``libcst.visit_batched``.
    """
    try:
        code = inspect.getsource(node_type._visit_and_replace_children)
    except (OSError, TypeError):
        code = ""
    names = tuple(dict.fromkeys(_VISITED_FIELD.findall(code)))
    return names or tuple(item.name for item in dataclasses.fields(node_type))


def warm_caches() -> None:
    """Read every node type's child fields now, once, before workers fork.

    A worker forked from a process that has done this starts as fast as a
    long-running engine; otherwise each worker's first files pay for it.
    """
    for value in vars(cst).values():
        if isinstance(value, type) and issubclass(value, cst.CSTNode):
            _child_fields(value)


# Operators, punctuation and whitespace (``Comma``, ``SimpleWhitespace``...):
# about half of a tree's nodes, and nothing in them but more of the same.
_TOKENS = frozenset(
    value
    for value in vars(cst).values()
    if isinstance(value, type)
    and issubclass(value, cst.CSTNode)
    and value.__module__ in ("libcst._nodes.op", "libcst._nodes.whitespace")
)


@dataclass
class _Methods:
    """Visitor methods of all active rules, by the name they visit.

    Keys are a node type (``FunctionDef``) or a type and field (``Try_body``,
    libcst's attribute visitors).
    """

    visits: dict[str, list[VisitorMethod]] = field(default_factory=dict)
    leaves: dict[str, list[VisitorMethod]] = field(default_factory=dict)
    with_attributes: set[str] = field(default_factory=set)

    def unvisited_tokens(self) -> frozenset[type]:
        """Return the token types the walk skips (none if a rule visits one)."""
        kinds = {*self.visits, *self.leaves, *self.with_attributes}
        names = {kind.partition("_")[0] for kind in kinds}
        if any(token.__name__ in names for token in _TOKENS):
            return frozenset()
        return _TOKENS


_NODE, _VISIT, _LEAVE = 0, 1, 2


# Whether a type is a libcst node, by type: a dict lookup per child instead of
# an ABC isinstance check (the walk's largest cost after the rules').
_IS_NODE: dict[type, bool] = {}


_CHECKED = cst.CSTNode.__post_init__


def _unchecked(node: cst.CSTNode) -> None:
    """A node the parser made: valid by construction."""


class _Validation:
    """Turns libcst's check of each new node off while its parser builds a tree.

    Every node validates its fields as it is made (``CSTNode.__post_init__``);
    a tree the parser built is valid by construction, and checking it again
    cost ~9 % of the engine's CPU (libcst's own comment there says as much).
    Off only while a parse runs: a rule's nodes (its suggestions), made after
    the parse in the same thread, are checked. A node another thread makes
    during a parse is not: that check only catches a rule's own mistakes, and
    a worker parses one file at a time. Counted, so that threads parsing at
    once turn it back on only when the last one ends.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parsing = 0

    def parse(self, source: str) -> cst.Module:
        with self._lock:
            self._parsing += 1
            cst.CSTNode.__post_init__ = _unchecked  # type: ignore[method-assign,assignment]
        try:
            return cst.parse_module(source)
        finally:
            with self._lock:
                self._parsing -= 1
                if not self._parsing:
                    cst.CSTNode.__post_init__ = _CHECKED  # type: ignore[method-assign]


_VALIDATION = _Validation()


def parse_unvalidated(source: str) -> cst.Module:
    """Parse a module as ``libcst.parse_module`` does, without re-checking nodes.

    Args:
        source: The file's text.

    Returns:
        The same tree (``deep_equals`` to the checked parse's).

    Raises:
        libcst.ParserSyntaxError: It does not parse.
    """
    return _VALIDATION.parse(source)


def _is_node(value: object) -> bool:
    kind = type(value)
    known = _IS_NODE.get(kind)
    if known is None:
        known = _IS_NODE[kind] = issubclass(kind, cst.CSTNode)
    return known


def _walk(root: cst.CSTNode, methods: _Methods) -> None:
    """Call the visitor methods over the tree, depth first, without recursion.

    Iterative because real trees get deep: a long implicit string
    concatenation nests one level per piece (the stdlib's pydoc topics has
    thousands).
    """
    visits, leaves = methods.visits, methods.leaves
    skipped = methods.unvisited_tokens()
    stack: list[tuple[int, cst.CSTNode, str]] = [(_NODE, root, "")]
    while stack:
        step, node, key = stack.pop()
        if step != _NODE:
            for method in (visits if step == _VISIT else leaves).get(key, ()):
                method(node)
            continue
        kind = type(node).__name__
        for visit in visits.get(kind, ()):
            visit(node)
        by_attribute = kind in methods.with_attributes
        todo: list[tuple[int, cst.CSTNode, str]] = []
        for name in _child_fields(type(node)):
            if by_attribute:
                todo.append((_VISIT, node, f"{kind}_{name}"))
            value = getattr(node, name)
            if _is_node(value):
                if type(value) not in skipped:
                    todo.append((_NODE, value, ""))
            elif type(value) in (tuple, list):
                todo.extend(
                    (_NODE, item, "")
                    for item in value
                    if _is_node(item) and type(item) not in skipped
                )
            if by_attribute:
                todo.append((_LEAVE, node, f"{kind}_{name}"))
        if kind in leaves:
            todo.append((_LEAVE, node, kind))
        stack.extend(reversed(todo))


def _traverse(wrapper: MetadataWrapper, visitors: Sequence[Rule]) -> None:
    """Run every visitor over the module in one pass.

    libcst's own traversal rebuilds each node it passes (a visitor cannot
    change the tree, but the copies are made anyway), which costs more than
    the parse; this walk only reads, calling the same ``visit_*``/``leave_*``
    methods (attribute visitors included) in the same order.
    """
    methods = _Methods()
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            prefix, _, kind = name.partition("_")
            table = methods.visits if prefix == "visit" else methods.leaves
            table.setdefault(kind, []).append(method)
            if "_" in kind:
                methods.with_attributes.add(kind.partition("_")[0])
    with ExitStack() as stack:
        for visitor in visitors:
            stack.enter_context(visitor.resolve(wrapper))
        _walk(wrapper.module, methods)


def lint_source(
    path: str,
    source: str,
    config: Config,
    *,
    roles: frozenset[Role] | None = None,
    rules: Sequence[type[Rule]] | None = None,
    selection: RuleSelection | None = None,
) -> list[Finding]:
    """Run the convention rules over one file's text.

    Args:
        path: Path relative to the repo root (for roles and findings).
        source: The decoded file text.
        config: Carries the role globs.
        roles: The file's roles; None detects them from path and content.
        rules: The rules to consider; None means the whole catalog.
        selection: What the team's agent file turns on (rulebook/binding.py): only
            those rules (the team's own included) and variants run.

    Returns:
        Findings in line, column, rule order; one ``PR000`` finding when the
        file does not parse. A file no rule applies to (a test file) is not
        parsed at all.
    """
    candidates = all_rules() if rules is None else rules
    if selection is not None:
        from pattern_review.conventions.team_rules import team_rules

        team = team_rules(selection.modules)
        candidates = [r for r in (*candidates, *team) if r.ID in selection.rules]
    if roles is None and "test" in path_roles(path, config) and holds_tests(source):
        roles = frozenset({"test"})  # known without parsing
    elif roles is None and is_alembic_revision(source):
        roles = frozenset({"migration"})  # wherever the project keeps them
    if roles is not None and not any(rule.applies_to(roles) for rule in candidates):
        return []  # nothing would look at it: not even parsed
    try:
        module = parse_unvalidated(source)
    except cst.ParserSyntaxError as exc:
        return [_parse_error(path, source, exc)]
    except (RecursionError, MemoryError, ValueError) as exc:
        # Nesting beyond the parser's stack, or text the tokenizer refuses.
        message = f"File could not be parsed: {type(exc).__name__}: {exc}"
        return [file_failure(PARSE_ERROR_RULE, path, message)]
    # CPython's tree gives the roles, and later the reported statements' lines.
    tree = parse_tree(source) if roles is None else None
    if roles is None:
        roles = detect_roles(path, config, tree, source)
    active = [rule for rule in candidates if rule.applies_to(roles)]
    if not active:
        return []
    variants = selection.variants if selection is not None else {}
    context = FileContext(path, roles, source, variants)
    visitors = [rule(context) for rule in active]
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    try:
        _traverse(wrapper, visitors)
    # pattern-review: ignore[ERR002] one bad rule must not lose the review
    except Exception as exc:  # noqa: BLE001
        names = ", ".join(rule.ID for rule in active)
        return [
            file_failure(
                RULE_CRASH_RULE,
                path,
                f"Convention rules ({names}) crashed on this file: "
                f"{type(exc).__name__}: {exc}",
            )
        ]
    if not any(visitor.reports for visitor in visitors):
        return []
    # Only the line breaks the parser counts (str.splitlines also splits on \f).
    source_lines = LINE_BREAK.split(source)
    reported = [report.node for visitor in visitors for report in visitor.reports]
    ranges = _positions(wrapper, source, reported, tree)
    scope = ModuleScope(source)
    findings: list[Finding] = []
    for visitor in visitors:
        for report in visitor.reports:
            where = ranges[report.node]
            line, column, end_line, suggestion = _splice(source_lines, report, where)
            replaced = "\n".join(source_lines[line - 1 : end_line])
            if suggestion is not None and not is_committable(
                suggestion, replaced, scope
            ):
                suggestion = None  # the finding stands; the fix is the author's
            findings.append(
                Finding(
                    rule=visitor.ID,
                    pattern=visitor.PATTERN,
                    source="convention",
                    severity=report.severity or visitor.SEVERITY,
                    path=path,
                    line=line,
                    column=column,
                    end_line=end_line,
                    message=report.message,
                    suggestion=suggestion,
                )
            )
    findings.sort(key=lambda f: (f.line, f.column, f.rule))
    return findings


def lint_file(
    repo: Path, path: str, config: Config, selection: RuleSelection | None = None
) -> list[Finding]:
    """Read one file of ``repo`` and run the convention rules over it.

    Args:
        repo: The work tree.
        path: Path relative to ``repo``.
        config: The review's configuration.
        selection: The rules the team's agent file turns on; None: all.

    Returns:
        The file's findings; one engine finding when it cannot be read, is
        too large for the engine, is binary (a note: skipped) or is not UTF-8.
    """
    try:
        size = (repo / path).stat().st_size
        if size > MAX_FILE_BYTES:
            return [
                file_failure(
                    ANALYSIS_FAILED_RULE,
                    path,
                    f"File could not be analysed by the convention rules: "
                    f"{size / 1024 / 1024:.1f} MiB is over their "
                    f"{MAX_FILE_BYTES // 1024 // 1024} MiB limit. ruff and the "
                    "formatter still checked it; split the file so that it can "
                    "be reviewed.",
                )
            ]
        data = (repo / path).read_bytes()
    except OSError as exc:
        return [file_failure(UNREADABLE_RULE, path, f"Cannot read file: {exc}")]
    if b"\0" in data:
        return [
            file_failure(
                BINARY_FILE_RULE,
                path,
                "Binary file (NUL byte): Python would not run it; not reviewed.",
            )
        ]
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return [
            file_failure(
                DECODE_ERROR_RULE,
                path,
                f"File is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                f"{exc.start}): Python source must be UTF-8.",
                line=line,
                column=column,
            )
        ]
    return lint_source(path, source, config, selection=selection)
