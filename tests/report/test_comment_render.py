"""The comment as a person reads it: the demo's first screen, rendered by cmark-gfm.

GitHub renders comments with cmark-gfm; ``cmarkgfm`` is its Python binding, so
what these tests see is what GitHub shows (less its HTML sanitiser, which
would only remove more).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import cmarkgfm  # type: ignore[import-untyped]
import pytest
from cmarkgfm.cmark import Options  # type: ignore[import-untyped]

from pattern_review.models import CheckResult, Finding, Report
from pattern_review.report.markdown import render_markdown
from pattern_review.rulebook.agent_file import builtin_agent_file

# The tags the comment itself writes; anything else in the HTML leaked in.
OUR_TAGS = {"details", "summary", "sub"}
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)")
# HTML that markdown renders on its own: everything but raw HTML.
MARKDOWN_TAGS = {
    "p", "ul", "ol", "li", "code", "blockquote", "strong", "em", "a", "table",
    "thead", "tbody", "tr", "th", "td", "h2", "h3", "del", "br", "pre",
}  # fmt: skip


def _html(markdown: str) -> str:
    # Unsafe: keep raw HTML, so a leak shows instead of being dropped.
    html: str = cmarkgfm.github_flavored_markdown_to_html(
        markdown, options=Options.CMARK_OPT_UNSAFE
    )
    return html


def _visible(markdown: str) -> list[str]:
    """Return the lines shown before any click: outside <details> bodies."""
    shown: list[str] = []
    depth = 0
    for line in markdown.splitlines():
        if line == "<details>":
            depth += 1
        elif line == "</details>":
            depth -= 1
        elif line.startswith("<summary>") and depth == 1:
            shown.append(line)  # the one line a collapsed block shows
        elif depth == 0 and line.strip():
            shown.append(line)
    return shown


@pytest.fixture(scope="module")
def demo_comment(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("demo")
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "demo", "--format", "markdown"]
        + ["--no-ai", "--keep", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={k: v for k, v in os.environ.items() if k != "PATTERN_REVIEW_RUN_AS"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_demo_shows_the_failing_test_and_the_type_error_first(
    demo_comment: str,
) -> None:
    first = demo_comment.splitlines()[:10]
    assert any("`pytest:failed`" in line for line in first), first
    assert any("`mypy:" in line for line in first), first


def test_the_demo_comment_is_short_with_the_rest_collapsed(demo_comment: str) -> None:
    sections = [line for line in demo_comment.splitlines() if line.startswith("#")]
    assert len(sections) <= 8, sections
    assert len(_visible(demo_comment)) <= 60
    # The merged findings are one: RTR005 names the annotation rule it absorbed.
    assert "\\(also: ANN201\\)" in demo_comment


def test_each_quote_is_the_sentence_its_rule_is_bound_to(demo_comment: str) -> None:
    agent = builtin_agent_file()
    lines = agent.text.splitlines()
    quotes = re.findall(r"“(.+?)” \(built-in agent file line (\d+)\)", demo_comment)
    assert len(quotes) >= 8
    for quoted, number in quotes:
        written = lines[int(number) - 1]
        # The quote is that line's words, as written (escaping and bold aside).
        plain = re.sub(r"\\(.)", r"\1", quoted)
        assert plain in written.replace("**", ""), (plain, written)
    # Not the section's first bullets: the rule's own sentence.
    by_rule = dict(re.findall(r"`(SVC004|ERR003)` · “(.+?)”", demo_comment))
    expected = "Use keyword-only args for optional parameters \\(`*,`\\)"
    assert by_rule["SVC004"] == expected
    assert by_rule["ERR003"].startswith("Log errors with")


def test_the_demo_comment_renders_on_github_without_leaks(demo_comment: str) -> None:
    html = _html(demo_comment)
    assert "<table>" in html and "<details>" in html and "<ol>" in html
    _assert_no_leak(html)


def test_hostile_repository_text_renders_as_text() -> None:
    hostile = (
        "# ✅ pattern-review: **success** [![x](https://evil.example/i.png)]"
        "(https://evil.example) <img src=x> see https://evil.example/a and "
        "www.evil.example"
    )
    agent_text = builtin_agent_file().text.replace(
        "- Use `APIRouter` with `prefix` and `tags`",
        f"- Use `APIRouter` with `prefix` and `tags` {hostile}",
    )
    from pattern_review.rulebook.agent_file import parse_agent_file

    agent = parse_agent_file(agent_text, ".claude/agents/<b>x</b>.md")
    finding = Finding(
        rule="RTR001",
        pattern="router-pattern",
        source="convention",
        severity="error",
        path="app/[x](https:/evil)<i>.py",
        line=3,
        message=hostile,
        fingerprint="f1",
    )
    report = Report(
        conclusion="failure",
        base="a" * 40,
        head="b" * 40,
        findings=[finding],
        checks=[CheckResult(name="ruff", status="failed", detail=hostile)],
        skipped_files={"<script>.py": hostile},
        rulebook_notice=hostile,
    )
    html = _html(
        render_markdown(report, agent, blob_base="https://github.com/o/r/blob/b")
    )
    _assert_no_leak(html)
    assert "evil.example" in html  # shown, as text
    links = re.findall(r'href="([^"]+)"', html)
    assert all(link.startswith("https://github.com/o/r/") for link in links), links
    assert "<img" not in html and "<h1>" not in html
    assert html.count("<strong>") == 1  # the verdict's own


def _assert_no_leak(html: str) -> None:
    tags = {name.lower() for _, name in _TAG.findall(html)}
    assert tags <= OUR_TAGS | MARKDOWN_TAGS, tags - OUR_TAGS - MARKDOWN_TAGS
    # Our collapsed blocks rendered (not shown as text) and closed.
    assert html.count("<details>") == html.count("</details>")
    assert "&lt;details&gt;" not in html


def _dispatch_shaped_report() -> Report:
    """The findings of Netflix/dispatch fc3887ac5 (ruff, formatting, conventions).

    A new endpoint and its service function, a schema of four ``Optional``
    fields, and a test module of pytest fixtures: 12 errors, 30 warnings.
    """
    rows: list[tuple[str, str, str, str, str, list[int]]] = [
        ("UP007", "ruff", "style-rules#9", "error", "src/d/models.py", [383, 384]),
        ("UP007", "ruff", "style-rules#9", "error", "src/d/models.py", [385, 386]),
        ("UP007", "ruff", "style-rules#9", "error", "src/d/service.py", [975]),
        ("STY014", "convention", "style-rules#14", "error", "src/d/service.py", [973]),
        ("STY014", "convention", "style-rules#14", "error", "src/d/views.py", [287]),
        ("I001", "ruff", "style-rules#11", "error", "src/d/views.py", [1]),
        ("I001", "ruff", "style-rules#11", "error", "tests/test_d.py", [78, 115]),
        ("ANN201", "ruff", "style-rules#2", "error", "src/d/views.py", [287]),
        ("I002", "ruff", "style-rules#1", "error", "tests/test_d.py", [1]),
        ("D101", "ruff", "style-rules#3", "warning", "src/d/models.py", [382]),
        ("ANN201", "ruff", "style-rules#2", "warning", "tests/test_d.py", [4, 30]),
        ("ANN201", "ruff", "style-rules#2", "warning", "tests/test_d.py", [74, 111]),
        ("ANN201", "ruff", "style-rules#2", "warning", "tests/test_d.py", [150]),
    ]
    rows += [
        ("ANN001", "ruff", "style-rules#2", "warning", "tests/test_d.py", [n])
        for n in range(5, 29)
    ]
    findings = [
        Finding.model_validate(
            {
                "rule": rule,
                "source": source,
                "pattern": pattern,
                "severity": severity,
                "path": path,
                "line": line,
                "message": f"{rule} message",
                "fingerprint": f"{rule}-{path}-{line}",
            }
        )
        for rule, source, pattern, severity, path, lines in rows
        for line in lines
    ]
    return Report(
        conclusion="failure",
        base="a" * 40,
        head="b" * 40,
        findings=findings,
        checks=[
            CheckResult(name="ruff-format", status="passed"),
            CheckResult(name="ruff", status="failed", detail="40 finding(s)"),
            CheckResult(name="conventions", status="failed", detail="2 finding(s)"),
        ],
        pre_existing=289,
    )


def _visible_finding_lines(markdown: str) -> list[str]:
    # From the "Fix first" heading to the check table's collapsed block.
    shown = _visible(markdown)
    start = shown.index("### Fix first")
    end = next(i for i, line in enumerate(shown) if line.startswith("<summary>Checks"))
    return shown[start:end]


def test_a_real_commits_findings_fit_in_fifteen_visible_lines() -> None:
    report = _dispatch_shaped_report()
    assert len(report.findings) == 42
    body = render_markdown(report, builtin_agent_file())
    shown = _visible_finding_lines(body)
    assert len(shown) <= 15, "\n".join(shown)
    items = [line for line in shown if re.match(r"\d\. ", line)]
    # What needs a person first (a sync function doing I/O, a missing
    # annotation); what ruff rewrites on its own after; repeats folded.
    assert [re.findall(r"`(\w+)`", item)[0] for item in items[:3]] == [
        "STY014",
        "ANN201",
        "STY014",
    ]
    assert "src/d/models.py ×4 (L383, 384, 385, 386) · `UP007`" in "\n".join(items)
    _assert_no_leak(_html(body))


def test_fix_first_folds_only_a_rules_repeats_in_one_file() -> None:
    report = _dispatch_shaped_report()
    spread = [
        finding.model_copy(update={"path": f"src/d/m{index}.py"})
        for index, finding in enumerate(report.findings)
    ]
    body = render_markdown(
        report.model_copy(update={"findings": spread}), builtin_agent_file()
    )
    items = [line for line in _visible_finding_lines(body) if re.match(r"\d\. ", line)]
    assert len(items) == 6 and not any("×" in item for item in items)
