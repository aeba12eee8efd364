"""``pattern-review action`` and ``publish`` as subprocesses, against a fake GitHub.

Each test builds a real git repository shaped like an Actions checkout (the
workspace at the PR's merge commit, the PR's head elsewhere), an event
payload shaped like GitHub's recorded ones, and the loopback fake REST
server; then runs the real entrypoint with the Actions environment.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pattern_review.models import Report
from pattern_review.target import build_target
from tests.conftest import FIXTURES, SEED_AGENT_FILE
from tests.fakes.github_server import TOKEN, FakeGitHub
from tests.gitrepo import GitRepo

REPOSITORY = "octo-org/app"
PR = 7
FAST_CHECKS = "ruff-format,ruff,conventions"
WEBHOOKS = FIXTURES / "github" / "webhooks"

BASE_CODE = '''\
"""Totals."""

from __future__ import annotations


def total(values: list[int]) -> int:
    """Return the sum."""
    return sum(values)
'''

# Two ruff findings on added lines: an unused import and an unused variable.
HEAD_CODE = '''\
"""Totals."""

from __future__ import annotations

import os


def total(values: list[int]) -> int:
    """Return the sum."""
    unused = 1
    return sum(values)
'''

# The next push fixes the import and keeps the variable.
FIXED_CODE = '''\
"""Totals."""

from __future__ import annotations


def total(values: list[int]) -> int:
    """Return the sum."""
    unused = 1
    return sum(values)
'''


@dataclass
class Result:
    """One run of the entrypoint."""

    code: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


def parse_outputs(text: str) -> dict[str, str]:
    """Read a GITHUB_OUTPUT file written with the multi-line syntax."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        name, delimiter = line.split("<<", 1)
        body: list[str] = []
        for inner in lines:
            if inner == delimiter:
                break
            body.append(inner)
        values[name] = "\n".join(body)
    return values


class World:
    """A PR's repository, its workspace checkout, and the fake GitHub."""

    def __init__(self, tmp: Path, gh: FakeGitHub) -> None:
        self.tmp = tmp
        self.gh = gh
        self.origin = GitRepo(tmp / "origin")
        self.origin.write(
            ".claude/agents/backend-developer.md", SEED_AGENT_FILE.read_text()
        )
        self.origin.write("app/totals.py", BASE_CODE, dedent=False)
        self.base = self.origin.commit("base")
        self.origin.git("checkout", "-q", "-b", "feature")
        self.head = self.push(HEAD_CODE)
        self.workspace = tmp / "workspace"
        subprocess.run(
            [
                "git",
                "clone",
                "-q",
                "-b",
                "main",
                str(self.origin.path),
                str(self.workspace),
            ],
            check=True,
        )
        self.ws = GitRepo(self.workspace)  # re-initialising a clone keeps it
        self.runs = 0

    def push(self, code: str, path: str = "app/totals.py") -> str:
        """Commit new PR code on the origin's feature branch."""
        self.origin.checkout("feature")
        self.origin.write(path, code, dedent=False)
        self.head = self.origin.commit("work")
        return self.head

    def checkout_merge(self) -> str:
        """Put the workspace at a merge of the PR head into base, as Actions does."""
        self.ws.git("fetch", "-q", "origin", "feature:refs/remotes/origin/feature")
        self.ws.git("checkout", "-q", "--detach", self.base)
        self.ws.git("merge", "-q", "--no-ff", "-m", "merge", self.head)
        return self.ws.git("rev-parse", "HEAD")

    def hunks(self) -> dict[str, list[tuple[int, int]]]:
        """RIGHT-side hunks of the PR, as GitHub would validate them."""
        target = build_target(self.origin.path, self.base, self.head)
        return {f.path: list(f.hunks) for f in target.files}

    def add_pull(self) -> None:
        """Open the PR on the fake."""
        self.gh.add_pull(PR, head_sha=self.head, base_sha=self.base, hunks=self.hunks())

    def pr_payload(self, action: str = "opened", **pull: Any) -> dict[str, Any]:
        """A pull_request payload like GitHub's, pointing at this repository."""
        name = "opened.payload.json" if action == "opened" else f"{action}.payload.json"
        payload: dict[str, Any] = json.loads(
            (WEBHOOKS / "pull_request" / name).read_text()
        )
        payload["action"] = action
        payload["number"] = PR
        data = payload["pull_request"]
        data.update(number=PR, draft=False, title="Add totals", body="Please review")
        data["head"].update(sha=self.head, ref="feature")
        data["head"]["repo"]["full_name"] = REPOSITORY
        data["base"].update(sha=self.base, ref="main")
        data.update(pull)
        payload["repository"]["full_name"] = REPOSITORY
        payload["repository"]["default_branch"] = "main"
        return payload

    def run(
        self,
        payload: dict[str, Any],
        event: str = "pull_request",
        *,
        sha: str | None = None,
        ref: str = f"refs/pull/{PR}/merge",
        inputs: dict[str, str] | None = None,
        argv: tuple[str, ...] = ("action",),
        token: str = TOKEN,
        extra_env: dict[str, str] | None = None,
    ) -> Result:
        """Run the entrypoint with the Actions environment."""
        self.runs += 1
        folder = self.tmp / f"run{self.runs}"
        folder.mkdir()
        event_path = folder / "event.json"
        event_path.write_text(json.dumps(payload))
        summary, outputs = folder / "summary.md", folder / "output.txt"
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(
                ("GITHUB_", "INPUT_", "ANTHROPIC_", "PATTERN_REVIEW_")
            )
        }
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME=event,
            GITHUB_EVENT_PATH=str(event_path),
            GITHUB_REPOSITORY=REPOSITORY,
            GITHUB_WORKSPACE=str(self.workspace),
            GITHUB_SHA=sha or self.ws.git("rev-parse", "HEAD"),
            GITHUB_REF=ref,
            GITHUB_API_URL=self.gh.base_url,
            GITHUB_SERVER_URL="http://github.example",
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_OUTPUT=str(outputs),
            GITHUB_TOKEN=token,
            XDG_CACHE_HOME=str(self.tmp / "cache"),
            PATTERN_REVIEW_GITHUB_THROTTLE_S="0",
            PATTERN_REVIEW_GITHUB_BACKOFF_S="0",
            **{"INPUT_GITHUB-TOKEN": token, "INPUT_CHECKS": FAST_CHECKS},
        )
        env.update({f"INPUT_{k.upper()}": v for k, v in (inputs or {}).items()})
        env.update(extra_env or {})
        done = subprocess.run(
            [sys.executable, "-m", "pattern_review", *argv],
            cwd=self.workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        return Result(
            done.returncode,
            done.stdout,
            done.stderr,
            summary.read_text() if summary.exists() else "",
            parse_outputs(outputs.read_text()) if outputs.exists() else {},
        )


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(REPOSITORY)
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def world(tmp_path: Path, gh: FakeGitHub) -> World:
    return World(tmp_path, gh)


def _annotations(gh: FakeGitHub) -> list[dict[str, Any]]:
    (run,) = gh.check_runs.values()
    annotations: list[dict[str, Any]] = run["annotations"]
    return annotations


def _rules(result: Result) -> set[str]:
    return set(re.findall(r"\b(F401|F841)\b", result.summary))


def test_pr_opened_posts_comment_review_check_run_summary_outputs(world: World) -> None:
    world.add_pull()
    merge = world.checkout_merge()
    result = world.run(world.pr_payload(), sha=merge)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    gh = world.gh
    # One sticky comment, naming both findings.
    assert len(gh.issue_comments) == 1
    body = gh.issue_comments[0]["body"]
    assert "F401" in body and "F841" in body
    # One review, its comments only on lines inside the diff, on the head sha.
    assert len(gh.reviews) == 1
    assert gh.reviews[0]["commit_id"] == world.head
    hunks = world.hunks()
    assert gh.review_comments
    for comment in gh.review_comments:
        ranges = hunks[comment["path"]]
        assert any(a <= comment["line"] <= b for a, b in ranges)
    # One check run on the PR head (not the merge commit), annotating every
    # finding that has no inline comment on its line (one home per line).
    assert len(gh.check_runs) == 1
    (run,) = gh.check_runs.values()
    assert run["head_sha"] == world.head != merge
    assert run["conclusion"] == "failure"
    commented = {(c["path"], c["line"]) for c in gh.review_comments}
    annotated = {(a["path"], a["start_line"]) for a in _annotations(gh)}
    assert not commented & annotated
    assert {path for path, _ in commented | annotated} == {"app/totals.py"}
    assert len(_annotations(gh)) + len(gh.review_comments) == int(
        result.outputs["findings-count"]
    )
    assert int(result.outputs["findings-count"]) >= 2
    # Summary and outputs.
    assert _rules(result) == {"F401", "F841"}
    assert result.outputs["conclusion"] == "failure"
    assert result.outputs["comment-url"] == gh.issue_comments[0]["html_url"]
    assert int(result.outputs["errors-count"]) >= 1
    # The workspace was left at the merge commit.
    assert world.ws.git("rev-parse", "HEAD") == merge
    assert world.ws.git("worktree", "list").count("\n") == 0


def test_synchronize_edits_the_comment_shows_fixed_and_posts_no_duplicates(
    world: World,
) -> None:
    world.add_pull()
    first = world.run(world.pr_payload(), sha=world.checkout_merge())
    assert first.code == 1, first.stderr
    inline_before = len(world.gh.review_comments)
    comment_id = world.gh.issue_comments[0]["id"]

    world.push(FIXED_CODE)
    world.gh.pulls[PR].head_sha = world.head
    second = world.run(world.pr_payload("synchronize"), sha=world.checkout_merge())
    assert second.code == 1, second.stderr
    gh = world.gh
    assert len(gh.issue_comments) == 1
    assert gh.issue_comments[0]["id"] == comment_id
    assert gh.calls("PATCH", r"/issues/comments/\d+$")
    body = gh.issue_comments[0]["body"]
    assert re.search(r"(?i)fixed", body)
    assert "F401" in body  # listed as fixed
    # F841 was already commented inline: not posted again.
    posted = [c["body"] for c in gh.review_comments]
    assert sum("F841" in text for text in posted) == 1
    assert len(gh.review_comments) == inline_before
    assert len(gh.check_runs) == 2


def test_read_only_token_falls_back_to_summary_and_annotations(world: World) -> None:
    world.add_pull()
    world.gh.read_only = True
    result = world.run(world.pr_payload(), sha=world.checkout_merge())
    assert result.code == 1
    assert "Traceback" not in result.stderr + result.stdout
    assert not world.gh.issue_comments and not world.gh.check_runs
    assert re.search(r"^::error file=app/totals.py,line=\d+", result.stdout, re.M)
    assert _rules(result) == {"F401", "F841"}
    assert "cannot write" in result.summary or "write access" in result.summary
    assert result.outputs["conclusion"] == "failure"


def test_clean_pr_succeeds_with_exit_zero(world: World) -> None:
    world.push(
        BASE_CODE + "\n\ndef double(value: int) -> int:\n"
        '    """Return twice the value."""\n    return 2 * value\n'
    )
    world.add_pull()
    result = world.run(world.pr_payload(), sha=world.checkout_merge())
    assert result.code == 0, result.stderr
    assert result.outputs["conclusion"] == "success"
    assert result.outputs["findings-count"] == "0"
    (run,) = world.gh.check_runs.values()
    assert run["conclusion"] == "success"


def test_pull_request_target_never_runs_pr_code(world: World) -> None:
    marker = world.tmp / "pwned"
    conftest = f"from pathlib import Path\nPath({str(marker)!r}).write_text('ran')\n"
    world.push(conftest, "tests/conftest.py")
    world.push("def test_ok() -> None:\n    assert True\n", "tests/test_ok.py")
    world.push(HEAD_CODE)
    # A mypy plugin is PR code too.
    plugin = world.tmp / "plugin-ran"
    world.push(
        f"from pathlib import Path\nPath({str(plugin)!r}).write_text('ran')\n",
        "evilplugin.py",
    )
    # The PR also tries to silence the review for itself.
    world.push(
        '[tool.pattern-review]\nignore = ["F401"]\n\n'
        '[tool.mypy]\nplugins = ["evilplugin"]\n',
        "pyproject.toml",
    )
    world.add_pull()
    payload = world.pr_payload()
    # pull_request_target: the workspace is the base branch, GITHUB_SHA its tip.
    result = world.run(
        payload,
        "pull_request_target",
        sha=world.base,
        ref="refs/heads/main",
        inputs={"checks": "ruff-format,ruff,mypy,pytest,conventions"},
    )
    assert not marker.exists()
    assert not plugin.exists()
    assert "Traceback" not in result.stderr
    assert result.code == 1, result.stderr
    body = world.gh.issue_comments[0]["body"]
    assert "pytest" in body and "pull_request_target" in body
    # The config came from the base commit: the PR could not ignore F401.
    assert "F401" in body


def test_a_draft_pr_is_reviewed_and_skipping_drafts_is_never_a_green_job(
    world: World,
) -> None:
    world.add_pull()
    payload = world.pr_payload(draft=True)
    skip = {"review-drafts": "false"}
    skipped = world.run(payload, sha=world.checkout_merge(), inputs=skip)
    assert skipped.code == 1, skipped.stderr
    assert "draft" in skipped.summary
    assert "ready_for_review" in skipped.stderr
    assert skipped.outputs["conclusion"] == "neutral"
    assert set(skipped.outputs) == {
        "conclusion",
        "findings-count",
        "errors-count",
        "comment-url",
        "sarif-file",
        "report-json",
    }
    # One write: the neutral check run that says why, on the PR's head.
    assert not world.gh.issue_comments
    [run] = world.gh.check_runs.values()
    assert (run["conclusion"], run["head_sha"]) == ("neutral", world.head)
    assert run["output"]["title"] == "pattern-review: skipped: draft"
    reviewed = world.run(payload)  # drafts are reviewed by default
    assert reviewed.code == 1
    assert len(world.gh.issue_comments) == 1


def test_skipped_draft_still_saves_a_report_that_publishes_nothing(
    world: World,
) -> None:
    world.add_pull()
    skipped = world.run(
        world.pr_payload(draft=True),
        sha=world.checkout_merge(),
        inputs={
            "json-file": "out/report.json",
            "sarif-file": "out/report.sarif",
            "review-drafts": "false",
        },
        token="",
    )
    assert skipped.code == 1, skipped.stderr
    saved = world.workspace / "out" / "report.json"
    assert skipped.outputs["report-json"] == str(saved)
    # No analysis, no SARIF: an empty log would close every code-scanning alert.
    assert skipped.outputs["sarif-file"] == ""
    assert not (world.workspace / "out" / "report.sarif").exists()
    assert skipped.outputs["findings-count"] == "0"
    report = Report.model_validate_json(saved.read_text())
    assert (report.conclusion, report.findings, report.head) == (
        "neutral",
        [],
        world.head,
    )
    assert {c.status for c in report.checks} == {"skipped"}
    assert all("draft" in c.detail for c in report.checks)
    # The fork-safe recipe's publishing run, and the sharded recipe's CLI.
    published = world.run(
        {"workflow_run": {"head_sha": world.head}},
        "workflow_run",
        inputs={"report": str(saved)},
        ref="refs/heads/main",
    )
    merged = world.run(
        {}, "workflow_run", argv=("publish", str(saved), str(saved)), inputs={}
    )
    for result in (published, merged):
        assert result.code == 1, result.stderr
        assert "draft" in result.stdout
    assert published.outputs["conclusion"] == "neutral"
    assert "draft" in published.summary
    # No review is claimed: no comment, only neutral "skipped: draft" runs.
    assert not world.gh.issue_comments
    assert {r["conclusion"] for r in world.gh.check_runs.values()} == {"neutral"}


def _dispatch_payload(inputs: dict[str, str] | None = None) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        (WEBHOOKS / "workflow_dispatch" / "payload.json").read_text()
    )
    payload["ref"] = "refs/heads/feature"
    payload["inputs"] = inputs or {}
    payload["repository"]["full_name"] = REPOSITORY
    payload["repository"]["default_branch"] = "main"
    return payload


def test_workflow_dispatch_with_an_open_pr_comments_on_it(world: World) -> None:
    world.add_pull()
    world.ws.git("checkout", "-q", "-b", "feature", "origin/feature")
    result = world.run(
        _dispatch_payload(), "workflow_dispatch", ref="refs/heads/feature"
    )
    assert result.code == 1, result.stderr
    assert world.gh.calls("GET", rf"/repos/{REPOSITORY}/pulls$")
    assert len(world.gh.issue_comments) == 1
    (run,) = world.gh.check_runs.values()
    assert run["head_sha"] == world.head


def _pr_into_a_release_branch(world: World) -> None:
    """Branch ``feature`` off ``release``, which has a commit ``main`` lacks."""
    world.origin.checkout("main")
    world.origin.checkout("-b", "release")
    world.origin.write("app/release.py", "import os\n", dedent=False)  # F401
    world.origin.commit("release work")
    world.origin.checkout("feature")
    world.origin.git("merge", "-q", "--no-edit", "release")
    world.head = world.origin.git("rev-parse", "HEAD")
    world.gh.add_pull(PR, head_sha=world.head, base_sha=world.base, base_ref="release")
    world.ws.git("fetch", "-q", "origin")
    world.ws.git("checkout", "-q", "-b", "feature", "origin/feature")


@pytest.mark.parametrize("inputs", [{}, {"pr": str(PR)}], ids=["found", "named"])
def test_workflow_dispatch_compares_with_the_base_branch_of_the_prs_branch(
    world: World, inputs: dict[str, str]
) -> None:
    _pr_into_a_release_branch(world)
    result = world.run(
        _dispatch_payload(inputs), "workflow_dispatch", ref="refs/heads/feature"
    )
    assert result.code == 1, result.stderr
    assert "base: release, the base branch of PR #7" in result.stdout
    assert "app/totals.py" in result.summary
    assert "app/release.py" not in result.summary  # release's own commit
    assert len(world.gh.issue_comments) == 1


def test_workflow_dispatch_takes_no_base_from_a_pr_of_another_branch(
    world: World,
) -> None:
    _pr_into_a_release_branch(world)
    world.ws.checkout("main")
    result = world.run(
        _dispatch_payload({"pr": str(PR)}),
        "workflow_dispatch",
        sha=world.ws.git("rev-parse", "HEAD"),
        ref="refs/heads/main",
    )
    assert result.code == 0, result.stderr
    assert "PR #7 has head feature, not main" in result.stdout
    assert "base branch of PR" not in result.stdout


def test_workflow_dispatch_refuses_a_pr_base_git_could_misread(world: World) -> None:
    world.add_pull()
    world.gh.pulls[PR].base_ref = "--upload-pack=touch /tmp/x"
    world.ws.git("checkout", "-q", "-b", "feature", "origin/feature")
    result = world.run(
        _dispatch_payload(), "workflow_dispatch", ref="refs/heads/feature"
    )
    assert result.code == 1, result.stderr
    assert "its base is not usable" in result.stdout
    assert _rules(result) == {"F401", "F841"}  # reviewed against main instead


def test_workflow_dispatch_base_input_wins_over_the_prs_base(world: World) -> None:
    _pr_into_a_release_branch(world)
    result = world.run(
        _dispatch_payload({"base": "main", "pr": str(PR)}),
        "workflow_dispatch",
        ref="refs/heads/feature",
    )
    assert result.code == 1, result.stderr
    assert "base branch of PR" not in result.stdout
    assert "app/release.py" in result.summary
    # The PR was named: it is not looked up, and the comment goes on it.
    assert not world.gh.calls("GET", rf"/repos/{REPOSITORY}/pulls$")
    assert len(world.gh.issue_comments) == 1


def test_workflow_dispatch_without_a_pr_gives_check_run_and_summary(
    world: World,
) -> None:
    world.ws.git("checkout", "-q", "-b", "feature", "origin/feature")
    result = world.run(
        _dispatch_payload({"base": "main"}),
        "workflow_dispatch",
        ref="refs/heads/feature",
    )
    assert result.code == 1, result.stderr
    assert not world.gh.issue_comments and not world.gh.reviews
    (run,) = world.gh.check_runs.values()
    assert run["head_sha"] == world.head
    assert _rules(result) == {"F401", "F841"}
    assert "no open PR" in result.stdout


def test_push_gets_a_check_run_only(world: World) -> None:
    world.add_pull()
    world.ws.git("checkout", "-q", "-b", "feature", "origin/feature")
    payload: dict[str, Any] = json.loads(
        (WEBHOOKS / "push" / "payload.json").read_text()
    )
    payload.update(
        ref="refs/heads/feature", before=world.base, after=world.head, deleted=False
    )
    payload["repository"]["full_name"] = REPOSITORY
    result = world.run(payload, "push", ref="refs/heads/feature")
    assert result.code == 1, result.stderr
    assert not world.gh.issue_comments and not world.gh.reviews
    assert len(world.gh.check_runs) == 1


def test_unknown_event_is_a_usage_error(world: World) -> None:
    result = world.run({"action": "created"}, "issue_comment")
    assert result.code == 2
    assert "unsupported event 'issue_comment'" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_head_commit_is_reported_clearly(world: World) -> None:
    world.add_pull()
    payload = world.pr_payload()
    payload["pull_request"]["head"]["sha"] = "1" * 40
    result = world.run(payload, sha=world.checkout_merge())
    assert result.code == 2
    assert "could not be fetched" in result.stderr
    assert "Traceback" not in result.stderr


def test_head_fetched_from_origin_when_missing(world: World) -> None:
    world.add_pull()
    # A fresh clone of base only: the PR head is not in the workspace yet.
    world.ws.git("checkout", "-q", "--detach", world.base)
    world.ws.git("branch", "-q", "-D", "main")
    world.ws.git("update-ref", "-d", "refs/remotes/origin/feature")
    world.ws.git("reflog", "expire", "--expire=now", "--all")
    world.ws.git("gc", "-q", "--prune=now")
    missing = subprocess.run(
        ["git", "cat-file", "-e", world.head], cwd=world.workspace, check=False
    )
    assert missing.returncode != 0
    result = world.run(world.pr_payload(), sha=world.base)
    assert result.code == 1, result.stderr
    assert len(world.gh.check_runs) == 1


def _timeless(body: str) -> str:
    """The comment without check durations, which differ run to run."""
    return re.sub(r"\| \d+\.\d+ s \|", "| ? s |", body)


def _save_report(world: World, name: str = "report.json") -> Path:
    result = world.run(
        world.pr_payload(),
        sha=world.checkout_merge(),
        inputs={
            "json-file": name,
            "comment": "false",
            "inline-comments": "false",
            "check-run": "false",
        },
        token="",
    )
    assert result.code == 1, result.stderr
    path = world.workspace / name
    assert result.outputs["report-json"] == str(path)
    return path


def test_publish_of_saved_report_posts_like_a_direct_run(
    world: World, tmp_path: Path
) -> None:
    world.add_pull()
    saved = _save_report(world)
    assert not world.gh.writes()
    published = world.run(
        {"workflow_run": {"head_sha": world.head}},
        "workflow_run",
        inputs={"report": str(saved)},
        ref="refs/heads/main",
    )
    assert published.code == 1, published.stderr
    via_publish = (
        _timeless(world.gh.issue_comments[0]["body"]),
        sorted((c["path"], c["line"]) for c in world.gh.review_comments),
        sorted((a["path"], a["start_line"]) for a in _annotations(world.gh)),
    )
    # The same PR reviewed directly, on a fresh fake and a fresh runner (no
    # outcomes to reuse from the run that saved the report), posts the same.
    shutil.rmtree(world.tmp / "cache", ignore_errors=True)
    with FakeGitHub(REPOSITORY) as fresh:
        world.gh = fresh
        world.add_pull()
        direct = world.run(world.pr_payload(), sha=world.checkout_merge())
        assert direct.code == 1
        assert via_publish == (
            _timeless(fresh.issue_comments[0]["body"]),
            sorted((c["path"], c["line"]) for c in fresh.review_comments),
            sorted((a["path"], a["start_line"]) for a in _annotations(fresh)),
        )


def test_publish_refuses_a_report_whose_head_moved_on(world: World) -> None:
    world.add_pull()
    saved = _save_report(world)
    world.gh.pulls[PR].head_sha = "2" * 40
    result = world.run(
        {"workflow_run": {}}, "workflow_run", inputs={"report": str(saved)}
    )
    assert result.code == 2
    assert "refusing to post a stale review" in result.stderr
    assert not world.gh.writes()


def test_publish_cli_merges_shards(world: World) -> None:
    world.add_pull()
    saved = _save_report(world)
    data = json.loads(saved.read_text())
    first, second = dict(data), dict(data)
    first["findings"] = [f for f in data["findings"] if f["rule"] == "F401"]
    second["findings"] = [f for f in data["findings"] if f["rule"] != "F401"]
    shards = []
    for index, shard in enumerate((first, second)):
        path = world.tmp / f"shard{index}.json"
        path.write_text(json.dumps(shard))
        shards.append(str(path))
    result = world.run(
        {}, "workflow_run", argv=("publish", *shards), inputs={"report": ""}
    )
    assert result.code == 1, result.stderr
    body = world.gh.issue_comments[0]["body"]
    assert "F401" in body and "F841" in body
    # Each finding has one home: an inline comment or an annotation.
    homes = len(_annotations(world.gh)) + len(world.gh.review_comments)
    assert homes == len(data["findings"])


def test_review_rejected_with_422_puts_findings_in_the_comment(world: World) -> None:
    world.add_pull()
    world.gh.fail("POST", r"/pulls/\d+/reviews$", 422)
    result = world.run(world.pr_payload(), sha=world.checkout_merge())
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert not world.gh.reviews
    body = world.gh.issue_comments[0]["body"]
    assert "F401" in body and "F841" in body
    assert "422" in result.stdout
    assert len(world.gh.check_runs) == 1


def test_502_and_secondary_rate_limit_are_retried(world: World) -> None:
    world.add_pull()
    world.gh.fail("GET", rf"/pulls/{PR}$", 502)
    world.gh.secondary_rate_limit("POST", r"/check-runs$", retry_after=1)
    result = world.run(world.pr_payload(), sha=world.checkout_merge())
    assert result.code == 1, result.stderr
    assert len(world.gh.calls("POST", r"/check-runs$")) == 2
    assert len(world.gh.check_runs) == 1
    assert len(world.gh.issue_comments) == 1
    assert len(world.gh.reviews) == 1


def test_many_findings_fit_every_github_limit(world: World) -> None:
    imports = "".join(f"import module_{n:04d}\n" for n in range(700))
    world.push(BASE_CODE + "\n" + imports)
    world.add_pull()
    result = world.run(
        world.pr_payload(),
        sha=world.checkout_merge(),
        inputs={"max-inline-comments": "5"},
    )
    assert result.code == 1, result.stderr
    count = int(result.outputs["findings-count"])
    assert count >= 700
    body = world.gh.issue_comments[0]["body"]
    # 700 findings of one rule in one file fold into one line of the comment.
    assert len(body) <= 65_536
    assert "×700" in body and "`F401`" in body
    assert len(world.gh.review_comments) == 5
    # Every finding without an inline comment is annotated, in requests of at
    # most 50.
    assert len(_annotations(world.gh)) == count - 5
    sent = world.gh.calls("POST", r"/check-runs$") + world.gh.calls(
        "PATCH", r"/check-runs/\d+$"
    )
    assert all(
        len((r.body.get("output") or {}).get("annotations") or []) <= 50 for r in sent
    )
    # The job summary is the comment, within its own limit.
    assert len(result.summary.encode()) <= 1024 * 1024


def test_stale_head_posts_nothing_on_the_pr(world: World) -> None:
    world.add_pull()
    world.gh.pulls[PR].head_sha = "3" * 40  # a newer push landed meanwhile
    result = world.run(world.pr_payload(), sha=world.checkout_merge())
    assert "Traceback" not in result.stderr
    assert result.code == 1
    assert not world.gh.issue_comments and not world.gh.reviews
    assert "moved on" in result.stdout or "moved to" in result.stdout
    # A check run, if any, is only ever on the commit that was reviewed.
    assert all(r["head_sha"] == world.head for r in world.gh.check_runs.values())


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"fail-on": "sometimes"}, "bad value for fail-on: Input should be"),
        ({"max-inline-comments": "many"}, "max-inline-comments must be a whole number"),
        ({"comment": "perhaps"}, "comment must be true or false"),
    ],
)
def test_bad_inputs_are_one_line_usage_errors(
    world: World, inputs: dict[str, str], message: str
) -> None:
    world.add_pull()
    result = world.run(world.pr_payload(), sha=world.checkout_merge(), inputs=inputs)
    assert result.code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not world.gh.writes()


def test_force_push_with_a_vanished_before_compares_with_default_branch(
    world: World,
) -> None:
    world.ws.git("checkout", "-q", "-b", "feature", "origin/feature")
    payload: dict[str, Any] = json.loads(
        (WEBHOOKS / "push" / "payload.json").read_text()
    )
    payload.update(ref="refs/heads/feature", before="4" * 40, after=world.head)
    payload.update(deleted=False)
    payload["repository"].update(full_name=REPOSITORY, default_branch="main")
    result = world.run(payload, "push", ref="refs/heads/feature")
    assert result.code == 1, result.stderr
    assert "base: main" in result.stdout
    (run,) = world.gh.check_runs.values()
    assert run["head_sha"] == world.head


def test_a_change_in_one_project_follows_that_projects_agent_file(
    world: World,
) -> None:
    # A monorepo project with its own rulebook: its team dropped the Celery
    # section, so the action must cite and enforce that file, not the root's.
    seed = SEED_AGENT_FILE.read_text()
    without_celery = (
        seed[: seed.index("### Celery Task Pattern")]
        + seed[seed.index("## Style Rules") :]
    )
    # The project's agent file is on the base branch: one the PR added would
    # not be its rulebook.
    world.origin.checkout("main")
    world.origin.write("backend/pyproject.toml", '[project]\nname = "backend"\n')
    world.origin.write("backend/.claude/agents/backend-developer.md", without_celery)
    world.base = world.origin.commit("backend project")
    world.origin.git("checkout", "-q", "-B", "feature", world.base)
    world.ws.git("fetch", "-q", "origin", "+main:refs/remotes/origin/main")
    world.ws.git("update-ref", "-d", "refs/remotes/origin/feature")
    world.head = world.push(
        "from celery import shared_task\n\n\n"
        "@shared_task\ndef ping() -> None:\n    pass\n",
        path="backend/app/tasks.py",
    )
    world.add_pull()

    result = world.run(
        world.pr_payload(),
        sha=world.checkout_merge(),
        inputs={"checks": "conventions", "json-file": "out/report.json"},
    )

    assert result.code in (0, 1), result.stderr
    report = Report.model_validate_json(
        (world.workspace / "out" / "report.json").read_text()
    )
    assert report.agent_file == "backend/.claude/agents/backend-developer.md", (
        result.stderr
    )
    assert not [f for f in report.findings if f.rule.startswith("TSK")]
