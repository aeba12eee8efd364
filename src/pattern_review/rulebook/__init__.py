"""The rulebook: the agent file, the pattern catalog and the rules bound to it.

Modules, each importing only those before it:

- ``catalog``: the citation slugs and the ruff codes cited to them.
- ``agent_file``: finding and parsing the team's agent file.
- ``matching``: finding one sentence of a rule in that file.
- ``facts``: what binding needs of the built-in rules, shipped as JSON.
- ``binding``: whether a rule or ruff code is on, and why.
- ``coverage``: what enforces each sentence of the file.
- ``book``: the rulebook of a review (``build_rulebook``).
- ``team_modules``: the rulebook with the team's own rule modules.

Nothing here imports libcst or a check at import time: the rulebook is built
before the tools start. Rule classes come in as arguments, and a team's rule
modules are imported only when the config names some.
"""
