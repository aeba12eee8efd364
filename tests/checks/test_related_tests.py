"""Which test files a change concerns."""

from __future__ import annotations

from pathlib import Path

import pytest

from pattern_review.checks.related_tests import (
    imported_modules,
    is_test_file,
    module_name,
    related_tests,
)


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return _tree(
        tmp_path,
        {
            "src/app/__init__.py": "",
            "src/app/services/__init__.py": "",
            "src/app/services/resource_service.py": "X = 1\n",
            "src/app/schemas/resource.py": "Y = 1\n",
            "src/app/util.py": "Z = 1\n",
            "tests/services/test_resource_service.py": "def test_a() -> None: ...\n",
            "tests/test_routes.py": (
                "from app.services.resource_service import ResourceService\n"
            ),
            "tests/test_schemas.py": "from app.schemas import (\n    resource,\n)\n",
            "tests/test_plain.py": "import app.util as u\n",
            "tests/test_other.py": "import os\nfrom app import util  # noqa\n",
            "tests/test_unrelated.py": "import json\n",
            "tests/helpers.py": "from app.util import Z\n",
            ".venv/lib/test_vendored.py": "from app.util import Z\n",
        },
    )


def test_named_after_and_importing_a_changed_module(project: Path) -> None:
    assert related_tests(project, ["src/app/services/resource_service.py"]) == [
        "tests/services/test_resource_service.py",
        "tests/test_routes.py",
    ]


def test_from_package_import_submodule_counts(project: Path) -> None:
    assert related_tests(project, ["src/app/schemas/resource.py"]) == [
        "tests/test_schemas.py"
    ]


def test_plain_and_aliased_imports_count_but_not_helpers_or_venvs(
    project: Path,
) -> None:
    assert related_tests(project, ["src/app/util.py"]) == [
        "tests/test_other.py",
        "tests/test_plain.py",
    ]


def test_changed_test_files_are_related_themselves(project: Path) -> None:
    got = related_tests(project, ["tests/test_unrelated.py", "tests/gone_test.py"])
    assert got == ["tests/test_unrelated.py"]  # the deleted one is not run


def test_nothing_related(project: Path) -> None:
    assert related_tests(project, ["docs/conf.py"]) == []


def test_module_names() -> None:
    assert module_name("src/app/services/x.py") == "app.services.x"
    assert module_name("app/__init__.py") == "app"
    assert module_name("scripts/my-tool.py") is None
    assert module_name("README.md") is None


def test_test_file_names() -> None:
    assert is_test_file("tests/test_x.py")
    assert is_test_file("pkg/x_test.py")
    assert not is_test_file("tests/conftest.py")
    assert not is_test_file("tests/test_x.txt")


def test_imported_modules_reads_import_forms() -> None:
    source = (
        "import a.b, c as d\n"
        "from e.f import (\n    g,\n    h as i,\n)\n"
        "from . import local\n"
        "    from j import k  # inside a function\n"
    )
    assert imported_modules(source) == {
        "a.b",
        "c",
        "e.f",
        "e.f.g",
        "e.f.h",
        "j",
        "j.k",
    }


def test_tests_under_a_changed_conftest_are_related(project: Path) -> None:
    _tree(project, {"tests/services/conftest.py": "", "conftest.py": ""})

    assert related_tests(project, ["tests/services/conftest.py"]) == [
        "tests/services/test_resource_service.py"
    ]
    assert related_tests(project, ["conftest.py"]) == [
        "tests/services/test_resource_service.py",
        "tests/test_other.py",
        "tests/test_plain.py",
        "tests/test_routes.py",
        "tests/test_schemas.py",
        "tests/test_unrelated.py",
    ]
