"""The engine: one parse, applicable rules only, exact findings, bad input."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import ClassVar

import libcst as cst
import libcst.matchers as m
import pytest
from libcst.metadata import (
    MetadataWrapper,
    ParentNodeProvider,
    PositionProvider,
    ProviderT,
)

from pattern_review.checks.conventions import run
from pattern_review.config import Config, Role
from pattern_review.context import CheckContext
from pattern_review.conventions.engine import (
    _TOKENS,
    _Methods,
    _positions,
    _statement_lines,
    _subtree,
    _traverse,
    _walk,
    lint_source,
    parse_unvalidated,
)
from pattern_review.conventions.pool import lint_paths
from pattern_review.conventions.rule import FileContext, Rule
from pattern_review.findings.rules import (
    BINARY_FILE_RULE,
    DECODE_ERROR_RULE,
    PARSE_ERROR_RULE,
    RULE_CRASH_RULE,
)
from pattern_review.models import ChangedFile, ReviewTarget
from tests.gitrepo import GitRepo

CLEAN = "from __future__ import annotations\n\nLIMIT = 1\n"
BAD_ROUTER = (
    "from __future__ import annotations\n\n"
    "from fastapi import APIRouter\n\n"
    'router = APIRouter(tags=["x"])\n'
)


class PrintToLog(Rule):
    """Test rule: flags print() calls, suggesting a logger call."""

    ID = "TST001"
    PATTERN = "error-handling"
    MESSAGE = "print() found"
    ROLES: ClassVar[frozenset[Role]] = frozenset({"service"})
    created = 0

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        type(self).created += 1

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node, m.Call(func=m.Name("print"))):
            self.report(node, suggestion="logger.info(\n    'moved'\n)")


class ReturnInFunction(Rule):
    """Test rule: reads parent metadata, flags returns directly in a def."""

    ID = "TST002"
    PATTERN = "service-pattern"
    MESSAGE = "return in def body"
    SEVERITY = "warning"
    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = (ParentNodeProvider,)

    def visit_Return(self, node: cst.Return) -> None:
        line = self.get_metadata(ParentNodeProvider, node)
        block = self.get_metadata(ParentNodeProvider, line)
        if isinstance(self.get_metadata(ParentNodeProvider, block), cst.FunctionDef):
            self.report(node)


class Crashes(Rule):
    """Test rule: raises on every name."""

    ID = "TST003"
    PATTERN = "service-pattern"
    MESSAGE = "never"

    def visit_Name(self, node: cst.Name) -> None:
        raise ValueError(f"cannot handle {node.value}")


def test_finding_carries_rule_citation_position_and_severity() -> None:
    source = "def f() -> int:\n    if True:\n        return 1\n    return 2\n"
    findings = lint_source("a.py", source, Config(), rules=[ReturnInFunction])
    assert [(f.rule, f.pattern, f.severity, f.line, f.column) for f in findings] == [
        ("TST002", "service-pattern", "warning", 4, 5)
    ]
    assert findings[0].source == "convention"
    assert findings[0].message == "return in def body"


def test_statement_level_suggestion_keeps_indent_on_every_line() -> None:
    source = (
        "logger = make()\n"
        "class S:\n    def f(self) -> None:\n        print('x')  # why\n"
    )
    findings = lint_source(
        "a.py", source, Config(), roles=frozenset({"service"}), rules=[PrintToLog]
    )
    assert len(findings) == 1
    assert (findings[0].line, findings[0].column, findings[0].end_line) == (4, 9, 4)
    assert findings[0].suggestion == (
        "        logger.info(\n            'moved'\n        )  # why"
    )


@pytest.mark.parametrize(
    ("defined", "suggested"),
    [
        ("logger = make()\n", True),
        ("from app.log import logger\n", True),
        ("if TYPE_CHECKING:\n    from app.log import logger\n", True),
        ("from app.log import *\n", True),  # unknowable: trusted
        ("", False),  # the fix would use an undefined name
        ("def g() -> None:\n    logger = make()\n", False),  # not module level
    ],
)
def test_a_suggestion_is_offered_only_when_its_names_are_defined(
    defined: str, suggested: bool
) -> None:
    source = defined + "def f() -> None:\n    print('x')\n"
    findings = lint_source(
        "a.py", source, Config(), roles=frozenset({"service"}), rules=[PrintToLog]
    )
    assert len(findings) == 1
    assert (findings[0].suggestion is not None) == suggested


def test_rules_for_other_roles_are_not_even_instantiated() -> None:
    PrintToLog.created = 0
    source = "print('x')\n"
    assert lint_source("a.py", source, Config(), rules=[PrintToLog]) == []
    assert PrintToLog.created == 0
    assert lint_source("tests/test_a.py", source, Config()) == []
    assert (
        len(
            lint_source(
                "a.py",
                source,
                Config(),
                roles=frozenset({"service"}),
                rules=[PrintToLog],
            )
        )
        == 1
    )
    assert PrintToLog.created == 1


def test_files_no_rule_applies_to_are_not_parsed() -> None:
    broken = "def test_f(:\n"  # named and written as a test
    assert lint_source("tests/test_a.py", broken, Config()) == []
    assert lint_source("a.py", broken, Config(), roles=frozenset({"test"})) == []
    assert lint_source("a.py", broken, Config(), rules=[PrintToLog]) != []


def test_syntax_error_is_one_finding_with_the_parser_position() -> None:
    source = "def ok() -> None:\n    pass\n\ndef broken(:\n    pass\n"
    findings = lint_source("src/app/x.py", source, Config())
    assert len(findings) == 1
    finding = findings[0]
    assert (finding.rule, finding.pattern, finding.severity) == (
        PARSE_ERROR_RULE,
        "completion-checklist",
        "error",
    )
    assert (finding.line, finding.column) == (4, 12)
    assert finding.message == "File does not parse: invalid syntax"


def test_indentation_error_names_the_problem() -> None:
    findings = lint_source("x.py", "x = 1\n    y = 2\n", Config())
    assert [(f.rule, f.line) for f in findings] == [(PARSE_ERROR_RULE, 2)]
    assert "unexpected indent" in findings[0].message


def test_a_crashing_rule_gives_one_finding_not_an_exception() -> None:
    findings = lint_source(
        "a.py", "x = 1\n", Config(), rules=[Crashes, ReturnInFunction]
    )
    assert [f.rule for f in findings] == [RULE_CRASH_RULE]
    assert "TST003" in findings[0].message
    assert "ValueError: cannot handle x" in findings[0].message


def test_form_feed_does_not_shift_lines() -> None:
    source = "x = 1\n\x0c\ndef f() -> int:\n    return 1\n"
    findings = lint_source("a.py", source, Config(), rules=[ReturnInFunction])
    assert [(f.line, f.column) for f in findings] == [(4, 5)]


def _write_tree(repo: GitRepo) -> list[str]:
    repo.write("src/app/routers/items.py", BAD_ROUTER)
    repo.write("src/app/latin1.py", "name = 'caf\xe9'\n".encode("latin-1"))
    repo.write("src/app/blob.py", b"\x00\x01binary")
    repo.write("src/app/broken.py", "def f(:\n")
    # A test file: it holds a test, so no pattern rule looks at it.
    repo.write(
        "tests/test_items.py", "router = APIRouter()\n\n\ndef test_it() -> None: ...\n"
    )
    repo.commit("tree")
    return [
        "src/app/routers/items.py",
        "src/app/latin1.py",
        "src/app/blob.py",
        "src/app/broken.py",
        "tests/test_items.py",
    ]


def test_lint_paths_reports_bad_files_and_keeps_going(git_repo: GitRepo) -> None:
    paths = _write_tree(git_repo)
    findings = lint_paths(git_repo.path, paths, Config(jobs=1))
    assert [(f.path, f.rule, f.line, f.column) for f in findings] == [
        ("src/app/blob.py", BINARY_FILE_RULE, 1, 1),
        ("src/app/broken.py", PARSE_ERROR_RULE, 1, 7),
        ("src/app/latin1.py", DECODE_ERROR_RULE, 1, 12),
        ("src/app/routers/items.py", "RTR001", 5, 10),
    ]
    assert findings[0].severity == "error"  # not reviewed: never a silent pass
    assert "0xe9" in findings[2].message


def test_process_pool_gives_the_same_findings_in_the_same_order(
    git_repo: GitRepo,
) -> None:
    paths = []
    for index in range(40):
        path = f"src/app/routers/r{index:02d}.py"
        git_repo.write(path, BAD_ROUTER if index % 3 else CLEAN)
        paths.append(path)
    serial = lint_paths(git_repo.path, paths, Config(jobs=1))
    pooled = lint_paths(git_repo.path, list(reversed(paths)), Config(jobs=2))
    assert len(serial) == 26
    assert pooled == serial


def test_conventions_check_runs_over_the_reviewed_python_files(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    paths = _write_tree(git_repo)
    git_repo.write("README.md", "# not python\n")
    files = [ChangedFile(path=path, status="added") for path in paths]
    files.append(ChangedFile(path="README.md", status="added"))
    files.append(
        ChangedFile(path="src/app/gone.py", status="deleted", skip_reason="deleted")
    )
    target = ReviewTarget(
        repo=git_repo.path, base="a" * 40, head="b" * 40, files=tuple(files)
    )
    outcome = run(CheckContext(target, Config(jobs=1), tmp_path))
    assert outcome.result.status == "failed"
    assert sorted({f.path for f in outcome.findings}) == sorted(paths[:4])
    assert outcome.result.detail.startswith("5 file(s), 4 finding(s)")
    assert "1 file(s) that do not parse" in outcome.result.detail


def test_conventions_check_passes_clean_files(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("src/app/main.py", CLEAN)
    target = ReviewTarget(
        repo=git_repo.path,
        base="a" * 40,
        head="b" * 40,
        files=(ChangedFile(path="src/app/main.py", status="added"),),
    )
    outcome = run(CheckContext(target, Config(), tmp_path))
    assert (outcome.result.status, outcome.findings) == ("passed", [])


class _Recorder(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.seen.append(node)
        return True


_ORDER_SOURCE = (
    "@dec(1)\nasync def f(a, /, b: int = 2, *c, d, **e) -> list[int]:\n"
    "    try:\n        x = {k: v for k, v in y if k}\n"
    "    except (ValueError, KeyError) as exc:\n        raise Z from exc\n"
    "    return [i async for i in g() if i] or (lambda q: q)(1)\n"
    "class C(B, metaclass=M):\n    x: int = 1\n    with a as b, c:\n        pass\n"
)


def _walked(visited: set[str]) -> tuple[list[int], list[cst.CSTNode]]:
    """Walk the order source as rules visiting ``visited`` would (and see all).

    Returns:
        The ids of the nodes the walk entered, and libcst's own order.
    """
    module = cst.parse_module(_ORDER_SOURCE)
    expected = _Recorder()
    module.visit(expected)
    seen: list[cst.CSTNode] = []

    class Everything(dict[str, list[Callable[[cst.CSTNode], None]]]):
        def get(
            self, key: str, default: object = None
        ) -> list[Callable[[cst.CSTNode], None]]:
            return [seen.append]

    _walk(module, _Methods(visits=Everything.fromkeys(visited, [])))
    return [id(node) for node in seen], expected.seen


def test_engine_walk_visits_nodes_in_libcst_order() -> None:
    # A rule that visits a token (here ``Comma``) makes the walk enter all.
    seen, expected = _walked({"Call", "Comma"})
    assert seen == [id(node) for node in expected]


def test_engine_walk_skips_tokens_no_rule_visits_and_keeps_the_order() -> None:
    seen, expected = _walked({"Call"})
    rest = [id(node) for node in expected if type(node) not in _TOKENS]
    assert seen == rest
    assert len(seen) < len(expected) * 0.7  # operators and whitespace: many


def test_pool_started_from_a_worker_thread_gives_the_same_findings(
    git_repo: GitRepo,
) -> None:
    paths = []
    for index in range(64):  # enough files for a pool of clean workers
        path = f"src/app/routers/t{index:02d}.py"
        git_repo.write(path, BAD_ROUTER)
        paths.append(path)
    serial = lint_paths(git_repo.path, paths, Config(jobs=1))
    with ThreadPoolExecutor(max_workers=1) as threads:
        pooled = threads.submit(lint_paths, git_repo.path, paths, Config(jobs=2))
        assert pooled.result() == serial
    assert len(serial) == 64


class EventLog(Rule):
    """Test rule: records type and attribute visits in order."""

    ID = "TST004"
    PATTERN = "error-handling"
    MESSAGE = "never"

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.events: list[str] = []

    def visit_Try(self, node: cst.Try) -> None:
        self.events.append("visit Try")

    def visit_Try_body(self, node: cst.Try) -> None:
        self.events.append("visit Try.body")

    def leave_Try_body(self, node: cst.Try) -> None:
        self.events.append("leave Try.body")

    def visit_Name(self, node: cst.Name) -> None:
        self.events.append(f"name {node.value}")

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self.events.append("leave ExceptHandler")

    def visit_Comma(self, node: cst.Comma) -> None:
        # A token: a team rule may visit one, and the walk then enters them.
        self.events.append("comma")


def _events(source: str) -> tuple[list[str], list[str]]:
    """Return the events of our traversal of ``source`` and of libcst's."""
    context = FileContext("a.py", frozenset({"other"}), source)
    ours, theirs = EventLog(context), EventLog(context)
    _traverse(MetadataWrapper(cst.parse_module(source)), [ours])
    MetadataWrapper(cst.parse_module(source)).visit_batched([theirs])
    return ours.events, theirs.events


def test_a_rule_that_visits_a_token_sees_every_one() -> None:
    ours, theirs = _events("f(a, b, c)\nx = [1, 2]\n")
    assert ours == theirs
    assert ours.count("comma") == 3


def test_attribute_visitors_run_where_libcst_runs_them() -> None:
    ours, theirs = _events("try:\n    a()\nexcept E as e:\n    b(e)\nfinally:\n    c\n")
    assert ours == theirs
    assert ours[:4] == [
        "visit Try",
        "visit Try.body",
        "name a",
        "leave Try.body",
    ]


def test_positions_of_single_statements_match_the_whole_module_provider() -> None:
    source = (
        "# header comment\n\n"
        "import os; import sys\r\n"
        "@decorator(\n    1)\n@other\nclass C(Base):\n"
        "    '''Doc.'''\n\n    x = 1\n\x0c\n"
        "    def f(self) -> str:  # comment\n        return 'a' \\\n            'b'\n\n"
        "if True:\n    y = [\n        1,\n    ]\n"
    )
    module = cst.parse_module(source)
    nodes = [node for node in _subtree(module) if not isinstance(node, cst.Module)]
    ours = _positions(MetadataWrapper(module, unsafe_skip_copy=True), source, nodes)
    full = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    assert len(nodes) > 100
    assert _statement_lines(module, source) == [3, 7, 16]  # not the fallback
    assert {node: ours[node] for node in nodes} == {node: full[node] for node in nodes}


_ODD_SOURCE = """\
import os, sys; x = 1 \\
    + 2
\f
@decorator(a, *b, **c)
async def f(p: int = 1, /, *, q: str = "s") -> None:
    async with open(p) as h, other():
        await h
    match x:
        case [1, *rest] if (y := rest):
            print(f"{y!r:>{w}}", end="")\t# a tab before the comment
        case {"k": v, **kw}:
            g = lambda: [i for i in kw if i]
"""


def test_a_tree_parsed_without_validation_equals_the_checked_parse() -> None:
    import pattern_review.conventions.engine as engine
    import pattern_review.conventions.rules.router as router

    for source in (
        _ODD_SOURCE,
        Path(engine.__file__).read_text(encoding="utf-8"),
        Path(router.__file__).read_text(encoding="utf-8"),
    ):
        assert parse_unvalidated(source).deep_equals(cst.parse_module(source))
    with pytest.raises(cst.ParserSyntaxError) as unchecked:
        parse_unvalidated("def broken(:\n")
    with pytest.raises(cst.ParserSyntaxError) as checked:
        cst.parse_module("def broken(:\n")
    assert str(unchecked.value) == str(checked.value)


def test_the_parse_skips_validation_and_nodes_made_after_it_are_validated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    validated: list[str] = []
    original = cst.SimpleWhitespace._validate

    def counted(node: cst.SimpleWhitespace) -> None:
        validated.append(node.value)
        original(node)

    monkeypatch.setattr(cst.SimpleWhitespace, "_validate", counted)
    parse_unvalidated("x = 1\n")
    assert validated == []
    cst.parse_module("x = 1\n")
    assert validated  # the checked parse validates each node
    with pytest.raises(cst.ParserSyntaxError):
        parse_unvalidated("x = (\n")
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not white space")


def test_threads_parsing_at_once_leave_validation_on() -> None:
    sources = [_ODD_SOURCE, "x = 1\n", "def f(:\n"] * 20

    def parse(source: str) -> bool:
        try:
            parse_unvalidated(source)
        except cst.ParserSyntaxError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=4) as pool:
        parsed = list(pool.map(parse, sources))
    assert parsed.count(False) == 20
    with pytest.raises(cst.CSTValidationError):
        cst.SimpleWhitespace("not white space")
