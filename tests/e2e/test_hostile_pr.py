"""One pull request carrying every hostile case at once, through the action.

Nested parentheses that crash libcst, a ``1+1+...`` chain that overruns its
time budget, a bare ``except`` padded past 2 MiB, an ``ignore-file`` with
every letter on a file that does not parse, a suppression the PR adds, a
file name with a tab, test files named like pytest options, and a test that
reads its parent processes' environments to find the job's secrets. The
review must finish, fail, publish everything, and post no secret.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.action.test_e2e import World
from tests.fakes.github_server import TOKEN, FakeGitHub
from tests.hostile import CRASHING_CHAIN, NESTED_PARENS, PADDED_BARE_EXCEPT

DEPLOY_PASSWORD = "correct-horse-battery-staple"
DEPLOY_TOKEN = "deploy-input-secret-value"
SECRETS = (TOKEN, DEPLOY_PASSWORD, DEPLOY_TOKEN)
LETTERS = ",".join("ABCDEFGHIJKLMNOPQRSTUVWXYZ")

HUNTING_TEST = """\
import os

from app.totals import total

NAMES = ("GITHUB_TOKEN=", "INPUT_GITHUB-TOKEN=", "DEPLOY_PASSWORD=", "INPUT_DEPLOY-")


def _parent(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        return int(stat.read().rsplit(")", 1)[1].split()[1])


def test_hunts_the_parents_secrets() -> None:
    found = []
    pid = os.getppid()
    while pid > 1:
        try:
            with open(f"/proc/{pid}/environ", "rb") as environ:
                data = environ.read().decode("utf-8", "replace")
            found += [v for v in data.split("\\0") if v.startswith(NAMES)]
        except OSError:
            pass
        pid = _parent(pid)
    assert total([1]) == 2, f"found {found}"
"""
PASSING_TEST = "def test_ok() -> None:\n    assert True\n"


@pytest.fixture
def hostile_world(tmp_path: Path) -> Iterator[World]:
    fake = FakeGitHub("octo-org/app")
    fake.start()
    yield World(tmp_path, fake)
    fake.stop()


def _hostile_push(world: World) -> None:
    origin = world.origin
    origin.checkout("feature")
    files = {
        "app/deep.py": NESTED_PARENS,
        "app/chain.py": CRASHING_CHAIN,
        "app/padded.py": PADDED_BARE_EXCEPT,
        "app/quiet.py": f"# pattern-review: ignore-file[{LETTERS}]\ndef broken(:\n",
        "app/silenced.py": (
            "x = [1,  # pattern-review: ignore[ruff-format] aligned by hand\n2]\n"
        ),
        "app/tab\tname.py": "x = [1,\n2]\n",
        "tests/test_hunt.py": HUNTING_TEST,
        "tests/--help_test.py": PASSING_TEST,
        "tests/--junitxml=x_test.py": PASSING_TEST,
    }
    for path, text in files.items():
        origin.write(path, text, dedent=False)
    world.head = origin.commit("hostile")


def _published(world: World, result: Any, files: list[Path]) -> str:
    """Every text the run published or wrote, in one string."""
    parts = [result.stdout, result.stderr, result.summary, json.dumps(result.outputs)]
    parts += [json.dumps(r.body) for r in world.gh.requests if r.body is not None]
    for path in files:
        if path.is_file():
            parts.append(path.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def test_a_pr_with_every_hostile_case_is_reviewed_and_leaks_nothing(
    hostile_world: World,
) -> None:
    world = hostile_world
    _hostile_push(world)
    world.add_pull()
    merge = world.checkout_merge()

    result = world.run(
        world.pr_payload(),
        sha=merge,
        inputs={
            "checks": "ruff-format,ruff,conventions,pytest",
            "json-file": "review.json",
            "sarif-file": "review.sarif",
            "deploy-token": DEPLOY_TOKEN,
        },
        # The suite's Python lives under /root, which no other user may
        # enter: the tests run as we are (tests/test_secrets.py runs them as
        # nobody). What they find must still never be published.
        extra_env={
            "DEPLOY_PASSWORD": DEPLOY_PASSWORD,
            "PATTERN_REVIEW_RUN_AS": "root",
        },
    )

    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    gh = world.gh
    assert len(gh.issue_comments) == 1 and len(gh.reviews) == 1
    (run,) = gh.check_runs.values()
    assert run["conclusion"] == "failure"
    assert result.outputs["conclusion"] == "failure"
    assert "pattern-review" in result.summary
    report = json.loads((world.workspace / "review.json").read_text())
    assert (world.workspace / "review.sarif").is_file()

    found = {(f["path"], f["rule"]) for f in report["findings"]}
    for path in ("app/deep.py", "app/chain.py", "app/padded.py"):
        assert (path, "PR005") in found, path  # could not be analysed
    # ruff itself overflows its stack on the 8,000-term chain: that file is
    # an error, and ruff still checks the others.
    assert ("app/padded.py", "E722") in found
    ruff_crash = [
        f for f in report["findings"] if f["source"] == "ruff" and f["rule"] == "PR005"
    ]
    assert [f["path"] for f in ruff_crash] == ["app/chain.py"]
    assert any(p == "app/quiet.py" and "syntax" in r for p, r in found), found
    assert ("app/tab\tname.py", "ruff-format") in found
    assert ("tests/test_hunt.py", "pytest:failed") in found
    pytest_check = next(c for c in report["checks"] if c["name"] == "pytest")
    assert "3 test(s) in 3 file(s)" in pytest_check["detail"], pytest_check
    assert not (world.workspace / "x_test.py").exists()
    listed = [(s["path"], s["rule"]) for s in report["added_suppressions"]]
    assert listed == [("app/silenced.py", "ruff-format")]
    assert (
        "1 finding suppressed by comments this PR adds" in gh.issue_comments[0]["body"]
    )

    # The hunting test found the secrets; none of them was published.
    hunt = next(f for f in report["findings"] if f["rule"] == "pytest:failed")
    assert "[redacted]" in hunt["message"]
    cache = sorted((world.tmp / "cache").rglob("*.json"))
    written = [world.workspace / "review.json", world.workspace / "review.sarif"]
    published = _published(world, result, written + cache)
    for secret in SECRETS:
        assert secret not in published, secret
