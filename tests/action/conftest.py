"""The ``world`` of the trust tests: a workspace, its origin, a loopback GitHub.

test_e2e.py defines its own ``world`` (on its ``gh`` fixture), which wins there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.action.test_e2e import World
from tests.fakes.github_server import FakeGitHub


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    """A workspace, its origin and a loopback GitHub for one PR."""
    fake = FakeGitHub("octo-org/app")
    fake.start()
    yield World(tmp_path, fake)
    fake.stop()
