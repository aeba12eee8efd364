"""Imported once by the engine's forkserver: libcst, the rules, warm caches.

Every engine worker is forked from that server, so each starts with all of
this done (``pool``). Importing this module does the work; it defines
nothing.
"""

from __future__ import annotations

from pattern_review.conventions.engine import warm_caches
from pattern_review.conventions.registry import all_rules

all_rules()
warm_caches()
