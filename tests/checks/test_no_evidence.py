"""No evidence is not a pass: checks that examined nothing fail closed.

Each case is a real pull request on a temporary git repository (``main`` is
the base, a branch the head), reviewed by the real ruff, mypy and pytest.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.checks import mypy_check, pytest_check, ruff_check
from pattern_review.checks.mypy_config import mypy_ignored
from pattern_review.checks.related_tests import deleted_related_tests
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.findings.conclusion import conclude
from pattern_review.models import CheckResult
from pattern_review.target import build_target
from tests.cli import review_json
from tests.gitrepo import GitRepo

ORDERS = """\
from __future__ import annotations


def total(prices: list[int]) -> int:
    \"\"\"Return the sum of the prices.\"\"\"
    return sum(prices)
"""
TEST_ORDERS = """\
from __future__ import annotations

from app.orders import total


def test_total() -> None:
    assert total([1, 2]) == 3
"""
PYPROJECT = '[project]\nname = "shop"\nversion = "0.1.0"\n'


@pytest.fixture
def shop(git_repo: GitRepo) -> GitRepo:
    """A small project on ``main``: one module and its test."""
    git_repo.write("pyproject.toml", PYPROJECT, dedent=False)
    git_repo.write("src/app/__init__.py", "")
    git_repo.write("src/app/orders.py", ORDERS)
    git_repo.write("tests/test_orders.py", TEST_ORDERS)
    git_repo.commit("base")
    return git_repo


def pull_request(
    repo: GitRepo, tmp_path: Path, changes: dict[str, str | None]
) -> CheckContext:
    """Commit ``changes`` on a branch (None deletes) and review it against main."""
    repo.git("checkout", "-q", "-b", "feature")
    for path, text in changes.items():
        if text is None:
            repo.git("rm", "-q", path)
        else:
            repo.write(path, text)
    repo.commit("pull request")
    target = build_target(repo.path, "main", "HEAD")
    return CheckContext(target=target, config=Config(), cache_dir=tmp_path / "cache")


def no_evidence(run: object, ctx: CheckContext) -> str:
    """Run a check that must fail with no evidence; return the reason."""
    assert callable(run)
    with pytest.raises(CheckError) as caught:
        run(ctx)
    message = str(caught.value)
    assert message.startswith("no evidence: "), message
    return message


CHANGED_ORDERS = ORDERS.replace("sum(prices)", "sum(prices) + 0")
SKIPPED_ORDERS_TEST = TEST_ORDERS.replace(
    "from app.orders import total\n",
    "import pytest\n\nfrom app.orders import total\n\npytestmark = pytest.mark.skip\n",
)
MYPY_IGNORES = (
    "no evidence: mypy's config ignores errors (ignore_errors) in 1"
    " (src/app/orders.py) of the 1 changed file(s), which the base's config"
    " type-checked"
)

# Each PR leaves a check nothing to examine: its change, and the reason given.
NO_EVIDENCE: dict[str, tuple[object, dict[str, str | None], str]] = {
    "pytest --co in addopts": (
        pytest_check.run,
        {
            "pyproject.toml": PYPROJECT
            + '[tool.pytest.ini_options]\naddopts = "--co"\n',
            "src/app/orders.py": ORDERS.replace("sum(prices)", "0"),
        },
        "no evidence: pytest ran 0 tests from the 1 related test file(s)"
        " (tests/test_orders.py)",
    ),
    "pytest testpaths that do not exist": (
        pytest_check.run,
        {
            "pyproject.toml": PYPROJECT
            + '[tool.pytest.ini_options]\ntestpaths = ["nonexistent"]\n',
            "src/app/orders.py": CHANGED_ORDERS,
        },
        "no evidence: pytest's testpaths leave out all 1 related test file(s)"
        " (tests/test_orders.py), which the base's testpaths include",
    ),
    "the related test deleted": (
        pytest_check.run,
        {"src/app/orders.py": CHANGED_ORDERS, "tests/test_orders.py": None},
        "no evidence: the PR deletes the related test file(s) of the changed code"
        " (tests/test_orders.py) and no related test is left to run",
    ),
    "pytest -k deselecting every test": (
        pytest_check.run,
        {
            "pyproject.toml": PYPROJECT
            + '[tool.pytest.ini_options]\naddopts = "-k nothing_matches"\n',
            "src/app/orders.py": CHANGED_ORDERS,
        },
        "no evidence: pytest collected no tests from the 1 related test file(s)"
        " (tests/test_orders.py)",
    ),
    "every related test skipped by the PR": (
        pytest_check.run,
        {
            "src/app/orders.py": CHANGED_ORDERS,
            "tests/test_orders.py": SKIPPED_ORDERS_TEST,
        },
        "no evidence: pytest skipped all 1 test(s) of the 1 related test file(s)"
        " (tests/test_orders.py)",
    ),
    "mypy exclude of everything": (
        mypy_check.run,
        {
            "pyproject.toml": PYPROJECT + '[tool.mypy]\nexclude = ".*"\n',
            "src/app/orders.py": CHANGED_ORDERS,
        },
        "no evidence: mypy's config excludes 1 (src/app/orders.py) of the 1"
        " changed file(s), which the base's config type-checked",
    ),
    "mypy ignore_errors": (
        mypy_check.run,
        {
            "pyproject.toml": PYPROJECT + "[tool.mypy]\nignore_errors = true\n",
            "src/app/orders.py": CHANGED_ORDERS.replace("-> int", "-> str"),
        },
        MYPY_IGNORES,
    ),
    "mypy ignore_errors in an override": (
        mypy_check.run,
        {
            "pyproject.toml": PYPROJECT
            + '[[tool.mypy.overrides]]\nmodule = "app.*"\nignore_errors = true\n',
            "src/app/orders.py": CHANGED_ORDERS.replace("-> int", "-> str"),
        },
        MYPY_IGNORES,
    ),
    "mypy ignore_errors in a mypy.ini section": (
        mypy_check.run,
        {
            "mypy.ini": "[mypy]\n\n[mypy-app.orders]\nignore_errors = True\n",
            "src/app/orders.py": CHANGED_ORDERS,
        },
        MYPY_IGNORES,
    ),
    "ruff per-file-ignores of ALL": (
        ruff_check.run,
        {
            "pyproject.toml": PYPROJECT
            + '[tool.ruff.lint.per-file-ignores]\n"**" = ["ALL"]\n',
            "src/app/orders.py": "import os\n" + CHANGED_ORDERS,
        },
        "no evidence: ruff's config ignores every rule for 1 (src/app/orders.py)"
        " of the 1 changed file(s), which the base's config linted",
    ),
    "ruff extend-exclude of everything": (
        ruff_check.run,
        {
            "pyproject.toml": PYPROJECT + '[tool.ruff]\nextend-exclude = ["src"]\n',
            "src/app/orders.py": "import os\n" + CHANGED_ORDERS,
        },
        "no evidence: ruff's config excludes 1 (src/app/orders.py) of the 1"
        " changed file(s), which the base's config linted",
    ),
}


@pytest.mark.parametrize("case", NO_EVIDENCE)
def test_a_pr_that_leaves_a_check_nothing_to_examine_is_no_evidence(
    shop: GitRepo, tmp_path: Path, case: str
) -> None:
    run, changes, expected = NO_EVIDENCE[case]
    ctx = pull_request(shop, tmp_path, changes)

    assert no_evidence(run, ctx) == expected


# pytest


def test_renaming_the_related_test_away_is_no_evidence(
    shop: GitRepo, tmp_path: Path
) -> None:
    shop.git("checkout", "-q", "-b", "feature")
    shop.git("mv", "tests/test_orders.py", "tests/orders_check.py")
    shop.write("src/app/orders.py", CHANGED_ORDERS)
    shop.commit("pull request")
    target = build_target(shop.path, "main", "HEAD")
    ctx = CheckContext(target=target, config=Config(), cache_dir=tmp_path / "c")

    reason = no_evidence(pytest_check.run, ctx)

    assert "deletes the related test file(s) of the changed code" in reason
    assert "(tests/test_orders.py)" in reason


def test_deleting_one_of_the_related_tests_is_noted(
    shop: GitRepo, tmp_path: Path
) -> None:
    shop.write("tests/test_totals.py", TEST_ORDERS)
    shop.commit("second test")
    ctx = pull_request(
        shop,
        tmp_path,
        {"src/app/orders.py": CHANGED_ORDERS, "tests/test_orders.py": None},
    )

    outcome = pytest_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail.startswith("1 test(s) in 1 file(s), all passed (")
    assert "the PR deletes related tests/test_orders.py" in outcome.result.detail


def test_tests_the_team_skips_here_too_are_the_bases_standard(
    shop: GitRepo, tmp_path: Path
) -> None:
    skipped = SKIPPED_ORDERS_TEST.replace(
        "pytest.mark.skip\n", "pytest.mark.skip(reason='needs a database')\n"
    )
    shop.write("tests/test_orders.py", skipped)
    shop.commit("the team's tests skip without a database")
    ctx = pull_request(shop, tmp_path, {"src/app/orders.py": CHANGED_ORDERS})

    outcome = pytest_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail.startswith("1 test(s) in 1 file(s), all 1 skipped")


def test_change_without_related_tests_still_passes(
    shop: GitRepo, tmp_path: Path
) -> None:
    ctx = pull_request(shop, tmp_path, {"src/app/payments.py": ORDERS})

    outcome = pytest_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail == "no related tests"


def test_teams_own_testpaths_leaving_a_test_out_still_passes(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "pyproject.toml",
        PYPROJECT + '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n',
        dedent=False,
    )
    git_repo.write("src/app/__init__.py", "")
    git_repo.write("src/app/orders.py", ORDERS)
    git_repo.write("tests/test_payments.py", "def test_ok() -> None:\n    pass\n")
    git_repo.commit("base")
    ctx = pull_request(
        git_repo,
        tmp_path,
        {"src/app/orders.py": CHANGED_ORDERS, "examples/test_orders.py": TEST_ORDERS},
    )

    outcome = pytest_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail == "no related tests (1 outside testpaths)"


def test_docs_only_change_is_fine(shop: GitRepo, tmp_path: Path) -> None:
    ctx = pull_request(shop, tmp_path, {"docs/orders.md": "# Orders\n"})

    results = [
        pytest_check.run(ctx).result,
        mypy_check.run(ctx).result,
        ruff_check.run(ctx).result,
    ]

    assert [(r.name, r.status, r.detail) for r in results] == [
        ("pytest", "passed", "no related tests"),
        ("mypy", "passed", "no Python files"),
        ("ruff", "passed", "no Python files"),
    ]


def test_deleting_a_module_with_its_test_is_fine(shop: GitRepo, tmp_path: Path) -> None:
    ctx = pull_request(
        shop,
        tmp_path,
        {
            "src/app/orders.py": None,
            "tests/test_orders.py": None,
            "src/app/payments.py": ORDERS,
        },
    )

    outcome = pytest_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail == "no related tests"


def test_deleted_tests_relate_by_name_or_base_imports() -> None:
    deleted = {
        "tests/test_orders.py": None,
        "tests/test_checkout.py": "from app.orders import total\n",
        "tests/test_users.py": "from app.users import User\n",
        "tests/helpers.py": "from app.orders import total\n",
    }

    related = deleted_related_tests(["src/app/orders.py"], deleted)

    assert related == ["tests/test_checkout.py", "tests/test_orders.py"]
    assert deleted_related_tests(["docs/readme.md"], deleted) == []


# mypy


def base_leaving_out_migrations(repo: GitRepo, tool_table: str) -> GitRepo:
    """A base whose own tool config leaves ``migrations/`` out, with one migration."""
    repo.write("pyproject.toml", PYPROJECT + tool_table, dedent=False)
    repo.write("migrations/0001_init.py", "X = 1\n")
    repo.commit("base")
    return repo


def test_teams_own_mypy_exclude_still_passes(git_repo: GitRepo, tmp_path: Path) -> None:
    base = base_leaving_out_migrations(
        git_repo, '[tool.mypy]\nexclude = "^migrations/"\n'
    )
    ctx = pull_request(base, tmp_path, {"migrations/0002_more.py": "Y = 2\n"})

    outcome = mypy_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail == "no Python files mypy's config does not exclude (1)"


def test_mypy_still_checks_when_one_changed_file_is_examined(
    shop: GitRepo, tmp_path: Path
) -> None:
    ctx = pull_request(
        shop,
        tmp_path,
        {
            "pyproject.toml": PYPROJECT + '[tool.mypy]\nexclude = "orders"\n',
            "src/app/orders.py": CHANGED_ORDERS,
            "src/app/payments.py": ORDERS.replace("-> int", "-> str"),
        },
    )

    outcome = mypy_check.run(ctx)

    assert outcome.result.status == "failed"
    assert [f.path for f in outcome.findings] == ["src/app/payments.py"]


@pytest.mark.parametrize(
    ("name", "config", "ignored"),
    [
        ("setup.cfg", "[mypy]\n[mypy-app.*]\nignore_errors = true\n", True),
        ("setup.cfg", "[mypy-app.*]\nignore_errors = true\n", False),  # no [mypy]
        ("mypy.ini", "[mypy]\n[mypy-other.*,app.orders]\nignore_errors = 1\n", True),
        ("mypy.ini", "[mypy]\n[mypy-app.orders]\nignore_errors = False\n", False),
        (
            "pyproject.toml",
            '[[tool.mypy.overrides]]\nmodule = ["other.*"]\nignore_errors = true\n',
            False,
        ),
        ("pyproject.toml", '[tool.mypy]\nignore_errors = "yes"\n', True),
    ],
)
def test_which_modules_mypys_config_ignores(
    tmp_path: Path, name: str, config: str, ignored: bool
) -> None:
    (tmp_path / name).write_text(config, encoding="utf-8")
    paths = ["src/app/orders.py"]

    assert mypy_ignored(tmp_path, paths) == (paths if ignored else [])


# ruff


def test_teams_own_ruff_exclude_still_passes(git_repo: GitRepo, tmp_path: Path) -> None:
    base = base_leaving_out_migrations(
        git_repo, '[tool.ruff]\nextend-exclude = ["migrations"]\n'
    )
    ctx = pull_request(base, tmp_path, {"migrations/0002_more.py": "import os\n"})

    outcome = ruff_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail.startswith("no violations (")
    assert "every changed file left out by ruff's config, as at the base" in (
        outcome.result.detail
    )


def test_ruff_with_narrow_per_file_ignores_passes_clean_code(
    shop: GitRepo, tmp_path: Path
) -> None:
    ctx = pull_request(
        shop,
        tmp_path,
        {
            "pyproject.toml": PYPROJECT
            + '[tool.ruff.lint.per-file-ignores]\n"tests/**" = ["S101"]\n',
            "src/app/orders.py": CHANGED_ORDERS,
        },
    )

    outcome = ruff_check.run(ctx)

    assert outcome.result.status == "passed"
    assert outcome.result.detail.startswith("no violations")
    assert "left out" not in outcome.result.detail


def test_base_ruff_config_extending_another_file_is_followed(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("ruff.toml", 'extend = "config/ruff-base.toml"\n', dedent=False)
    git_repo.write(
        "config/ruff-base.toml", 'extend-exclude = ["migrations"]\n', dedent=False
    )
    git_repo.write("migrations/0001_init.py", "X = 1\n")
    git_repo.commit("base")
    ctx = pull_request(git_repo, tmp_path, {"migrations/0002_more.py": "import os\n"})

    outcome = ruff_check.run(ctx)

    assert outcome.result.status == "passed"
    assert "as at the base" in outcome.result.detail


# The review's conclusion


def test_no_evidence_fails_the_review_closed() -> None:
    error = CheckResult(name="pytest", status="error", detail="no evidence: x")

    assert conclude([], [error], "error") == "failure"
    assert conclude([], [error], "never") == "failure"


def test_cli_review_fails_on_collect_only_addopts(shop: GitRepo) -> None:
    shop.git("checkout", "-q", "-b", "feature")
    shop.write(
        "pyproject.toml",
        PYPROJECT + '[tool.pytest.ini_options]\naddopts = "--co"\n',
        dedent=False,
    )
    shop.write("src/app/orders.py", ORDERS.replace("sum(prices)", "0"))
    shop.commit("pull request")

    code, report = review_json(shop, "--checks", "pytest")

    assert code != 0
    assert report["conclusion"] == "failure"
    (check,) = [c for c in report["checks"] if c["name"] == "pytest"]
    assert check["status"] == "error"
    assert check["detail"].startswith("no evidence: pytest ran 0 tests")
