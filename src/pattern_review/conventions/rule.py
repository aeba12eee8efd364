"""The shape of a convention rule (after Fixit): one class, its examples inside.

A rule is a libcst ``BatchableCSTVisitor``: the engine parses a file once and
runs every applicable rule in one traversal. A rule calls ``self.report(node)``
for each violation; the engine turns reports into findings with positions
(resolved only when something was reported, since position metadata is the
costly part of a parse).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import ClassVar

import libcst as cst
from libcst.metadata import ProviderT

from pattern_review.config import Role
from pattern_review.conventions.selection import RuleSelection
from pattern_review.models import Severity

__all__ = ["Example", "FileContext", "Rule", "RuleReport", "RuleSelection"]

# libcst's type for a bound visit_/leave_ method.
VisitorMethod = Callable[[cst.CSTNode], None]


@cache
def _visitor_names(cls: type[cst.BatchableCSTVisitor]) -> tuple[str, ...]:
    """Names of a visitor class's own (non-stub) visit_/leave_ methods."""
    return tuple(
        name
        for name in dir(cls)
        if name.startswith(("visit_", "leave_"))
        and callable(getattr(cls, name))
        and not getattr(getattr(cls, name), "_is_no_op", False)
    )


@dataclass(frozen=True)
class Example:
    """A code sample a rule must accept (VALID) or flag (INVALID).

    Attributes:
        code: The module source (dedented by the test runner).
        role: The file role the sample is reviewed as.
        line: For INVALID: the expected line of the first finding.
        column: For INVALID: the expected 1-based column of the first finding.
        message: For INVALID: the exact expected message of the first
            finding; None expects the rule's MESSAGE.
        suggestion: For INVALID: the expected ``Finding.suggestion`` of the
            first finding: the whole lines ``line``..``end_line`` after the
            fix (the engine splices the rule's replacement into them), or
            None when the rule offers no fix.
        count: For INVALID: how many findings the sample gives.
    """

    code: str
    role: Role = "other"
    line: int | None = None
    column: int | None = None
    message: str | None = None
    suggestion: str | None = None
    count: int = 1


@dataclass(frozen=True)
class FileContext:
    """What a rule knows of the file it looks at.

    Attributes:
        path: Path relative to the repo root.
        roles: The file's roles (router, schema, ...), from globs and content.
        source: The decoded file text.
        variants: Rule id -> the variants of it the team's agent file asks
            for (``rulebook/binding.py``); a rule not listed checks all of them.
    """

    path: str
    roles: frozenset[Role]
    source: str
    variants: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def asks_for(self, rule_id: str, variant: str) -> bool:
        """Return whether the team's agent file asks for a variant of a rule.

        Args:
            rule_id: The rule's id.
            variant: One of the rule's VARIANTS.

        Returns:
            True unless the rulebook turned this variant off.
        """
        chosen = self.variants.get(rule_id)
        return chosen is None or variant in chosen


@dataclass
class RuleReport:
    """One violation reported by a rule, before positions are resolved.

    Attributes:
        node: The node to point at.
        message: What was found and what the pattern asks for.
        suggestion: Replacement for the node's own code, or None.
        severity: Overrides the rule's SEVERITY when set.
    """

    node: cst.CSTNode
    message: str
    suggestion: str | None = None
    severity: Severity | None = None


class Rule(cst.BatchableCSTVisitor):
    """Base class of every convention rule.

    Subclasses set the class attributes and define libcst ``visit_*`` /
    ``leave_*`` methods that call :meth:`report`. Detection should use libcst
    matchers (``m.matches(node, m.Call(...))``) rather than hand-walked trees,
    except for the first test a visitor of every call makes: there the callee
    is read (``vocabulary.called_name``), about ten times cheaper.

    Attributes:
        ID: Stable rule id, family prefix and number (``RTR001``).
        PATTERN: The citation slug (catalog.PATTERN_SLUGS).
        SUMMARY: One line for ``pattern-review rules``.
        AGENT_TEXT: The agent file's own words this rule enforces.
        SENTENCES: The sentences of the agent file the rule is bound to, one
            each (a bullet, a numbered rule, or words of the section's
            example code); empty means the lines of AGENT_TEXT. The rule is
            on while the team's file still has one of them (rulebook/binding.py).
        VARIANTS: Parts of the sentence the rule checks separately: variant
            name -> the word of the sentence that asks for it. A file whose
            sentence lacks the word turns that variant off; the rule tags
            each report with its variant.
        MESSAGE: The sentence a user reads when the rule fires.
        ROLES: File roles the rule applies to; empty means every role but
            ``test``.
        SEVERITY: Default severity of its findings.
        VALID: Samples that must give no finding.
        INVALID: Samples that must give findings.
        METADATA_DEPENDENCIES: libcst metadata providers the rule reads
            (positions are handled by the engine; do not list them).
    """

    ID: ClassVar[str] = ""
    PATTERN: ClassVar[str] = ""
    SUMMARY: ClassVar[str] = ""
    AGENT_TEXT: ClassVar[str] = ""
    SENTENCES: ClassVar[tuple[str, ...]] = ()
    VARIANTS: ClassVar[Mapping[str, str]] = {}
    MESSAGE: ClassVar[str] = ""
    ROLES: ClassVar[frozenset[Role]] = frozenset()
    SEVERITY: ClassVar[Severity] = "error"
    VALID: ClassVar[Sequence[Example]] = ()
    INVALID: ClassVar[Sequence[Example]] = ()
    METADATA_DEPENDENCIES: ClassVar[tuple[ProviderT, ...]] = ()

    def __init__(self, context: FileContext) -> None:
        """Prepare the rule for one file.

        Args:
            context: The file being reviewed.
        """
        super().__init__()
        self.context = context
        self.reports: list[RuleReport] = []

    def get_visitors(self) -> Mapping[str, VisitorMethod]:
        """Return the rule's visit/leave methods, bound to this instance.

        libcst's default finds them with ``inspect.getmembers`` on every
        traversal (milliseconds per rule per file, more than the parse);
        the names are looked up once per class instead.

        Returns:
            Method name -> bound method, no-op stubs left out.
        """
        return {name: getattr(self, name) for name in _visitor_names(type(self))}

    @classmethod
    def sentences(cls) -> tuple[str, ...]:
        """Return the agent-file sentences the rule is bound to.

        Returns:
            SENTENCES, or else the non-empty lines of AGENT_TEXT.
        """
        if cls.SENTENCES:
            return cls.SENTENCES
        return tuple(
            line.strip() for line in cls.AGENT_TEXT.splitlines() if line.strip()
        )

    @classmethod
    def applies_to(cls, roles: frozenset[Role]) -> bool:
        """Return whether the rule runs on a file with these roles.

        Args:
            roles: The file's roles.

        Returns:
            True when the rule should visit the file.
        """
        if not cls.ROLES:
            return "test" not in roles
        return bool(cls.ROLES & roles)

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        suggestion: str | None = None,
        severity: Severity | None = None,
        variant: str | None = None,
    ) -> None:
        """Record a violation at ``node``.

        Args:
            node: The node the finding points at (its first line is the line).
            message: Overrides MESSAGE, e.g. to name what was found.
            suggestion: Replacement for the node's own code, when the fix is
                safe and mechanical. The engine splices it into the node's
                lines (text before and after the node is kept; continuation
                lines of a statement-level fix get the statement's indent), so
                the finding carries whole-line replacement text.
            severity: Overrides SEVERITY for this report.
            variant: The VARIANTS entry this report checks; dropped when
                the team's agent file does not ask for it.
        """
        if variant is not None and not self.context.asks_for(self.ID, variant):
            return
        self.reports.append(
            RuleReport(node, message or self.MESSAGE, suggestion, severity)
        )
