"""Reusing a check's outcome when nothing it depends on changed."""

from __future__ import annotations

import logging
import os
import shutil
import stat
from pathlib import Path

import pytest

from pattern_review.checks import result_cache
from pattern_review.checks.registry import check_of_rule
from pattern_review.config import Config
from pattern_review.conventions import pool
from pattern_review.conventions.failures import could_not_analyse
from pattern_review.findings.rules import ANALYSIS_FAILED_RULE
from pattern_review.git import detached_worktree
from pattern_review.models import CheckOutcome, CheckResult, Report
from pattern_review.review import cache_dir_for, run_review
from pattern_review.rulebook.agent_file import builtin_agent_file
from pattern_review.target import build_target
from tests.gitrepo import GitRepo

LONG = "x = '" + "a" * 100 + "'\n"


def review(repo: GitRepo, cache: Path, **settings: object) -> Report:
    config = Config.model_validate(
        {"checks": ["ruff", "conventions"], "cache_dir": str(cache), **settings}
    )
    target = build_target(repo.path, "main", "HEAD")
    return run_review(target, config, builtin_agent_file())


def details(report: Report) -> dict[str, str]:
    return {c.name: c.detail for c in report.checks if c.status != "skipped"}


def make_pr(git_repo: GitRepo) -> GitRepo:
    git_repo.write(
        "pkg/mod.py", '"""Module."""\n\nfrom __future__ import annotations\n'
    )
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("pkg/mod.py", (git_repo.path / "pkg/mod.py").read_text() + LONG)
    git_repo.commit("long line")
    return git_repo


def test_second_identical_run_reuses_outcomes_with_the_same_findings(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = make_pr(git_repo)

    first = review(repo, tmp_path / "cache")
    second = review(repo, tmp_path / "cache")

    assert not any("reused" in d for d in details(first).values())
    assert all("reused" in d for d in details(second).values())
    assert [f.rule for f in second.findings] == [f.rule for f in first.findings]
    assert "E501" in {f.rule for f in second.findings}
    assert second.conclusion == first.conclusion == "failure"


def test_any_content_change_runs_the_checks_again(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = make_pr(git_repo)
    review(repo, tmp_path / "cache")
    repo.write("pkg/other.py", "y = 1\n")  # untracked, elsewhere in the tree

    again = review(repo, tmp_path / "cache")

    assert not any("reused" in d for d in details(again).values())


def test_config_change_and_opt_out_run_the_checks_again(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = make_pr(git_repo)
    review(repo, tmp_path / "cache")

    other_config = review(repo, tmp_path / "cache", fail_on="warning")
    opted_out = review(repo, tmp_path / "cache", result_cache=False)

    assert not any("reused" in d for d in details(other_config).values())
    assert not any("reused" in d for d in details(opted_out).values())


def test_a_check_that_could_not_run_is_not_reused(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = make_pr(git_repo)
    # mypy has the tool timeout (ruff's budget is per file, and an overrun
    # is a finding on the file, not a check that could not run).
    slow = {"tool_timeout_s": 0.001, "checks": ["mypy"]}
    broken = review(repo, tmp_path / "cache", **slow)

    again = review(repo, tmp_path / "cache", **slow)

    mypy = {c.name: c for c in broken.checks}["mypy"]
    assert mypy.status == "error"
    assert "reused" not in {c.name: c for c in again.checks}["mypy"].detail


# libcst parses a flat chain in quadratic time: this one takes about 1 s of
# CPU, far under the real budget and far over a 0.1 s one.
SLOW_CHAIN = "X = " + "+".join(["1"] * 2000) + "\n"


def test_a_budget_failure_is_not_reused_the_next_run_tries_again(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_pr(git_repo)
    repo.write("pkg/chain.py", SLOW_CHAIN)
    repo.commit("a slow file")
    # As a loaded machine would have it: the file overruns its budget.
    monkeypatch.setattr(pool, "BASE_BUDGET_S", 0.1)
    monkeypatch.setattr(pool, "BUDGET_S_PER_MIB", 0.0)
    starved = review(repo, tmp_path / "cache")
    monkeypatch.undo()

    again = review(repo, tmp_path / "cache")
    third = review(repo, tmp_path / "cache")

    assert ANALYSIS_FAILED_RULE in {f.rule for f in starved.findings}
    assert "reused" not in details(again)["conventions"]
    assert ANALYSIS_FAILED_RULE not in {f.rule for f in again.findings}
    assert "reused" in details(again)["ruff"]  # the rest of the cache still works
    assert "reused" in details(third)["conventions"]  # a clean outcome is kept


def test_an_outcome_with_an_unanalysed_file_is_not_kept() -> None:
    result = CheckResult(name="conventions", status="failed")
    failure = could_not_analyse("a.py", "convention", "it needed more than ...")
    other = failure.model_copy(update={"rule": "RTR001"})

    assert not result_cache.keeps(CheckOutcome(result=result, findings=[failure]))
    assert result_cache.keeps(CheckOutcome(result=result, findings=[other]))


def test_rule_ids_map_to_the_check_that_produces_them() -> None:
    assert check_of_rule("mypy:arg-type") == "mypy"
    assert check_of_rule("MYPY:ARG-TYPE") == "mypy"
    assert check_of_rule("pytest:failed") == "pytest"
    assert check_of_rule("ruff-format") == "ruff-format"
    assert check_of_rule("ruff-format:syntax") == "ruff-format"
    assert check_of_rule("RTR001") == "conventions"
    assert check_of_rule("PR100") == "conventions"
    assert check_of_rule("E501") == "ruff"


def test_a_temporary_work_tree_of_the_repo_shares_its_cache_folder(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = make_pr(git_repo)
    other = GitRepo(tmp_path / "other")
    other.commit("elsewhere")

    with detached_worktree(repo.path, "HEAD") as tree:
        in_tree = cache_dir_for(Config(), tree)

    assert in_tree == cache_dir_for(Config(), repo.path)
    assert cache_dir_for(Config(), other.path) != in_tree


def test_pattern_reviews_own_code_and_whom_pr_code_runs_as_are_in_the_key(
    git_repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A checkout of pattern-review changes between releases: its files count.
    package = tmp_path / "package"
    shutil.copytree(Path(result_cache.__file__).parents[1] / "conventions", package)
    before = result_cache.code_identity(package)
    rule = package / "rule.py"
    rule.write_text(rule.read_text() + "# changed\n")
    result_cache.code_identity.cache_clear()
    assert result_cache.code_identity(package) != before

    repo = make_pr(git_repo)
    review(repo, tmp_path / "cache")
    monkeypatch.setenv("PATTERN_REVIEW_RUN_AS", "someone-else")
    other_user = review(repo, tmp_path / "cache")
    monkeypatch.setattr(result_cache, "code_identity", lambda: "other code")
    other_code = review(repo, tmp_path / "cache")

    assert not any("reused" in d for d in details(other_user).values())
    assert not any("reused" in d for d in details(other_code).values())


def test_the_base_versions_findings_are_kept_for_an_identical_rerun(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    # The base already has the long line; the PR rewords the string in it, so
    # ruff's E501 on that added line is the base's, found by checking the base.
    git_repo.write(
        "pkg/mod.py", '"""Module."""\n\nfrom __future__ import annotations\n'
    )
    git_repo.write("pkg/mod.py", (git_repo.path / "pkg/mod.py").read_text() + LONG)
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write(
        "pkg/mod.py",
        (git_repo.path / "pkg/mod.py").read_text().replace("a" * 100, "b" * 100),
    )
    git_repo.commit("pr")
    cache = tmp_path / "cache"

    first = review(git_repo, cache)
    kept = sorted((cache / "results").glob("base-ruff-*.json"))
    second = review(git_repo, cache)
    # What the cache holds is what the rerun uses: emptied, the old long
    # line counts as the PR's (once the comparison's kept answer is gone).
    for entry in kept:
        entry.write_text(entry.read_text().replace('"rule":"E501"', '"rule":"E999"'))
    for answer in (cache / "results").glob("introduced-*.json"):
        answer.unlink()
    third = review(git_repo, cache)

    assert len(kept) == 1
    assert first.pre_existing == second.pre_existing
    assert "E501" not in {f.rule for f in first.findings + second.findings}
    assert third.pre_existing == first.pre_existing - 1
    assert "E501" in {f.rule for f in third.findings}


def test_a_link_planted_in_a_world_writable_cache_folder_is_never_followed(
    git_repo: GitRepo, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The PR's code (another user) may write in a shared cache folder: it
    # plants links where the results go, aimed at a file outside.
    repo = make_pr(git_repo)
    outside = tmp_path / "outside"
    outside.mkdir()
    precious = outside / "precious.txt"
    precious.write_text("keep me\n")
    shared = tmp_path / "world-writable"
    shared.mkdir()
    shared.chmod(0o777)
    (shared / "results").symlink_to(outside)
    (shared / f"pattern-review-{os.geteuid()}").symlink_to(outside)
    reference = review(repo, tmp_path / "private")

    with caplog.at_level(logging.WARNING):
        planted = review(repo, shared)

    assert precious.read_text() == "keep me\n"
    assert sorted(p.name for p in outside.iterdir()) == ["precious.txt"]
    assert planted.conclusion == reference.conclusion == "failure"
    assert [f.rule for f in planted.findings] == [f.rule for f in reference.findings]
    assert f"cache folder {shared} is not used" in caplog.text
    assert "others can write to it" in caplog.text


def test_a_shared_folder_with_the_sticky_bit_gets_a_private_folder_inside(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)

    root = result_cache.private_cache_root(shared)

    assert root == shared / f"pattern-review-{os.geteuid()}"
    assert not root.is_symlink()
    assert root.lstat().st_mode & (stat.S_IWGRP | stat.S_IWOTH) == 0
    assert result_cache.private_cache_root(root) == root  # a safe one is kept


def test_cache_entries_are_never_read_written_or_pruned_through_a_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache" / "results"
    cache = result_cache.ResultCache(folder, "state")
    outcome = CheckOutcome(result=CheckResult(name="ruff", status="passed"))
    cache.put("ruff", outcome)
    [entry] = folder.iterdir()
    target = tmp_path / "target.json"
    target.write_text(outcome.model_dump_json())
    entry.unlink()
    entry.symlink_to(target)  # as if planted there
    stale = folder / "stale.json"
    stale.symlink_to(target)

    assert cache.get("ruff") is None  # read through the link: no
    monkeypatch.setattr(result_cache, "KEEP_ENTRIES", 1)
    cache.put("ruff", outcome)

    assert target.read_text() == outcome.model_dump_json()  # not written
    assert not entry.is_symlink() and cache.get("ruff") == outcome
    assert not stale.is_symlink() and not stale.exists()  # the link went
    assert target.exists()  # its target did not


def test_a_results_folder_that_is_a_link_is_not_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "results").symlink_to(elsewhere)
    cache = result_cache.ResultCache(tmp_path / "cache" / "results", "state")

    cache.put("ruff", CheckOutcome(result=CheckResult(name="ruff", status="passed")))

    assert list(elsewhere.iterdir()) == []
    assert cache.get("ruff") is None


def _pr_rewording_an_old_long_line(git_repo: GitRepo) -> GitRepo:
    git_repo.write(
        "pkg/mod.py", '"""Module."""\n\nfrom __future__ import annotations\n' + LONG
    )
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    text = (git_repo.path / "pkg/mod.py").read_text()
    git_repo.write("pkg/mod.py", text.replace("a" * 100, "b" * 100))
    git_repo.commit("pr")
    return git_repo


def test_an_identical_rerun_reuses_the_comparisons_answer(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = _pr_rewording_an_old_long_line(git_repo)
    cache = tmp_path / "cache"

    first = review(repo, cache)
    answers = sorted((cache / "results").glob("introduced-*.json"))
    second = review(repo, cache)
    # The rerun reads that answer, not the base version: emptied, the old
    # long line counts as the PR's.
    answers[0].write_text("[]")
    third = review(repo, cache)

    assert len(answers) == 1
    assert first.pre_existing == second.pre_existing > 0
    assert "E501" not in {f.rule for f in first.findings + second.findings}
    assert third.pre_existing < first.pre_existing
    assert "E501" in {f.rule for f in third.findings}


def test_the_comparisons_answer_is_not_kept_when_an_input_changes(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    repo = _pr_rewording_an_old_long_line(git_repo)
    cache = tmp_path / "cache"

    review(repo, cache)
    review(repo, cache, max_inline_comments=5)
    (repo.path / "ruff.toml").write_text("line-length = 100\n")
    review(repo, cache)
    review(repo, tmp_path / "off", result_cache=False)

    assert len(list((cache / "results").glob("introduced-*.json"))) == 3
    assert not list((tmp_path / "off").glob("**/introduced-*.json"))
