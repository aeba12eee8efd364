"""Which setting to fix when mypy or pytest finds a module missing.

A missing module in the project's environment is most often a dependency the
repository declares but the environment did not install (an extra, a group,
a requirements file of another folder): the check's detail says which
setting brings it in, rather than leaving the user with ``No module named``.
"""

from __future__ import annotations

import re

from pattern_review.projects.environments.kinds import Environment

_MISSING = re.compile(
    r"No module named '(?P<pytest>[\w.]+)'"
    r"|Cannot find implementation or library stub for module named"
    r' \\?"(?P<mypy>[\w.]+)\\?"'
)


def missing_modules(output: str) -> list[str]:
    """Return the top-level modules a tool's output says are missing.

    Args:
        output: pytest's or mypy's output.

    Returns:
        Their top-level names, in order of appearance, each once.
    """
    names = []
    for match in _MISSING.finditer(output):
        name = match.group("pytest") or match.group("mypy")
        names.append(name.split(".")[0])
    return list(dict.fromkeys(names))


def missing_module_hint(output: str, environment: Environment) -> str:
    """Return the detail that names the setting bringing a missing module in.

    Args:
        output: pytest's or mypy's output.
        environment: The environment the tool ran in.

    Returns:
        ``No module named 'sqlalchemy' in <environment>: ...`` with what to
        set, or an empty string when no module is missing.
    """
    names = missing_modules(output)
    if not names:
        return ""
    listed = ", ".join(f"'{name}'" for name in names[:3])
    more = f" and {len(names) - 3} more" if len(names) > 3 else ""
    plural = "s" if len(names) > 1 else ""
    where = f"No module{plural} named {listed}{more} in {environment.origin}"
    if environment.kind == "install":
        return f"{where}: the `install` command does not install it"
    if environment.kind == "bundled":
        fix = "set `install` to the command that installs the project"
        return f"{where}: {fix} (`pip install -e .[dev]`)"
    return (
        f"{where}: if the repository declares it, name its extra or group in the"
        " CI workflow's install line, or set `install`"
    )
