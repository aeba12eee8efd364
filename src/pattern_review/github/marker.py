"""The hidden marker that makes the PR comment sticky and remembers the run.

The sticky comment starts with ``<!-- pattern-review:v1 DATA -->`` where DATA
is base64 of zlib-compressed JSON: the head SHA and, for each finding, its
fingerprint and the few fields needed to list it as fixed on the next run.
The comment text is untrusted (anyone who can edit it, or imitate it, controls
it), so parsing is strict and bounded: a malformed marker gives no data,
never an exception, and decompression stops at a fixed size.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from dataclasses import dataclass, field

from pydantic import ValidationError

from pattern_review.models import Finding, FindingDelta

PREFIX = "<!-- pattern-review:v1"
MAX_MARKER_CHARS = 12_000
MAX_ENTRIES = 1_000
MAX_MESSAGE_CHARS = 160
MAX_DECOMPRESSED_BYTES = 1_000_000
_MARKER = re.compile(r"\A<!-- pattern-review:v1 ([A-Za-z0-9+/=]*) -->")
_FIELDS = ("fingerprint", "rule", "pattern", "source", "severity", "path", "line")


@dataclass(frozen=True)
class MarkerData:
    """What a previous run left in its sticky comment.

    Attributes:
        head: The head SHA that run reviewed.
        findings: Its findings (message shortened), keyed by fingerprint.
    """

    head: str
    findings: dict[str, Finding] = field(default_factory=dict)


def _entry(finding: Finding) -> list[str | int]:
    return [
        finding.fingerprint,
        finding.rule,
        finding.pattern,
        finding.source,
        finding.severity,
        finding.path,
        finding.line,
        finding.message[:MAX_MESSAGE_CHARS],
    ]


def _encode(head: str, entries: list[list[str | int]]) -> str:
    payload = json.dumps({"head": head, "f": entries}, separators=(",", ":"))
    packed = base64.b64encode(zlib.compress(payload.encode("utf-8"), 9))
    return f"{PREFIX} {packed.decode('ascii')} -->"


def build_marker(head: str, findings: list[Finding]) -> str:
    """Return the marker line for a run.

    Findings without a fingerprint cannot be matched next run and are left
    out; when the marker would exceed MAX_MARKER_CHARS, messages are dropped
    first, then the least severe findings (they will show as new next run).

    Args:
        head: The reviewed head SHA.
        findings: This run's findings, most severe first.

    Returns:
        One line, at most MAX_MARKER_CHARS characters.
    """
    # AI findings are advisory and come and go with the model's availability:
    # tracking them would show them "fixed" whenever a run has no AI section.
    entries = [_entry(f) for f in findings if f.fingerprint and f.source != "ai"]
    entries = entries[:MAX_ENTRIES]
    marker = _encode(head, entries)
    if len(marker) <= MAX_MARKER_CHARS:
        return marker
    entries = [e[:-1] + [""] for e in entries]
    marker = _encode(head, entries)
    while len(marker) > MAX_MARKER_CHARS and entries:
        entries = entries[: len(entries) * 3 // 4]
        marker = _encode(head, entries)
    return marker


def has_marker(body: str) -> bool:
    """Return whether a comment body starts like a pattern-review comment.

    Args:
        body: A comment body.

    Returns:
        True when the body opens with the marker prefix.
    """
    return body.startswith(PREFIX)


def parse_marker(body: str) -> MarkerData | None:
    """Read the marker at the start of a comment body.

    Args:
        body: An untrusted comment body.

    Returns:
        The data, or None when the body has no well-formed marker.
    """
    match = _MARKER.match(body[: MAX_MARKER_CHARS + 64])
    if match is None:
        return None
    try:
        packed = base64.b64decode(match.group(1), validate=True)
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_DECOMPRESSED_BYTES)
        if inflater.unconsumed_tail:
            return None
        data = json.loads(raw.decode("utf-8"))
    except (binascii.Error, zlib.error, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    head, entries = data.get("head"), data.get("f")
    if not isinstance(head, str) or not isinstance(entries, list):
        return None
    findings: dict[str, Finding] = {}
    for entry in entries[:MAX_ENTRIES]:
        finding = _finding(entry)
        if finding is not None:
            findings[finding.fingerprint] = finding
    return MarkerData(head=head[:64], findings=findings)


def _finding(entry: object) -> Finding | None:
    if not isinstance(entry, list) or len(entry) != len(_FIELDS) + 1:
        return None
    values = dict(zip((*_FIELDS, "message"), entry, strict=True))
    if not all(isinstance(values[k], str) for k in _FIELDS if k != "line"):
        return None
    if not isinstance(values["message"], str) or not values["fingerprint"]:
        return None
    try:
        return Finding.model_validate(
            {
                k: (v[:MAX_MESSAGE_CHARS] if isinstance(v, str) else v)
                for k, v in values.items()
            }
        )
    except ValidationError:
        return None


def finding_delta(
    previous: MarkerData | None, findings: list[Finding]
) -> FindingDelta | None:
    """Compare this run's findings with the previous run's.

    Args:
        previous: What the previous sticky comment remembered, or None.
        findings: This run's findings.

    Returns:
        New fingerprints and fixed findings, or None on a first run (nothing
        to compare with).
    """
    if previous is None:
        return None
    current = {f.fingerprint for f in findings if f.fingerprint and f.source != "ai"}
    return FindingDelta(
        new=current - previous.findings.keys(),
        fixed=[f for fp, f in previous.findings.items() if fp not in current],
    )
