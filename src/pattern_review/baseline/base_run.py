"""Which findings the PR introduced: the base version is checked too, and compared.

As diff-aware scanners do it (Semgrep's baseline scan, SonarQube's "new
code"), ruff, the formatter and the convention engine also run on the base
version of the changed files (none of them needs an environment), and a head
finding with a match at base is not the PR's, whatever lines the diff shows:
code that only moved, an ``except`` whose body alone changed, a route whose
``summary=`` was reworded, an import that was only reformatted. How findings
match is matching.py's; mypy and pytest are not compared: their findings keep
the line filter. With the result cache on, the answer (which findings the base
already had) is kept, keyed by everything it depends on, so an identical rerun
skips the base version altogether.

A compared check's base run need not wait for the others: the schedule
starts it (``start_early``) as soon as that check ends at head, at a low
priority, so that it runs while mypy still does; the comparison then takes
its answer instead of running the check again on the same files.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from importlib import import_module
from pathlib import Path, PurePosixPath

from pattern_review import git
from pattern_review.baseline.matching import compared, unmatched
from pattern_review.checks.registry import check_spec, compared_checks
from pattern_review.config import Config
from pattern_review.context import CheckContext
from pattern_review.errors import CheckError
from pattern_review.findings.scope import in_scope
from pattern_review.lines import split_lines
from pattern_review.models import (
    ChangedFile,
    CheckOutcome,
    Finding,
    ReviewTarget,
)

# Shorter lines (``)``, ``pass``) are everywhere: no sign of moved code.
MIN_MOVED_LINE = 8
# ruff reads its settings from these, in the folders above each file.
RUFF_CONFIG_FILES = ("pyproject.toml", "ruff.toml", ".ruff.toml")


def base_paths(target: ReviewTarget) -> dict[str, str]:
    """Map the base path of each changed Python file to its head path.

    Args:
        target: The review's target.

    Returns:
        Base path -> head path, for modified and renamed files reviewed at
        head, and deleted ones (moved code may come from them).
    """
    paths: dict[str, str] = {}
    for changed in target.files:
        old = changed.old_path or changed.path
        if not old.endswith(".py"):
            continue
        if changed.status == "deleted" or (
            changed.reviewed and changed.status in ("modified", "renamed")
        ):
            paths[old] = changed.path
    return paths


def read_base_sources(target: ReviewTarget, paths: Iterable[str]) -> dict[str, str]:
    """Read the base version of files (one git process for all).

    Args:
        target: The review's target.
        paths: Base paths.

    Returns:
        Text by base path, for the files that exist at base and are UTF-8.
    """
    sources: dict[str, str] = {}
    for path, data in git.read_blobs(target.repo, target.base, list(paths)).items():
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if "\0" not in text:
            sources[path] = text
    return sources


def files_to_check(
    candidates: Sequence[Finding],
    head_sources: Mapping[str, str],
    base_sources: Mapping[str, str],
    to_base: Mapping[str, str],
) -> set[str]:
    """Choose the base files worth checking for the candidate findings.

    A candidate's own file at base always; another changed file only when
    its base version holds the candidate's first line (ignoring white
    space): moved code keeps its text. A file whose candidates are all
    pure additions is still checked, since one added line inside an old
    statement does not make the statement new.

    Args:
        candidates: Head findings that may be new.
        head_sources: Head text by path.
        base_sources: Base text by base path.
        to_base: Head path -> base path.

    Returns:
        Base paths.
    """
    own = {to_base.get(f.path, f.path) for f in candidates}
    chosen = {path for path in own if path in base_sources}
    others = [path for path in base_sources if path not in chosen]
    if not others:
        return chosen
    wanted: set[str] = set()
    head_lines: dict[str, list[str]] = {}  # a file holds many candidates
    for finding in candidates:
        if finding.path not in head_lines:
            head_lines[finding.path] = split_lines(head_sources.get(finding.path, ""))
        lines = head_lines[finding.path]
        if finding.line <= len(lines):
            key = "".join(lines[finding.line - 1].split())
            if len(key) >= MIN_MOVED_LINE:
                wanted.add(key)
    for path in others:
        if not wanted.isdisjoint(_squeezed_lines(base_sources[path])):
            chosen.add(path)
    return chosen


# Each compared check asks about the same base files: a text's lines are
# squeezed once. Bounded: a review process runs on.
@functools.lru_cache(maxsize=4096)
def _squeezed_lines(text: str) -> frozenset[str]:
    """Return a text's lines without their white space (moved code keeps that)."""
    return frozenset("".join(line.split()) for line in split_lines(text))


def _write_base_tree(
    target: ReviewTarget, root: Path, sources: Mapping[str, str]
) -> None:
    """Write the base files under ``root``, with what ruff looks for beside them."""
    for path, text in sources.items():
        destination = root / path
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(text, encoding="utf-8", newline="")
    _write_skeleton(target, root)
    _copy_ruff_config(target.repo, root, sources)


def _write_skeleton(target: ReviewTarget, root: Path) -> None:
    """Give the base tree the repository's folders and importable modules.

    ruff tells first-party imports by the folders and modules it finds (isort
    sections), and INP001 by ``__init__.py``: empty stand-ins are enough.
    """
    try:
        files = git.tree_files(target.repo, target.base)
    except git.GitError:
        return
    python = [PurePosixPath(path) for path in files if path.endswith(".py")]
    packages = {path.parent for path in python if path.name == "__init__.py"}
    for path in python:
        if path.name != "__init__.py" and path.parent in packages:
            continue
        destination = root / path
        if destination.exists():
            continue
        try:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.touch()
        except OSError:
            continue


def _ruff_configs(repo: Path, paths: Iterable[str]) -> dict[PurePosixPath, bytes]:
    """Return the head's ruff settings in the folders above some files.

    Args:
        repo: The head's work tree.
        paths: Repository-relative file paths.

    Returns:
        Settings file (repository-relative) -> its content.
    """
    folders: set[PurePosixPath] = set()
    for path in paths:
        folders.update(PurePosixPath(path).parents)
    found: dict[PurePosixPath, bytes] = {}
    for folder in sorted(folders):
        for name in RUFF_CONFIG_FILES:
            source = repo / folder / name
            if source.is_file() and not source.is_symlink():
                with contextlib.suppress(OSError):
                    found[folder / name] = source.read_bytes()
    return found


def _copy_ruff_config(repo: Path, root: Path, sources: Mapping[str, str]) -> None:
    """Copy the head's ruff settings into the folders above each base file.

    Both versions are checked with the same rules, so a finding only differs
    where the code does.
    """
    for path, content in _ruff_configs(repo, sources).items():
        with contextlib.suppress(OSError):
            (root / path).write_bytes(content)


def _run_base_check(
    name: str, context: CheckContext, results: Path | None
) -> CheckOutcome | None:
    """Run a compared check on the base tree, or reuse an identical run's.

    Args:
        name: The check.
        context: Its context on the base tree.
        results: The result cache's folder; None when it is off.

    Returns:
        The outcome of a run to the end, else None.
    """
    from pattern_review.checks.result_cache import ResultCache, tree_state

    cache = None
    if results is not None:
        cache = ResultCache(results, tree_state(context.target.repo, context))
        reused = cache.get(f"base-{name}")
        if reused is not None:
            return reused
    try:
        run: Callable[[CheckContext], CheckOutcome] = import_module(
            check_spec(name).module
        ).run
        outcome = run(context)
    except CheckError:
        return None
    if outcome.result.status not in ("passed", "failed"):
        return None
    if cache is not None:
        cache.put(f"base-{name}", outcome)
    return outcome


def base_findings(
    target: ReviewTarget,
    context: CheckContext,
    paths: Mapping[str, Iterable[str]],
    sources: Mapping[str, str],
) -> tuple[list[Finding], set[str]]:
    """Run the compared checks on the base version of some changed files.

    The base files are written to a temporary tree with their repo-relative
    paths and the head's ruff settings, so per-path settings and roles apply
    alike. The bundled ruff runs there (the target's environment is the
    head's and is not needed).

    Args:
        target: The review's target.
        context: The head's check context (config, cache folder).
        paths: Compared check -> the base paths it checks.
        sources: Base text by base path (of these paths at least).

    Returns:
        Base findings (base paths), and the checks that ran to the end.
    """
    wanted = {name: sorted(set(p) & set(sources)) for name, p in paths.items()}
    wanted = {name: files for name, files in wanted.items() if files}
    if not wanted:
        return [], set()
    early = _early_runs(context)
    outcomes: dict[str, CheckOutcome | None] = {}
    for name, files in wanted.items():
        run = early.take(name, files) if early is not None else None
        if run is not None and run.exception() is None:
            outcomes[name] = run.result()  # the same check on the same files
    left = {name: files for name, files in wanted.items() if name not in outcomes}
    if left:
        outcomes |= _run_on_base_tree(target, context, left, sources)
    findings = [f for outcome in outcomes.values() if outcome for f in outcome.findings]
    ran = {name for name, outcome in outcomes.items() if outcome is not None}
    return findings, ran


def _run_on_base_tree(
    target: ReviewTarget,
    context: CheckContext,
    wanted: Mapping[str, Sequence[str]],
    sources: Mapping[str, str],
    niceness: int = 0,
) -> dict[str, CheckOutcome | None]:
    """Write the base files to a temporary tree and run the checks there.

    Args:
        target: The review's target.
        context: The head's check context (config, cache folder).
        wanted: Compared check -> the base paths it checks (all in sources).
        sources: Base text by base path.
        niceness: The checks' scheduling priority increment.

    Returns:
        Each check's outcome there, None where it did not run to the end.
    """
    with tempfile.TemporaryDirectory(prefix="pattern-review-base-") as folder:
        root = Path(folder)
        written = {path for files in wanted.values() for path in files}
        _write_base_tree(target, root, {path: sources[path] for path in written})
        config = context.config.model_copy(update={"runner": "direct"})
        # A re-run of the same review finds the base's findings kept.
        results = context.cache_dir / "results" if config.result_cache else None
        with ThreadPoolExecutor(max_workers=len(wanted)) as pool:
            runs = {
                name: pool.submit(
                    _run_base_check,
                    name,
                    _base_context(context, root, files, config, niceness),
                    results,
                )
                for name, files in wanted.items()
            }
            return {name: run.result() for name, run in runs.items()}


class _EarlyRuns:
    """The base-version runs one review started as its compared checks ended.

    Attributes:
        context: The review's context (its identity keys the runs).
        runs: Check -> the base paths it runs on, and its outcome to come.
        lock: Guards ``runs`` and the base text read once for all of them.
    """

    def __init__(self, context: CheckContext) -> None:
        self.context = context
        self.runs: dict[str, tuple[list[str], Future[CheckOutcome | None]]] = {}
        self.lock = threading.Lock()
        self._base: tuple[dict[str, str], dict[str, str]] | None = None

    def base(self) -> tuple[dict[str, str], dict[str, str]]:
        """Head path -> base path, and the base text by base path (read once)."""
        with self.lock:
            if self._base is None:
                target = self.context.target
                to_base = {new: old for old, new in base_paths(target).items()}
                self._base = (to_base, read_base_sources(target, to_base.values()))
            return self._base

    def take(
        self, name: str, files: Sequence[str]
    ) -> Future[CheckOutcome | None] | None:
        """Return the run of ``name`` on exactly ``files``, if one was started."""
        with self.lock:
            started = self.runs.get(name)
        if started is None or started[0] != list(files):
            return None
        return started[1]


# id(review context) -> its early runs; the entry holds the context, so the
# id is not reused while it is there. Removed by ``mark_introduced``.
_EARLY: dict[int, _EarlyRuns] = {}
_EARLY_LOCK = threading.Lock()


def _early_runs(context: CheckContext, *, create: bool = False) -> _EarlyRuns | None:
    with _EARLY_LOCK:
        early = _EARLY.get(id(context))
        if early is not None and early.context is not context:
            early = None
        if early is None and create:
            early = _EARLY[id(context)] = _EarlyRuns(context)
        return early


def started_early(context: CheckContext) -> dict[str, list[str]]:
    """Return the base-version runs started early for a review, until it uses them.

    Args:
        context: The review's context.

    Returns:
        Check -> the base paths its early run checks.
    """
    early = _early_runs(context)
    if early is None:
        return {}
    with early.lock:
        return {name: files for name, (files, _) in early.runs.items()}


def _forget_early_runs(context: CheckContext) -> None:
    with _EARLY_LOCK:
        early = _EARLY.get(id(context))
        if early is not None and early.context is context:
            del _EARLY[id(context)]


def start_early(
    name: str, findings: Sequence[Finding], context: CheckContext, niceness: int
) -> None:
    """Start a compared check's base-version run now that it ended at head.

    It runs on the base files the comparison will choose for this check's
    possibly new findings (``files_to_check``), in a thread of its own, at
    the given priority; ``base_findings`` then takes its outcome. Nothing
    starts for a check that is not compared or has no such finding.

    Args:
        name: The check that ended.
        findings: Its findings at head.
        context: The review's context (the repository root's), the one later
            given to ``mark_introduced``.
        niceness: The run's scheduling priority increment.
    """
    spec = check_spec(name)
    if spec not in compared_checks():
        return
    target = context.target
    candidates = [
        f
        for f in findings
        if f.source == spec.source and compared(f) and in_scope(f, target, "added")
    ]
    if not candidates:
        return
    early = _early_runs(context, create=True)
    assert early is not None
    to_base, base_sources = early.base()
    reviewed = {f.path for f in target.reviewed_files}
    head_sources = _read_texts(target.repo, {f.path for f in candidates} & reviewed)
    files = files_to_check(candidates, head_sources, base_sources, to_base)
    wanted = sorted(files & set(base_sources))
    if not wanted:
        return
    done: Future[CheckOutcome | None] = Future()
    with early.lock:
        early.runs[name] = (wanted, done)

    def run() -> None:
        context.shared.yielding.lower_thread(niceness)
        try:
            on_base = _run_on_base_tree(
                target, context, {name: wanted}, base_sources, niceness
            )
        # pattern-review: ignore[ERR002] the comparison runs it again instead
        except Exception as exc:  # noqa: BLE001
            done.set_exception(exc)
        else:
            done.set_result(on_base[name])

    threading.Thread(target=run, name=f"base-{name}", daemon=True).start()


def introduced_early(
    name: str, findings: Sequence[Finding], context: CheckContext
) -> list[Finding]:
    """Return a check's findings that may be the PR's, by its early base run.

    The candidates are the findings in scope (on lines the PR added, in the
    default filter mode). Once the base run ``start_early`` started for this
    check ends, those the base version had too are left out; without such a
    run (or when it failed), every candidate is returned. The comparison
    itself (``mark_introduced``) still decides: this is for work worth
    starting early on what the review will likely keep.

    Args:
        name: The check that ended.
        findings: Its findings at head.
        context: The review's context (the one ``start_early`` was given).

    Returns:
        The candidates the base version did not have, in their order.
    """
    target = context.target
    mode = context.config.filter_mode
    candidates = [f for f in findings if in_scope(f, target, mode)]
    early = _early_runs(context)
    if mode != "added" or early is None or not candidates:
        return candidates  # only the ``added`` mode leaves out what base had
    with early.lock:
        started = early.runs.get(name)
    if started is None:
        return candidates
    files, run = started
    if run.exception() is not None or run.result() is None:
        return candidates
    outcome = run.result()
    assert outcome is not None
    to_base, base_sources = early.base()
    relevant = _matched_paths(candidates, target, files)
    head = [f for f in findings if compared(f) and f.path in relevant]
    reviewed = {f.path for f in target.reviewed_files}
    head_sources = _read_texts(target.repo, {f.path for f in head} & reviewed)
    new = unmatched(
        head,
        head_sources,
        outcome.findings,
        base_sources,
        lambda path: to_base.get(path, path),
        lambda f: in_scope(f, target, "added"),
    )
    return [head[index] for index in sorted(new)]


def _matched_paths(
    candidates: Sequence[Finding], target: ReviewTarget, run_on: Iterable[str]
) -> set[str]:
    """The head files whose findings take part in a match (keys cost a parse).

    The candidates' own files, and those whose base version was checked.
    """
    checked = set(run_on)
    moved = {new for old, new in base_paths(target).items() if old in checked}
    return {f.path for f in candidates} | moved


def _read_texts(repo: Path, paths: Iterable[str]) -> dict[str, str]:
    """Read some work tree files as text; unreadable ones are left out."""
    texts: dict[str, str] = {}
    for path in paths:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            texts[path] = (repo / path).read_text("utf-8")
    return texts


def _base_context(
    context: CheckContext,
    root: Path,
    paths: Iterable[str],
    config: Config,
    niceness: int = 0,
) -> CheckContext:
    files = tuple(ChangedFile(path=path, status="modified") for path in paths)
    base_target = context.target.model_copy(update={"repo": root, "files": files})
    return replace(
        context, target=base_target, config=config, niceness=niceness, tool_started=None
    )


def mark_introduced(
    findings: Sequence[Finding],
    target: ReviewTarget,
    context: CheckContext,
    sources: Mapping[str, str],
    ran: Iterable[str],
) -> list[Finding]:
    """Set ``introduced`` on every finding.

    A finding is introduced when it touches a line the PR added and, for
    ruff, formatter and convention findings, the base version of the code
    did not have it. The base version is only checked when some finding
    could be new.

    Args:
        findings: The head's findings.
        target: The review's target.
        context: The head's check context.
        sources: Head file text by path.
        ran: The checks that ran at head.

    Returns:
        Copies of the findings with ``introduced`` set, in the same order.
    """
    try:
        marked = [
            f.model_copy(update={"introduced": in_scope(f, target, "added")})
            for f in findings
        ]
        sources_ran = {check_spec(name).source for name in ran}
        head = [f for f in marked if compared(f) and f.source in sources_ran]
        candidates = [f for f in head if f.introduced]
        if not candidates:
            return marked
        memo = _memo_file(marked, target, context, sources, sources_ran)
        known = _read_memo(memo)
        if known is None:
            known, complete = _pre_existing(
                marked, head, candidates, target, context, sources
            )
            if complete and memo is not None:
                _write_memo(memo, known)
        old = set(known)
        return [
            f.model_copy(update={"introduced": False}) if index in old else f
            for index, f in enumerate(marked)
        ]
    finally:
        _forget_early_runs(context)  # used or not, they are this review's


def _pre_existing(
    marked: Sequence[Finding],
    head: Sequence[Finding],
    candidates: Sequence[Finding],
    target: ReviewTarget,
    context: CheckContext,
    sources: Mapping[str, str],
) -> tuple[list[int], bool]:
    """Check the base version; return which findings it already had.

    Args:
        marked: The head's findings, ``introduced`` set by the line filter.
        head: Those of them the comparison applies to.
        candidates: Those of ``head`` that may be new.
        target: The review's target.
        context: The head's check context.
        sources: Head file text by path.

    Returns:
        Indexes into ``marked`` of the introduced findings the base version
        had too, and whether every compared check it needed ran to the end
        there (else the answer holds for this review only: not kept).
    """
    early = _early_runs(context)
    if early is not None:
        to_base, base_sources = early.base()  # read once, as the checks ended
    else:
        to_base = {new: old for old, new in base_paths(target).items()}
        base_sources = read_base_sources(target, to_base.values())
    # Each check only where it has a candidate: the engine's parse dominates.
    chosen = {
        spec.name: files_to_check(
            [f for f in candidates if f.source == spec.source],
            sources,
            base_sources,
            to_base,
        )
        for spec in compared_checks()
    }
    base, base_ran = base_findings(target, context, chosen, base_sources)
    checked = {check_spec(name).source for name in base_ran}
    # Only files that can take part in a match: keys cost a parse per file.
    run_on = set().union(*chosen.values())
    relevant = _matched_paths(candidates, target, run_on)
    head = [f for f in head if f.source in checked and f.path in relevant]
    new = unmatched(
        head,
        sources,
        base,
        base_sources,
        lambda path: to_base.get(path, path),
        lambda f: f.introduced,
    )
    old = {id(f) for index, f in enumerate(head) if f.introduced and index not in new}
    indexes = [index for index, f in enumerate(marked) if id(f) in old]
    return indexes, {name for name, files in chosen.items() if files} <= base_ran


def _memo_file(
    marked: Sequence[Finding],
    target: ReviewTarget,
    context: CheckContext,
    sources: Mapping[str, str],
    sources_ran: Iterable[str],
) -> Path | None:
    """Return where the comparison's answer for these exact inputs is kept.

    A re-run of the same review (same findings at head, same files, same base
    commit, config, rules and tools) then skips the base version altogether.

    Returns:
        A file in the result cache's folder; None when that cache is off.
    """
    from pattern_review.checks.result_cache import tool_identity

    if not context.config.result_cache:
        return None
    digest = hashlib.sha256()
    parts = [
        tool_identity(),
        context.config.model_dump_json(),
        context.rulebook.key() if context.rulebook is not None else "",
        target.model_dump_json(exclude={"repo"}),
        ",".join(sorted(sources_ran)),
    ]
    for part in parts:
        digest.update(part.encode() + b"\0")
    for finding in marked:
        digest.update(finding.model_dump_json().encode() + b"\0")
    for path, text in sorted(sources.items()):
        digest.update(f"{path}\0{len(text)}\0{text}\0".encode())
    settings = _ruff_configs(target.repo, base_paths(target))
    modules = [Path(m) for m in context.rulebook.modules] if context.rulebook else []
    # A team's rule module is head code the base run imports, changed or not.
    for module in modules:
        with contextlib.suppress(OSError):
            settings[PurePosixPath(module.as_posix())] = module.read_bytes()
    for setting, content in sorted(settings.items()):
        digest.update(f"{setting}\0{len(content)}\0".encode() + content)
    return context.cache_dir / "results" / f"introduced-{digest.hexdigest()[:32]}.json"


def _read_memo(memo: Path | None) -> list[int] | None:
    """Return a kept answer of the comparison, or None (absent or damaged)."""
    if memo is None:
        return None
    try:
        data = json.loads(memo.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(data, list) or not all(isinstance(i, int) for i in data):
        return None
    return data


def _write_memo(memo: Path, indexes: list[int]) -> None:
    """Keep an answer of the comparison that ran to the end (atomically)."""
    with contextlib.suppress(OSError):
        memo.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=memo.parent, suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(indexes, stream)
        os.replace(temporary, memo)
