"""One finding where several checks say the same thing about the same code."""

from __future__ import annotations

from typing import Any

from pattern_review.findings.merge import merge_duplicates
from pattern_review.models import Finding

ROUTER = (
    "from fastapi import APIRouter\n"
    "router = APIRouter()\n"
    "@router.get(\n"
    '    "/orders",\n'
    ")\n"
    "async def list_orders(db):\n"
    "    return []\n"
)


def _finding(rule: str, line: int, **extra: Any) -> Finding:
    source = extra.pop("source", "ruff")
    return Finding.model_validate(
        {
            "rule": rule,
            "pattern": extra.pop("pattern", "style-rules#2"),
            "source": source,
            "severity": extra.pop("severity", "error"),
            "path": extra.pop("path", "app/routers/orders.py"),
            "line": line,
            "column": extra.pop("column", 1),
            "message": extra.pop("message", f"{rule} says so."),
            "fingerprint": f"fp-{rule}-{line}",
        }
    )


def test_ann201_and_mypy_untyped_def_on_one_def_are_one_finding() -> None:
    ann = _finding("ANN201", 6, column=11)
    mypy = _finding(
        "mypy:no-untyped-def", 6, source="mypy", pattern="completion-checklist"
    )

    merged = merge_duplicates([ann, mypy])

    assert [f.rule for f in merged] == ["ANN201"]
    assert merged[0].message == "ANN201 says so. (also: mypy:no-untyped-def)"
    assert merged[0].fingerprint == ann.fingerprint


def test_route_finding_on_the_decorator_absorbs_the_annotation_of_its_def() -> None:
    route = _finding("RTR005", 3, source="convention", pattern="router-pattern")
    ann = _finding("ANN201", 6, column=11, severity="warning")

    merged = merge_duplicates([route, ann], {"app/routers/orders.py": ROUTER})

    assert [f.rule for f in merged] == ["RTR005"]
    assert merged[0].message.endswith("(also: ANN201)")


def test_without_the_source_a_decorator_finding_stays_apart() -> None:
    route = _finding("RTR005", 3, source="convention", pattern="router-pattern")
    ann = _finding("ANN201", 6)

    assert [f.rule for f in merge_duplicates([route, ann])] == ["RTR005", "ANN201"]


def test_two_model_findings_on_one_column_keep_the_first_and_the_worst_severity() -> (
    None
):
    legacy = _finding(
        "MDL001",
        19,
        column=5,
        source="convention",
        pattern="model-pattern",
        severity="warning",
    )
    length = _finding(
        "MDL002", 19, column=19, source="convention", pattern="model-pattern"
    )

    merged = merge_duplicates([legacy, length])

    assert [(f.rule, f.severity) for f in merged] == [("MDL001", "error")]
    assert "also: MDL002" in merged[0].message


def test_findings_on_other_lines_files_or_topics_are_kept_apart() -> None:
    kept = [
        _finding("ANN201", 6),
        _finding("mypy:no-untyped-def", 7, source="mypy"),
        _finding("ANN201", 6, path="app/other.py"),
        _finding("D103", 6, pattern="style-rules#3"),
        _finding("MDL001", 9, source="convention", pattern="model-pattern"),
        _finding("MDL003", 9, source="convention", pattern="model-pattern"),
    ]

    assert merge_duplicates(kept) == kept


def test_two_parameters_missing_annotations_on_one_line_stay_two_findings() -> None:
    first = _finding("ANN001", 6, column=17)
    second = _finding("ANN001", 6, column=20)
    mypy = _finding(
        "mypy:no-untyped-def", 6, source="mypy", pattern="completion-checklist"
    )

    merged = merge_duplicates([first, second, mypy])

    assert [(f.rule, f.column) for f in merged] == [("ANN001", 17), ("ANN001", 20)]
    assert merged[0].message.endswith("(also: mypy:no-untyped-def)")


def test_the_merged_finding_is_the_same_whatever_order_the_checks_finished_in() -> None:
    route = _finding("RTR005", 3, source="convention", pattern="router-pattern")
    ann001 = _finding("ANN001", 6, column=20)
    ann201 = _finding("ANN201", 6, column=11)
    mypy = _finding(
        "mypy:no-untyped-def", 6, source="mypy", pattern="completion-checklist"
    )
    orders = [
        [route, ann001, ann201, mypy],
        [mypy, ann201, route, ann001],
        [ann201, mypy, ann001, route],
    ]

    merged = [
        sorted(
            merge_duplicates(order, {"app/routers/orders.py": ROUTER}),
            key=lambda f: (f.line, f.column, f.rule),
        )
        for order in orders
    ]

    # The same findings, worded the same way (the report orders them).
    assert merged[0] == merged[1] == merged[2]
