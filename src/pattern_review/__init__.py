"""pattern-review: convention review for FastAPI backends, cited to the agent file."""

from __future__ import annotations

__version__ = "0.1.0"
