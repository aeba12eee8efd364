"""The seed agent file's own code blocks are the reference: zero findings.

Each pattern's code block is linted as the role its heading names, with the
full catalog (every family), and must come out clean; the same blocks with a
known violation put in must not.
"""

from __future__ import annotations

import pytest

from pattern_review.config import Config, Role
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.registry import all_rules
from pattern_review.rulebook.agent_file import AgentFile, parse_agent_file
from tests.conftest import SEED_AGENT_FILE

# Pattern slug -> (role its code is reviewed as, path it would live at).
PATTERN_ROLES: dict[str, tuple[Role, str]] = {
    "router-pattern": ("router", "src/app/routers/resource.py"),
    "schema-pattern": ("schema", "src/app/schemas/resource.py"),
    "model-pattern": ("model", "src/app/models/resource.py"),
    "service-pattern": ("service", "src/app/services/resource_service.py"),
    "celery-task-pattern": ("task", "src/app/tasks/sync.py"),
}


def _seed() -> AgentFile:
    return parse_agent_file(SEED_AGENT_FILE.read_text(encoding="utf-8"), "seed.md")


def _block(slug: str) -> str:
    section = _seed().section(slug)
    assert section is not None, slug
    assert len(section.code_blocks) == 1, slug
    return section.code_blocks[0]


@pytest.mark.parametrize("slug", sorted(PATTERN_ROLES))
def test_seed_code_block_is_clean_under_the_full_catalog(slug: str) -> None:
    role, path = PATTERN_ROLES[slug]
    findings = lint_source(path, _block(slug), Config(), roles=frozenset({role}))
    assert findings == [], [(f.rule, f.line, f.message) for f in findings]


@pytest.mark.parametrize("slug", sorted(PATTERN_ROLES))
def test_seed_code_block_roles_are_detected_from_path_and_content(slug: str) -> None:
    role, path = PATTERN_ROLES[slug]
    # Detected roles (path globs plus content) must also give zero findings.
    assert lint_source(path, _block(slug), Config()) == []
    assert lint_source(f"lib/{slug}.py", _block(slug), Config()) == []


def test_every_family_has_rules_for_its_role() -> None:
    roles = {role for rule in all_rules() for role in rule.ROLES}
    assert {"router", "schema", "model"} <= roles


@pytest.mark.parametrize(
    ("slug", "before", "after", "rule"),
    [
        (
            "router-pattern",
            'APIRouter(prefix="/resources", tags=["resources"])',
            "APIRouter()",
            "RTR001",
        ),
        (
            "schema-pattern",
            "    model_config = ConfigDict(from_attributes=True)\n",
            "",
            "SCH004",
        ),
        ("model-pattern", '    __tablename__ = "resources"\n', "", "MDL004"),
        (
            "model-pattern",
            "mapped_column(String(255))",
            "mapped_column(String)",
            "MDL002",
        ),
    ],
)
def test_seed_block_with_a_violation_put_in_is_flagged(
    slug: str, before: str, after: str, rule: str
) -> None:
    role, path = PATTERN_ROLES[slug]
    code = _block(slug)
    assert before in code
    findings = lint_source(path, code.replace(before, after), Config())
    assert [f.rule for f in findings] == [rule]
