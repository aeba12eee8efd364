"""The rule families' shared vocabulary: ``called_name`` reads what ``call_to`` matches.

The hot rules ask ``called_name`` instead of matching ``call_to`` (a matcher
costs about ten times as much on every call of every file); the two must
agree on every shape of call, or a rule would drift from the others.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
import pytest

from pattern_review.conventions.rules.vocabulary import call_to, called_name

_SHAPES = [
    ("Depends(get_db)", "Depends"),
    ("fastapi.Depends(get_db)", "Depends"),
    ("app.routers.api.get('/')", "get"),
    ("router.get('/')", "get"),
    ("factories['db']()", None),
    ("make()()", None),
    ("(lambda: 1)()", None),
    ("Depends", None),
    ("x.Depends", None),
    ("'text'.format(1)", "format"),
]


@pytest.mark.parametrize(("source", "name"), _SHAPES)
def test_called_name_reads_the_last_part_of_the_called_name(
    source: str, name: str | None
) -> None:
    assert called_name(cst.parse_expression(source)) == name


@pytest.mark.parametrize(("source", "name"), _SHAPES)
def test_called_name_agrees_with_the_call_to_matcher(
    source: str, name: str | None
) -> None:
    node = cst.parse_expression(source)
    for asked in ("Depends", "get", "make", "format", "db"):
        assert (called_name(node) == asked) == m.matches(node, call_to(asked)), asked
