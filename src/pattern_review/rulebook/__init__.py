"""The rulebook: the agent file, the pattern catalog and the rules bound to it."""
