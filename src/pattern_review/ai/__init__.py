"""AI-assisted review with Claude: prompt, budget, client, validation, sanitising.

The entry point is :func:`pattern_review.ai.review.run_ai_review`. The model
never decides pass/fail (the deterministic checks alone do): it only adds
advisory findings and a summary, and every word it writes is sanitised before
anyone sees it.
"""

from __future__ import annotations
