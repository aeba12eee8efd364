"""PR code never sees a secret, and no published text holds one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pattern_review.models import Finding, Report
from pattern_review.redaction import REDACTED, Redactor, redact_report
from tests.cli import review_cli
from tests.gitrepo import GitRepo
from tests.secret_pr import (
    ANTHROPIC_KEY,
    DEPLOY_PASSWORD,
    GITHUB_TOKEN,
    SECRETS,
    readable_folder,
    secret_pr,
)


def _review(repo: GitRepo, run_as: str) -> tuple[int, str, dict[str, Any]]:
    env = {
        **os.environ,
        "GITHUB_TOKEN": GITHUB_TOKEN,
        "ANTHROPIC_API_KEY": ANTHROPIC_KEY,
        "DEPLOY_PASSWORD": DEPLOY_PASSWORD,
        "PATTERN_REVIEW_RUN_AS": run_as,
        # Not the other run's cached outcome.
        "XDG_CACHE_HOME": str(repo.path.parent / f"cache-{run_as}"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "review", "--repo", str(repo.path),
         "--base", "main", "--head", "HEAD", "--no-ai", "--checks", "pytest",
         "--format", "json"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr, json.loads(done.stdout)


def _test_message(report: dict[str, Any]) -> str:
    failed = [f for f in report["findings"] if f["rule"] == "pytest:failed"]
    assert len(failed) == 1, report
    message: str = failed[0]["message"]
    return message


def test_pr_tests_run_unprivileged_and_secrets_never_leave() -> None:
    assert os.geteuid() == 0, "the container runs the review as root"
    with readable_folder() as folder:
        repo = GitRepo(folder / "repo")
        secret_pr(repo)

        # As root (the switch off), the test reads its parents' secrets ...
        code, output, report = _review(repo, "root")
        assert code == 1, output[-3000:]
        leaked = _test_message(report)
        assert "read 0 parent" not in leaked and REDACTED in leaked
        # ... and the report redacts every one of them.
        assert not any(secret in output for secret in SECRETS)

        # As nobody, it cannot read a single parent environment.
        code, output, report = _review(repo, "nobody")
        assert code == 1, output[-3000:]
        assert "read 0 parent environments, found []" in _test_message(report)
        assert not any(secret in output for secret in SECRETS)


def test_redaction_covers_values_their_stored_forms_and_token_shapes() -> None:
    import base64

    stored = base64.b64encode(f"x-access-token:{DEPLOY_PASSWORD}".encode()).decode()
    redactor = Redactor([DEPLOY_PASSWORD])

    text = redactor.text(
        f"a {DEPLOY_PASSWORD} b {stored} c ghp_{'a1' * 20} d sk-ant-{'x' * 20}"
        " e 0123456789abcdef0123456789abcdef01234567"  # a commit SHA stays
        f" f AIza{'k' * 35}"
    )

    assert text == (
        f"a {REDACTED} b {REDACTED} c {REDACTED} d {REDACTED}"
        f" e 0123456789abcdef0123456789abcdef01234567 f {REDACTED}"
    )


@pytest.mark.parametrize(
    "token",
    [
        f"ghp_{'a1' * 20}",
        f"ghs_{'B2' * 15}",
        f"github_pat_{'c_3' * 10}",
        f"sk-ant-api03-{'x' * 20}",
        "AKIAABCDEFGHIJKLMNOP",
        f"xoxb-{'1' * 12}",
        f"AIza{'k' * 35}",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_every_token_shape_is_redacted_in_a_long_text(token: str) -> None:
    # Only a text holding what a shape always holds is scanned by it.
    text = "finding text " * 10_000 + token + " and after"

    assert Redactor().text(text).endswith(f"finding text {REDACTED} and after")


def test_a_report_is_redacted_everywhere_in_it(monkeypatch: Any) -> None:
    monkeypatch.setenv("INPUT_DEPLOY-TOKEN", DEPLOY_PASSWORD)
    finding = Finding(
        rule="pytest:failed", pattern="completion-checklist", source="pytest",
        severity="error", path="t.py", line=1, message=f"env: {DEPLOY_PASSWORD}",
        suggestion=DEPLOY_PASSWORD,
    )  # fmt: skip
    report = Report(conclusion="failure", base="a", head="b", findings=[finding])

    clean = redact_report(report)

    assert DEPLOY_PASSWORD not in clean.model_dump_json()
    assert clean.findings[0].message == f"env: {REDACTED}"


def test_unprivileged_account_gets_a_private_home(tmp_path: Path) -> None:
    from pattern_review.projects.accounts import pr_code_account, why_unreadable

    os.environ["PATTERN_REVIEW_RUN_AS"] = "nobody"
    try:
        account = pr_code_account()
    finally:
        os.environ["PATTERN_REVIEW_RUN_AS"] = "root"
    assert account is not None and account.name == "nobody"
    assert account.home.stat().st_uid == account.uid
    assert account.environment()["HOME"] == str(account.home)
    # pytest's own temporary folders are 0700: the switch refuses to run there.
    assert why_unreadable(account, tmp_path) is not None


def test_tests_the_switched_user_cannot_reach_say_why_and_how_to_run_them(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    if os.geteuid() != 0:
        pytest.skip("the user switch applies to a review that runs as root")
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "nobody")
    git_repo.write("app/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("tests/test_calc.py", "def test_add() -> None:\n    assert True\n")
    git_repo.commit("test")

    done = review_cli(git_repo, "--checks", "pytest")

    # pytest's temporary folders are private to root: nobody may not enter.
    assert done.returncode == 2
    assert "tests not run (the review is root): the user 'nobody'" in done.stderr
    assert "or set PATTERN_REVIEW_RUN_AS=root where the code is trusted" in (
        done.stderr
    )


SETTINGS = (
    "import os\n\n\ndef client_secret() -> str:\n"
    "    return os.environ['FIEF_CLIENT_SECRET']{}\n"
)


def _settings_pr(repo: GitRepo) -> None:
    repo.write("app/__init__.py", "")
    repo.write(
        "app/settings.py",
        SETTINGS.format(""),
    )
    repo.write(
        "tests/test_settings.py",
        "from app.settings import client_secret\n\n\n"
        "def test_the_secret_is_set() -> None:\n    assert client_secret()\n",
    )
    repo.commit("base")
    repo.git("checkout", "-q", "-b", "feature")
    repo.write(
        "app/settings.py",
        SETTINGS.format(".strip()"),
    )
    repo.commit("pr")


def _pytest_detail(repo: GitRepo) -> tuple[str, str]:
    done = review_cli(repo, "--checks", "pytest", "--format", "json")
    check = next(c for c in json.loads(done.stdout)["checks"] if c["name"] == "pytest")
    return check["status"], check["detail"]


def test_a_failing_check_names_the_secret_named_variables_its_code_ran_without(
    git_repo: GitRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _settings_pr(git_repo)
    monkeypatch.setenv("FIEF_CLIENT_SECRET", "s3cret-value")
    monkeypatch.delenv("PATTERN_REVIEW_PASS_ENV", raising=False)

    status, detail = _pytest_detail(git_repo)
    assert status == "failed"
    assert "withheld from the PR's code, as secret-named: FIEF_CLIENT_SECRET" in detail
    assert "PATTERN_REVIEW_PASS_ENV" in detail
    assert "s3cret-value" not in detail

    monkeypatch.setenv("PATTERN_REVIEW_PASS_ENV", "FIEF_CLIENT_SECRET")
    status, detail = _pytest_detail(git_repo)
    assert status == "passed" and "withheld" not in detail
