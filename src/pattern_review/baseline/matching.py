"""Which findings the PR introduced: the base version is checked too, and compared.

As diff-aware scanners do it (Semgrep's baseline scan, SonarQube's "new
code"), ruff, the formatter and the convention engine also run on the base
version of the changed files (none of them needs an environment), and a head
finding with a match at base is not the PR's, whatever lines the diff shows:
code that only moved, an ``except`` whose body alone changed, a route whose
``summary=`` was reworded, an import that was only reformatted.

A finding is matched by its rule, the names of the classes and functions
around it, and the code it flags with what does not make it new left out:
the bodies of the compound statements it heads, the contents of string
literals, comments and layout. Matches are counted: when base has one and
head two, one is new. A finding is first matched in its own file (the old
path of a renamed one), then in any changed file, where moved code comes from.
mypy and pytest are not compared: their findings keep the line filter.
"""

from __future__ import annotations

import ast
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from importlib import import_module
from pathlib import Path, PurePosixPath

from pattern_review import git
from pattern_review.checks.registry import check_spec, compared_checks
from pattern_review.config import Config
from pattern_review.context import CheckContext, CheckError
from pattern_review.findings.rules import FILE_LEVEL_RULES
from pattern_review.findings.scope import in_scope
from pattern_review.lines import split_lines
from pattern_review.models import (
    ChangedFile,
    CheckOutcome,
    Finding,
    ReviewTarget,
)

_COMPARED_SOURCES = frozenset(spec.source for spec in compared_checks())
# Rules about a place, not about the code there: the module (a missing
# docstring or required import, at line 1 whatever line 1 holds) or its
# import block (unsorted as a whole). Matched by rule and message alone: an
# import the PR adds does not make an old unsorted block or a missing
# ``from __future__ import annotations`` the PR's.
PLACE_RULES = frozenset({"I001", "I002", "D100", "D104", "INP001", "CPY001"})
# Shorter lines (``)``, ``pass``) are everywhere: no sign of moved code.
MIN_MOVED_LINE = 8
# ruff reads its settings from these, in the folders above each file.
RUFF_CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml")
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
    head_keys, base_keys = _Keys(head_sources), _Keys(base_sources)
    left: dict[str, Counter[Key]] = defaultdict(Counter)
    for finding in base:
        left[finding.path][base_keys.key(finding)] += 1
    keys = [head_keys.key(finding) for finding in head]
    order = sorted(range(len(head)), key=lambda i: candidate(head[i]))
    new: list[int] = []
    for index in order:
        counts = left[base_path(head[index].path)]
        if counts[keys[index]] > 0:
            counts[keys[index]] -= 1
        elif candidate(head[index]):
            new.append(index)
    # Moved between files: whatever another changed file had and lost.
    anywhere: Counter[Key] = Counter()
    for counts in left.values():
        anywhere.update(+counts)
    result: set[int] = set()
    for index in new:
        if anywhere[keys[index]] > 0:
            anywhere[keys[index]] -= 1
        else:
            result.add(index)
    return result


def base_paths(target: ReviewTarget) -> dict[str, str]:
    """Map the base path of each changed Python file to its head path.

    Args:
        target: The review's target.

    Returns:
        Base path -> head path, for modified and renamed files reviewed at
        head, and deleted ones (moved code may come from them).
    """
    paths: dict[str, str] = {}
    for changed in target.files:
        old = changed.old_path or changed.path
        if not old.endswith(".py"):
            continue
        if changed.status == "deleted" or (
            changed.reviewed and changed.status in ("modified", "renamed")
        ):
            paths[old] = changed.path
    return paths


def read_base_sources(target: ReviewTarget, paths: Iterable[str]) -> dict[str, str]:
    """Read the base version of files (one git process for all).

    Args:
        target: The review's target.
        paths: Base paths.

    Returns:
        Text by base path, for the files that exist at base and are UTF-8.
    """
    sources: dict[str, str] = {}
    for path, data in git.read_blobs(target.repo, target.base, list(paths)).items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "\0" not in text:
            sources[path] = text
    return sources


def files_to_check(
    candidates: Sequence[Finding],
    head_sources: Mapping[str, str],
    base_sources: Mapping[str, str],
    to_base: Mapping[str, str],
) -> set[str]:
    """Choose the base files worth checking for the candidate findings.

    A candidate's own file at base always; another changed file only when
    its base version holds the candidate's first line (ignoring white
    space): moved code keeps its text. A file whose candidates are all
    pure additions is still checked, since one added line inside an old
    statement does not make the statement new.

    Args:
        candidates: Head findings that may be new.
        head_sources: Head text by path.
        base_sources: Base text by base path.
        to_base: Head path -> base path.

    Returns:
        Base paths.
    """
    own = {to_base.get(f.path, f.path) for f in candidates}
    chosen = {path for path in own if path in base_sources}
    others = [path for path in base_sources if path not in chosen]
    if not others:
        return chosen
    wanted: set[str] = set()
    for finding in candidates:
        lines = split_lines(head_sources.get(finding.path, ""))
        if finding.line <= len(lines):
            key = "".join(lines[finding.line - 1].split())
            if len(key) >= MIN_MOVED_LINE:
                wanted.add(key)
    for path in others:
        if any(
            "".join(line.split()) in wanted for line in split_lines(base_sources[path])
        ):
            chosen.add(path)
    return chosen


def _write_base_tree(
    target: ReviewTarget, root: Path, sources: Mapping[str, str]
) -> None:
    """Write the base files under ``root``, with what ruff looks for beside them."""
    for path, text in sources.items():
        destination = root / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8", newline="")
    _write_skeleton(target, root)
    _copy_ruff_config(target.repo, root, sources)


def _write_skeleton(target: ReviewTarget, root: Path) -> None:
    """Give the base tree the repository's folders and importable modules.

    ruff tells first-party imports by the folders and modules it finds (isort
    sections), and INP001 by ``__init__.py``: empty stand-ins are enough.
    """
    try:
        files = git.tree_files(target.repo, target.base)
    except git.GitError:
        return
    python = [PurePosixPath(path) for path in files if path.endswith(".py")]
    packages = {path.parent for path in python if path.name == "__init__.py"}
    for path in python:
        if path.name != "__init__.py" and path.parent in packages:
            continue
        destination = root / path
        if destination.exists():
            continue
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.touch()
        except OSError:
            continue


def _copy_ruff_config(repo: Path, root: Path, sources: Mapping[str, str]) -> None:
    """Copy the head's ruff settings into the folders above each base file.

    Both versions are checked with the same rules, so a finding only differs
    where the code does.
    """
    folders: set[PurePosixPath] = set()
    for path in sources:
        folders.update(PurePosixPath(path).parents)
    for folder in folders:
        for name in RUFF_CONFIG_FILES:
            source = repo / folder / name
            if source.is_file() and not source.is_symlink():
                try:
                    (root / folder / name).write_bytes(source.read_bytes())
                except OSError:
                    continue


def _run_base_check(
    name: str, context: CheckContext, results: Path | None
) -> CheckOutcome | None:
    """Run a compared check on the base tree, or reuse an identical run's.

    Args:
        name: The check.
        context: Its context on the base tree.
        results: The result cache's folder; None when it is off.

    Returns:
        The outcome of a run to the end, else None.
    """
    from pattern_review.checks.result_cache import ResultCache, tree_state

    cache = None
    if results is not None:
        cache = ResultCache(results, tree_state(context.target.repo, context))
        reused = cache.get(f"base-{name}")
        if reused is not None:
            return reused
    try:
        run: Callable[[CheckContext], CheckOutcome] = import_module(
            check_spec(name).module
        ).run
        outcome = run(context)
    except CheckError:
        return None
    if outcome.result.status not in ("passed", "failed"):
        return None
    if cache is not None:
        cache.put(f"base-{name}", outcome)
    return outcome


def base_findings(
    target: ReviewTarget,
    context: CheckContext,
    paths: Mapping[str, Iterable[str]],
    sources: Mapping[str, str],
) -> tuple[list[Finding], set[str]]:
    """Run the compared checks on the base version of some changed files.

    The base files are written to a temporary tree with their repo-relative
    paths and the head's ruff settings, so per-path settings and roles apply
    alike. The bundled ruff runs there (the target's environment is the
    head's and is not needed).

    Args:
        target: The review's target.
        context: The head's check context (config, cache folder).
        paths: Compared check -> the base paths it checks.
        sources: Base text by base path (of these paths at least).

    Returns:
        Base findings (base paths), and the checks that ran to the end.
    """
    wanted = {name: sorted(set(p) & set(sources)) for name, p in paths.items()}
    wanted = {name: files for name, files in wanted.items() if files}
    if not wanted:
        return [], set()
    with tempfile.TemporaryDirectory(prefix="pattern-review-base-") as folder:
        root = Path(folder)
        written = {path for files in wanted.values() for path in files}
        _write_base_tree(target, root, {path: sources[path] for path in written})
        config = context.config.model_copy(update={"runner": "direct"})
        # A re-run of the same review finds the base's findings kept.
        results = context.cache_dir / "results" if config.result_cache else None
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            runs = {
                name: pool.submit(
                    _run_base_check,
                    name,
                    _base_context(context, root, files, config),
                    results,
                )
                for name, files in wanted.items()
            }
            outcomes = {name: run.result() for name, run in runs.items()}
    findings = [f for outcome in outcomes.values() if outcome for f in outcome.findings]
    ran = {name for name, outcome in outcomes.items() if outcome is not None}
    return findings, ran


def _base_context(
    context: CheckContext, root: Path, paths: Iterable[str], config: Config
) -> CheckContext:
    files = tuple(ChangedFile(path=path, status="modified") for path in paths)
    base_target = context.target.model_copy(update={"repo": root, "files": files})
    return replace(
        context, target=base_target, config=config, niceness=0, tool_started=None
    )


def mark_introduced(
    findings: Sequence[Finding],
    target: ReviewTarget,
    context: CheckContext,
    sources: Mapping[str, str],
    ran: Iterable[str],
) -> list[Finding]:
    """Set ``introduced`` on every finding.

    A finding is introduced when it touches a line the PR added and, for
    ruff, formatter and convention findings, the base version of the code
    did not have it. The base version is only checked when some finding
    could be new.

    Args:
        findings: The head's findings.
        target: The review's target.
        context: The head's check context.
        sources: Head file text by path.
        ran: The checks that ran at head.

    Returns:
        Copies of the findings with ``introduced`` set, in the same order.
    """
    marked = [
        f.model_copy(update={"introduced": in_scope(f, target, "added")})
        for f in findings
    ]
    sources_ran = {check_spec(name).source for name in ran}
    head = [f for f in marked if compared(f) and f.source in sources_ran]
    candidates = [f for f in head if f.introduced]
    if not candidates:
        return marked
    to_base = {new: old for old, new in base_paths(target).items()}
    base_sources = read_base_sources(target, to_base.values())
    # Each check only where it has a candidate: the engine's parse dominates.
    chosen = {
        spec.name: files_to_check(
            [f for f in candidates if f.source == spec.source],
            sources,
            base_sources,
            to_base,
        )
        for spec in compared_checks()
    }
    base, base_ran = base_findings(target, context, chosen, base_sources)
    checked = {check_spec(name).source for name in base_ran}
    # Only files that can take part in a match: keys cost a parse per file.
    run_on = set().union(*chosen.values())
    relevant = {f.path for f in candidates}
    relevant |= {new for old, new in base_paths(target).items() if old in run_on}
    head = [f for f in head if f.source in checked and f.path in relevant]
    new = unmatched(
        head,
        sources,
        base,
        base_sources,
        lambda path: to_base.get(path, path),
        lambda f: f.introduced,
    )
    old = {id(f) for index, f in enumerate(head) if f.introduced and index not in new}
    return [
        f.model_copy(update={"introduced": False}) if id(f) in old else f
        for f in marked
    ]
