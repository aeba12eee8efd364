"""Delivering a finished review: GitHub, job summary, step outputs, files.

Real files in ``tmp_path`` for the workspace, the job summary and the
``GITHUB_OUTPUT`` file; GitHub is the loopback fake server, reached through
the real PyGithub client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pattern_review.action.deliver import (
    SKIPPED_OUTPUTS,
    DeliverOptions,
    client_for,
    deliver,
    deliver_skipped,
    exit_status,
    is_skipped_report,
    outputs_for,
    skipped_report,
    summary_notes,
    write_outputs_quietly,
    write_report_files,
    write_summary_quietly,
)
from pattern_review.action.env import ActionEnvError, ActionRun
from pattern_review.action.errors import ActionError
from pattern_review.models import CheckResult, Finding, Report, TargetInfo
from pattern_review.rulebook.agent_file import AgentFile, builtin_agent_file
from tests.action.test_e2e import parse_outputs
from tests.fakes.github_server import TOKEN, FakeGitHub

REPOSITORY = "octo-org/app"
PR = 7
HEAD = "4" * 40
PATH = "app/routers/items.py"


def _finding(line: int, severity: str = "error") -> Finding:
    return Finding.model_validate(
        {
            "rule": "RTR001",
            "pattern": "router-pattern",
            "source": "convention",
            "severity": severity,
            "path": PATH,
            "line": line,
            "message": f"APIRouter() on line {line} is missing prefix=",
        }
    )


def _report(*findings: Finding) -> Report:
    return Report(
        conclusion="failure" if findings else "success",
        base="0" * 40,
        head=HEAD,
        target=TargetInfo(repository=REPOSITORY, pr=PR, event="pull_request"),
        findings=list(findings),
        checks=[CheckResult(name="conventions", status="passed")],
        diff_hunks={PATH: [(1, 20)]},
    )


def _run(
    workspace: Path, api_url: str = "", *, token: str = "", **inputs: str
) -> ActionRun:
    return ActionRun(
        event_name="pull_request",
        event_action="synchronize",
        repository=REPOSITORY,
        workspace=workspace,
        api_url=api_url,
        server_url="https://github.com",
        token=token,
        inputs=inputs,
        sha="5" * 40,
        ref=f"refs/pull/{PR}/merge",
        pr=PR,
        base_sha="0" * 40,
        head_sha=HEAD,
        step_summary=workspace.parent / "summary.md",
        output_file=workspace.parent / "output.txt",
    )


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    path = tmp_path / "workspace"
    path.mkdir()
    return path


@pytest.fixture
def agent() -> AgentFile:
    return builtin_agent_file()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    monkeypatch.setenv("PATTERN_REVIEW_GITHUB_THROTTLE_S", "0")
    monkeypatch.setenv("PATTERN_REVIEW_GITHUB_BACKOFF_S", "0")
    with FakeGitHub(REPOSITORY) as server:
        server.add_pull(PR, head_sha=HEAD, hunks={PATH: [(1, 20)]})
        yield server


def _summary(run: ActionRun) -> str:
    assert run.step_summary is not None
    return run.step_summary.read_text(encoding="utf-8")


def _outputs(run: ActionRun) -> dict[str, str]:
    assert run.output_file is not None
    return parse_outputs(run.output_file.read_text(encoding="utf-8"))


# -- small parts --------------------------------------------------------------


def test_only_a_failure_fails_the_step() -> None:
    assert exit_status("failure") == 1
    assert exit_status("success") == 0
    assert exit_status("neutral") == 0


def test_no_token_no_client(workspace: Path) -> None:
    assert client_for(_run(workspace, "http://127.0.0.1:9")) is None


def test_options_come_from_the_inputs(workspace: Path) -> None:
    defaults = DeliverOptions.from_run(_run(workspace), max_inline=30)
    assert defaults == DeliverOptions()
    chosen = DeliverOptions.from_run(
        _run(
            workspace,
            **{
                "comment": "false",
                "inline-comments": "no",
                "check-run": " off ",
                "sarif-file": "out/review.sarif",
                "json-file": "out/review.json",
            },
        ),
        max_inline=5,
        notes=["the base commit is shallow"],
    )
    assert chosen == DeliverOptions(
        comment=False,
        inline=False,
        check_run=False,
        max_inline=5,
        sarif_file="out/review.sarif",
        json_file="out/review.json",
        notes=["the base commit is shallow"],
    )
    with pytest.raises(ActionEnvError, match="input comment must be true or false"):
        DeliverOptions.from_run(_run(workspace, comment="maybe"), max_inline=30)


def test_outputs_count_findings_and_errors() -> None:
    report = _report(_finding(3), _finding(4, "warning"), _finding(5))
    files = {"sarif-file": "/w/r.sarif"}
    assert outputs_for(report, "https://x/c/1", files) == {
        "conclusion": "failure",
        "findings-count": "3",
        "errors-count": "2",
        "comment-url": "https://x/c/1",
        "sarif-file": "/w/r.sarif",
        "report-json": "",
    }


def test_summary_notes_are_an_escaped_callout_or_nothing() -> None:
    assert summary_notes([]) == ""
    text = summary_notes(["branch <b>*main*</b> is protected", "second"])
    assert text.startswith("> [!NOTE]\n> **Publishing to GitHub**\n>\n")
    assert "<b>" not in text and "*main*" not in text
    assert text.endswith("> - second\n\n")


# -- files ----------------------------------------------------------------------


def test_report_files_land_under_the_workspace_or_where_named(
    workspace: Path, agent: AgentFile, tmp_path: Path
) -> None:
    report = _report(_finding(3))
    elsewhere = tmp_path / "abs" / "review.json"
    options = DeliverOptions(sarif_file="out/review.sarif", json_file=str(elsewhere))
    written = write_report_files(_run(workspace), report, agent, options)
    sarif_path = workspace / "out" / "review.sarif"
    assert written == {"sarif-file": str(sarif_path), "report-json": str(elsewhere)}
    sarif = json.loads(sarif_path.read_text(encoding="utf-8"))
    assert [r["ruleId"] for r in sarif["runs"][0]["results"]] == ["RTR001"]
    assert Report.model_validate_json(elsewhere.read_text()) == report
    assert write_report_files(_run(workspace), report, agent, DeliverOptions()) == {}


def test_an_unwritable_report_file_is_an_action_error(
    workspace: Path, agent: AgentFile
) -> None:
    (workspace / "taken").write_text("a file, not a folder")
    options = DeliverOptions(json_file="taken/review.json")
    with pytest.raises(ActionError, match=r"^cannot write report-json .*taken"):
        write_report_files(_run(workspace), _report(), agent, options)


def test_summary_and_outputs_are_appended_and_never_raise(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run(workspace)
    write_summary_quietly(run, "first\n")
    write_summary_quietly(run, "second\n")
    assert _summary(run) == "first\nsecond\n"
    write_outputs_quietly(run, {"conclusion": "success"})
    write_outputs_quietly(run, {"comment-url": ""})
    assert _outputs(run) == {"conclusion": "success", "comment-url": ""}

    blocked = workspace / "blocked"
    blocked.mkdir()
    broken = _run(workspace)
    object.__setattr__(broken, "step_summary", blocked)
    object.__setattr__(broken, "output_file", blocked)
    write_summary_quietly(broken, "lost\n")
    write_outputs_quietly(broken, {"conclusion": "success"})
    err = capsys.readouterr().err
    assert f"pattern-review: cannot write summary file {blocked}" in err
    assert f"pattern-review: cannot write GITHUB_OUTPUT file {blocked}" in err

    nowhere = _run(workspace)
    object.__setattr__(nowhere, "step_summary", None)
    object.__setattr__(nowhere, "output_file", None)
    write_summary_quietly(nowhere, "nothing\n")
    write_outputs_quietly(nowhere, {"conclusion": "success"})
    assert capsys.readouterr().err == ""


# -- a run that needed no review -----------------------------------------------


def test_a_skipped_run_leaves_a_neutral_summary_outputs_and_report(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run(workspace, **{"json-file": "review.json"})
    assert deliver_skipped(run, "the PR is a draft") == 0
    assert capsys.readouterr().out == "pattern-review: skipped: the PR is a draft\n"
    assert _summary(run) == "### pattern-review\n\nSkipped: the PR is a draft.\n"
    path = workspace / "review.json"
    assert _outputs(run) == {**SKIPPED_OUTPUTS, "report-json": str(path)}
    saved = Report.model_validate_json(path.read_text(encoding="utf-8"))
    assert saved == skipped_report(run, "the PR is a draft")
    assert is_skipped_report(saved)
    assert {check.detail for check in saved.checks} == {"the PR is a draft"}
    assert (saved.head, saved.target.pr) == (HEAD, PR)

    plain = _run(workspace.parent / "other")
    assert deliver_skipped(plain, "nothing changed") == 0
    assert _outputs(plain) == SKIPPED_OUTPUTS


def test_a_report_that_ran_or_found_something_is_not_a_skipped_one(
    workspace: Path,
) -> None:
    skipped = skipped_report(_run(workspace), "draft")
    assert not is_skipped_report(_report())
    assert not is_skipped_report(skipped.model_copy(update={"findings": [_finding(3)]}))
    assert not is_skipped_report(skipped.model_copy(update={"checks": []}))


# -- a finished review -------------------------------------------------------------


def test_without_a_token_the_summary_and_annotations_carry_the_review(
    workspace: Path, agent: AgentFile, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _run(workspace)
    options = DeliverOptions(notes=["the base commit is shallow"])
    status = deliver(run, _report(_finding(3)), agent, options, client=None)
    assert status == 1
    out = capsys.readouterr().out
    assert "pattern-review: the base commit is shallow\n" in out
    assert "pattern-review: no GitHub token: results are in this summary only\n" in out
    assert f"::error file={PATH},line=3" in out
    assert out.endswith(f"pattern-review: failure: 1 finding(s) on {HEAD[:12]}\n")
    summary = _summary(run)
    assert summary.startswith("> [!NOTE]\n> **Publishing to GitHub**\n")
    assert "> - no GitHub token: results are in this summary only\n" in summary
    assert "RTR001" in summary
    assert _outputs(run) == {
        "conclusion": "failure",
        "findings-count": "1",
        "errors-count": "1",
        "comment-url": "",
        "sarif-file": "",
        "report-json": "",
    }


def test_a_review_is_posted_and_reported_in_the_job(
    workspace: Path,
    agent: AgentFile,
    fake: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run = _run(workspace, fake.base_url, token=TOKEN)
    options = DeliverOptions(sarif_file="review.sarif", json_file="review.json")
    report = _report(_finding(3), _finding(4, "warning"))
    assert deliver(run, report, agent, options, client=client_for(run)) == 1

    assert len(fake.issue_comments) == 1
    comment = fake.issue_comments[0]
    assert "RTR001" in str(comment["body"])
    assert len(fake.reviews) == 1 and len(fake.review_comments) == 2
    (check_run,) = fake.check_runs.values()
    assert check_run["head_sha"] == HEAD and check_run["conclusion"] == "failure"
    out = capsys.readouterr().out
    # The check run carries the annotations: none in the log.
    assert "::error" not in out and "::warning" not in out
    assert "no GitHub token" not in out
    assert "> [!NOTE]" not in _summary(run)
    assert "RTR001" in _summary(run)
    assert _outputs(run) == {
        "conclusion": "failure",
        "findings-count": "2",
        "errors-count": "1",
        "comment-url": str(comment["html_url"]),
        "sarif-file": str(workspace / "review.sarif"),
        "report-json": str(workspace / "review.json"),
    }
    assert Report.model_validate_json((workspace / "review.json").read_text()) == (
        report
    )


def test_a_clean_review_passes_the_step(
    workspace: Path, agent: AgentFile, fake: FakeGitHub
) -> None:
    run = _run(workspace, fake.base_url, token=TOKEN)
    assert deliver(run, _report(), agent, DeliverOptions(), client=client_for(run)) == 0
    assert _outputs(run)["conclusion"] == "success"
    (check_run,) = fake.check_runs.values()
    assert check_run["conclusion"] == "success"


def test_a_read_only_token_falls_back_to_summary_and_annotations(
    workspace: Path,
    agent: AgentFile,
    fake: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.read_only = True
    run = _run(workspace, fake.base_url, token=TOKEN)
    report = _report(_finding(3))
    assert deliver(run, report, agent, DeliverOptions(), client=client_for(run)) == 1
    assert fake.issue_comments == [] and fake.check_runs == {}
    out = capsys.readouterr().out
    assert (
        "pattern-review: the token cannot write here (a fork's or Dependabot's PR)"
        in (out)
    )
    assert f"::error file={PATH},line=3" in out
    assert "the token cannot write here" in _summary(run)
    assert _outputs(run)["comment-url"] == ""


def test_a_pr_whose_head_moved_on_gets_no_comment_or_review(
    workspace: Path,
    agent: AgentFile,
    fake: FakeGitHub,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.pulls[PR].head_sha = "9" * 40
    run = _run(workspace, fake.base_url, token=TOKEN)
    report = _report(_finding(3))
    assert deliver(run, report, agent, DeliverOptions(), client=client_for(run)) == 1
    # Nothing on the PR; the check run still belongs to the reviewed commit.
    assert fake.issue_comments == [] and fake.reviews == []
    assert [run["head_sha"] for run in fake.check_runs.values()] == [HEAD]
    out = capsys.readouterr().out
    assert (
        f"pattern-review: the PR head moved on from {HEAD[:12]}: nothing was posted "
        "on the PR; the run for the newer commit posts its own review\n" in out
    )
    assert f"::error file={PATH},line=3" in out
    assert _outputs(run)["conclusion"] == "failure"
