"""A PR reviewed through ``action`` under either PR event, for the trust tests.

Shared by test_trust.py, test_judged.py and test_rows.py (their ``world``
fixture is in conftest.py): the base branch is
rebuilt with the team's standard, then the PR is reviewed the way each event
checks it out (the merge ref under ``pull_request``, the base commit under
``pull_request_target``), and the JSON report is read back.
"""

from __future__ import annotations

from pattern_review.models import Report
from tests.action.test_e2e import Result, World

EVENTS = ("pull_request", "pull_request_target")


def rebase(world: World, files: dict[str, str]) -> None:
    """Add ``files`` to the base branch and start the PR again from it."""
    world.origin.checkout("main")
    for path, text in files.items():
        world.origin.write(path, text, dedent=False)
    world.base = world.origin.commit("team standard")
    world.origin.git("checkout", "-q", "-B", "feature", world.base)
    world.ws.git("fetch", "-q", "origin", "+main:refs/remotes/origin/main")
    world.ws.git("update-ref", "-d", "refs/remotes/origin/feature")


def review(world: World, event: str) -> tuple[Result, Report]:
    """Review the PR under ``event``; return the run and its JSON report."""
    world.add_pull()
    if event == "pull_request":
        result = world.run(
            world.pr_payload(),
            sha=world.checkout_merge(),
            inputs={"json-file": "out/report.json"},
        )
    else:
        world.ws.git("fetch", "-q", "origin", "feature:refs/remotes/origin/feature")
        world.ws.git("checkout", "-q", "--detach", world.base)
        result = world.run(
            world.pr_payload(),
            "pull_request_target",
            sha=world.base,
            ref="refs/heads/main",
            inputs={"json-file": "out/report.json"},
        )
    assert "Traceback" not in result.stderr, result.stderr
    report = Report.model_validate_json(
        (world.workspace / "out" / "report.json").read_text()
    )
    return result, report
