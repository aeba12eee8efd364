"""Fingerprints that survive lines moving."""

from __future__ import annotations

from pattern_review.findings.fingerprints import fingerprint
from tests.findings.sample import make


def test_fingerprint_survives_lines_moving_and_tells_duplicates_apart() -> None:
    before = {"app/x.py": "x = 1\nveryLongLine = 2\n"}
    after = {"app/x.py": "# new comment\n\nx = 1\nveryLongLine   =   2\n"}

    first = fingerprint([make(2)], before)[0].fingerprint
    moved = fingerprint([make(4)], after)[0].fingerprint
    twins = fingerprint([make(1), make(2)], {"app/x.py": "a = 1\na = 1\n"})

    assert first == moved
    assert len(first) == 16
    assert twins[0].fingerprint != twins[1].fingerprint


def test_fingerprint_changes_with_the_code() -> None:
    one = fingerprint([make(1)], {"app/x.py": "x = 1\n"})[0].fingerprint
    two = fingerprint([make(1)], {"app/x.py": "x = 2\n"})[0].fingerprint

    assert one != two
