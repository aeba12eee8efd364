"""The load benchmark: cold runs, and whether loaded runs find the same."""

from __future__ import annotations

from pathlib import Path

from benchmarks.__main__ import with_kept_sections
from benchmarks.baseline_cost import replace_section
from benchmarks.load import (
    HEADING,
    NOTES_HEADING,
    Target,
    compare,
    finding_keys,
    render,
    review,
)
from benchmarks.run import base_env
from tests.gitrepo import GitRepo


def _finding(
    rule: str, path: str = "app/models/order.py", line: int = 3
) -> dict[str, object]:
    return {"rule": rule, "path": path, "line": line, "column": 1, "severity": "error"}


FOUND = [_finding("MDL002", line=9), _finding("MDL001"), _finding("MDL003")]
IDLE: dict[str, object] = {"findings": FOUND}


def test_the_same_findings_in_another_order_are_identical() -> None:
    loaded: dict[str, object] = {"findings": list(reversed(FOUND))}

    result = compare(IDLE, loaded)

    assert result.identical
    assert [key[3] for key in finding_keys(loaded)] == ["MDL001", "MDL003", "MDL002"]


def test_a_budget_failure_instead_of_the_real_findings_is_reported() -> None:
    # What issue 19 saw under load: PR005 instead of MDL001-003.
    loaded = {"findings": [_finding("PR005", line=1)]}

    result = compare(IDLE, loaded)

    assert not result.identical
    assert result.budget_failures == 1
    assert [key[3] for key in result.missing] == ["MDL001", "MDL003", "MDL002"]
    assert [key[3] for key in result.extra] == ["PR005"]


def test_the_section_names_its_heading_and_every_run() -> None:
    rows = [["demo", "idle", "1.0 s", "0.5", "3", "reference", "0"]]

    text = render(rows, [], 4, None)

    assert text.startswith("### Under load\n")
    assert "| demo | idle |" in text


def test_the_notes_on_the_loaded_runs_survive_every_writer() -> None:
    old = (
        f"# Benchmarks\n\n### CLI start-up\n\nold\n\n{HEADING}\n\n| old table |\n\n"
        f"{NOTES_HEADING}\n\nwhy it changed\n\n## Machine\n"
    )
    # ``python -m benchmarks load --write``: the table only.
    rewritten = replace_section(old, f"{HEADING}\n\n| new table |\n\n", HEADING)
    assert "| new table |" in rewritten and "| old table |" not in rewritten
    assert rewritten.count("why it changed") == 1

    # ``python -m benchmarks``: a whole new document, the load sections kept.
    fresh = "# Benchmarks\n\n### CLI start-up\n\nnew\n\n## Machine\n\nm\n"
    merged = with_kept_sections(fresh, rewritten)
    assert "new" in merged and "old" not in merged
    assert merged.index("| new table |") < merged.index("why it changed")
    assert merged.index("why it changed") < merged.index("## Machine")


def test_each_review_runs_cold_whatever_ran_before(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    base = git_repo.commit("base")
    git_repo.write(
        "app/mod.py", "def double(value: int) -> int:\n    return value * 2\n"
    )
    head = git_repo.commit("feature")
    target = Target("tiny", git_repo.path, base, head, 1)
    lasting = tmp_path / "lasting-cache"  # what a user's cache home would keep
    env = {
        **base_env(),
        "XDG_CACHE_HOME": str(lasting),
        "PATTERN_REVIEW_CACHE_DIR": str(lasting / "pattern-review"),
    }
    git_repo.write(".mypy_cache/left-over", "from an earlier run")

    first, _ = review(target, "mypy", env)
    second, _ = review(target, "mypy", env)

    checks = first["checks"]
    assert isinstance(checks, list)
    assert {c["name"]: c["status"] for c in checks}["mypy"] == "passed"
    assert finding_keys(first) == finding_keys(second)
    assert not (git_repo.path / ".mypy_cache").exists()
    assert not lasting.exists()  # neither run left mypy's cache for the next
