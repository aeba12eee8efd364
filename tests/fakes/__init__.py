"""Loopback fakes of the remote services the product talks to, for tests."""

from __future__ import annotations
