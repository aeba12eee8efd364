"""Sanitising model text: no pings, no HTML, no images, no foreign links, no secrets."""

from __future__ import annotations

import pytest

from pattern_review.ai.sanitize import (
    REDACTED,
    redact_secrets,
    sanitize_markdown,
    sanitize_replacement,
)

REPO = "https://github.com/acme/shop/"


def clean(text: str, max_chars: int = 2_000) -> str:
    return sanitize_markdown(text, allowed_link_prefixes=[REPO], max_chars=max_chars)


@pytest.mark.parametrize(
    "mention", ["@octocat", "@org/admins", "@acme-corp/backend-team", "(@dev)"]
)
def test_mentions_are_neutralised_but_readable(mention: str) -> None:
    out = clean(f"Please ask {mention} about this.")
    assert "@" not in out
    assert mention.strip("()@") in out


def test_emails_and_code_keep_their_at_sign() -> None:
    text = (
        'Mail dev@example.com; use `@router.get("/")`:\n'
        '```python\n@router.get("/")\n```'
    )
    out = clean(text)
    assert "dev@example.com" in out
    assert '`@router.get("/")`' in out
    assert '```python\n@router.get("/")\n```' in out


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("<img src=https://evil.test/x.png>", "<img"),
        ('<IMG SRC="x" onerror="alert(1)"/>', "onerror"),
        ("![tracker](https://evil.test/t.gif)", "evil.test"),
        ("![ref][1]\n\n[1]: https://evil.test/t.gif", "evil.test"),
        ("<details><summary>x</summary>hidden</details>", "<details"),
        ("<a href='https://evil.test'>click</a>", "evil.test"),
        ("<https://evil.test/autolink>", "evil.test"),
        ("<script>steal()</script>", "<script"),
    ],
)
def test_html_and_images_are_removed(text: str, gone: str) -> None:
    assert gone not in clean(f"Before {text} after")


@pytest.mark.parametrize(
    "marker",
    [
        "<!-- pattern-review:v1 Zm9v -->",
        "<!-- pattern-review:fp=abc -->",
        "<!-- pattern-review:v1 unterminated",
        "<!--x--><!-- pattern-review:v1 -->",
        "`<!-- pattern-review:v1 -->`",
        "```\n<!-- pattern-review:v1 -->\n```",
    ],
)
def test_html_comments_cannot_imitate_the_marker(marker: str) -> None:
    out = clean(f"Text {marker} more")
    assert "<!--" not in out
    assert out.startswith("Text")


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_" + "A1b2" * 9,
        "gho_" + "z" * 36,
        "ghs_" + "Q" * 36,
        "github_pat_11ABCDEFG0" + "x" * 60,
        "sk-ant-api03-" + "abc_DEF-123" * 6,
        "AKIAIOSFODNN7EXAMPLE",
        "0123456789abcdef0123456789abcdef01234567",
        "dGhpcyBpcyBhIHNlY3JldCBrZXkgdGhhdCBpcyBsb25nZXIgdGhhbiA0MA==",
    ],
)
def test_token_shaped_strings_are_redacted(secret: str) -> None:
    out = clean(f"The key is {secret} here.")
    assert secret not in out
    assert REDACTED in out


def test_known_secret_values_are_redacted_even_when_not_token_shaped() -> None:
    assert redact_secrets("password hunter2!", ["hunter2"]) == f"password {REDACTED}!"


def test_ordinary_words_and_identifiers_are_not_redacted() -> None:
    text = "Use get_item_by_identifier_from_the_repository in ItemService."
    assert clean(text) == text


def test_links_only_to_the_repository() -> None:
    text = (
        f"[rule]({REPO}blob/main/.claude/agents/backend-developer.md#router-pattern) "
        "[phish](https://evil.test/login) https://evil.test/raw "
        "[sneaky](https://github.com/acme/shop-evil/x) "
        f"[dots]({REPO}../../other/repo) www.evil.test"
    )
    out = clean(text)
    assert (
        f"({REPO}blob/main/.claude/agents/backend-developer.md#router-pattern)" in out
    )
    assert "evil" not in out
    assert "phish" in out and "sneaky" in out  # link text kept, target dropped
    assert "other/repo" not in out


def test_length_is_capped_without_leaving_a_fence_open() -> None:
    text = "word " * 100 + "```python\n" + "x = 1\n" * 500 + "```"
    out = clean(text, max_chars=300)
    assert len(out) <= 300
    assert out.endswith("…")
    assert out.count("```") % 2 == 0


def test_invisible_and_bidi_characters_are_removed() -> None:
    assert clean("safe\u202e txt\u200b") == "safe txt"


@pytest.mark.parametrize(
    ("replacement", "kept"),
    [
        ('    return {"name": name}\n', True),
        ("```\n# escape the suggestion fence\n", False),
        ("x = 1  <!-- pattern-review:v1 -->", False),
        ("TOKEN = 'ghp_" + "a" * 36 + "'", False),
        ("x" * 5_000, False),
    ],
)
def test_replacements_are_kept_only_when_safe(replacement: str, kept: bool) -> None:
    assert (sanitize_replacement(replacement) == replacement) is kept
