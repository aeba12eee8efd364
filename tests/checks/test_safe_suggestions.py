"""Suggestions safe to commit: applied in memory, checked with the real ruff."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from pattern_review.checks.ruff_check import ruff_args
from pattern_review.checks.safe_suggestions import (
    apply_suggestion,
    check_suggestions,
    instead,
    precheck,
)
from pattern_review.config import Config
from pattern_review.github.review_comments import inline_body
from pattern_review.models import Finding
from pattern_review.projects.ruff_version import bundled_command
from pattern_review.rulebook.agent_file import builtin_agent_file
from tests.check_context import check_context
from tests.gitrepo import GitRepo

IMPORTS = '''"""Doc."""

from __future__ import annotations

import os
import re
import sys

print(sys, os)
'''
NO_FUTURE = '''"""Doc."""
import os

print(os)
'''
_BLOCK = re.compile(r"^(`{3,})suggestion\n(.*?)^\1$", re.M | re.S)


def finding(rule: str, line: int, suggestion: str, path: str = "app/a.py") -> Finding:
    return Finding(
        rule=rule,
        pattern="style-rules#1",
        source="ruff",
        severity="error",
        path=path,
        line=line,
        message="m.",
        suggestion=suggestion,
    )


def checked(
    git_repo: GitRepo,
    tmp_path: Path,
    text: str,
    *findings: Finding,
    path: str = "app/a.py",
) -> list[Finding]:
    git_repo.write("pyproject.toml", "[project]\nname = 'x'\n")
    git_repo.write(path, text, dedent=False)
    ctx = check_context(git_repo, tmp_path, path)
    return check_suggestions(list(findings), {".": ctx}, {path: text})


def posted_block(found: Finding) -> str:
    """The suggestion as GitHub applies it: the block's lines, from the comment."""
    body = inline_body(found, builtin_agent_file(), None)
    match = _BLOCK.search(body)
    assert match is not None
    return match.group(2)


def test_a_deletion_is_an_empty_block_and_leaves_the_imports_sorted(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    (kept,) = checked(git_repo, tmp_path, IMPORTS, finding("F401", 6, ""))
    assert kept.suggestion == ""
    assert posted_block(kept) == ""  # an empty block deletes the line
    applied = apply_suggestion(IMPORTS, kept, posted_block(kept))
    assert applied == IMPORTS.replace("import re\n", "")


def test_a_blank_line_left_behind_is_i001_and_the_suggestion_is_dropped(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    (dropped,) = checked(git_repo, tmp_path, IMPORTS, finding("F401", 6, "\n"))
    assert dropped.suggestion is None
    assert "No one-click fix" in dropped.message and "I001" in dropped.message
    assert ". No one-click fix: " in dropped.message  # its own sentence


def test_a_future_import_needs_its_blank_lines(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    cramped = '"""Doc."""\nfrom __future__ import annotations\n'
    spaced = '"""Doc."""\n\nfrom __future__ import annotations\n\n'
    bad, good = checked(
        git_repo,
        tmp_path,
        NO_FUTURE,
        finding("I002", 1, cramped),
        finding("I002", 1, spaced),
    )
    assert bad.suggestion is None and "ruff format" in bad.message
    assert good.suggestion == spaced and good.message == "m."


def test_a_suggestion_that_does_not_parse_is_dropped(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    (dropped,) = checked(git_repo, tmp_path, NO_FUTURE, finding("X1", 4, "print(os\n"))
    assert dropped.suggestion is None


def test_a_file_named_like_an_option_is_still_checked(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    safe, unsafe = finding("F401", 6, "", "-x.py"), finding("F401", 6, "\n", "-x.py")
    kept, dropped = checked(git_repo, tmp_path, IMPORTS, safe, unsafe, path="-x.py")
    assert kept.suggestion == "" and dropped.suggestion is None


# -- the demo's shop example ---------------------------------------------------


def _ruff(repo: Path, args: list[str], text: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*bundled_command(), *args],
        cwd=repo,
        input=text,
        capture_output=True,
        text=True,
        check=False,
    )


def _lint(repo: Path, path: str, text: str) -> list[tuple[str, str]]:
    args = ruff_args(["-"], safe_mode=False)
    at = args.index("--")
    args[at:at] = ["--stdin-filename", path]
    out = _ruff(repo, args, text).stdout
    return sorted((i["code"], i["message"]) for i in json.loads(out or "[]"))


def _formatted(repo: Path, path: str, text: str) -> bool:
    args = ["format", "--check", "--stdin-filename", path, "-"]
    return _ruff(repo, args, text).returncode == 0


def test_every_suggestion_posted_for_the_shop_example_keeps_ruff_clean(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PATTERN_REVIEW_RUN_AS"}
    done = subprocess.run(
        [sys.executable, "-m", "pattern_review", "demo", "--format", "json"]
        + ["--no-ai", "--keep", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env=env,
    )
    report = json.loads(done.stdout)
    repo = tmp_path / "demo-shop"
    offered = [
        Finding.model_validate(f)
        for f in report["findings"]
        if f["suggestion"] is not None
    ]
    assert offered  # the example has fixes worth offering
    for found in offered:
        text = (repo / found.path).read_text(encoding="utf-8")
        changed = apply_suggestion(text, found, posted_block(found))
        assert changed is not None
        new = set(_lint(repo, found.path, changed)) - set(_lint(repo, found.path, text))
        assert not new, f"{found.rule} at {found.path}:{found.line} leaves {new}"
        if _formatted(repo, found.path, text):
            assert _formatted(repo, found.path, changed), found.rule


def test_an_identical_rerun_reuses_the_verdicts_and_a_changed_file_does_not(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    unsorted = IMPORTS.replace("import os\nimport re\n", "import re\nimport os\n")
    changed = unsorted.replace("print(sys, os)", "print(os, sys)")
    fix = finding("I001", 5, "import os\nimport re")
    git_repo.write("pyproject.toml", "[project]\nname = 'x'\n")
    git_repo.write("app/a.py", unsorted, dedent=False)
    git_repo.commit("app")
    ctx = check_context(git_repo, tmp_path, "app/a.py")
    first = check_suggestions([fix], {".": ctx}, {"app/a.py": unsorted})
    kept = sorted((tmp_path / "cache" / "results").glob("suggestions-*.json"))
    assert len(kept) == 1
    # What the cache holds is what the rerun gives: marked, the mark shows.
    text = kept[0].read_text()
    kept[0].write_text(text.replace('"message":"m.', '"message":"kept.'))

    second = check_suggestions([fix], {".": ctx}, {"app/a.py": unsorted})
    git_repo.write("app/a.py", changed, dedent=False)
    third = check_suggestions([fix], {".": ctx}, {"app/a.py": changed})

    assert first[0].message.startswith("m. No one-click fix")
    assert second[0].message == first[0].message.replace("m.", "kept.", 1)
    assert third[0].message == first[0].message


# -- worked out beside the long pole -------------------------------------------


def in_a_thread(run: Callable[..., int], *args: object) -> int:
    """Call ``run`` as the review does, in a thread of its own (it nices it)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run, *args).result(timeout=60)


def test_verdicts_worked_out_as_a_check_ends_are_the_ones_the_review_takes(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    safe, unsafe = finding("F401", 6, ""), finding("F401", 6, "\n")
    git_repo.write("pyproject.toml", "[project]\nname = 'x'\n")
    git_repo.write("app/a.py", IMPORTS, dedent=False)
    ctx = check_context(
        git_repo, tmp_path, "app/a.py", config=Config(filter_mode="file")
    )
    assert in_a_thread(precheck, [safe, unsafe], ctx, 19) == 2
    verdicts = ctx.shared.suggestion_verdicts
    assert sorted(verdicts.values(), key=str) == sorted(
        ["", instead(["I001 (Import block is un-sorted or un-formatted)"], False)],
        key=str,
    )
    # The review takes them as they are: a verdict marked here shows there.
    for key, verdict in verdicts.items():
        if verdict == "":
            verdicts[key] = " Marked."
    kept, dropped = check_suggestions([safe, unsafe], {".": ctx}, {"app/a.py": IMPORTS})
    assert kept.suggestion is None and kept.message == "m. Marked."
    assert dropped.suggestion is None and "I001" in dropped.message


def test_a_suggestion_on_a_line_the_pr_did_not_add_is_not_worked_out_early(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write("pyproject.toml", "[project]\nname = 'x'\n")
    git_repo.write("app/a.py", IMPORTS, dedent=False)
    ctx = check_context(git_repo, tmp_path, "app/a.py")  # line 1 added only
    assert in_a_thread(precheck, [finding("F401", 6, "")], ctx, 19) == 0
    assert in_a_thread(precheck, [finding("F401", 1, "", "x.py")], ctx, 19) == 0
    assert ctx.shared.suggestion_verdicts == {}
