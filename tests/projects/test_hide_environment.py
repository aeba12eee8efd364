"""The review's own environment (its tokens) is unreadable to the PR code it runs.

A PR's test can walk up its parent processes and read each one's
``/proc/<pid>/environ``. The user switch (test_secrets.py) covers a review
that runs as root; these tests cover the same user on both sides, as in the
composite action and a local run, where only the kernel's dumpable flag
stands between the PR's code and the token.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pattern_review.projects.accounts

SYSTEM_PYTHON = Path("/usr/bin/python3")
# Runs as the unprivileged user: holds a secret, optionally hides it, then
# starts a child that tries to read the secret from its parent's environ.
PROBE = """
import os, subprocess, sys
if sys.argv[1] == "hide":
    assert hide_environment()
reader = (
    "import os\\n"
    "try:\\n"
    "    data = open(f'/proc/{os.getppid()}/environ', 'rb').read()\\n"
    "    print('READ' if b'PROBE_SECRET=s3cr3t' in data else 'ABSENT')\\n"
    "except OSError:\\n"
    "    print('DENIED')\\n"
)
child = subprocess.run(
    [sys.executable, "-c", reader], capture_output=True, text=True, env={}
)
print(child.stdout.strip())
"""


def _as_nobody(mode: str) -> str:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the probe as another user")
    if not SYSTEM_PYTHON.exists():
        pytest.skip("needs a system Python that user nobody can run")
    # The module is stdlib-only: its source runs as is, from -c, so user
    # nobody needs no access to this checkout.
    module = Path(pattern_review.projects.accounts.__file__).read_text(encoding="utf-8")
    done = subprocess.run(
        [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            "--",
            str(SYSTEM_PYTHON),
            "-c",
            module + PROBE,
            mode,
        ],
        capture_output=True,
        text=True,
        cwd="/",
        env={"PATH": os.environ["PATH"], "PROBE_SECRET": "s3cr3t"},
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_process_that_hides_its_environment_keeps_it_from_its_own_user() -> None:
    # Control: without it, a child of the same user reads the secret.
    assert _as_nobody("show") == "READ"
    assert _as_nobody("hide") == "DENIED"


def test_the_cli_hides_its_environment_before_any_verb_runs() -> None:
    code = (
        "import ctypes, sys\n"
        "from pattern_review.cli import main\n"
        "status = main(['rules'])\n"
        "print('dumpable', ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))\n"
        "sys.exit(status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "dumpable 0"
