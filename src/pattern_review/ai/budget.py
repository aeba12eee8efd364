"""Keep the AI request's input within ``ai_budget_tokens``.

Tokens are estimated, not counted by the API: one more round trip per review
would cost time and a request of its own. The estimate is deliberately high
(Claude's tokenizers average about 3.5-4 bytes per token on code and English;
we assume 3), so a request estimated within the budget is within it.

When the changed code does not fit, the files with deterministic findings go
first, then the most pattern-heavy roles (routers, services, tasks, models,
schemas); a file that only partly fits is clipped, and what is left out is
listed so the comment can say what the model did not see.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

BYTES_PER_TOKEN = 3.0
# Fixed cost the API adds to every request (role markers, the output-format
# system prompt) beyond the text we send.
REQUEST_OVERHEAD_TOKENS = 400
# A file excerpt is not worth sending when fewer tokens than this remain.
MIN_CLIP_TOKENS = 200

# Higher first: roles whose files carry the most patterns of the rulebook.
ROLE_WEIGHT: dict[str, int] = {
    "router": 6,
    "service": 5,
    "task": 4,
    "model": 3,
    "schema": 2,
    "other": 1,
    "test": 0,
}


def estimate_tokens(text: str) -> int:
    """Return a high estimate of the tokens a text costs.

    Args:
        text: Any text sent to the model.

    Returns:
        Estimated tokens (0 for the empty string).
    """
    return math.ceil(len(text.encode("utf-8")) / BYTES_PER_TOKEN)


@dataclass(frozen=True)
class FileBlock:
    """The rendered excerpt of one changed file, ready to send.

    Attributes:
        path: Path relative to the repo root.
        roles: The file's roles.
        findings: Deterministic findings on the file.
        text: The excerpt, one rendered line per source line.
    """

    path: str
    roles: tuple[str, ...]
    findings: int
    text: str

    @property
    def priority(self) -> tuple[int, int, str]:
        """Sort key: findings first, then the most pattern-heavy role."""
        weight = max((ROLE_WEIGHT.get(role, 1) for role in self.roles), default=1)
        return (-self.findings, -weight, self.path)


@dataclass
class Selection:
    """Which file excerpts go into the request.

    Attributes:
        sent: Blocks to send (possibly clipped), in priority order.
        clipped: Paths sent only in part.
        not_sent: Paths left out entirely.
    """

    sent: list[FileBlock] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)


def clip_text(text: str, max_tokens: int) -> str:
    """Cut a text at a line boundary so it fits in ``max_tokens``.

    Args:
        text: Lines of an excerpt.
        max_tokens: Tokens it may cost, the clipping note included.

    Returns:
        The leading lines that fit, and a note saying how many were cut.
    """
    lines = text.splitlines()
    kept: list[str] = []
    used = 0
    for index, line in enumerate(lines):
        note = f"… clipped: {len(lines) - index} more lines not sent"
        cost = estimate_tokens(line + "\n")
        if used + cost + estimate_tokens(note) > max_tokens:
            kept.append(note)
            break
        kept.append(line)
        used += cost
    return "\n".join(kept)


def select_files(
    blocks: Sequence[FileBlock], available_tokens: int, wrapper_tokens: int = 0
) -> Selection:
    """Choose the file excerpts that fit in the tokens left for code.

    Args:
        blocks: Every changed file's excerpt.
        available_tokens: Tokens left after the fixed parts of the request.
        wrapper_tokens: Tokens each block costs beyond its text (delimiters).

    Returns:
        The selection, highest priority first.
    """
    selection = Selection()
    remaining = available_tokens
    for block in sorted(blocks, key=lambda b: b.priority):
        cost = estimate_tokens(block.text) + wrapper_tokens
        if cost <= remaining:
            selection.sent.append(block)
            remaining -= cost
        elif remaining - wrapper_tokens >= MIN_CLIP_TOKENS:
            text = clip_text(block.text, remaining - wrapper_tokens)
            selection.sent.append(
                FileBlock(block.path, block.roles, block.findings, text)
            )
            selection.clipped.append(block.path)
            remaining -= estimate_tokens(text) + wrapper_tokens
        else:
            selection.not_sent.append(block.path)
    return selection
