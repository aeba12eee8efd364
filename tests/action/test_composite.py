"""The composite action (``composite/action.yml``): pattern-review in the job itself.

It must offer what the Docker action offers (same inputs, outputs and
publishing), validate against the actions schema, and work: its install step
is run for real (pip, from the hash-pinned requirements) and its review step
reviews a PR against the loopback fake GitHub.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML: a dependency of libcst

from tests.action.test_e2e import REPOSITORY, World, parse_outputs
from tests.fakes.github_server import TOKEN, FakeGitHub

ROOT = Path(__file__).resolve().parents[2]
COMPOSITE = ROOT / "composite" / "action.yml"
DOCKER = ROOT / "action.yml"
_EXPRESSION = re.compile(r"\$\{\{\s*([\w.-]+)\s*\}\}")


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def _steps() -> dict[str, dict[str, Any]]:
    steps: list[dict[str, Any]] = _load(COMPOSITE)["runs"]["steps"]
    return {step["id"]: step for step in steps}


def test_both_actions_validate_against_the_actions_schema() -> None:
    done = subprocess.run(
        ["check-jsonschema", "--builtin-schema", "vendor.github-actions"]
        + [str(COMPOSITE), str(DOCKER)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_same_inputs_and_outputs_as_the_docker_action() -> None:
    composite, docker = _load(COMPOSITE), _load(DOCKER)
    assert composite["inputs"] == docker["inputs"]
    assert composite["runs"]["using"] == "composite"
    assert docker["runs"]["using"] == "docker"
    assert list(composite["outputs"]) == list(docker["outputs"])
    for name, spec in composite["outputs"].items():
        assert spec["description"] == docker["outputs"][name]["description"]
        assert spec["value"] == f"${{{{ steps.review.outputs.{name} }}}}"
    # Every input reaches the entrypoint as the Docker action passes it.
    env = _steps()["review"]["env"]
    for name in docker["inputs"]:
        assert env[f"INPUT_{name.upper()}"] == f"${{{{ inputs.{name} }}}}"


def _evaluate(text: str, values: dict[str, str]) -> str:
    return _EXPRESSION.sub(lambda m: values.get(m.group(1), ""), text)


def _run_step(
    step: dict[str, Any], values: dict[str, str], env: dict[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    """Run a composite step as the runner does: its env evaluated, bash -e."""
    step_env = {name: _evaluate(str(v), values) for name, v in step["env"].items()}
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", "-c", step["run"]],
        cwd=cwd,
        env={**env, **step_env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The install step, run for real into a runner's temporary folder."""
    runner_temp = tmp_path_factory.mktemp("runner-temp")
    outputs = runner_temp / "install-output.txt"
    env = {**os.environ, "RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(outputs)}
    env.pop("VIRTUAL_ENV", None)
    done = _run_step(
        _steps()["install"], {"github.action_path": str(COMPOSITE.parent)}, env, ROOT
    )
    if done.returncode != 0 and "No matching distribution" in done.stderr:
        pytest.skip("the package registry is not reachable")
    assert done.returncode == 0, done.stderr[-2000:]
    program = Path(outputs.read_text().strip().split("=", 1)[1])
    assert program.is_file()
    return program


@pytest.fixture
def gh() -> Iterator[FakeGitHub]:
    fake = FakeGitHub(REPOSITORY)
    fake.start()
    yield fake
    fake.stop()


@pytest.mark.slow
def test_the_composite_action_reviews_and_publishes_like_the_docker_one(
    installed: Path, tmp_path: Path, gh: FakeGitHub
) -> None:
    world = World(tmp_path, gh)
    world.add_pull()
    world.checkout_merge()
    event = tmp_path / "event.json"
    event.write_text(json.dumps(world.pr_payload()))
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "INPUT_", "ANTHROPIC_", "PATTERN_REVIEW_"))
    }
    env.update(
        GITHUB_ACTIONS="true",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_REPOSITORY=REPOSITORY,
        GITHUB_WORKSPACE=str(world.workspace),
        GITHUB_SHA=world.ws.git("rev-parse", "HEAD"),
        GITHUB_REF="refs/pull/7/merge",
        GITHUB_API_URL=gh.base_url,
        GITHUB_SERVER_URL="http://github.example",
        GITHUB_STEP_SUMMARY=str(summary),
        GITHUB_OUTPUT=str(outputs),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PATTERN_REVIEW_GITHUB_THROTTLE_S="0",
        PATTERN_REVIEW_GITHUB_BACKOFF_S="0",
    )
    docker_inputs = _load(DOCKER)["inputs"]
    values = {
        f"inputs.{name}": str(spec.get("default", ""))
        for name, spec in docker_inputs.items()
    }
    values.update(
        {
            "inputs.github-token": TOKEN,
            "inputs.checks": "ruff-format,ruff,conventions",
            "steps.install.outputs.program": str(installed),
        }
    )

    done = _run_step(_steps()["review"], values, env, world.workspace)

    assert done.returncode == 1, done.stderr  # the PR's findings fail it
    published = parse_outputs(outputs.read_text())
    assert published["conclusion"] == "failure"
    assert int(published["findings-count"]) >= 2
    assert published["comment-url"]
    (run,) = gh.check_runs.values()
    assert run["conclusion"] == "failure"
    assert "F401" in summary.read_text()
