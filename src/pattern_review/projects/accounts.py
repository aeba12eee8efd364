"""Run a pull request's code as an unprivileged user when the review is root.

The action's container runs as root, and a PR's tests run there. Leaving
the secrets out of the tests' environment is not enough: a test can walk up
its parent processes and read each one's ``/proc/<pid>/environ``, which holds
the job's token and keys. The kernel lets only the same user (or root) read
those, so the PR's code runs as another user (``nobody`` unless
``PATTERN_REVIEW_RUN_AS`` names one; ``root`` or empty turns this off), with
a fresh HOME of its own.

Everything that may run the PR's code runs so: the tests, mypy (the PR's
config names its plugins), and setting the project's environment up (``uv
sync`` builds the PR's project with its own build backend, a requirements
file may install ``-e .``, the ``install`` command is the PR's, and a
committed ``.venv/bin/python`` is probed by running it). The environments and
mypy's cache then live in a folder that user owns (``cache_folder``).

That user must be able to read the work tree and run the programs; when it
cannot, the code is not run (the check reports why) rather than run as root.
``account_for`` is the one place that decides who runs the PR's code;
``refusal`` is the one wording of why it was not run.

Only the standard library is imported here: the process primitive sits on
top of this module, and ``hide_environment`` is tested by running this
file's source alone as another user.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import stat
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

RUN_AS_VARIABLE = "PATTERN_REVIEW_RUN_AS"
DEFAULT_USER = "nobody"
_LOCK = threading.Lock()
_HOMES: dict[str, Path] = {}


_PR_SET_DUMPABLE = 4


def hide_environment() -> bool:
    """Make this process's memory and environment unreadable to its children.

    A process the kernel considers not dumpable has ``/proc/<pid>/environ``
    and ``/proc/<pid>/mem`` readable only with ``CAP_SYS_PTRACE``, even by
    its own user: PR code running as the review's user (the composite
    action, a local run, and anything still run as root in a container
    without that capability, as Docker's default set has it) cannot read
    the tokens this process holds. Children get their own, secret-free
    environment; exec makes them dumpable again, which they may be.

    Returns:
        True when the kernel took the setting (Linux), False elsewhere.
    """
    if not sys.platform.startswith("linux"):
        return False
    import ctypes  # only where it is used: Linux

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


class UnprivilegedError(Exception):
    """PR code cannot run unprivileged here; the message says why."""


@dataclass(frozen=True)
class Account:
    """The user a PR's code runs as.

    Attributes:
        name: The user's name.
        uid: Its user id.
        gid: Its primary group id.
        home: A private, empty HOME made for this review.
    """

    name: str
    uid: int
    gid: int
    home: Path

    def environment(self) -> dict[str, str]:
        """Return the variables that place the code in this user's HOME.

        Returns:
            HOME, USER, LOGNAME and the XDG folders under the HOME.
        """
        return {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "TMPDIR": str(self.home / "tmp"),
        }

    def private_folder(self, prefix: str) -> Path:
        """Return a new folder this user may write (for a tool's report file).

        Args:
            prefix: Start of the folder's name.

        Returns:
            The folder, inside the user's HOME.
        """
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.home / "tmp"))

    def owns(self, path: Path) -> None:
        """Give this user a file or folder the review made for it.

        Args:
            path: The file or folder.
        """
        os.chown(path, self.uid, self.gid)

    def cache_folder(self, base: Path) -> Path:
        """Return a folder this user owns for the environments and caches.

        It sits in the review's cache folder (``as-<user>``), kept between
        runs, when this user can reach that; else in its private HOME, gone
        with this process. It is never the review's own cache folder: code
        running as this user must not reach what root runs later (the pinned
        ruff, the result cache). Others may read it (a cache step, run as the
        runner's user, saves it; it holds no secret), and what a restore left
        owned by another user becomes this user's again (``adopt``).

        Args:
            base: The review's (or a project's) cache folder.

        Returns:
            An existing folder, owned by this user.
        """
        base.mkdir(parents=True, exist_ok=True)
        if why_unreadable(self, base) is None:
            folder = base / f"as-{self.name}"
        else:
            folder = self.home / "cache" / base.name
        existed = folder.is_dir()
        folder.mkdir(parents=True, exist_ok=True)
        if existed and folder.stat().st_uid != self.uid:
            self.adopt(folder)
        for step in [folder, *folder.parents]:
            if step == base or step == self.home:
                break
            self.owns(step)
        folder.chmod(0o755)
        return folder

    def adopt(self, folder: Path) -> None:
        """Give this user the folders and files under ``folder`` (a restore's).

        Only folders and files with a single link change hands: a link, or
        a hard link the PR's code made to somebody else's file, never does.

        Args:
            folder: A cache folder restored by another user (actions/cache).
        """
        for root, folders, files in os.walk(folder):
            for name in [*folders, *files]:
                path = os.path.join(root, name)
                info = os.lstat(path)
                if info.st_uid == self.uid:
                    continue
                single = stat.S_ISREG(info.st_mode) and info.st_nlink == 1
                if stat.S_ISDIR(info.st_mode) or single:
                    os.lchown(path, self.uid, self.gid)


def pr_code_account() -> Account | None:
    """Return the user a PR's code must run as, or None to run it as we are.

    Returns:
        None unless this process is root and the switch is not turned off.

    Raises:
        UnprivilegedError: The configured user does not exist.
    """
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    name = os.environ.get(RUN_AS_VARIABLE, DEFAULT_USER).strip()
    if name in ("", "root"):
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError as exc:
        raise UnprivilegedError(
            f"the user {name!r} to run the PR's code as does not exist (set"
            f" {RUN_AS_VARIABLE})"
        ) from exc
    if entry.pw_uid == 0:
        return None
    return Account(name, entry.pw_uid, entry.pw_gid, _home_for(entry))


def refusal(what: str, why: str, remedy: str = "reachable") -> str:
    """Say that PR code was not run as root, why, and how to go on.

    Args:
        what: What did not happen (``mypy not run``).
        why: What the unprivileged user cannot do (``why_unreadable``).
        remedy: What the folder or program must become (``readable``).

    Returns:
        The one-line reason of the failed check or environment.
    """
    return (
        f"{what} (the review is root): {why}; make it {remedy}, or set"
        f" {RUN_AS_VARIABLE}=root where the code is trusted"
    )


def account_for(repo: Path, what: str, safe_mode: bool = False) -> Account | None:
    """Return the user a PR's code runs as: the one place that decides it.

    Everything that runs the PR's code (its tests, mypy, setting its
    environment up) asks here.

    Args:
        repo: The work tree that user must read.
        what: What does not happen when that user cannot
            (``tests not run``).
        safe_mode: No PR code runs at all (then nobody runs it).

    Returns:
        None when the code runs as we are: in safe mode, when not root, or
        when the switch is off.

    Raises:
        UnprivilegedError: The user does not exist or cannot read the work
            tree; the message says why and how to go on.
    """
    if safe_mode:
        return None
    try:
        account = pr_code_account()
    except UnprivilegedError as exc:
        raise UnprivilegedError(f"{what} (the review is root): {exc}") from exc
    if account is not None:
        why = why_unreadable(account, repo)
        if why:
            raise UnprivilegedError(refusal(what, why, "readable"))
    return account


def _home_for(entry: pwd.struct_passwd) -> Path:
    with _LOCK:
        home = _HOMES.get(entry.pw_name)
        if home is None or not home.is_dir():
            home = Path(tempfile.mkdtemp(prefix=f"pattern-review-{entry.pw_name}-"))
            for sub in ("", ".cache", ".config", "tmp"):
                folder = home / sub
                folder.mkdir(exist_ok=True)
                os.chown(folder, entry.pw_uid, entry.pw_gid)
            home.chmod(0o700)
            atexit.register(shutil.rmtree, home, True)
            _HOMES[entry.pw_name] = home
        return home


def _may(mode: os.stat_result, account: Account, bits: int) -> bool:
    """Return whether ``account`` has all of ``bits`` (r=4, w=2, x=1) on a file."""
    if mode.st_uid == account.uid:
        granted = (mode.st_mode >> 6) & 7
    elif mode.st_gid == account.gid:
        granted = (mode.st_mode >> 3) & 7
    else:
        granted = mode.st_mode & 7
    return granted & bits == bits


def why_unreadable(account: Account, folder: Path, list_it: bool = True) -> str | None:
    """Say why ``account`` cannot read ``folder``, or None when it can.

    Args:
        account: The user the code runs as.
        folder: The work tree (or any folder it must read).
        list_it: Whether it must also list ``folder`` (else only enter it).

    Returns:
        One line naming the first folder on the way it may not enter.
    """
    folder = folder.resolve()
    for step in [*reversed(folder.parents), folder]:
        try:
            info = step.stat()
        except OSError as exc:
            return f"cannot look at {step}: {exc.strerror}"
        if not stat.S_ISDIR(info.st_mode):
            continue
        wanted = 5 if step == folder and list_it else 1
        if not _may(info, account, wanted):
            return (
                f"the user {account.name!r} that runs the PR's code may not"
                f" {'read' if wanted == 5 else 'enter'} {step}"
            )
    return None


def why_unrunnable(account: Account, program: Path) -> str | None:
    """Say why ``account`` cannot run ``program``, or None when it can.

    Both the path given and the file it leads to (a venv's ``python`` is a
    link to the interpreter) must be reachable; the file must be readable
    and executable (a script's interpreter reads it).

    Args:
        account: The user the code runs as.
        program: The executable.

    Returns:
        One line naming the first step it may not take.
    """
    for path in dict.fromkeys([program.absolute(), program.resolve()]):
        why = why_unreadable(account, path.parent, list_it=False)
        if why:
            # Name the program too: "may not enter /root" alone does not say
            # which tool the review was about to run from there.
            return f"{why} (on the way to {path})"
        try:
            info = path.stat()
        except OSError as exc:
            return f"cannot look at {path}: {exc.strerror}"
        if not _may(info, account, 5):
            return (
                f"the user {account.name!r} that runs the PR's code may not run {path}"
            )
    return None
