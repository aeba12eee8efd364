"""``python -m pattern_review``."""

from __future__ import annotations

import sys

from pattern_review.cli import main

sys.exit(main())
