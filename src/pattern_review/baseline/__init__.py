"""Which findings the PR introduced: matching them against the base version."""
