"""The mypy check: errors in the changed files only, cache outside the work tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.checks import mypy_check
from pattern_review.checks.mypy_config import parallel_allowed, workers_configured
from pattern_review.config import Config
from pattern_review.errors import CheckError
from pattern_review.models import CheckOutcome
from tests.check_context import check_context, tree_state
from tests.gitrepo import GitRepo

STRICT = """\
[tool.mypy]
strict = true
"""


def test_typed_file_passes_and_cache_stays_outside(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", STRICT)
    git_repo.write(
        "app/ok.py",
        """\
        from __future__ import annotations


        def double(value: int) -> int:
            return value * 2
        """,
    )
    git_repo.commit()
    before = tree_state(git_repo)

    outcome = mypy_check.run(check_context(git_repo, tmp_path, "app/ok.py"))

    assert outcome.findings == []
    assert outcome.result.status == "passed"
    assert outcome.result.detail.startswith("no errors")
    assert tree_state(git_repo) == before
    assert not list(git_repo.path.rglob(".mypy_cache"))
    assert (tmp_path / "cache" / "mypy").is_dir()


def test_errors_cite_the_checklist_or_the_annotation_rule(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", STRICT)
    git_repo.write(
        "app/calc.py",
        """\
        from __future__ import annotations


        def label(value: int) -> str:
            return value


        def untyped(value):
            return value
        """,
    )
    git_repo.commit()

    outcome = mypy_check.run(check_context(git_repo, tmp_path, "app/calc.py"))

    got = [(f.rule, f.path, f.line, f.column, f.pattern) for f in outcome.findings]
    assert got == [
        ("mypy:return-value", "app/calc.py", 5, 12, "completion-checklist"),
        ("mypy:no-untyped-def", "app/calc.py", 8, 1, "style-rules#2"),
    ]
    assert outcome.findings[0].message == (
        'Incompatible return value type (got "int", expected "str")'
    )
    assert all(f.source == "mypy" and f.severity == "error" for f in outcome.findings)
    assert outcome.result.status == "failed"
    assert outcome.result.detail.startswith("2 error(s)")


def test_errors_in_unchanged_imported_modules_are_left_out(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("app/__init__.py", "")
    git_repo.write(
        "app/base.py",
        """\
        from __future__ import annotations

        COUNT: int = "many"
        """,
    )
    git_repo.write(
        "app/user.py",
        """\
        from __future__ import annotations

        from app.base import COUNT

        TOTAL: str = COUNT
        """,
    )
    git_repo.commit()

    outcome = mypy_check.run(check_context(git_repo, tmp_path, "app/user.py"))

    assert [(f.rule, f.path, f.line) for f in outcome.findings] == [
        ("mypy:assignment", "app/user.py", 5)
    ]


def test_syntax_error_is_a_finding_and_other_files_are_still_checked(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("app/bad.py", "x = 1\ndef broken(:\n    pass\n", dedent=False)
    git_repo.write("app/typed.py", 'COUNT: int = "many"\n', dedent=False)
    git_repo.commit()

    outcome = mypy_check.run(
        check_context(git_repo, tmp_path, "app/bad.py", "app/typed.py")
    )

    assert outcome.result.status == "failed"
    got = {(f.rule, f.path, f.line) for f in outcome.findings}
    assert ("mypy:syntax", "app/bad.py", 2) in got
    assert ("mypy:assignment", "app/typed.py", 1) in got


def test_safe_mode_ignores_the_prs_mypy_config(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    # A plugin named by the PR's config would be PR code run by mypy.
    git_repo.write(
        "pyproject.toml",
        """\
        [tool.mypy]
        plugins = ["evil_plugin"]
        """,
    )
    git_repo.write("app/ok.py", "x: int = 1\n", dedent=False)
    git_repo.commit()

    safe = mypy_check.run(
        check_context(git_repo, tmp_path, "app/ok.py", safe_mode=True)
    )
    assert safe.result.status == "passed"
    with pytest.raises(CheckError, match="evil_plugin"):
        mypy_check.run(check_context(git_repo, tmp_path, "app/ok.py"))


def test_plain_text_output_is_parsed_too() -> None:
    output = (
        "src/app/x.py:3: error: invalid syntax  [syntax]\n"
        'src/app/x.py:7:5: error: Name "y" is not defined  [name-defined]\n'
        'src/app/x.py:7:5: note: Did you mean "x"?\n'
        "./src/app/y.py:2: error: Function is missing a type annotation  "
        "[no-untyped-def]\n"
        "Found 3 errors in 2 files (checked 2 source files)\n"
    )

    got = [
        (f.rule, f.path, f.line, f.column, f.pattern)
        for f in mypy_check.parse_mypy_output(output)
    ]

    assert got == [
        ("mypy:syntax", "src/app/x.py", 3, 1, "completion-checklist"),
        ("mypy:name-defined", "src/app/x.py", 7, 5, "completion-checklist"),
        ("mypy:no-untyped-def", "src/app/y.py", 2, 1, "style-rules#2"),
    ]


def test_timeout_is_a_check_error(git_repo: GitRepo, tmp_path: Path) -> None:
    git_repo.write("app/ok.py", "x: int = 1\n", dedent=False)
    git_repo.commit()
    ctx = check_context(
        git_repo, tmp_path, "app/ok.py", config=Config(tool_timeout_s=0.001)
    )
    with pytest.raises(CheckError, match="timed out"):
        mypy_check.run(ctx)


@pytest.mark.parametrize(
    ("files", "allowed"),
    [
        ({}, True),
        ({"pyproject.toml": "[tool.mypy]\nstrict = true\n"}, True),
        ({"pyproject.toml": "[tool.mypy]\nlocal_partial_types = false\n"}, False),
        ({"mypy.ini": "[mypy]\nnative_parser = False\n"}, False),
        ({"setup.cfg": "[mypy]\nhtml_report = out\n"}, False),
        (
            # mypy reads mypy.ini and nothing else.
            {
                "mypy.ini": "[mypy]\nstrict = True\n",
                "pyproject.toml": "[tool.mypy]\nlocal_partial_types = false\n",
            },
            True,
        ),
    ],
)
def test_parallel_mode_only_where_the_config_allows_it(
    tmp_path: Path, files: dict[str, str], allowed: bool
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    assert parallel_allowed(tmp_path) is allowed


MODELS = """\
from __future__ import annotations


class Item:
    def __init__(self, price: int) -> None:
        self.price = price
"""

PRICES = """\
from __future__ import annotations

from app.models import Item


def total(items: list[Item]) -> str:
    return sum(item.price for item in items)


def untyped(value):
    return value
"""

# Loaded by every mypy process that type-checks: it leaves its process id.
PROBE_PLUGIN = """\
import os

from mypy.plugin import Plugin

open(os.path.join(os.environ["PROBE_DIR"], str(os.getpid())), "w").close()


def plugin(version):
    return Plugin
"""


def _probed_repo(git_repo: GitRepo, mypy_table: str) -> tuple[str, ...]:
    git_repo.write(
        "pyproject.toml",
        f'{mypy_table}plugins = ["probe_plugin.py"]\n',
        dedent=False,
    )
    git_repo.write("probe_plugin.py", PROBE_PLUGIN, dedent=False)
    git_repo.write("app/__init__.py", "")
    git_repo.write("app/models.py", MODELS)
    git_repo.write("app/prices.py", PRICES)
    git_repo.commit()
    return ("app/models.py", "app/prices.py")


def _checking_processes(
    git_repo: GitRepo,
    cache: Path,
    paths: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
    workers: str | None,
) -> tuple[CheckOutcome, int]:
    """Run the check; return it and how many mypy processes type-checked."""
    probes = cache / "probes"
    probes.mkdir(parents=True)
    monkeypatch.setenv("PROBE_DIR", str(probes))
    if workers is None:
        monkeypatch.delenv(mypy_check.WORKERS_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(mypy_check.WORKERS_VARIABLE, workers)
    outcome = mypy_check.run(check_context(git_repo, cache, *paths))
    return outcome, len(list(probes.iterdir()))


def test_the_jobs_parallel_workers_find_what_one_process_finds(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = _probed_repo(git_repo, STRICT)
    before = tree_state(git_repo)

    parallel, checked_in = _checking_processes(
        git_repo, tmp_path / "a", paths, monkeypatch, "2"
    )
    serial, alone = _checking_processes(
        git_repo, tmp_path / "b", paths, monkeypatch, None
    )

    # The coordinator and its two workers, against mypy's usual one process.
    assert (checked_in, alone) == (3, 1)
    assert [(f.rule, f.path, f.line) for f in parallel.findings] == [
        ("mypy:return-value", "app/prices.py", 7),
        ("mypy:no-untyped-def", "app/prices.py", 10),
    ]
    assert parallel.findings == serial.findings
    assert tree_state(git_repo) == before  # no worker status file left


@pytest.mark.parametrize(
    ("mypy_table", "workers", "processes"),
    [
        (STRICT + "num_workers = 2\n", None, 3),  # the project asks
        (STRICT + "native_parser = false\n", "2", 1),  # parallel would change it
    ],
)
def test_the_projects_config_asks_for_workers_or_rules_them_out(
    git_repo: GitRepo,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mypy_table: str,
    workers: str | None,
    processes: int,
) -> None:
    paths = _probed_repo(git_repo, mypy_table)

    outcome, checked_in = _checking_processes(
        git_repo, tmp_path, paths, monkeypatch, workers
    )

    assert checked_in == processes
    assert [f.rule for f in outcome.findings] == [
        "mypy:return-value",
        "mypy:no-untyped-def",
    ]
    assert workers_configured(git_repo.path) is (workers is None)


def test_failed_parallel_workers_are_checked_again_in_one_process(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user config our reading of the project's config does not see, with a
    # setting parallel mode refuses.
    user = tmp_path / "xdg"
    (user / "mypy").mkdir(parents=True)
    (user / "mypy" / "config").write_text("[mypy]\nlocal_partial_types = False\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    monkeypatch.setenv(mypy_check.WORKERS_VARIABLE, "2")
    git_repo.write("app/calc.py", 'COUNT: int = "many"\n', dedent=False)
    git_repo.commit()

    outcome = mypy_check.run(check_context(git_repo, tmp_path, "app/calc.py"))

    assert [(f.rule, f.line) for f in outcome.findings] == [("mypy:assignment", 1)]
    assert "mypy's parallel workers failed" in outcome.result.detail
    assert "local-partial-types must be enabled" in outcome.result.detail
