"""Keep known secrets out of everything a review publishes or writes.

A pull request's code runs in the review (its tests), and what it prints can
end up in a finding's message: a test that finds the job's token can fail
with it. So every text that leaves the review (the comment, the inline
review, the check run, the job summary, the outputs, SARIF, JSON, the result
cache) is passed through here first: each known secret value, in the forms
it is stored in (as is, and the base64 that git's ``http.extraheader``
holds), becomes ``[redacted]``, and so does anything shaped like a GitHub or
Anthropic token.

The report is redacted once, where the review ends (``redact_report``), so
every renderer and publisher downstream only ever sees clean text.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable, Mapping
from typing import TypeVar

from pydantic import BaseModel

REDACTED = "[redacted]"
# Variables whose value is a secret whatever it looks like.
SECRET_NAMES = re.compile(
    r"TOKEN|SECRET|PASSWORD|PASSWD|API[_-]?KEY|PRIVATE[_-]?KEY|CREDENTIAL|AUTH",
    re.IGNORECASE,
)
# Shorter values are flags and names ("true", "github"), not secrets, and
# replacing them would garble the report.
MIN_SECRET_CHARS = 8
# Shapes of tokens that are never anything else. Long hex or base64 runs are
# not here: commit SHAs and fingerprints would go too.
TOKEN_SHAPES: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}"),
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*-----|$)"
    ),
)
# What a match of each shape always holds: a text without it is not scanned
# by that shape (the report of a large PR, hundreds of kilobytes, is redacted
# several times: 50 ms a time with every shape scanning).
_NEEDLES: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    zip(
        (
            ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
            ("github_pat_",),
            ("sk-ant-",),
            ("AKIA", "ASIA"),
            ("xox",),
            ("AIza",),
            ("-----BEGIN ",),
        ),
        TOKEN_SHAPES,
        strict=True,
    )
)

Model = TypeVar("Model", bound=BaseModel)


def secrets_in(environ: Mapping[str, str]) -> list[str]:
    """Return the secret values an environment holds.

    Args:
        environ: Variables, such as ``os.environ``.

    Returns:
        Values of variables named like a secret (tokens, keys, passwords,
        the action's secret inputs), at least ``MIN_SECRET_CHARS`` long.
    """
    return [
        value.strip()
        for name, value in environ.items()
        if SECRET_NAMES.search(name) and len(value.strip()) >= MIN_SECRET_CHARS
    ]


def _stored_forms(secret: str) -> list[str]:
    """Return a secret and the encodings a job stores it in."""
    forms = [secret]
    for user in ("x-access-token", "pat"):
        pair = f"{user}:{secret}".encode()
        forms.append(base64.b64encode(pair).decode())
    return forms


class Redactor:
    """Replaces known secrets and token-shaped strings in text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """Collect the values to redact.

        Args:
            secrets: Known secret values, besides the environment's.
        """
        known = {s for s in [*secrets, *secrets_in(os.environ)] if s}
        known = {s for s in known if len(s) >= MIN_SECRET_CHARS}
        forms = {form for secret in known for form in _stored_forms(secret)}
        self._values = sorted(forms, key=len, reverse=True)

    def text(self, text: str) -> str:
        """Return ``text`` with every secret replaced by ``[redacted]``.

        Args:
            text: Any text.

        Returns:
            The text, redacted.
        """
        for value in self._values:
            if value in text:
                text = text.replace(value, REDACTED)
        for needles, shape in _NEEDLES:
            if any(needle in text for needle in needles):
                text = shape.sub(REDACTED, text)
        return text

    def model(self, model: Model) -> Model:
        """Return a copy of a pydantic model with every string in it redacted.

        Args:
            model: A report, a check outcome, ...

        Returns:
            The same type, redacted (the model itself when nothing changed).
        """
        raw = model.model_dump_json()
        clean = self.text(raw)
        if clean == raw:
            return model
        return type(model).model_validate_json(clean)


def redact_report(model: Model, secrets: Iterable[str] = ()) -> Model:
    """Redact a report (or any model) with the environment's and given secrets.

    Args:
        model: What is about to be rendered, written or published.
        secrets: Known secret values besides the environment's.

    Returns:
        The model without secrets.
    """
    return Redactor(secrets).model(model)
