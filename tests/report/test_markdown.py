"""The PR comment body: citations, delta, notices, escaping and the size cap."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pattern_review.models import (
    AiInfo,
    CheckResult,
    Finding,
    FindingDelta,
    Report,
    TargetInfo,
)
from pattern_review.report import render
from pattern_review.report.markdown import FIX_FIRST, message_md, render_markdown
from pattern_review.rulebook.agent_file import (
    AgentFile,
    builtin_agent_file,
    parse_agent_file,
)
from tests.conftest import SEED_AGENT_FILE

BLOB = "https://github.example/octo/app/blob/" + "c" * 40
MARKER = "<!-- pattern-review:comment -->\n"
ZWJ = "\u200d"
_FINDING_LINE = re.compile(r"^(?:\d+\. |\s*- )(?:🆕 )?(?:❌|⚠️|💬) ")


def _team_agent() -> AgentFile:
    return parse_agent_file(
        SEED_AGENT_FILE.read_text(encoding="utf-8"),
        ".claude/agents/backend-developer.md",
    )


def _finding(rule: str, severity: str, pattern: str, n: int, **extra: Any) -> Finding:
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": pattern,
            "source": extra.pop("source", "convention"),
            "severity": severity,
            "path": extra.pop("path", f"src/app/file{n}.py"),
            "line": extra.pop("line", n + 1),
            "message": extra.pop("message", f"message {n}"),
            "fingerprint": f"fp{n}",
            **extra,
        }
    )


def _findings() -> list[Finding]:
    return [
        _finding("E501", "warning", "style-rules#4", 1, source="ruff"),
        _finding(
            "RTR001",
            "error",
            "router-pattern",
            2,
            path="src/app/routers/items.py",
            line=12,
            end_line=14,
        ),
        _finding("mypy:arg-type", "note", "completion-checklist", 3, source="mypy"),
        _finding("RTR004", "error", "router-pattern", 4),
    ]


def _report(**update: Any) -> Report:
    report = Report(
        conclusion="failure",
        base="a" * 40,
        head="c" * 40,
        target=TargetInfo(repository="octo/app", pr=7, event="pull_request"),
        findings=_findings(),
        checks=[
            CheckResult(name="ruff-format", status="passed", duration_s=0.12),
            CheckResult(
                name="ruff", status="failed", duration_s=0.3, detail="1 finding"
            ),
        ],
    )
    return report.model_copy(update=update)


def _finding_lines(body: str) -> list[str]:
    return [line for line in body.splitlines() if _FINDING_LINE.match(line)]


def _assert_well_formed(body: str) -> None:
    for tag in ("details", "summary", "sub"):
        assert body.count(f"<{tag}>") == body.count(f"</{tag}>"), tag
    assert body.count("<details>") <= body.count("</details>")
    lines = body.splitlines()
    for closing, after in zip(lines, lines[1:], strict=False):
        # Markdown after raw HTML renders only past a blank line.
        if closing == "</details>":
            assert after == "", after
    for line in lines:
        # Unescaped backticks pair up: no code span left open.
        assert len(re.findall(r"(?<!\\)`", line)) % 2 == 0, line


def test_conclusion_and_summary_tables_link_the_cited_sections() -> None:
    agent = _team_agent()
    body = render_markdown(_report(), agent, blob_base=BLOB)
    assert body.splitlines()[0] == (
        "## ❌ pattern-review: **failure** · 2 errors, 1 warning, 1 note"
    )
    router_url = agent.url_for("router-pattern", BLOB)
    assert router_url is not None and router_url.endswith("#router-pattern")
    assert f"| [Router Pattern]({router_url}) (`router-pattern`) | 2 | 0 | 0 |" in body
    assert "| ruff-format | ✅ passed | 0.12 s |  |" in body
    assert "| ruff | ⚠️ warnings only | 0.30 s | 1 finding |" in body
    _assert_well_formed(body)


def test_fix_first_ranks_by_impact_and_quotes_the_bound_sentence() -> None:
    agent = _team_agent()
    body = render_markdown(_report(), agent, blob_base=BLOB)
    items = [line for line in body.splitlines() if re.match(r"^\d\. ", line)]
    # Errors first, the router findings by path; the mypy note after the E501
    # warning only by severity.
    assert [re.search(r"`([\w:-]+)` ·", i).group(1) for i in items] == [  # type: ignore[union-attr]
        "RTR004",
        "RTR001",
        "E501",
        "mypy:arg-type",
    ]
    assert items[1].startswith(
        f"2. ❌ [src/app/routers/items.py:12]({BLOB}/src/app/routers/items.py#L12-L14)"
    )
    lines = body.splitlines()
    quote = lines[lines.index(items[1]) + 1]
    assert quote == (
        "   > “Use `APIRouter` with `prefix` and `tags`” ([backend-developer.md "
        f"line 129]({BLOB}/.claude/agents/backend-developer.md#L129))"
    )


def test_without_blob_base_there_are_no_links() -> None:
    body = render_markdown(_report(), builtin_agent_file())
    assert "](" not in body
    assert "src/app/routers/items.py:12 · `RTR001`" in body
    assert "(built-in agent file line 129)" in body


def test_built_in_quotes_are_unlinked_and_say_where_the_lines_are() -> None:
    # The built-in file is not in the reviewed repository: a link to its
    # blob would 404, so none is made, even with links on.
    body = render_markdown(_report(), builtin_agent_file(), blob_base=BLOB)
    assert "(built-in agent file line 129)" in body
    assert "backend-developer.md#L" not in body
    assert body.rstrip().endswith(
        "<sub>Patterns cited from `backend-developer.md (built-in)`, which ships "
        "with pattern-review; `pattern-review rules --coverage` lists its "
        "lines.</sub>"
    )
    # A team's file is in the repository: its quotes link to their lines.
    team = render_markdown(_report(), _team_agent(), blob_base=BLOB)
    assert ".claude/agents/backend-developer.md#L129)" in team
    assert "rules --coverage" not in team


def test_delta_marks_new_and_still_open_and_lists_fixed() -> None:
    fixed = _finding("SVC001", "error", "service-pattern", 9, message="gone now")
    delta = FindingDelta(new={"fp2"}, fixed=[fixed])
    body = render_markdown(_report(), builtin_agent_file(), delta=delta)
    lines = _finding_lines(body)
    new = [line for line in lines if "🆕" in line]
    assert len(new) == 1 and "`RTR001`" in new[0]
    assert lines[0] == new[0]  # what this push brought leads
    assert "still open" not in body
    assert "<summary>✅ 1 fixed since the last run</summary>" in body
    assert "- ~~`SVC001`~~ · src/app/file9.py:10 · gone now" in body
    assert body.splitlines()[0].endswith("· 1 new, 1 fixed")


def test_the_rest_is_collapsed_by_pattern_with_repeats_folded() -> None:
    findings = (
        [_finding(f"RTR{n:03}", "error", "router-pattern", n) for n in range(10)]
        + [
            _finding(
                "ANN001",
                "error",
                "style-rules#2",
                n,
                source="ruff",
                path="src/app/x.py",
                line=4 + n,
            )
            for n in range(24)
        ]
        + [
            _finding("UP045", "error", "style-rules#9", 99, source="ruff"),
            _finding(
                "ANN001",
                "warning",
                "style-rules#2",
                50,
                source="ruff",
                path="tests/test_x.py",
                line=3,
            ),
            _finding(
                "D103",
                "warning",
                "style-rules#3",
                51,
                source="ruff",
                path="tests/test_x.py",
                line=9,
            ),
        ]
    )
    body = render_markdown(_report(findings=findings), builtin_agent_file())
    before, details = body.split("<details>", 1)
    assert len(_finding_lines(before)) == FIX_FIRST
    assert "<summary>31 more findings, by pattern</summary>" in details
    groups = re.findall(r"^\*\*(.+?)\*\* · ", details, re.MULTILINE)
    # The numbered style rules are one group.
    assert groups == ["Router Pattern", "Style Rules \\(MANDATORY\\)"]
    assert (
        "- tests/test\\_x.py (test file) · `ANN001` ×1, `D103` ×1 · docstrings "
        "and annotations in tests (L3, 9)"
    ) in details
    _assert_well_formed(body)


def test_ai_section_only_when_the_model_was_asked() -> None:
    ai = AiInfo(
        status="ok",
        model="claude-sonnet-4-5",
        input_tokens=12345,
        output_tokens=678,
        cache_read_tokens=9000,
        cost_usd=0.04567,
        summary="Two routers skip the service layer. cc @octocat",
        dropped={"uncited": 2, "off_diff": 1},
        not_sent=["src/app/big.py"],
    )
    body = render_markdown(_report(ai=ai), builtin_agent_file())
    assert "### 🤖 AI review" in body
    assert f"Two routers skip the service layer. cc @{ZWJ}octocat" in body
    assert (
        "Dropped 3 model comment(s) that failed validation: 1 off\\_diff, 2 uncited"
        in body
    )
    assert "Not sent to the model (token budget): `src/app/big.py`." in body
    assert (
        "<sub>claude-sonnet-4-5 · 12,345 input (9,000 cached) + 678 output tokens · "
        "est. $0.0457</sub>"
    ) in body
    skipped = render_markdown(_report(), builtin_agent_file())
    assert "AI review" not in skipped


def test_ai_unavailable_is_a_visible_notice() -> None:
    ai = AiInfo(status="over_budget", notice="the diff needs 90,000 tokens")
    body = render_markdown(_report(ai=ai), builtin_agent_file())
    assert (
        "> The AI review is over its token budget: the diff needs 90,000 tokens" in body
    )


def test_notices_for_checks_that_did_not_run_and_for_safe_mode() -> None:
    checks = [
        CheckResult(name="mypy", status="error", detail="mypy not found"),
        CheckResult(name="pytest", status="skipped", detail="safe mode"),
    ]
    body = render_markdown(_report(checks=checks, safe_mode=True), builtin_agent_file())
    assert "> **mypy** could not run: mypy not found. Its result is unknown" in body
    # Safe mode is said once, not again for each check it skipped.
    assert "**pytest** was skipped" not in body
    assert "Safe mode (`pull_request_target`)" in body
    assert body.index("[!WARNING]") < body.index("### Fix first")


def test_no_note_for_a_check_the_team_left_out() -> None:
    checks = [
        CheckResult(
            name="mypy", status="skipped", detail="left out by the checks setting"
        ),
        CheckResult(name="pytest", status="skipped", detail="no pytest installed"),
    ]
    body = render_markdown(_report(checks=checks), builtin_agent_file())
    assert "**mypy** was skipped" not in body
    assert "> **pytest** was skipped: no pytest installed." in body


def test_skipped_files_listed() -> None:
    body = render_markdown(
        _report(skipped_files={"logo.png": "binary", "old.py": "deleted"}),
        builtin_agent_file(),
    )
    assert "<summary>2 changed file(s) not reviewed</summary>" in body
    assert "- `logo.png`: binary" in body
    assert "- `old.py`: deleted" in body


def test_no_findings_is_said_plainly() -> None:
    body = render_markdown(
        _report(findings=[], conclusion="success"), builtin_agent_file()
    )
    assert body.startswith("## ✅ pattern-review: **success** · no findings")
    assert "No findings on the lines this PR changes." in body


def test_untrusted_text_cannot_inject_markdown_html_or_pings() -> None:
    hostile = (
        "<script>alert(1)</script> <details><summary>x `rm -rf /` "
        "@octocat [click](javascript:alert(1)) | **bold** ![i](http://x/i.png)\n# Title"
    )
    findings = [_finding("RTR001", "error", "router-pattern", 1, message=hostile)]
    checks = [CheckResult(name="pytest", status="error", detail="@team <b>broke</b>")]
    body = render_markdown(
        _report(findings=findings, checks=checks, skipped_files={"`x`@y.py": "<i>"}),
        builtin_agent_file(),
        blob_base=BLOB,
    )
    assert "<script" not in body
    assert "<b>" not in body and "<i>" not in body
    assert "@octocat" not in body and f"@{ZWJ}octocat" in body
    assert "@team" not in body
    assert "](javascript" not in body
    assert "![i]" not in body
    assert "\n# Title" not in body
    (line,) = _finding_lines(body)
    assert line.count("<details>") == 0
    assert "\\*\\*bold\\*\\*" in line and "\\|" in line
    _assert_well_formed(body)


def _many(count: int) -> list[Finding]:
    patterns = ["router-pattern", "service-pattern", "style-rules#4", "model-pattern"]
    severities = ["error", "warning", "note"]
    return [
        _finding(
            f"R{n:04}",
            severities[n % 3],
            patterns[n % 4],
            n,
            message=f"finding {n} <b>{'x' * (n % 50)}</b> `code`",
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("max_chars", [1500, 4000, 20_000, 65_536])
def test_body_never_exceeds_the_cap_and_cuts_at_a_whole_finding(
    max_chars: int,
) -> None:
    findings = _many(5000)
    delta = FindingDelta(new={f"fp{n}" for n in range(0, 5000, 2)})
    body = render_markdown(
        _report(findings=findings),
        _team_agent(),
        blob_base=BLOB,
        delta=delta,
        max_chars=max_chars,
        header=MARKER,
    )
    assert len(body) <= max_chars
    assert body.startswith(MARKER)
    shown = _finding_lines(body)
    match = re.search(r"… and (\d+) more findings", body)
    assert match is not None
    assert len(shown) + int(match.group(1)) == 5000
    for line in shown:  # every shown finding is whole, message to the end
        assert re.search(r"finding \d+ &lt;b&gt;x*&lt;/b&gt; `code`$", line), line
    _assert_well_formed(body)
    # The cut is not wasteful: at the comment limit, most of the room is used.
    if max_chars == 65_536:
        assert len(body) > max_chars * 0.9


def test_huge_side_lists_are_cut_too() -> None:
    fixed = _many(3000)
    report = _report(
        findings=_many(200),
        skipped_files={f"assets/img{n}.png": "binary" for n in range(3000)},
        ai=AiInfo(status="ok", not_sent=[f"src/big{n}.py" for n in range(3000)]),
    )
    body = render_markdown(
        report,
        builtin_agent_file(),
        delta=FindingDelta(fixed=fixed),
        max_chars=6000,
        header=MARKER,
    )
    assert len(body) <= 6000
    assert "3000 changed file(s) not reviewed" in body
    assert "3000 fixed since the last run" in body
    assert re.search(r"^- … and 3000 more fixed\.$", body, re.MULTILINE)
    _assert_well_formed(body)


def test_a_header_that_leaves_no_room_is_refused() -> None:
    with pytest.raises(ValueError, match="no room"):
        render_markdown(_report(), builtin_agent_file(), max_chars=100, header="x" * 90)


def test_render_dispatches_markdown() -> None:
    report = _report()
    agent = _team_agent()
    assert render(report, "markdown", agent, blob_base=BLOB) == render_markdown(
        report, agent, blob_base=BLOB
    )


def test_a_long_fixed_list_is_collapsed() -> None:
    fixed = [_finding(f"SVC{n:03}", "error", "service-pattern", n) for n in range(25)]
    body = render_markdown(
        _report(), builtin_agent_file(), delta=FindingDelta(fixed=fixed)
    )
    section = body.split("<summary>✅ 25 fixed since the last run</summary>", 1)[1]
    assert section.split("</details>", 1)[0].count("- ~~") == 25
    _assert_well_formed(body)


def test_in_a_table_a_span_holding_a_pipe_is_escaped_whole() -> None:
    # The cell would end at the "|", code span or not.
    shown = message_md("`a | b` in a table", in_table=True)
    assert shown == "\\`a \\| b\\` in a table"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "Service stores its session as `self.db`; keep it as `self._db`.",
            "Service stores its session as `self.db`; keep it as `self._db`.",
        ),
        # Markup outside a span is escaped; inside one it is shown as written.
        (
            "Use <b>bold</b> `x = [1]` @team #1",
            "Use &lt;b&gt;bold&lt;/b&gt; `x = [1]` @\u200dteam \\#1",
        ),
        ("`<img src=x onerror=alert(1)>` and `@admin`", None),
        # Unpaired, empty, or table-breaking spans: the whole text is escaped.
        ("an odd ` backtick", "an odd \\` backtick"),
        ("empty `` span", "empty \\`\\` span"),
        ("`X | None` in a list", "`X | None` in a list"),
        ("folded\n `lines`  and\ttabs", "folded `lines` and tabs"),
        # GitHub math ($`...`$) would render a span's TeX: the $ is escaped.
        ("$`\\color{red}x`$", "\\$`\\color{red}x`\\$"),
        # No text passes for one of our hidden tags, not even as code.
        (
            "`<!-- pattern-review:fp=1 -->`",
            "\\`&lt;\\!-- pattern-review:fp=1 --&gt;\\`",
        ),
    ],
)
def test_messages_keep_their_code_spans_and_nothing_else(
    message: str, shown: str | None
) -> None:
    rendered = message_md(message)
    if shown is not None:
        assert rendered == shown
    else:  # a span is verbatim but inert: GitHub renders no HTML or ping in it
        assert rendered == message
    assert "\n" not in rendered


def test_a_finding_message_reads_as_code_in_the_comment() -> None:
    message = "Service `ItemService` stores its session as `self.db`."
    finding = _finding("SVC002", "error", "service-pattern", 9, message=message)
    body = render_markdown(_report(findings=[finding]), builtin_agent_file())
    assert f"`SVC002` · {message}" in body


def test_a_cited_section_the_teams_file_lacks_is_noted_once() -> None:
    renamed = SEED_AGENT_FILE.read_text(encoding="utf-8").replace(
        "### Router Pattern", "### Routers"
    )
    team = parse_agent_file(renamed, ".claude/agents/backend-developer.md")
    body = render_markdown(_report(), team)
    assert (
        "> `.claude/agents/backend-developer.md` has no section for "
        "`router-pattern`: those findings cite the pattern by its standard heading."
    ) in body
    assert "has no section" not in render_markdown(_report(), _team_agent())


def test_files_that_are_not_python_are_counted_and_the_others_named() -> None:
    skipped = {
        ".github/workflows/ci.yml": "not a Python file",
        "README.md": "not a Python file",
        "compose.yml": "not a Python file",
        "sdk/client.py": "generated (linguist-generated in .gitattributes)",
    }
    body = render_markdown(_report(skipped_files=skipped), builtin_agent_file())

    assert "1 changed file(s) not reviewed" in body
    assert "- `sdk/client.py`: generated \\(linguist-generated in" in body
    assert "3 other changed files are not Python, and not reviewed." in body
    assert "README.md" not in body
    assert "compose.yml" not in body
