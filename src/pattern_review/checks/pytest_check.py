"""Checklist step 4, "Tests": pytest on the test files related to the change.

pytest writes a JUnit XML report into a temporary folder (``xunit1`` gives
each test's file and line); nothing is written into the work tree: no cache
provider, no bytecode. A failing test is reported at its ``def`` line, a test
module that cannot be collected at the line its traceback ends in the repo
(typically the failing import), and tests that error the same way as one
finding where their traceback last passes through the repo (a fixture that
cannot reach its database errors every test that uses it: one cause).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pattern_review import git
from pattern_review.checks.evidence import base_configs, listed, no_evidence
from pattern_review.checks.related_tests import (
    deleted_related_tests,
    is_test_file,
    related_tests,
)
from pattern_review.context import CheckContext, finished
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome, CheckResult, Finding
from pattern_review.projects.environments import (
    code_account,
    first_error_line,
    missing_module_hint,
    project_environment,
)
from pattern_review.projects.tool_config import within_testpaths
from pattern_review.projects.tools import run_tool

NAME = "pytest"
SAFE_MODE_SKIP = "not run under pull_request_target: PR code is never executed"
_EXIT_NO_TESTS = 5
# What pytest collects by default: ``def test_*`` and ``class Test*``.
_TEST_DEFINITION = re.compile(
    r"^[ \t]*(?:(?:async[ \t]+)?def[ \t]+test|class[ \t]+Test)", re.M
)
# Traceback frames in pytest's long report: "path:12: in <module>" and the
# "File "path", line 3" of a SyntaxError.
_FRAME = re.compile(r'^(?:E\s+)?(?:File "(.+?)", line (\d+)|(\S.*?\.py):(\d+): )')


def _quiet_outcome(
    status: Literal["passed", "skipped"], detail: str, seconds: float = 0.0
) -> CheckOutcome:
    result = CheckResult(
        name=NAME, status=status, duration_s=round(seconds, 3), detail=detail
    )
    return CheckOutcome(result=result)


def run(ctx: CheckContext) -> CheckOutcome:
    """Run the test files related to the changed files.

    Args:
        ctx: The review's context; its changed files pick the tests to run.

    Returns:
        One finding per failing test or uncollectable test module.

    Raises:
        CheckError: pytest is missing, timed out, crashed, or wrote no report.
    """
    if ctx.target.safe_mode:
        # No test runs, but what the PR deletes is plain to see: deleting the
        # tests of the changed code is no more a pass here than elsewhere.
        deleted = _deleted_related_tests(ctx)
        if deleted:
            raise no_evidence(
                f"the PR deletes related {listed(deleted)}, and under"
                " pull_request_target no test runs to show the change works",
                "",
            )
        return _quiet_outcome("skipped", SAFE_MODE_SKIP)
    project = ctx.where
    # Tests of the project only, paths relative to its folder (pytest's cwd
    # and rootdir), within the testpaths its pytest config names.
    found = related_tests(project.folder, ctx.tool_paths)
    tests = within_testpaths(project.folder, found)
    deleted = _deleted_related_tests(ctx)
    if not tests:
        _require_tests(ctx, found, deleted)
        outside = len(found) - len(tests)
        detail = f"no related tests ({outside} outside testpaths)" if outside else ""
        return _quiet_outcome("passed", detail or "no related tests")
    account = code_account(ctx, "tests not run")
    home_tmp = str(account.home / "tmp") if account else None
    with tempfile.TemporaryDirectory(
        prefix="pattern-review-pytest-", dir=home_tmp
    ) as scratch:
        if account:
            account.owns(Path(scratch))  # pytest writes its report there
        junit = Path(scratch) / "junit.xml"
        args = ["-p", "no:cacheprovider", "-o", "junit_family=xunit1"]
        args += ["--rootdir", str(project.folder)]
        args += ["--junitxml", str(junit), "--continue-on-collection-errors"]
        # "--": a test file named "--junitxml=x_test.py" is a path, not an option.
        done = run_tool(
            ctx,
            "pytest",
            [*args, "--", *tests],
            direct_env=_import_path(project.folder),
            account=account,
        )
        if done.exit_code == _EXIT_NO_TESTS and not _define_tests(
            project.folder, tests
        ):
            # Helper modules named like tests: nothing to run, as expected.
            return _quiet_outcome("passed", "no related tests", done.seconds)
        if done.exit_code == _EXIT_NO_TESTS:
            raise no_evidence(
                f"pytest collected no tests from the {_files(tests)}",
                done.stdout + done.stderr,
            )
        if done.exit_code not in (0, 1, 2):
            # The error (a conftest's ValidationError), not pydantic's link
            # printed after it.
            output = done.stdout + done.stderr
            why = first_error_line(output) or done.reason_line()
            raise CheckError(f"pytest exited {done.exit_code}: {why}", output)
        try:
            root = _read_report(junit)
        except (OSError, ElementTree.ParseError) as exc:
            raise CheckError(
                f"pytest wrote no readable report: {exc}", done.stdout + done.stderr
            ) from exc
    results = parse_junit(root, project.folder)
    ran = results.ran
    findings = [
        f.model_copy(update={"path": project.to_repo(f.path)}) for f in results.findings
    ]
    if done.exit_code != 0 and not findings:
        raise CheckError(
            f"pytest failed: {done.reason_line()}", done.stdout + done.stderr
        )
    skipped = _skipped(root)
    if not findings:
        touched = bool(set(ctx.tool_paths) & set(tests))
        _require_runs(ran, skipped, tests, done.stdout + done.stderr, touched)
    detail = f"{ran} test(s) in {len(tests)} file(s)"
    if findings:
        detail += f", {results.failing} failing"
    else:
        detail += f", all {ran} skipped" if skipped == ran else ", all passed"
    gone = f"the PR deletes related {listed(deleted)}" if deleted else ""
    output = done.stdout + done.stderr
    missing = missing_module_hint(output, project_environment(ctx)) if findings else ""
    notes = [done.note, gone, missing]
    return finished(NAME, findings, done.seconds, detail, notes)


def _define_tests(folder: Path, tests: list[str]) -> bool:
    """Return whether any of the test files defines a test function or class."""
    for test in tests:
        try:
            text = (folder / test).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if _TEST_DEFINITION.search(text):
            return True
    return False


def _files(tests: list[str]) -> str:
    return f"{len(tests)} related test file(s) ({listed(tests)})"


def _skipped(root: ElementTree.Element) -> int:
    return sum(1 for case in root.iter("testcase") if case.find("skipped") is not None)


def _require_runs(
    ran: int, skipped: int, tests: list[str], output: str, touched: bool
) -> None:
    """Fail a pytest run that passed without running a test.

    Every test skipped is no evidence only when the PR changed those test
    files (it may have added the skip): tests that the team's own suite
    skips here too (no database on the runner, say) are the base's standard.

    Raises:
        CheckError: No evidence: no test case was run (a ``--co``-style run
            collects them only) or every one was skipped by a PR that
            changed the related tests.
    """
    if ran == 0:
        raise no_evidence(f"pytest ran 0 tests from the {_files(tests)}", output)
    if skipped == ran and touched:
        raise no_evidence(
            f"pytest skipped all {ran} test(s) of the {_files(tests)}", output
        )


def _deleted_related_tests(ctx: CheckContext) -> list[str]:
    """Return the project's test files the PR deletes that tested its change.

    A test renamed to a name pytest does not collect (``orders_check.py``)
    is gone too. Paths relative to the project's folder, as at base; their
    base text tells whether they imported a changed module.
    """
    project = ctx.where
    gone = [
        f.path if f.status == "deleted" else f.old_path or f.path
        for f in ctx.target.files
        if f.project == project.path
        and (
            (f.status == "deleted" and is_test_file(f.path))
            or (
                f.status == "renamed"
                and is_test_file(f.old_path or "")
                and not is_test_file(f.path)
            )
        )
    ]
    if not gone or not ctx.tool_paths:
        return []
    blobs = git.read_blobs(ctx.target.repo, ctx.target.base, gone)
    texts: dict[str, str | None] = {}
    for path in gone:
        data = blobs.get(path)
        with contextlib.suppress(ValueError):  # renamed from another project
            texts[project.relative(path)] = (
                data.decode("utf-8", "replace") if data is not None else None
            )
    return deleted_related_tests(ctx.tool_paths, texts)


def _require_tests(ctx: CheckContext, found: list[str], deleted: list[str]) -> None:
    """Fail when there are tests to run and none will.

    The related tests all lie outside the PR's pytest ``testpaths`` while
    the base's ``testpaths`` took some in, or the PR deletes the related
    tests of the code it changes.

    Raises:
        CheckError: No evidence.
    """
    if found:
        with base_configs(ctx) as base_folder:
            at_base = base_folder and within_testpaths(base_folder, found)
        if at_base:
            raise no_evidence(
                f"pytest's testpaths leave out all {_files(found)}, which the"
                " base's testpaths include"
            )
    if deleted:
        raise no_evidence(
            f"the PR deletes the related test file(s) of the changed code"
            f" ({listed(deleted)}) and no related test is left to run"
        )


def _read_report(junit: Path) -> ElementTree.Element:
    """Parse pytest's report, never through a link the tests put in its place.

    The folder belongs to the user the tests run as; as root, a link there
    would otherwise make the review read (and report) a file of root's.
    """
    descriptor = os.open(junit, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(descriptor, "rb") as report:
        return ElementTree.parse(report).getroot()


def _import_path(repo: Path) -> dict[str, str]:
    # The bundled pytest does not have the target installed: let its tests
    # import it from the work tree (src layout first), as an editable install
    # would.
    roots = [str(repo / "src")] if (repo / "src").is_dir() else []
    roots.append(str(repo))
    if os.environ.get("PYTHONPATH"):
        roots.append(os.environ["PYTHONPATH"])
    return {"PYTHONPATH": os.pathsep.join(roots)}


@dataclass(frozen=True)
class JunitResults:
    """What a pytest JUnit report says.

    Attributes:
        findings: One per failing test, one per module that failed to
            collect, and one per setup error that several tests share.
        ran: How many test cases the report holds.
        failing: How many failures and errors it holds (a module that failed
            to collect is one).
    """

    findings: list[Finding]
    ran: int
    failing: int


def parse_junit(root: ElementTree.Element, repo: Path) -> JunitResults:
    """Turn a pytest ``xunit1`` JUnit report into findings.

    Tests that error the same way (the same first line from the same place, as
    when a fixture they all use cannot reach its database) are one finding,
    not one per test.

    Args:
        root: The report's root element.
        repo: The target's work tree, to place traceback frames.

    Returns:
        The findings, and the counts of tests run and failing.
    """
    findings: list[Finding] = []
    # By first line and place: the same message from two fixtures is two.
    errored: dict[
        tuple[str, tuple[str, int] | None],
        list[tuple[ElementTree.Element, ElementTree.Element]],
    ] = {}
    cases = list(root.iter("testcase"))
    failing = 0
    known: dict[str, str | None] = {}
    for case in cases:
        for problem in case:
            if problem.tag not in ("failure", "error"):
                continue
            failing += 1
            if problem.tag == "error" and case.get("line") is not None:
                where = _last_repo_frame(problem.text or "", repo, known)
                errored.setdefault((_reason(problem), where), []).append(
                    (case, problem)
                )
                continue
            finding = _case_finding(case, problem, repo)
            if finding is not None:
                findings.append(finding)
    for (_, where), group in errored.items():
        finding = _shared_error(group, where, repo)
        if finding is not None:
            findings.append(finding)
    return JunitResults(findings, len(cases), failing)


def _reason(problem: ElementTree.Element) -> str:
    """Return the first line of a failure's or error's message."""
    summary = (problem.get("message") or "").strip().splitlines()
    return summary[0] if summary else problem.tag


def _shared_error(
    group: list[tuple[ElementTree.Element, ElementTree.Element]],
    where: tuple[str, int] | None,
    repo: Path,
) -> Finding | None:
    """Return one finding for tests that errored the same way.

    One test: at its ``def`` line, like a failing test. Several: at ``where``,
    where their traceback last passes through the repository (the fixture,
    typically), naming how many tests and the first of them.
    """
    # The first test the report places in a file (xunit1 places every one).
    placed = next(((c, p) for c, p in group if c.get("file") is not None), None)
    if placed is None:
        return None
    case, problem = placed
    first = _case_finding(case, problem, repo)
    if first is None or len(group) == 1:
        return first
    path, line = where if where else (first.path, first.line)
    files = len({test.get("file") for test, _ in group} - {None})
    return first.model_copy(
        update={
            "path": path,
            "line": line,
            "end_line": line,
            "message": f"{len(group)} tests in {files} file(s) errored the same"
            f" way (the first: `{_test_name(case)}`): {_reason(problem)}",
        }
    )


def _case_finding(
    case: ElementTree.Element, problem: ElementTree.Element, repo: Path
) -> Finding | None:
    path = case.get("file")
    name = case.get("name", "?")
    text = problem.text or ""
    reason = _reason(problem)
    if case.get("line") is None:
        # A module that could not be collected: point at the frame that
        # failed inside the repo (the import), else the module's first line.
        frame = _last_repo_frame(text, repo)
        error_lines = [
            line[1:].strip() for line in text.splitlines() if line.startswith("E ")
        ]
        why = error_lines[-1] if error_lines else reason
        where, line = frame if frame else (path, 1)
        if where is None:
            return None
        return Finding(
            rule="pytest:error",
            pattern="completion-checklist",
            source="pytest",
            severity="error",
            path=where,
            line=line,
            message=f"Collecting `{path or name}` failed: {why}",
        )
    if path is None:
        return None
    test = _test_name(case)
    failed = problem.tag == "failure"
    verb = "failed" if failed else "errored"
    return Finding(
        rule="pytest:failed" if failed else "pytest:error",
        pattern="completion-checklist",
        source="pytest",
        severity="error",
        path=path,
        line=int(case.get("line", "0")) + 1,  # xunit1 lines are 0-based
        message=f"Test `{test}` {verb}: {reason}",
    )


def _test_name(case: ElementTree.Element) -> str:
    """Return ``module.Class.test`` for a test case."""
    name = case.get("name", "?")
    classname = case.get("classname", "")
    return f"{classname}.{name}" if classname else name


def _last_repo_frame(
    text: str, repo: Path, known: dict[str, str | None] | None = None
) -> tuple[str, int] | None:
    """Return the last traceback frame in the repository's own code, if any.

    Args:
        text: A traceback.
        repo: The work tree.
        known: Frame file -> its path in the repository (None: not its code),
            shared by the tracebacks of one report: hundreds of tests erroring
            through the same frames resolve each file once.

    Returns:
        The frame's path (relative to ``repo``) and line.
    """
    root = repo.resolve()
    places = {} if known is None else known
    found: tuple[str, int] | None = None
    for raw in text.splitlines():
        match = _FRAME.match(raw.strip())
        if not match:
            continue
        name = match.group(1) or match.group(3)
        line = int(match.group(2) or match.group(4))
        if name not in places:
            places[name] = _repo_file(name, root)
        place = places[name]
        if place is not None and line >= 1:
            found = (place, line)
    return found


def _repo_file(name: str, root: Path) -> str | None:
    """Return a frame's file relative to ``root`` if it is the repo's own code."""
    candidate = Path(name)
    absolute = candidate if candidate.is_absolute() else root / candidate
    try:
        rel = absolute.resolve().relative_to(root)
    except ValueError:
        return None
    if any(p.startswith(".") or p == "site-packages" for p in rel.parts):
        return None  # the target's own virtualenv, not its code
    return rel.as_posix() if absolute.is_file() else None
