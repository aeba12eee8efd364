"""The error a check raises when it cannot run, importable from every layer.

It imports nothing of pattern-review: the process primitive (projects/process.py)
and the account checks (projects/accounts.py) raise it below the checks.
"""

from __future__ import annotations

# How much of a failed command's output a check's detail keeps.
OUTPUT_LIMIT = 4000


class CheckError(Exception):
    """A check could not run (tool missing, timed out, crashed).

    The message is the one-line reason shown to the user; the check is then
    reported with status ``error``, never ``passed``. ``output`` keeps what
    the failed command printed (bounded), for the JSON detail and
    ``--verbose``.
    """

    def __init__(self, message: str, output: str = "") -> None:
        """Create the error.

        Args:
            message: The one-line reason.
            output: The failed command's whole output, or empty.
        """
        super().__init__(message)
        self.output = bounded(output)


def bounded(text: str, limit: int = OUTPUT_LIMIT) -> str:
    """Return text cut to its last ``limit`` characters (where errors end up).

    Args:
        text: Any output.
        limit: Characters kept.

    Returns:
        The text, stripped, with a marker when it was cut.
    """
    text = text.strip()
    if len(text) <= limit:
        return text
    return "[...]\n" + text[-limit:]
