"""Start-up: the CLI imports PyGithub, anthropic and libcst only when needed."""

from __future__ import annotations

import subprocess
import sys

from tests.gitrepo import GitRepo

PROBE = """
import sys

from tests.gitrepo import GitRepo
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


def test_a_review_without_conventions_never_loads_libcst(git_repo: GitRepo) -> None:
    git_repo.write("pkg/mod.py", "X = 1\n")
    git_repo.commit("base")
    git_repo.git("checkout", "-q", "-b", "feature")
    git_repo.write("pkg/mod.py", "X = 1\nY = 2  # pattern-review: ignore[E501]\n")
    git_repo.commit("more")
    probe = (
        "import sys\n"
        "from pattern_review.cli import main\n"
        f"main(['review', '--repo', {str(git_repo.path)!r}, '--base', 'main',"
        " '--checks', 'ruff', '--no-ai', '--format', 'json'])\n"
        "print('|' + str('libcst' in sys.modules), file=sys.stderr)\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )

    assert done.stderr.strip().endswith("|False"), done.stderr
    assert '"PR100"' in done.stdout  # suppressions ran, and found the stale ignore


def _verbs_loaded(argv: list[str]) -> tuple[str, str]:
    """Run the CLI in a fresh interpreter; return its stdout and loaded verbs."""
    probe = (
        "import sys\n"
        "from pattern_review.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = (m.rsplit('.', 1)[1] for m in sys.modules\n"
        "          if m.startswith('pattern_review.commands.'))\n"
        "print('|' + ','.join(sorted(loaded)), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    return done.stdout, done.stderr.strip().rsplit("|", 1)[-1]


def test_a_command_line_that_starts_with_its_verb_loads_that_verb_alone() -> None:
    out, loaded = _verbs_loaded(["explain", "--help"])

    assert "explain" in out
    assert loaded == "explain"


def test_the_help_without_a_verb_still_lists_every_verb() -> None:
    out, loaded = _verbs_loaded(["--help"])

    for verb in ("review", "action", "publish", "rules", "explain", "demo"):
        assert verb in out
    assert set(loaded.split(",")) >= {"review", "action", "publish", "demo"}


def test_the_configuration_loads_without_pydantic_settings() -> None:
    probe = (
        "import sys\n"
        "import pattern_review.cli, pattern_review.commands.review\n"
        "import pattern_review.review\n"
        "from pattern_review.config import Config\n"
        "Config()\n"
        "print('|' + str('pydantic_settings' in sys.modules))\n"
    )

    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip().endswith("|False")
