"""Start-up: the CLI imports PyGithub, anthropic and libcst only when needed."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from pattern_review.cli import build_parser
build_parser()
print(",".join(sorted(m for m in ("github", "anthropic", "libcst", "requests")
                      if m in sys.modules)))
"""


def test_building_the_cli_imports_no_heavy_library() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == ""


def test_rules_verb_loads_libcst_but_not_github_or_anthropic() -> None:
    probe = (
        "import sys\n"
        "from pattern_review.cli import main\n"
        "main(['rules', '--format', 'json'])\n"
        "print('|' + ','.join(sorted(m for m in ('github', 'anthropic', 'libcst')"
        " if m in sys.modules)), file=sys.stderr)\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert done.stderr.strip().endswith("|libcst")
