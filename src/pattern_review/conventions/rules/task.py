"""Convention rules: the Celery task pattern.

A task is ``@shared_task(bind=True, max_retries=..., default_retry_delay=...)``,
its failures end in ``raise self.retry(exc=exc)`` (never swallowed), and its
Google docstring documents ``Args:`` and ``Returns:``.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m
from libcst.helpers import get_full_name_for_node

from pattern_review.conventions.rule import Example, Rule

_REQUIRED_OPTIONS = ("bind", "max_retries", "default_retry_delay")


def task_decorator(node: cst.FunctionDef) -> cst.BaseExpression | None:
    """Return the decorator that makes a function a Celery task, if any.

    Args:
        node: A function definition.

    Returns:
        The decorator expression (``shared_task``, ``shared_task(...)``,
        ``app.task`` or ``app.task(...)``), or None for a plain function.
    """
    for decorator in node.decorators:
        expression = decorator.decorator
        target = expression.func if isinstance(expression, cst.Call) else expression
        name = get_full_name_for_node(target) or ""
        if name.rpartition(".")[2] in {"shared_task", "task"}:
            return expression
    return None


def _listed(items: list[str], conjunction: str) -> str:
    """``a``, ``a and b``, ``a, b and c``: a list as a sentence says it."""
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _task_name(decorator: cst.BaseExpression) -> str:
    target = decorator.func if isinstance(decorator, cst.Call) else decorator
    return get_full_name_for_node(target) or ""


class TaskRule(Rule):
    """Shared wiring of the task family: Celery tasks in task modules."""

    PATTERN = "celery-task-pattern"
    ROLES = frozenset({"task"})

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        """Pass each Celery task of the module, and its decorator, to ``check_task``."""
        decorator = task_decorator(node)
        if decorator is not None:
            self.check_task(node, decorator)

    def check_task(self, node: cst.FunctionDef, decorator: cst.BaseExpression) -> None:
        """Report what this rule finds in one task.

        Args:
            node: The task function.
            decorator: Its task decorator.
        """


class SharedTaskRule(TaskRule):
    """Tasks are declared with ``@shared_task``, not an app's ``@app.task``.

    ``shared_task`` registers the task with whichever Celery app is current,
    so task modules need not import the app (no import cycles, reusable in
    tests and other apps).
    """

    ID = "TSK001"
    SUMMARY = "Celery tasks use @shared_task, not @app.task"
    AGENT_TEXT = "@shared_task(bind=True, max_retries=3, default_retry_delay=60)"
    MESSAGE = (
        "Task is registered on an app instance; the Celery task pattern uses "
        "`@shared_task(bind=True, ...)`."
    )
    VALID = (
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                pass
            """,
            role="task",
        ),
        Example(
            """\
            @celery.shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                pass
            """,
            role="task",
        ),
    )
    INVALID = (
        Example(
            """\
            @app.task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                pass
            """,
            role="task",
            line=1,
            column=2,
            message=(
                "Task `sync_items` is registered with `@app.task`; the Celery task "
                "pattern uses `@shared_task(bind=True, ...)`, which needs no app "
                "instance."
            ),
        ),
        Example(
            """\
            @celery_app.task
            def ping() -> None:
                pass


            @celery.task()
            def pong() -> None:
                pass
            """,
            role="task",
            line=1,
            column=2,
            message=(
                "Task `ping` is registered with `@celery_app.task`; the Celery task "
                "pattern uses `@shared_task(bind=True, ...)`, which needs no app "
                "instance."
            ),
            count=2,
        ),
    )

    def check_task(self, node: cst.FunctionDef, decorator: cst.BaseExpression) -> None:
        """Report ``@<app>.task``.

        Args:
            node: The task function.
            decorator: Its task decorator.
        """
        name = _task_name(decorator)
        if name.rpartition(".")[2] == "task" and "." in name:
            self.report(
                decorator,
                f"Task `{node.name.value}` is registered with `@{name}`; the Celery "
                "task pattern uses `@shared_task(bind=True, ...)`, which needs no "
                "app instance.",
            )


class TaskOptionsRule(TaskRule):
    """``@shared_task`` sets ``bind=True``, ``max_retries`` and a retry delay.

    ``bind=True`` gives the task ``self`` so it can ``self.retry``; the retry
    budget and delay make a failing task back off and then give up instead of
    hammering a broken dependency forever (or never retrying at all).
    """

    ID = "TSK002"
    SUMMARY = "shared_task sets bind=True, max_retries and default_retry_delay"
    AGENT_TEXT = "@shared_task(bind=True, max_retries=3, default_retry_delay=60)"
    MESSAGE = (
        "Task decorator lacks retry options; the Celery task pattern sets "
        "`bind=True, max_retries=..., default_retry_delay=...`."
    )
    VALID = (
        Example(
            """\
            @shared_task(bind=True, max_retries=5, default_retry_delay=30)
            def sync_items(self, source_id: int) -> None:
                pass
            """,
            role="task",
        ),
        Example(
            """\
            def helper(source_id: int) -> int:
                return source_id
            """,
            role="task",
        ),
    )
    INVALID = (
        Example(
            """\
            @shared_task
            def sync_items(source_id: int) -> None:
                pass
            """,
            role="task",
            line=1,
            column=2,
            message=(
                "`@shared_task` on `sync_items` lacks `bind=True`, `max_retries` "
                "and `default_retry_delay`; the Celery task pattern sets `bind=True, "
                "max_retries=..., default_retry_delay=...`."
            ),
        ),
        Example(
            """\
            @shared_task(bind=False, max_retries=3)
            def sync_items(source_id: int) -> None:
                pass


            @shared_task(bind=True, default_retry_delay=10)
            def sync_more(self, source_id: int) -> None:
                pass
            """,
            role="task",
            line=1,
            column=2,
            message=(
                "`@shared_task` on `sync_items` lacks `bind=True` and "
                "`default_retry_delay`; the Celery task pattern sets `bind=True, "
                "max_retries=..., default_retry_delay=...`."
            ),
            count=2,
        ),
    )

    def check_task(self, node: cst.FunctionDef, decorator: cst.BaseExpression) -> None:
        """Report the retry options a ``shared_task`` leaves out.

        Args:
            node: The task function.
            decorator: Its task decorator.
        """
        if _task_name(decorator).rpartition(".")[2] != "shared_task":
            return
        given: dict[str, cst.BaseExpression] = {}
        if isinstance(decorator, cst.Call):
            given = {
                arg.keyword.value: arg.value for arg in decorator.args if arg.keyword
            }
        missing = [
            "bind=True" if option == "bind" else option
            for option in _REQUIRED_OPTIONS
            if option not in given
            or (option == "bind" and not m.matches(given[option], m.Name("True")))
        ]
        if missing:
            listed = _listed([f"`{option}`" for option in missing], "and")
            self.report(
                decorator,
                f"`@shared_task` on `{node.name.value}` lacks {listed}; the Celery "
                "task pattern sets `bind=True, max_retries=..., "
                "default_retry_delay=...`.",
            )


_RETRY_CALL = m.Call(func=m.Attribute(value=m.Name("self"), attr=m.Name("retry")))


class RetryOnFailureRule(TaskRule):
    """A task's ``except`` ends in ``raise self.retry(exc=exc)``, never swallows.

    A task that catches an error and carries on reports success to Celery:
    no retry, no failure state, no trace in the result backend. ``raise
    self.retry(exc=exc)`` retries with back-off and, once the retries are spent,
    fails with the original error. (Blind ``except Exception`` outside tasks
    is ERR002's.)
    """

    ID = "TSK003"
    SUMMARY = "Task errors end in raise self.retry(exc=exc), not swallowed"
    AGENT_TEXT = "except Exception as exc: raise self.retry(exc=exc)"
    MESSAGE = (
        "Task swallows the error; the Celery task pattern ends the except "
        "block with `raise self.retry(exc=exc)`."
    )
    VALID = (
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                try:
                    fetch(source_id)
                except Exception as exc:
                    raise self.retry(exc=exc)
            """,
            role="task",
        ),
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                try:
                    fetch(source_id)
                except KeyError:
                    logger.warning("source %s vanished", source_id)
                    raise
            """,
            role="task",
        ),
    )
    INVALID = (
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                try:
                    fetch(source_id)
                except ConnectionError:
                    logger.exception("sync failed")
            """,
            role="task",
            line=5,
            column=5,
            message=(
                "Task `sync_items` catches `ConnectionError` and carries on; the "
                "Celery task pattern ends the except block with "
                "`raise self.retry(exc=exc)`."
            ),
        ),
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> None:
                try:
                    fetch(source_id)
                except Exception as exc:
                    self.retry(exc=exc)
            """,
            role="task",
            line=6,
            column=9,
            message=(
                "Task `sync_items` calls `self.retry(...)` without `raise`; the "
                "Celery task pattern ends the except block with "
                "`raise self.retry(exc=exc)`."
            ),
            suggestion="        raise self.retry(exc=exc)",
        ),
    )

    def check_task(self, node: cst.FunctionDef, decorator: cst.BaseExpression) -> None:
        """Report handlers of the task that contain no ``raise``.

        Args:
            node: The task function.
            decorator: Its task decorator.
        """
        for handler in m.findall(node.body, m.ExceptHandler()):
            assert isinstance(handler, cst.ExceptHandler)
            if m.findall(handler.body, m.Raise()):
                continue
            retry = next(
                (
                    statement.value
                    for statement in m.findall(handler.body, m.Expr(value=_RETRY_CALL))
                    if isinstance(statement, cst.Expr)
                ),
                None,
            )
            if retry is not None:
                self.report(
                    retry,
                    f"Task `{node.name.value}` calls `self.retry(...)` without "
                    "`raise`; the Celery task pattern ends the except block with "
                    "`raise self.retry(exc=exc)`.",
                    suggestion="raise " + cst.Module([]).code_for_node(retry),
                )
                continue
            caught = (
                cst.Module([]).code_for_node(handler.type)
                if handler.type is not None
                else "everything"
            )
            self.report(
                handler,
                f"Task `{node.name.value}` catches `{caught}` and carries on; the "
                "Celery task pattern ends the except block with "
                "`raise self.retry(exc=exc)`.",
            )


class TaskDocstringRule(TaskRule):
    """A task's docstring has Google ``Args:`` and ``Returns:`` sections.

    Tasks are called by name from other services and from the queue; the
    docstring is their contract. (A missing docstring is ruff's D103.)
    """

    ID = "TSK004"
    SEVERITY = "warning"
    SUMMARY = "Task docstrings document Args: and Returns: (Google style)"
    AGENT_TEXT = (
        "Google-style docstring with `Args:` and `Returns:` sections, as in the "
        "Celery task pattern"
    )
    # Bound to the section's example code, whose docstring has both sections.
    SENTENCES = ("Args: Returns:",)
    MESSAGE = (
        "Task docstring lacks a Google section; the Celery task pattern documents "
        "`Args:` and `Returns:`."
    )
    VALID = (
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> dict:
                \"\"\"Sync one source.

                Args:
                    source_id: The source to sync.

                Returns:
                    Status dict.
                \"\"\"
                return {"status": "ok"}
            """,
            role="task",
        ),
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def purge(self) -> None:
                \"\"\"Purge expired rows.\"\"\"
            """,
            role="task",
        ),
    )
    INVALID = (
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def sync_items(self, source_id: int) -> dict:
                \"\"\"Sync one source.\"\"\"
                return {"status": "ok"}
            """,
            role="task",
            line=2,
            column=5,
            message=(
                "Docstring of task `sync_items` has no `Args:` or `Returns:` section; "
                "the Celery task pattern documents them Google-style."
            ),
        ),
        Example(
            """\
            @shared_task(bind=True, max_retries=3, default_retry_delay=60)
            def purge(self, days: int) -> None:
                \"\"\"Purge rows older than ``days``.

                Returns:
                    Nothing.
                \"\"\"
            """,
            role="task",
            line=2,
            column=5,
            message=(
                "Docstring of task `purge` has no `Args:` section; the Celery task "
                "pattern documents them Google-style."
            ),
        ),
    )

    def check_task(self, node: cst.FunctionDef, decorator: cst.BaseExpression) -> None:
        """Report missing ``Args:``/``Returns:`` sections.

        Args:
            node: The task function.
            decorator: Its task decorator.
        """
        docstring = node.get_docstring()
        if docstring is None:
            return
        params = [
            param
            for param in (
                *node.params.posonly_params,
                *node.params.params,
                *node.params.kwonly_params,
            )
            if param.name.value not in {"self", "cls"}
        ]
        returns = node.returns is not None and not m.matches(
            node.returns.annotation, m.Name("None")
        )
        lines = {line.strip() for line in docstring.splitlines()}
        missing = [
            spellings[0]
            for spellings, needed in (
                (("Args:", "Arguments:"), bool(params)),
                (("Returns:", "Return:"), returns),
            )
            if needed and not lines.intersection(spellings)
        ]
        if missing:
            listed = _listed([f"`{section}`" for section in missing], "or")
            self.report(
                node.name,
                f"Docstring of task `{node.name.value}` has no {listed} section; "
                "the Celery task pattern documents them Google-style.",
            )
