"""Make model-written text safe to post on a pull request.

The model read untrusted PR content, so its answer is untrusted too: PR text is
data, and what the model says about it is sanitised. Before posting: no
``@mention`` that pings, no raw HTML (an HTML comment could imitate the sticky
comment's hidden marker), no images, links only to allowed prefixes (the
repository, which holds the agent file), nothing shaped like a secret, and a
length cap.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pattern_review.redaction import TOKEN_SHAPES

REDACTED = "[redacted]"
LINK_REMOVED = "[link removed]"
ELLIPSIS = " …"
MAX_COMMENT_CHARS = 2_000
MAX_SUMMARY_CHARS = 3_000
MAX_REPLACEMENT_CHARS = 4_000

# The model's text may quote anything: besides the token shapes every
# published text loses (redaction.py), generic secret-looking runs go too.
SECRET_PATTERNS: tuple[re.Pattern[str], ...] = (
    *TOKEN_SHAPES,
    # Long hex runs (API keys, HMAC secrets; a commit SHA loses nothing).
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),
    # Long base64 runs mixing upper, lower and digits: generic secrets. An
    # underscore or hyphen breaks the run, so long identifiers survive.
    re.compile(
        r"(?<![\w+/\-])(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])"
        r"(?=[A-Za-z0-9+/]*[0-9])[A-Za-z0-9+/]{40,}={0,2}(?![\w\-])"
    ),
)

_CODE = re.compile(r"(```[\s\S]*?(?:```|$)|~~~[\s\S]*?(?:~~~|$)|`[^`\n]+`)")
_HTML_COMMENT = re.compile(r"<!--[\s\S]*?(?:-->|$)")
_MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(?:\([^)]*\)|\[[^\]]*\])")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>?")
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_LINK_DEFINITION = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_BARE_URL = re.compile(
    r"\b(?:(?:https?|ftp|file)://|(?:data|javascript|vbscript):(?=\S))[^\s<>()\]]*",
    re.I,
)
_WWW = re.compile(r"\bwww\.[^\s<>()\]]+", re.I)
_MENTION = re.compile(r"(?<![\w`])@(?=[A-Za-z0-9][A-Za-z0-9\-]*(?:/[\w.\-]+)?)")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
# The fullwidth at sign reads like "@" but GitHub does not ping with it.
_SAFE_AT = "\uff20"


def redact_secrets(text: str, known: Sequence[str] = ()) -> str:
    """Replace known secret values and token-shaped strings with ``[redacted]``.

    Args:
        text: Any text.
        known: Exact values that must never appear (tokens, API keys).

    Returns:
        The text with every match replaced.
    """
    for value in sorted((k for k in known if k), key=len, reverse=True):
        text = text.replace(value, REDACTED)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def _link_allowed(url: str, allowed_prefixes: Sequence[str]) -> bool:
    if ".." in url or "\\" in url or "@" in url.split("//", 1)[-1].split("/", 1)[0]:
        return False
    return any(url.startswith(prefix) for prefix in allowed_prefixes if prefix)


def _clean_prose(text: str, allowed_prefixes: Sequence[str]) -> str:
    text = _MARKDOWN_IMAGE.sub(lambda m: m.group(1) or "image", text)
    text = _HTML_TAG.sub("", text)
    text = _TAG_START.sub("&lt;", text)
    text = _LINK_DEFINITION.sub("", text)
    kept: list[str] = []

    def keep_link(match: re.Match[str]) -> str:
        label, url = match.group(1), match.group(2)
        if _link_allowed(url, allowed_prefixes):
            kept.append(url)
            return f"[{label}](\x00{len(kept) - 1}\x00)"
        return label

    text = _MARKDOWN_LINK.sub(keep_link, text)
    text = _BARE_URL.sub(LINK_REMOVED, text)
    text = _WWW.sub(LINK_REMOVED, text)
    text = re.sub(r"\x00(\d+)\x00", lambda m: kept[int(m.group(1))], text)
    return _MENTION.sub(_SAFE_AT, text)


def _cap(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - len(ELLIPSIS)]
    if cut.count("```") % 2:
        cut = cut[: cut.rfind("```")]
    return cut.rstrip() + ELLIPSIS


def sanitize_markdown(
    text: str,
    *,
    allowed_link_prefixes: Sequence[str] = (),
    known_secrets: Sequence[str] = (),
    max_chars: int = MAX_COMMENT_CHARS,
) -> str:
    """Return model-written markdown that is safe to post.

    Code spans and fenced blocks keep their text (mentions do not ping there
    and ``@decorator`` must survive); everything else loses HTML, images,
    foreign links and pinging mentions. Secrets are redacted everywhere, and
    HTML comments are removed everywhere so the marker cannot be imitated.

    Args:
        text: Markdown from the model.
        allowed_link_prefixes: URL prefixes links may point to.
        known_secrets: Exact values to redact.
        max_chars: Length cap; longer text is cut and ends with an ellipsis.

    Returns:
        The sanitised markdown.
    """
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n"))
    text = redact_secrets(text, known_secrets)
    text = _HTML_COMMENT.sub("", text).replace("<!--", "").replace("-->", "")
    parts = _CODE.split(text)
    cleaned = [
        part if index % 2 else _clean_prose(part, allowed_link_prefixes)
        for index, part in enumerate(parts)
    ]
    return _cap("".join(cleaned).strip(), max_chars)


def sanitize_replacement(text: str, known_secrets: Sequence[str] = ()) -> str | None:
    """Return a suggested replacement that is safe inside a suggestion block.

    Args:
        text: Replacement code from the model.
        known_secrets: Exact values to redact.

    Returns:
        The code, or None when it could break out of its code fence, carries
        an HTML comment, contains a secret, or is too long.
    """
    if "```" in text or "~~~" in text or "<!--" in text:
        return None
    if len(text) > MAX_REPLACEMENT_CHARS:
        return None
    if redact_secrets(text, known_secrets) != text:
        return None
    return _INVISIBLE.sub("", text)
