"""Bundled data: the built-in rulebook."""
