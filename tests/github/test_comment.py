"""The sticky PR comment: its marker, finding it, and keeping it current."""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator

import pytest
from github import Github

from pattern_review.github.client import make_client
from pattern_review.github.comment import (
    ACTIONS_BOT,
    render_body,
    upsert_comment,
)
from pattern_review.github.marker import (
    MAX_MARKER_CHARS,
    build_marker,
    finding_delta,
    parse_marker,
)
from pattern_review.models import Finding, Report, TargetInfo
from pattern_review.report.markdown import COMMENT_LIMIT
from pattern_review.rulebook.agent_file import AgentFile, builtin_agent_file
from tests.fakes.github_server import TOKEN, FakeGitHub

HEAD = "1" * 40
AUTHORS = frozenset({ACTIONS_BOT})


def finding(n: int, *, message: str = "", severity: str = "error") -> Finding:
    return Finding.model_validate(
        {
            "rule": "RTR001",
            "pattern": "router-pattern",
            "source": "convention",
            "severity": severity,
            "path": f"app/routers/r{n % 7}.py",
            "line": n + 1,
            "message": message or f"route {n} has no response_model",
            "fingerprint": f"fp{n:05d}",
        }
    )


def report(findings: list[Finding]) -> Report:
    return Report(
        conclusion="failure" if findings else "success",
        base="0" * 40,
        head=HEAD,
        target=TargetInfo(repository="octo-org/app", pr=7, event="pull_request"),
        findings=findings,
    )


@pytest.fixture
def agent() -> AgentFile:
    return builtin_agent_file()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub() as server:
        server.add_pull(7, head_sha=HEAD)
        yield server


@pytest.fixture
def gh(fake: FakeGitHub) -> Github:
    return make_client(TOKEN, fake.base_url, throttle_s=0, backoff_s=0)


def _packed(payload: object) -> str:
    data = zlib.compress(json.dumps(payload).encode())
    return f"<!-- pattern-review:v1 {base64.b64encode(data).decode()} -->"


def test_marker_round_trips_fingerprints_and_finding_data() -> None:
    findings = [finding(1), finding(2, severity="warning")]
    data = parse_marker(build_marker(HEAD, findings) + "\nrest of the comment")
    assert data is not None
    assert data.head == HEAD
    assert set(data.findings) == {"fp00001", "fp00002"}
    restored = data.findings["fp00002"]
    assert (restored.rule, restored.path, restored.line, restored.severity) == (
        "RTR001",
        "app/routers/r2.py",
        3,
        "warning",
    )
    assert restored.message == "route 2 has no response_model"


def test_marker_stays_bounded_for_thousands_of_findings() -> None:
    # Incompressible messages force the marker to shed data to fit.
    findings = [
        finding(n, message=base64.b64encode(bytes(range(n % 256)) * 2).decode())
        for n in range(3000)
    ]
    marker = build_marker(HEAD, findings)
    assert len(marker) <= MAX_MARKER_CHARS
    data = parse_marker(marker)
    assert data is not None and 0 < len(data.findings) < 3000


@pytest.mark.parametrize(
    "body",
    [
        "<!-- pattern-review:v1 not base64!! -->",
        "<!-- pattern-review:v1 aGVsbG8= -->",  # base64, not zlib
        _packed(["not", "a", "dict"]),
        _packed({"head": 5, "f": []}),
        "text first <!-- pattern-review:v1 " + _packed({"head": HEAD, "f": []})[23:],
        # A zip bomb: far more than the decompression bound.
        "<!-- pattern-review:v1 "
        + base64.b64encode(zlib.compress(b" " * 5_000_000)).decode()
        + " -->",
    ],
)
def test_malformed_markers_give_no_data(body: str) -> None:
    assert parse_marker(body) is None


def test_bad_entries_are_dropped_and_good_ones_kept() -> None:
    good = ["fpA", "RTR001", "router-pattern", "convention", "error", "a.py", 3, "m"]
    bad_severity = ["fpB", "R", "router-pattern", "convention", "fatal", "a.py", 3, "m"]
    bad_line = ["fpC", "R", "router-pattern", "convention", "error", "a.py", 0, "m"]
    data = parse_marker(_packed({"head": HEAD, "f": [good, bad_severity, bad_line, 7]}))
    assert data is not None
    assert list(data.findings) == ["fpA"]


def test_delta_lists_new_and_fixed() -> None:
    previous = parse_marker(build_marker(HEAD, [finding(1), finding(2)]))
    delta = finding_delta(previous, [finding(2), finding(3)])
    assert delta is not None
    assert delta.new == {"fp00003"}
    assert [f.fingerprint for f in delta.fixed] == ["fp00001"]
    assert finding_delta(None, [finding(1)]) is None


def test_body_is_cut_to_the_comment_limit(agent: AgentFile) -> None:
    findings = [finding(n, message="x" * 300) for n in range(2000)]
    body = render_body(report(findings), agent, blob_base=None, delta=None)
    assert len(body) <= COMMENT_LIMIT
    assert parse_marker(body) is not None
    assert "more findings" in body


def test_first_run_creates_then_rerun_edits_in_place_and_shows_fixed(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    pull = gh.get_repo("octo-org/app").get_pull(7)
    url, delta = upsert_comment(
        pull, report([finding(1), finding(2)]), agent, authors=AUTHORS, blob_base=None
    )
    assert delta is None
    assert len(fake.issue_comments) == 1
    assert url.endswith(f"#issuecomment-{fake.issue_comments[0]['id']}")

    url2, delta2 = upsert_comment(
        pull, report([finding(2), finding(3)]), agent, authors=AUTHORS, blob_base=None
    )
    assert url2 == url
    assert len(fake.issue_comments) == 1
    assert len(fake.calls("PATCH", r"/issues/comments/\d+$")) == 1
    assert delta2 is not None and delta2.new == {"fp00003"}
    body = fake.issue_comments[0]["body"]
    assert "1 fixed since the last run" in body
    assert "route 1 has no response" in body


def test_imitated_marker_by_another_user_is_not_picked(
    fake: FakeGitHub, gh: Github, agent: AgentFile
) -> None:
    # Someone copies a marker claiming fp00099 was found: it must not show as fixed.
    fake.add_issue_comment(
        7, build_marker(HEAD, [finding(99)]) + "\nfake", login="mallory"
    )
    pull = gh.get_repo("octo-org/app").get_pull(7)
    _, delta = upsert_comment(
        pull, report([finding(1)]), agent, authors=AUTHORS, blob_base=None
    )
    assert delta is None
    assert len(fake.issue_comments) == 2
    assert fake.issue_comments[0]["body"].endswith("\nfake")
    assert fake.issue_comments[1]["user"]["login"] == ACTIONS_BOT


def test_ai_findings_are_not_tracked_so_they_never_show_as_fixed() -> None:
    kept = finding(1)
    advisory = finding(2).model_copy(
        update={"source": "ai", "rule": "AI:service-pattern", "severity": "warning"}
    )
    previous = parse_marker(build_marker(HEAD, [kept, advisory]))

    delta = finding_delta(previous, [kept])  # this run's AI was unavailable

    assert previous is not None
    assert list(previous.findings) == [kept.fingerprint]
    assert delta is not None
    assert delta.fixed == [] and delta.new == set()
