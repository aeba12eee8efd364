"""The container contract: Dockerfile, action.yml, workflows, and a real install.

No Docker daemon is needed: the Dockerfile is linted with hadolint and read
for the rules the action depends on, and the entrypoint is run from a fresh
virtual environment installed exactly as the Dockerfile installs it, against
a workspace owned by another user (as the runner mounts it).
"""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from pattern_review.action.env import INPUT_NAMES
from tests.conftest import FIXTURES
from tests.fakes.github_server import TOKEN, FakeGitHub
from tests.gitrepo import GitRepo
from tests.secret_pr import HUNTING_TEST, readable_folder

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
REQUIREMENTS = ROOT / "requirements" / "container.txt"
BIN = Path(sys.executable).parent
OTHER_UID = 65534  # nobody: the workspace is not ours, as in the container
DOCUMENTED_OUTPUTS = {
    "conclusion",
    "findings-count",
    "errors-count",
    "comment-url",
    "sarif-file",
    "report-json",
}


def _tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else shutil.which(name) or name


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            pairs.append((word.upper(), " ".join(rest.split())))
    return pairs


def test_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [_tool("hadolint"), str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_dockerfile_keeps_the_container_contract() -> None:
    steps = _instructions()
    words = [word for word, _ in steps]
    assert "USER" not in words and "WORKDIR" not in words
    base = next(rest for word, rest in steps if word == "FROM")
    # A tag alone moves; the digest names one image.
    match = re.fullmatch(r"python:3\.(\d+)(?:\.\d+)?-slim\S*@sha256:[0-9a-f]{64}", base)
    assert match and int(match.group(1)) >= 12, base
    assert ("ENTRYPOINT", '["pattern-review", "action"]') in steps
    runs = [rest for word, rest in steps if word == "RUN"]
    assert any("git config --system --add safe.directory '*'" in r for r in runs)
    deps = [r for r in runs if "-r /opt/pattern-review/requirements.txt" in r]
    assert deps and "--require-hashes" in deps[0]
    build = [r for r in runs if "-r /opt/pattern-review/build.txt" in r]
    assert build and "--require-hashes" in build[0]
    project = [
        r
        for r in runs
        if "uv pip install --no-deps --no-build-isolation /opt/pattern-review/src" in r
    ]
    assert project and " -e " not in project[0]
    # apt packages by version: "git=1:2.39...".
    installs = [r for r in runs if "apt-get install" in r]
    assert installs and re.search(r"\bgit=\S+", installs[0]), installs


def test_build_requirements_are_hash_pinned_and_hold_uv_and_the_backend() -> None:
    text = (ROOT / "requirements" / "build.txt").read_text()
    assert "://" not in text
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)(.*?)(?=^\S|\Z)", text, re.M | re.S)
    assert all("--hash=sha256:" in rest for _, _, rest in entries)
    names = {canonicalize_name(name) for name, _, _ in entries}
    backend = tomllib.loads((ROOT / "pyproject.toml").read_text())["build-system"]
    for spec in backend["requires"]:
        assert canonicalize_name(Requirement(spec).name) in names
    assert "uv" in names


def test_requirements_are_hash_pinned_and_cover_the_runtime_dependencies() -> None:
    text = REQUIREMENTS.read_text()
    assert "://" not in text  # no index or host named
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)(.*?)(?=^\S|\Z)", text, re.M | re.S)
    assert len(entries) > 10
    assert all("--hash=sha256:" in rest for _, _, rest in entries)
    pinned = {canonicalize_name(name): Version(version) for name, version, _ in entries}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    # uv.lock is not tracked (it names a registry host), so a fresh clone
    # re-resolves: compare with what pyproject allows, not with a lock.
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not pinned in {REQUIREMENTS.name}"
        assert requirement.specifier.contains(pinned[name]), (
            f"{name}=={pinned[name]} does not satisfy {requirement.specifier};"
            " regenerate requirements/container.txt with uv export"
        )


def _validate(schema: str, *paths: Path) -> None:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_action_yml_validates_and_declares_every_input_and_output() -> None:
    _validate("vendor.github-actions", ROOT / "action.yml")
    text = (ROOT / "action.yml").read_text()
    assert re.search(r"^runs:\n  using: docker\n  image: Dockerfile$", text, re.M)
    block = text.split("\ninputs:\n", 1)[1].split("\noutputs:\n", 1)
    declared_inputs = set(re.findall(r"^  ([a-z-]+):$", block[0], re.M))
    declared_outputs = set(
        re.findall(r"^  ([a-z-]+):$", block[1].split("\nruns:")[0], re.M)
    )
    assert declared_inputs == set(INPUT_NAMES)
    assert declared_outputs == DOCUMENTED_OUTPUTS


def test_workflows_validate() -> None:
    workflows = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
    assert {p.name for p in workflows} >= {"release.yml", "pattern-review.yml"}
    _validate("vendor.github-workflows", *workflows)


def _python312() -> str:
    """A Python >= 3.12 like the image's, else the one running the tests."""
    for candidate in (
        shutil.which("python3.13"),
        shutil.which("python3.12"),
        *sorted(glob.glob("/root/.pyenv/versions/3.1[2-9]*/bin/python3")),
    ):
        if (
            candidate
            and subprocess.run(
                [candidate, "-c", "import sys; assert sys.version_info >= (3, 12)"],
                capture_output=True,
                check=False,
            ).returncode
            == 0
        ):
            return candidate
    return sys.executable


@pytest.fixture(scope="module")
def container_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with pattern-review installed the Dockerfile's way."""
    return _install_as_the_dockerfile(tmp_path_factory.mktemp("container"), None)


@pytest.fixture(scope="module")
def readable_container_venv() -> Iterator[Path]:
    """The same, from an interpreter and in a folder ``nobody`` can reach.

    As in the image, where Python and the tools live under /usr/local; here
    the tests' own Python may be in root's private HOME.
    """
    if not Path("/usr/bin/python3").is_file():
        pytest.skip("no system Python that nobody may run")
    with readable_folder() as folder:
        yield _install_as_the_dockerfile(folder, "/usr/bin/python3")


def _install_as_the_dockerfile(folder: Path, python: str | None) -> Path:
    # What the Dockerfile copies: pyproject, README and src.
    source = folder / "src-copy"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__")
    )
    venv = folder / "venv"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    subprocess.run(
        ["uv", "venv", "-q", "--python", python or _python312(), str(venv)],
        check=True,
        env=env,
    )
    env["VIRTUAL_ENV"] = str(venv)
    subprocess.run(
        [
            "uv",
            "pip",
            "install",
            "-q",
            "--require-hashes",
            "--no-deps",
            "-r",
            str(REQUIREMENTS),
        ],
        check=True,
        env=env,
    )
    subprocess.run(
        ["uv", "pip", "install", "-q", "--require-hashes", "--no-deps", "-r",
         str(ROOT / "requirements" / "build.txt")],
        check=True, env=env,
    )  # fmt: skip
    subprocess.run(
        ["uv", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         str(source)],
        check=True, env=env,
    )  # fmt: skip
    return venv


def _event(repo: GitRepo, base: str, head: str) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        (
            FIXTURES / "github" / "webhooks" / "pull_request" / "opened.payload.json"
        ).read_text()
    )
    pull = payload["pull_request"]
    pull.update(number=3, draft=False)
    pull["head"].update(sha=head, ref="feature")
    pull["head"]["repo"]["full_name"] = "octo-org/app"
    pull["base"].update(sha=base, ref="main")
    payload["number"] = 3
    return payload


def test_entrypoint_runs_from_the_container_install_on_a_foreign_workspace(
    container_venv: Path, tmp_path: Path
) -> None:
    repo = GitRepo(tmp_path / "workspace")
    repo.write("app/calc.py", '"""Calc."""\n\nfrom __future__ import annotations\n')
    base = repo.commit("base")
    repo.write(
        "app/calc.py",
        '"""Calc."""\n\nfrom __future__ import annotations\n\nimport os\n',
    )
    head = repo.commit("pr")
    # As on pull_request_target: the workspace holds the base, the head is
    # reviewed from a temporary work tree.
    repo.checkout("--detach", base)
    config_before = (repo.path / ".git" / "config").read_bytes()
    subprocess.run(
        ["chown", "-R", f"{OTHER_UID}:{OTHER_UID}", str(repo.path)], check=True
    )
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("")
    env = {
        "PATH": f"{container_venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
        "GIT_CONFIG_NOSYSTEM": "1",  # the image's system-wide setting is not here
    }
    # Without the action's own trust setting, git refuses this workspace.
    refused = subprocess.run(
        ["git", "-C", str(repo.path), "rev-parse", "HEAD"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0 and "dubious ownership" in refused.stderr
    event = tmp_path / "event.json"
    event.write_text(json.dumps(_event(repo, base, head)))
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs"
    with FakeGitHub("octo-org/app") as gh:
        gh.add_pull(3, head_sha=head, base_sha=base, hunks={"app/calc.py": [(1, 5)]})
        env.update(
            GITHUB_EVENT_NAME="pull_request",
            GITHUB_EVENT_PATH=str(event),
            GITHUB_REPOSITORY="octo-org/app",
            GITHUB_WORKSPACE=str(repo.path),
            GITHUB_SHA=head,
            GITHUB_REF="refs/pull/3/merge",
            GITHUB_API_URL=gh.base_url,
            GITHUB_SERVER_URL="http://github.example",
            GITHUB_STEP_SUMMARY=str(summary),
            GITHUB_OUTPUT=str(outputs),
            PATTERN_REVIEW_GITHUB_THROTTLE_S="0",
            INPUT_CHECKS="ruff-format,ruff,conventions",
            **{"INPUT_GITHUB-TOKEN": TOKEN},
        )
        done = subprocess.run(
            ["pattern-review", "action"],
            cwd=repo.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert "Traceback" not in done.stderr, done.stderr
        assert done.returncode == 1, done.stdout + done.stderr
        (run,) = gh.check_runs.values()
        assert run["head_sha"] == head
        assert run["conclusion"] == "failure"
        homes = [*run["annotations"], *gh.review_comments]
        assert any(home["path"] == "app/calc.py" for home in homes)
        assert len(gh.issue_comments) == 1
    assert "F401" in summary.read_text()
    assert "conclusion<<" in outputs.read_text()
    # The workspace's own git config was left alone.
    assert (repo.path / ".git" / "config").read_bytes() == config_before
    assert os.stat(repo.path / ".git").st_uid == OTHER_UID
    trusted = ("-c", "safe.directory=*")
    assert repo.git(*trusted, "rev-parse", "HEAD") == base
    assert repo.git(*trusted, "worktree", "list").count("\n") == 0


def test_every_workflow_in_the_action_docs_validates(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "action.md").read_text()
    blocks = re.findall(r"^```yaml\n(.*?)^```$", text, re.M | re.S)
    assert len(blocks) >= 7
    readme = (ROOT / "README.md").read_text()
    workflows = [
        block
        for block in re.findall(r"^```yaml\n(.*?)^```$", readme, re.M | re.S)
        if "jobs:" in block
    ]
    assert workflows, "the README shows a copy-paste workflow"
    blocks += workflows
    paths = []
    for index, block in enumerate(blocks):
        paths.append(tmp_path / f"workflow{index}.yml")
        paths[-1].write_text(block)
    _validate("vendor.github-workflows", *paths)


def test_the_container_runs_the_prs_code_as_nobody_and_it_finds_no_secret(
    readable_container_venv: Path,
) -> None:
    with readable_folder() as folder:
        repo = GitRepo(folder / "workspace")
        repo.write("pkg/__init__.py", "")
        repo.write("pkg/calc.py", "def add(a: int, b: int) -> int:\n    return a + b\n")
        base = repo.commit("base")
        repo.write(
            "pkg/calc.py", "def add(a: int, b: int) -> int:\n    return str(b + a)\n"
        )
        repo.write("tests/test_calc.py", HUNTING_TEST, dedent=False)
        head = repo.commit("pr")
        home = folder / "home"
        home.mkdir()
        event = folder / "event.json"
        event.write_text(json.dumps(_event(repo, base, head)))
        summary, outputs = folder / "summary.md", folder / "outputs"
        with FakeGitHub("octo-org/app") as gh:
            hunks = {"pkg/calc.py": [(1, 2)], "tests/test_calc.py": [(1, 30)]}
            gh.add_pull(3, head_sha=head, base_sha=base, hunks=hunks)
            tools = readable_container_venv / "bin"
            env = {
                "PATH": f"{tools}:/usr/local/bin:/usr/bin:/bin",
                "HOME": str(home),
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_EVENT_PATH": str(event),
                "GITHUB_REPOSITORY": "octo-org/app",
                "GITHUB_WORKSPACE": str(repo.path),
                "GITHUB_SHA": head,
                "GITHUB_REF": "refs/pull/3/merge",
                "GITHUB_API_URL": gh.base_url,
                "GITHUB_SERVER_URL": "http://github.example",
                "GITHUB_STEP_SUMMARY": str(summary),
                "GITHUB_OUTPUT": str(outputs),
                "GITHUB_TOKEN": TOKEN,
                "PATTERN_REVIEW_GITHUB_THROTTLE_S": "0",
                "INPUT_CHECKS": "mypy,pytest",
                "INPUT_GITHUB-TOKEN": TOKEN,
            }  # the image's user switch is on: no PATTERN_REVIEW_RUN_AS
            done = subprocess.run(
                ["pattern-review", "action"], cwd=repo.path, env=env,
                capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            (run,) = gh.check_runs.values()
            sent = [r.body for r in gh.requests]
            inline = [str(c["body"]) for c in gh.review_comments]
        assert done.returncode == 1, done.stdout + done.stderr
        annotations = run["annotations"]
        published = summary.read_text()
    # mypy and the tests ran (as nobody, from the image's tools) ... each
    # finding is an inline comment or an annotation, never both.
    messages = " ".join([*(str(a["message"]) for a in annotations), *inline])
    assert "Incompatible return value type" in messages, published
    assert "read 0 parent environments" in messages, published
    # ... and no secret reached any request, the summary or the outputs.
    assert not any(TOKEN in str(body) for body in sent)
    assert TOKEN not in published
