"""Citation slugs and the table that cites ruff codes to the agent file's rules.

A slug names one section (or numbered style rule) of the agent file. The list
is closed: every finding, AI comment and team rule cites one of these slugs,
so a citation always names a section the seed agent file has. ``agent_file.py``
finds the real heading text and anchor in a team's own file; this module only
knows the slugs and their default headings.
"""

from __future__ import annotations

from dataclasses import dataclass

# slug -> (section heading in the seed agent file, section it sits under)
PATTERN_SECTIONS: dict[str, str] = {
    "router-pattern": "Router Pattern",
    "schema-pattern": "Schema Pattern (Pydantic v2)",
    "model-pattern": "Model Pattern (SQLAlchemy 2.0)",
    "service-pattern": "Service Pattern",
    "celery-task-pattern": "Celery Task Pattern",
    "error-handling": "Error Handling",
    "completion-checklist": "Completion Checklist",
}
STYLE_RULES_HEADING = "Style Rules (MANDATORY)"
STYLE_RULE_COUNT = 14

PATTERN_SLUGS: frozenset[str] = frozenset(
    [*PATTERN_SECTIONS, *(f"style-rules#{n}" for n in range(1, STYLE_RULE_COUNT + 1))]
)


def is_pattern_slug(slug: str) -> bool:
    """Return whether ``slug`` is a catalogued citation.

    Args:
        slug: A candidate slug, e.g. from a model's answer.

    Returns:
        True for the pattern sections (``router-pattern`` ...) and the
        numbered style rules (``style-rules#1`` to ``style-rules#14``).
    """
    return slug in PATTERN_SLUGS


def heading_for(slug: str) -> str:
    """Return the default heading text a slug cites.

    Args:
        slug: A catalogued slug.

    Returns:
        The heading (for ``style-rules#N``, the Style Rules heading).
    """
    if slug.startswith("style-rules#"):
        return STYLE_RULES_HEADING
    return PATTERN_SECTIONS.get(slug, "Completion Checklist")


@dataclass(frozen=True)
class RuffMapping:
    """A ruff code prefix cited to an agent-file rule.

    Attributes:
        prefix: Ruff code or code prefix (``E501``, ``UP00``, ``D1``).
        pattern: The slug it enforces.
        severity: Severity of findings with this code.
    """

    prefix: str
    pattern: str
    severity: str = "error"


# Longest prefix wins. The selection run through ruff (so these style rules
# apply even when the target's ruff config leaves them out) is the set of
# prefixes below; see checks/ruff_check.py.
RUFF_MAPPINGS: tuple[RuffMapping, ...] = (
    RuffMapping("FA", "style-rules#1"),
    RuffMapping("ANN", "style-rules#2"),
    # ``Any`` is an annotation: rule 2 holds. Only a target that selects
    # ANN401 itself sees it, as a checklist matter (ruff must be clean).
    RuffMapping("ANN401", "completion-checklist"),
    RuffMapping("D1", "style-rules#3", "warning"),
    RuffMapping("D4", "style-rules#3", "warning"),
    RuffMapping("E501", "style-rules#4"),
    RuffMapping("W505", "style-rules#4"),
    RuffMapping("UP031", "style-rules#5"),
    RuffMapping("UP032", "style-rules#5"),
    RuffMapping("ISC", "style-rules#5", "warning"),
    RuffMapping("N802", "style-rules#6"),
    RuffMapping("N803", "style-rules#6"),
    RuffMapping("N806", "style-rules#6"),
    RuffMapping("N815", "style-rules#6"),
    # A mixedCase module-level name: most are constants (``maxBatch = 100``),
    # which rule 8 names; STY008 reports the snake_case and PascalCase ones.
    RuffMapping("N816", "style-rules#8"),
    RuffMapping("N801", "style-rules#7"),
    RuffMapping("UP007", "style-rules#9"),
    RuffMapping("UP045", "style-rules#9"),
    RuffMapping("UP006", "style-rules#10"),
    RuffMapping("UP035", "style-rules#10"),
    RuffMapping("I001", "style-rules#11"),
    RuffMapping("I002", "style-rules#1"),
    RuffMapping("E722", "error-handling"),
    RuffMapping("BLE001", "error-handling"),
    RuffMapping("ASYNC", "style-rules#14", "warning"),
)

# What pattern-review adds to the target's own ruff selection (checks/ruff_check.py)
# so the agent file's style rules apply even where the target's config leaves
# them out. Tuned so the seed's own code blocks pass: no D100/D104 (the seed has
# no module docstrings), no D105/D107 (dunder docstrings are not "public"), no
# D417 (a bound Celery task's ``self`` is not documented), no BLE001 (the seed's
# task re-raises from ``except Exception``; a convention rule allows that).
# Only codes whose rule the agent file states: ANN0/ANN2 (annotations present,
# not ANN401's ban on ``Any``), and the pep8-naming codes of rules 6-8 (not
# N818's ``Error`` suffix, nor the codes on ``self``/``cls`` and import aliases).
# Explicitly selected codes override the docstring convention, so only the
# D4xx codes of the Google convention are listed. Only long-standing codes, so
# a target's older ruff accepts the selection.
RUFF_STYLE_SELECT: tuple[str, ...] = (
    "FA",
    "ANN0",
    "ANN2",
    "D101",
    "D102",
    "D103",
    "D106",
    "D402",
    "D403",
    "D405",
    "D410",
    "D411",
    "D412",
    "D414",
    "D415",
    "D416",
    "D418",
    "D419",
    "E501",
    "UP031",
    "UP032",
    "N801",
    "N802",
    "N803",
    "N806",
    "N815",
    "N816",
    "UP006",
    "UP007",
    "UP035",
    "UP045",
    "I001",
    "I002",
    "E722",
    "ASYNC",
)


def cite_ruff_code(code: str) -> RuffMapping:
    """Return the agent-file rule a ruff code enforces.

    Args:
        code: A ruff code such as ``E501``.

    Returns:
        The most specific mapping, or one citing ``completion-checklist``.
    """
    best: RuffMapping | None = None
    for mapping in RUFF_MAPPINGS:
        if code.startswith(mapping.prefix) and (
            best is None or len(mapping.prefix) > len(best.prefix)
        ):
            best = mapping
    return best or RuffMapping(code, "completion-checklist")


@dataclass(frozen=True)
class ReviewRule:
    """A finding pattern-review makes about the review itself, not a convention.

    Attributes:
        id: The rule id.
        severity: Severity of its findings.
        summary: One line saying what it reports.
        advice: What to do about it.
    """

    id: str
    severity: str
    summary: str
    advice: str


# Cited to the Completion Checklist: a file none of its tools can read or
# parse, or an ignore comment that no longer ignores anything, is a checklist
# matter, not a pattern's. (The ids are findings.PARSE_ERROR_RULE and the
# others, and suppressions.UNUSED_IGNORE_RULE.)
REVIEW_RULES: tuple[ReviewRule, ...] = (
    ReviewRule(
        "PR000",
        "error",
        "A changed Python file does not parse",
        "Fix the syntax error; until then no tool can check the file.",
    ),
    ReviewRule(
        "PR001",
        "error",
        "A changed Python file is not UTF-8",
        "Save it as UTF-8 (PEP 3120), the encoding every tool here reads.",
    ),
    ReviewRule(
        "PR002",
        "note",
        "A changed .py file is binary and was skipped",
        "Nothing to do if it is meant to be binary; otherwise restore the text.",
    ),
    ReviewRule(
        "PR003",
        "error",
        "A convention rule crashed on a file",
        "Report it to pattern-review with the file; the other rules still ran.",
    ),
    ReviewRule(
        "PR004",
        "error",
        "A changed file could not be read",
        "Check the file's permissions and that it is a regular file.",
    ),
    ReviewRule(
        "PR005",
        "error",
        "The convention rules could not analyse a changed file: it crashed "
        "the parser, ran past its time budget, or is too large to parse",
        "Split the file, or report it to pattern-review with the file; the "
        "other files were still reviewed, and the next run tries it again.",
    ),
    ReviewRule(
        "PR100",
        "note",
        "A `# pattern-review: ignore[...]` comment ignores nothing",
        "Remove the comment, or the rule id in it that no longer fires.",
    ),
    ReviewRule(
        "PR101",
        "error",
        "The PR narrows what ruff, mypy or pytest examines or how it judges "
        "(a tool config key: select, ignore, per-file-ignores, exclude, "
        "ignore_errors, strictness switches, addopts, testpaths, ...)",
        "Keep the tool config as the base branch has it, or get the change "
        'reviewed on its own: it is listed under "This PR changes how it is '
        'judged".',
    ),
    ReviewRule(
        "PR102",
        "error",
        "The PR adds or changes a conftest.py hook (or collect_ignore, "
        "pytest_plugins) that can alter which tests are collected or how "
        "their outcomes are reported",
        "Move the hook to its own reviewed PR, or drop it; a hook that "
        "rewrites outcomes makes a failing test look like a pass.",
    ),
    ReviewRule(
        "PR103",
        "error",
        "The PR adds a comment that silences a tool (`# noqa`, "
        "`# type: ignore`, `# ruff: noqa`, `# mypy: ignore-errors`, "
        "`# pattern-review: ignore[...]`)",
        "Fix the finding instead; if it must stay, name the code and give a "
        "reason in the comment so the reviewer can accept it.",
    ),
    ReviewRule(
        "PR104",
        "error",
        "The PR weakens pattern-review's own standard (a setting, the agent "
        "file's text, a rule module, a generated-code mark); the base "
        "commit's standard judged this PR, the change applies after merge",
        "Change the standard in its own PR, reviewed by the team that owns it.",
    ),
)


def review_rule(rule_id: str) -> ReviewRule | None:
    """Return the review rule with an id, or None.

    Args:
        rule_id: A rule id such as ``PR000`` (case-insensitive).

    Returns:
        The rule, or None.
    """
    wanted = rule_id.upper()
    return next((rule for rule in REVIEW_RULES if rule.id == wanted), None)
