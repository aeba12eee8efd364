"""The projects a PR touches, their tool configuration and environments.

Also how their tools run: the process primitive and the account PR code
runs as.
"""
