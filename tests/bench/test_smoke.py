"""Smoke tests of the benchmark kit: the generator and the runner's tables.

No timings are asserted: the benchmark checks targets, tests check behaviour.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks import costs
from benchmarks.baseline_cost import (
    BaselineCost,
    replace_section,
    section,
    section_of,
)
from benchmarks.generate import VIOLATIONS, GeneratedRepo, generate
from benchmarks.measure import Measurement, run_measured, tree_rss
from benchmarks.run import (
    SizeResult,
    Verdict,
    critical_path_line,
    fmt_mib,
    fmt_ratio,
    fmt_seconds,
    markdown_table,
    parse_importtime,
    render_document,
    scaling_verdict,
    size_section,
    verdict_rows,
    verdicts_for,
)


def _summary_has_no_docstring(text: str) -> bool:
    tree = ast.parse(text)
    return any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.endswith("_summary")
        and ast.get_docstring(node) is None
        for node in ast.walk(tree)
    )


# How each seeded violation shows in the file text.
MARKERS: dict[str, Callable[[str], bool]] = {
    "sync-handler": lambda t: "sync_session" in t,
    "no-response-model": lambda t: '/summary")' in t,
    "no-docstring": _summary_has_no_docstring,
    "broad-except": lambda t: "except Exception" in t,
    "optional-syntax": lambda t: "Optional[str]" in t,
    "orm-mode-config": lambda t: "orm_mode = True" in t,
    "typing-list": lambda t: "List[str]" in t,
    "legacy-column": lambda t: "= Column(" in t,
    "long-line": lambda t: any(len(line) > 88 for line in t.splitlines()),
    "dict-call": lambda t: "payload.dict()" in t,
    "sync-untyped-method": lambda t: "def describe(self, item):" in t,
    "percent-format": lambda t: '" % (' in t,
    "unformatted": lambda t: "select( " in t,
    "no-retry-options": lambda t: "@shared_task\n" in t,
    "camel-case": lambda t: re.search(r"def purge[A-Z]", t) is not None,
}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> GeneratedRepo:
    return generate(tmp_path_factory.mktemp("seeded") / "app", 14, violation_share=1.0)


def test_every_violation_kind_has_a_marker() -> None:
    kinds = {kind for per_role in VIOLATIONS.values() for kind in per_role}
    assert kinds == set(MARKERS)


def test_pr_touches_the_requested_number_of_files(seeded: GeneratedRepo) -> None:
    diffed = _git(seeded.path, "diff", "--name-only", seeded.base, seeded.head)
    assert sorted(diffed.splitlines()) == seeded.changed
    assert len(seeded.changed) == 14
    assert _git(seeded.path, "rev-parse", "HEAD") == seeded.head
    assert seeded.python_files > len(seeded.changed)
    assert seeded.lines_changed > 0


def test_generated_python_parses(seeded: GeneratedRepo) -> None:
    files = _git(seeded.path, "ls-files", "*.py").splitlines()
    assert any(f.startswith("src/app/routers/") for f in files)
    assert any(f.startswith("tests/test_") for f in files)
    for rel in files:
        ast.parse((seeded.path / rel).read_text(), filename=rel)


def test_seeded_violations_are_in_the_changed_files(seeded: GeneratedRepo) -> None:
    # Share 1.0: every changed non-test module but main.py carries one.
    expected = [
        p for p in seeded.changed if p.startswith("src/app/") and p != "src/app/main.py"
    ]
    assert sorted(v.path for v in seeded.violations) == sorted(expected)
    for violation in seeded.violations:
        text = (seeded.path / violation.path).read_text()
        assert MARKERS[violation.kind](text), violation


def test_related_tests_exist_and_cover_touched_resources(
    seeded: GeneratedRepo,
) -> None:
    assert seeded.related_tests
    for test in seeded.related_tests:
        assert (seeded.path / test).is_file()


def test_clean_app_passes_ruff(tmp_path: Path) -> None:
    repo = generate(tmp_path / "app", 6, violation_share=0.0)
    assert repo.violations == []
    ruff = str(Path(sys.executable).with_name("ruff"))
    for args in (["check"], ["format", "--check"]):
        done = subprocess.run(
            [ruff, *args, "--no-cache", "."], cwd=repo.path, capture_output=True
        )
        assert done.returncode == 0, done.stdout.decode()


def test_same_seed_gives_the_same_tree(tmp_path: Path) -> None:
    first = generate(tmp_path / "a", 5, violation_share=0.5, seed=7)
    second = generate(tmp_path / "b", 5, violation_share=0.5, seed=7)
    other = generate(tmp_path / "c", 5, violation_share=0.5, seed=8)
    tree = "HEAD^{tree}"
    assert _git(first.path, "rev-parse", tree) == _git(second.path, "rev-parse", tree)
    assert _git(first.path, "rev-parse", tree) != _git(other.path, "rev-parse", tree)


@pytest.mark.parametrize(
    ("size", "share", "message"),
    [(1, 0.2, "at least 2"), (10, 1.5, "violation share"), (10, -0.1, "share")],
)
def test_bad_arguments_are_refused(
    tmp_path: Path, size: int, share: float, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        generate(tmp_path / "app", size, violation_share=share)


def test_refuses_a_folder_with_files(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match="not empty"):
        generate(tmp_path, 4)
    assert (tmp_path / "keep.txt").read_text() == "mine"


# ------------------------------------------------------------------ measure


def test_run_measured_sees_the_child_memory_and_output(tmp_path: Path) -> None:
    code = "x = bytearray(64 * 1024 * 1024); print('done'); raise SystemExit(3)"
    done = run_measured([sys.executable, "-c", code], cwd=tmp_path)
    assert done.returncode == 3
    assert done.stdout.strip() == "done"
    assert done.peak_rss >= 64 * 1024 * 1024
    assert done.cpu_s > 0
    assert list(tmp_path.iterdir()) == []


def test_tree_rss_counts_this_process() -> None:
    import os

    assert tree_rss(os.getpid()) > 0


# ------------------------------------------------------------------- tables


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "—"),
        (0.04213, "0.042"),
        (4.214, "4.21"),
        (42.14, "42.1"),
        (421.4, "421"),
    ],
)
def test_fmt_seconds(value: float | None, shown: str) -> None:
    assert fmt_seconds(value) == shown


def test_fmt_mib_and_ratio() -> None:
    assert fmt_mib(3 * 1024**3) == "3,072"
    assert fmt_mib(None) == "—"
    assert fmt_ratio(0.954) == "0.95×"


def test_markdown_table_aligns_numbers_right() -> None:
    table = markdown_table(["run", "s"], [["mypy", "4.21"]])
    assert table.splitlines() == ["| run | s |", "| :--- | ---: |", "| mypy | 4.21 |"]
    with pytest.raises(ValueError, match="cells"):
        markdown_table(["run", "s"], [["mypy"]])


IMPORTTIME = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |   _io
import time:       300 |        300 |     json.decoder
import time:       200 |        500 |   json
import time:       700 |        700 |     libcst._nodes
import time:       900 |       1600 |   libcst
import time:        50 |       2250 | pattern_review.cli
import time:        10 |         10 | unrelated
"""


def test_parse_importtime_finds_children_and_heavy_imports() -> None:
    cost = parse_importtime(IMPORTTIME, "pattern_review.cli")
    assert cost.total_us == 2250
    assert cost.slowest == [("libcst", 1600), ("json", 500), ("_io", 100)]
    assert cost.heavy_loaded == ["libcst"]
    assert parse_importtime(IMPORTTIME, "missing").total_us == 0


def _m(wall: float, rss: int = 100 * 1024**2) -> Measurement:
    return Measurement(("x",), wall, rss, rss, wall / 2, 0, "", "")


def _result(size: int, cold: float, warm: float, mypy: float) -> SizeResult:
    repo = GeneratedRepo(Path("/nowhere"), "b" * 40, "h" * 40, changed=["a.py"])
    tools = {"ruff-format": 0.1, "ruff": 0.1, "mypy": mypy, "pytest": 2.0}
    report: dict[str, object] = {
        "conclusion": "failure",
        "findings": [{"rule": "E501"}],
        "checks": [
            {"name": "mypy", "status": "failed", "duration_s": mypy},
            {"name": "pytest", "status": "error", "duration_s": 0.5},
            {"name": "ruff", "status": "skipped", "duration_s": 0.0},
        ],
    }
    return SizeResult(
        size=size,
        repo=repo,
        review_cold=_m(cold),
        review_warm=_m(warm),
        report_cold=report,
        report_warm=report,
        hand_cold={k: _m(v) for k, v in tools.items()},
        hand_warm={k: _m(v / 4) for k, v in tools.items()},
        fixit=_m(3.0),
        diff_s=0.05,
        report_s=0.01,
        comment_chars=40_000,
    )


def test_verdicts_compare_against_the_targets() -> None:
    # hand cold = 0.1 + 0.1 + 10 + 2 = 12.2, warm a quarter (3.05); slowest =
    # mypy 10: 10.9 s cold is 1.09x mypy, 0.7 s warm 0.23x by hand.
    met = {
        v.target.split(" (")[0]: v.met
        for v in verdicts_for(_result(100, 10.9, 0.7, 10))
    }
    assert met == {
        "cold review ÷ slowest tool alone": True,
        "cold review ÷ checklist by hand, cold": True,
        "warm review ÷ checklist by hand, warm": True,
        "peak memory of the review": True,
        "PR comment body": True,
    }
    slow = verdicts_for(_result(100, 12, 3, 10))
    assert [v.met for v in slow] == [False, False, False, True, True]
    # Just over the restructuring's targets: 1.12x mypy cold, 0.30x warm.
    close = verdicts_for(_result(100, 11.2, 0.9, 10))
    assert [v.met for v in close][:3] == [False, True, False]
    assert [v.limit for v in close][:3] == ["≤ 1.10", "≤ 0.95", "≤ 0.25"]


def test_ratio_targets_bind_only_at_the_size_the_issue_sets_them() -> None:
    at_100 = verdict_rows(verdicts_for(_result(100, 12, 3, 10)))
    at_1000 = verdict_rows(verdicts_for(_result(1000, 12, 3, 10)))

    assert [row[3] for row in at_100[:3]] == ["**no**"] * 3
    assert [row[3] for row in at_1000[:3]] == ["no (target set at 100 files)"] * 3
    assert at_1000[3][3] == "yes"  # memory binds at every size


def test_scaling_verdict_compares_time_per_file() -> None:
    small, large = _result(100, 10, 1, 8), _result(1000, 90, 5, 80)
    assert scaling_verdict(small, large) == Verdict(
        "cold review time per file at 1000 vs 100 files",
        "90 ms vs 100 ms",
        "no worse",
        True,
    )
    assert not scaling_verdict(small, _result(1000, 120, 5, 80)).met


def test_size_section_shows_stages_and_failed_checks() -> None:
    text = size_section(_result(10, 11, 1, 10))
    assert "### 10 changed files" in text
    assert "| · mypy | 10.0 | 10.0 |  |  |  |  |" in text
    assert (
        "| **pattern-review review --no-ai** | 11.0 | 1.00 | 5.50 | 0.500 | 100 |"
        in text
    )
    assert "· pytest (error)" in text
    assert "· ruff (skipped) | — | — |" in text
    assert "1 findings in scope (conclusion `failure`)" in text
    assert "Longest check: cold `mypy` (10.0 s), warm `mypy` (10.0 s)." in text


def test_critical_path_line_names_the_slowest_check() -> None:
    line = critical_path_line({"mypy": 4.2, "pytest": 1.5}, {"conventions": 2.5})
    assert (
        line == "Longest check: cold `mypy` (4.20 s), warm `conventions` (2.50 s).\n\n"
    )
    assert critical_path_line({}, {}) == ""


def test_render_document_states_how_it_was_measured() -> None:
    text = render_document(
        ["### 10 changed files\n"],
        [("cores (`nproc`)", "2")],
        ["uv sync"],
        "2026-01-01 00:00 UTC",
        120.0,
        repeat=3,
    )
    assert "took 2.0 min; each command ran 3 times and the fastest" in text
    assert "## Results\n\n### 10 changed files\n" in text
    assert "| cores (`nproc`) | 2 |" in text
    assert text.endswith("```sh\nuv sync\n```\n")
    once = render_document([], [], [], "2026-01-01 00:00 UTC", 60.0)
    assert "took 1.0 min.\n" in once


def test_cli_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.__main__ import main

    assert main(["--violation-share", "1.5", "--no-write"]) == 2
    assert "between 0 and 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--sizes", "10,x"])
    assert "sizes must be integers" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--sizes", "1"])
    assert "at least 2" in capsys.readouterr().err


def test_baseline_section_replaces_itself_before_the_machine() -> None:
    cost = BaselineCost(
        size=100,
        modified=72,
        review_s=2.0,
        comparison_s=0.5,
        findings=9,
        pre_existing=3,
        planted=(20, 20),
    )
    text = section([cost])
    document = "# Benchmarks\n\n### CLI start-up\n\nx\n\n## Machine\n\ny\n"

    once = replace_section(document, text)
    twice = replace_section(once, section([replace(cost, comparison_s=1.0)]))

    assert "| 100 | 72 | 2.00 s | 0.50 s | 25% | 9 | 3 | 20 of 20 |" in once
    assert once.index("### Base-version") < once.index("## Machine")
    assert twice.count("### Base-version") == 1
    assert "| 1.00 s | 50% |" in twice


def test_a_section_measured_by_its_own_command_survives_a_rewrite() -> None:
    heading = "### One changed file in a three-project monorepo"
    old = (
        f"# Benchmarks\n\n### CLI start-up\n\nold\n\n{heading}\n\nkept 0.97x\n\n"
        "## Machine\n"
    )
    new = "# Benchmarks\n\n### CLI start-up\n\nnew\n\n## Machine\n\nm\n"

    kept = section_of(old, heading)
    assert kept == f"{heading}\n\nkept 0.97x\n\n"
    merged = replace_section(new, kept, heading)

    assert "kept 0.97x" in merged and "new" in merged and "old" not in merged
    assert merged.index(heading) < merged.index("## Machine")
    assert section_of(new, heading) is None


def test_costs_time_each_part_and_render_them(seeded: GeneratedRepo) -> None:
    python = [p for p in seeded.changed if p.endswith(".py")][:3]

    measured = costs.measure(seeded.path, python, repeat=1)
    text = costs.section(measured, 4.0, 5.0, 0.25, "the small PR")
    without = costs.section(measured, 4.0, 5.0, None, "the small PR")

    assert measured.files == 3
    assert measured.worker_s > 0 and measured.one_worker_s > 0
    assert "| convention engine: 3 files, one worker |" in text
    assert "| base-version comparison" in text
    assert "base-version comparison" not in without
    assert "(1.25×)" in text


def test_alternate_compares_findings_whatever_their_order(tmp_path: Path) -> None:
    from benchmarks.alternate import _sorted_findings

    one = {"rule": "E501", "line": 3}
    two = {"line": 9, "rule": "ERR001"}
    first, second, other = (tmp_path / n for n in ("a.json", "b.json", "c.json"))
    first.write_text(json.dumps({"findings": [one, two]}))
    second.write_text(json.dumps({"findings": [two, one]}))
    other.write_text(json.dumps({"findings": [one]}))

    assert _sorted_findings(first) == _sorted_findings(second)
    assert _sorted_findings(first) != _sorted_findings(other)
