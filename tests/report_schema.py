"""The JSON report's schema, as docs/architecture.md documents it."""

from __future__ import annotations

from typing import Any

_STR_OR_NULL = {"type": ["string", "null"]}

# The documented keys, typed. The extra top-level keys
# (agent file, skipped files, hunks, safe mode) are what `publish` needs to
# post a saved report; they are typed here too.
REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "version",
        "conclusion",
        "base",
        "head",
        "target",
        "findings",
        "checks",
        "ai",
    ],
    "properties": {
        "version": {"const": 1},
        "conclusion": {"enum": ["success", "failure", "neutral"]},
        "base": {"type": "string"},
        "head": {"type": "string"},
        "target": {
            "type": "object",
            "required": ["repository", "pr", "event"],
            "additionalProperties": False,
            "properties": {
                "repository": _STR_OR_NULL,
                "pr": {"type": ["integer", "null"]},
                "event": {"type": "string"},
            },
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "rule",
                    "pattern",
                    "source",
                    "severity",
                    "path",
                    "line",
                    "column",
                    "end_line",
                    "message",
                    "fingerprint",
                    "suggestion",
                    "introduced",
                ],
                "properties": {
                    "rule": {"type": "string", "minLength": 1},
                    "pattern": {"type": "string", "minLength": 1},
                    "source": {
                        "enum": [
                            "ruff-format",
                            "ruff",
                            "mypy",
                            "pytest",
                            "convention",
                            "ai",
                        ]
                    },
                    "severity": {"enum": ["error", "warning", "note"]},
                    "path": {"type": "string", "not": {"pattern": "^/"}},
                    "line": {"type": "integer", "minimum": 1},
                    "column": {"type": "integer", "minimum": 1},
                    "end_line": {"type": "integer", "minimum": 1},
                    "message": {"type": "string"},
                    "fingerprint": {"type": "string"},
                    "suggestion": _STR_OR_NULL,
                    "introduced": {"type": "boolean"},
                    "project": _STR_OR_NULL,
                },
            },
        },
        "checks": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "status", "duration_s", "detail"],
                "properties": {
                    "name": {"type": "string"},
                    "status": {"enum": ["passed", "failed", "skipped", "error"]},
                    "duration_s": {"type": "number", "minimum": 0},
                    "detail": {"type": "string"},
                    "output": {"type": "string"},
                },
            },
        },
        "ai": {
            "type": "object",
            "required": [
                "status",
                "model",
                "input_tokens",
                "output_tokens",
                "cache_read_tokens",
            ],
            "properties": {
                "status": {"enum": ["ok", "skipped", "unavailable", "over_budget"]},
                "model": _STR_OR_NULL,
                "input_tokens": {"type": "integer", "minimum": 0},
                "output_tokens": {"type": "integer", "minimum": 0},
                "cache_read_tokens": {"type": "integer", "minimum": 0},
            },
        },
        "agent_file": _STR_OR_NULL,
        "skipped_files": {
            "type": "object",
            "additionalProperties": {"type": "string"},
        },
        "diff_hunks": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {
                    "type": "array",
                    "prefixItems": [{"type": "integer"}, {"type": "integer"}],
                    "minItems": 2,
                    "maxItems": 2,
                },
            },
        },
        "safe_mode": {"type": "boolean"},
        "standard_changes": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["path", "what", "base", "head", "effect"],
                "properties": {
                    "path": {"type": "string"},
                    "what": {"type": "string"},
                    "base": _STR_OR_NULL,
                    "head": _STR_OR_NULL,
                    "effect": {"type": "string"},
                    "direction": {"enum": ["weakens", "strengthens", "changes"]},
                    "rule": _STR_OR_NULL,
                    "line": {"type": ["integer", "null"], "minimum": 1},
                },
            },
        },
        "pre_existing": {"type": "integer", "minimum": 0},
    },
}
