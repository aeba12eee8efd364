"""``pattern-review publish``: loading, merging and refusing saved reports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pattern_review.cli import main as cli_main
from pattern_review.commands.publish import (
    PublishError,
    load_reports,
    merge_reports,
)
from pattern_review.models import CheckResult, Finding, Report, TargetInfo
from tests.fakes.github_server import TOKEN, FakeGitHub

REPOSITORY = "octo-org/app"
HEAD = "a" * 40
BASE = "b" * 40


def _finding(rule: str, line: int, fingerprint: str) -> Finding:
    return Finding(
        rule=rule,
        pattern="completion-checklist",
        source="ruff",
        severity="error",
        path="app/x.py",
        line=line,
        message=f"{rule} problem",
        fingerprint=fingerprint,
    )


def _report(
    findings: list[Finding],
    checks: list[CheckResult],
    *,
    head: str = HEAD,
    pr: int | None = 7,
    conclusion: str = "failure",
) -> Report:
    return Report.model_validate(
        {
            "conclusion": conclusion,
            "base": BASE,
            "head": head,
            "target": TargetInfo(repository=REPOSITORY, pr=pr, event="pull_request"),
            "findings": findings,
            "checks": checks,
            "diff_hunks": {"app/x.py": [(1, 40)]},
        }
    )


def _save(tmp_path: Path, name: str, report: Report) -> str:
    path = tmp_path / name
    path.write_text(report.model_dump_json())
    return str(path)


def test_merge_unites_findings_and_keeps_each_check_at_its_worst() -> None:
    shared = _finding("F401", 3, "fp-shared")
    first = _report(
        [shared, _finding("F841", 9, "fp-1")],
        [
            CheckResult(name="ruff", status="failed", duration_s=1.0, detail="2 found"),
            CheckResult(name="mypy", status="skipped", detail="not requested"),
        ],
    )
    second = _report(
        [shared, _finding("E501", 20, "fp-2")],
        [
            CheckResult(name="ruff", status="skipped", detail="not requested"),
            CheckResult(
                name="mypy", status="error", duration_s=2.5, detail="timed out"
            ),
        ],
        conclusion="neutral",
    )
    merged = merge_reports([first, second])
    assert sorted(f.fingerprint for f in merged.findings) == [
        "fp-1",
        "fp-2",
        "fp-shared",
    ]
    checks = {c.name: c for c in merged.checks}
    assert [c.name for c in merged.checks] == ["ruff", "mypy"]
    assert checks["ruff"].status == "failed"
    assert checks["mypy"].status == "error"
    assert checks["mypy"].duration_s == 2.5
    assert "timed out" in checks["mypy"].detail
    assert merged.conclusion == "failure"
    assert merged.head == HEAD and merged.target.pr == 7


def test_merge_refuses_shards_of_different_heads() -> None:
    first = _report([], [])
    second = _report([], [], head="c" * 40)
    with pytest.raises(PublishError, match="disagree on the head commit"):
        merge_reports([first, second])


def test_load_reports_gives_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="cannot read report"):
        load_reports([str(tmp_path / "missing.json")])
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"conclusion": "maybe"}))
    with pytest.raises(PublishError, match="is not a pattern-review JSON report"):
        load_reports([str(bad)])


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    with FakeGitHub(REPOSITORY) as fake:
        fake.add_pull(7, head_sha=HEAD, base_sha=BASE, hunks={"app/x.py": [(1, 40)]})
        yield fake


@pytest.fixture
def actions_env(
    gh: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The environment a publish step runs in (no PR code, a token)."""
    for name in ("GITHUB_EVENT_NAME", "GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITHUB_API_URL", gh.base_url)
    monkeypatch.setenv("GITHUB_REPOSITORY", REPOSITORY)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    monkeypatch.setenv("GITHUB_OUTPUT", str(tmp_path / "outputs"))
    monkeypatch.setenv("PATTERN_REVIEW_GITHUB_THROTTLE_S", "0")
    monkeypatch.setenv("PATTERN_REVIEW_GITHUB_BACKOFF_S", "0")
    return tmp_path


def _checks() -> list[CheckResult]:
    return [CheckResult(name="ruff", status="failed", detail="1 found")]


def test_publish_posts_comment_review_and_check_run(
    gh: FakeGitHub, actions_env: Path
) -> None:
    path = _save(actions_env, "r.json", _report([_finding("F401", 3, "fp")], _checks()))
    code = cli_main(["publish", path, "--repo", str(actions_env)])
    assert code == 1
    assert len(gh.issue_comments) == 1 and "F401" in gh.issue_comments[0]["body"]
    assert [c["line"] for c in gh.review_comments] == [3]
    (run,) = gh.check_runs.values()
    # The finding's one home on line 3 is its inline comment: no annotation.
    assert run["head_sha"] == HEAD and run["annotations"] == []
    outputs = (actions_env / "outputs").read_text()
    assert gh.issue_comments[0]["html_url"] in outputs
    assert "F401" in (actions_env / "summary.md").read_text()


def test_publish_success_report_exits_zero(gh: FakeGitHub, actions_env: Path) -> None:
    report = _report(
        [], [CheckResult(name="ruff", status="passed")], conclusion="success"
    )
    code = cli_main(["publish", _save(actions_env, "ok.json", report)])
    assert code == 0
    (run,) = gh.check_runs.values()
    assert run["conclusion"] == "success"


def test_publish_refuses_a_stale_report(
    gh: FakeGitHub, actions_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.pulls[7].head_sha = "d" * 40
    path = _save(actions_env, "r.json", _report([_finding("F401", 3, "fp")], _checks()))
    assert cli_main(["publish", path]) == 2
    assert "refusing to post a stale review" in capsys.readouterr().err
    assert not gh.writes()


def test_publish_refuses_a_report_of_another_repository(
    gh: FakeGitHub, actions_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _save(actions_env, "r.json", _report([], _checks()))
    assert cli_main(["publish", path, "--repository", "someone/else"]) == 2
    assert "refusing to publish it here" in capsys.readouterr().err
    assert not gh.requests


def test_publish_without_a_token_is_a_usage_error(
    gh: FakeGitHub,
    actions_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN")
    path = _save(actions_env, "r.json", _report([], _checks()))
    assert cli_main(["publish", path]) == 2
    assert "no GitHub token" in capsys.readouterr().err
    assert not gh.requests


def test_publish_of_a_bad_file_is_a_usage_error(
    actions_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = actions_env / "bad.json"
    bad.write_text("{")
    assert cli_main(["publish", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "is not a pattern-review JSON report" in err
    assert "Traceback" not in err


def test_publish_read_only_token_falls_back_without_traceback(
    gh: FakeGitHub, actions_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh.read_only = True
    path = _save(actions_env, "r.json", _report([_finding("F401", 3, "fp")], _checks()))
    assert cli_main(["publish", path]) == 1
    out = capsys.readouterr().out
    assert "::error file=app/x.py,line=3" in out
    assert not gh.issue_comments and not gh.check_runs
    assert "write" in (actions_env / "summary.md").read_text()


def test_publish_of_a_skipped_run_posts_nothing_but_a_real_neutral_one_posts(
    gh: FakeGitHub, actions_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reason = "pull_request 'labeled' needs no review"
    skipped = [CheckResult(name="ruff", status="skipped", detail=reason)]
    report = _report([], skipped, conclusion="neutral")
    assert cli_main(["publish", _save(actions_env, "skip.json", report)]) == 0
    assert reason in capsys.readouterr().out
    assert not gh.writes()
    # A skipped draft: a neutral "skipped: draft" check run, and a failed job.
    draft = [CheckResult(name="ruff", status="skipped", detail="PR #7 is a draft")]
    report = _report([], draft, conclusion="neutral")
    assert cli_main(["publish", _save(actions_env, "draft.json", report)]) == 1
    assert [r["conclusion"] for r in gh.check_runs.values()] == ["neutral"]
    assert not gh.issue_comments
    assert "neutral" in (actions_env / "outputs").read_text()
    # A neutral review where something ran (an errored check) is published.
    errored = [*skipped, CheckResult(name="mypy", status="error", detail="crashed")]
    report = _report([], errored, conclusion="neutral")
    assert cli_main(["publish", _save(actions_env, "err.json", report)]) == 0
    assert len(gh.issue_comments) == 1
