"""A real temporary git repository for tests."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path


class GitRepo:
    """A git work tree in a temporary folder, driven by the real ``git``."""

    def __init__(self, path: Path, branch: str = "main") -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", branch)
        self.git("config", "user.email", "dev@example.com")
        self.git("config", "user.name", "Dev")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str) -> str:
        """Run git in the repo and return its stripped stdout."""
        done = subprocess.run(
            ["git", *args], cwd=self.path, check=True, capture_output=True, text=True
        )
        return done.stdout.strip()

    def write(self, rel: str, content: str | bytes, *, dedent: bool = True) -> Path:
        """Write a file (text is dedented unless told otherwise)."""
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(textwrap.dedent(content) if dedent else content)
        return target

    def commit(self, message: str = "change") -> str:
        """Stage everything and commit; return the new HEAD sha."""
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def checkout(self, *args: str) -> None:
        """Run ``git checkout`` with the given arguments."""
        self.git("checkout", "-q", *args)
