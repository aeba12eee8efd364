"""Synthetic FastAPI backends as git repos: a base commit and a PR on top.

Each resource of the app gets the agent file's layout: a router, schemas, a
model, a service, tests, and (for about half of them) Celery tasks, written
after the agent file's own patterns with a varying number of fields and
endpoints so file sizes spread like a real app's (30 to 200 lines). The PR
extends existing resources (a new field, method, endpoint, task, test) and
adds new ones, wired into ``main.py``. A chosen share of the changed files
gets one seeded violation of the agent file's conventions on an added line;
``GeneratedRepo.violations`` lists them.

The project is a uv project (fastapi, sqlalchemy, pydantic, celery; dev ruff,
mypy, pytest) so the Completion Checklist runs in it through ``uv run``.
"""

from __future__ import annotations

import math
import random
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Templates hold lines of the generated code verbatim (before it is formatted),
# so some run past 88 columns here.
# ruff: noqa: E501

NOUNS = (
    "invoice", "customer", "order", "product", "shipment", "payment", "refund",
    "warehouse", "supplier", "coupon", "review", "ticket", "project", "task",
    "comment", "team", "member", "account", "address", "subscription", "plan",
    "report", "device", "sensor", "alert", "campaign", "lead", "contract",
    "document", "folder", "tag", "category", "vendor", "budget", "expense",
    "booking", "room", "event", "venue", "course", "lesson", "quiz", "badge",
    "message", "channel", "webhook", "integration", "license", "asset", "policy",
)  # fmt: skip
QUALIFIERS = (
    "", "item", "note", "log", "rule", "batch", "history", "link", "setting",
    "snapshot", "template", "version",
)  # fmt: skip

# (name, python type, mapped_column arguments, schema default)
FIELD_POOL: tuple[tuple[str, str, str, str], ...] = (
    ("title", "str", "String(255)", '"untitled"'),
    ("code", "str", "String(32)", '"X-1"'),
    ("quantity", "int", "default=0", "0"),
    ("price_cents", "int", "default=0", "0"),
    ("is_active", "bool", "default=True", "True"),
    ("email", "str | None", "String(320), default=None", "None"),
    ("notes", "str | None", "Text, default=None", "None"),
    ("rank", "int", "default=0", "0"),
    ("external_id", "str | None", "String(64), default=None", "None"),
    ("currency", "str", 'String(3), default="EUR"', '"EUR"'),
    ("weight", "float", "default=0.0", "0.0"),
    ("priority", "int", "default=3", "3"),
    ("summary", "str | None", "Text, default=None", "None"),
    ("slug", "str", "String(128)", '"slug"'),
)

# Violations per file role: kind -> the agent-file rule it breaks.
VIOLATIONS: dict[str, dict[str, str]] = {
    "router": {
        "sync-handler": "style-rules#14",
        "no-response-model": "router-pattern",
        "no-docstring": "style-rules#3",
        "broad-except": "error-handling",
    },
    "schema": {
        "optional-syntax": "style-rules#9",
        "orm-mode-config": "schema-pattern",
        "typing-list": "style-rules#10",
    },
    "model": {
        "legacy-column": "model-pattern",
        "long-line": "style-rules#4",
    },
    "service": {
        "dict-call": "style-rules#12",
        "sync-untyped-method": "style-rules#2",
        "percent-format": "style-rules#5",
        "unformatted": "completion-checklist",
    },
    "task": {
        # A swallowing handler in a task is TSK003's (the task pattern's retry).
        "broad-except": "celery-task-pattern",
        "no-retry-options": "celery-task-pattern",
        "camel-case": "style-rules#6",
    },
}


@dataclass(frozen=True)
class Violation:
    """A convention broken on purpose in the PR.

    Attributes:
        path: File path relative to the repo root.
        kind: Which violation (a key of ``VIOLATIONS[role]``).
        pattern: The agent-file rule it breaks.
    """

    path: str
    kind: str
    pattern: str


@dataclass
class GeneratedRepo:
    """A generated app and its PR.

    Attributes:
        path: The git work tree.
        base: SHA of the base commit.
        head: SHA of the PR commit.
        changed: Python files the PR adds or modifies, repo-relative, sorted.
        related_tests: Test files of the resources the PR touches.
        violations: The seeded violations.
        python_files: How many Python files the head commit holds.
        lines_changed: Lines added by the PR.
    """

    path: Path
    base: str
    head: str
    changed: list[str] = field(default_factory=list)
    related_tests: list[str] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    python_files: int = 0
    lines_changed: int = 0


@dataclass(frozen=True)
class Resource:
    """One resource of the app: names, fields and how big its files are."""

    name: str
    fields: tuple[tuple[str, str, str, str], ...]
    extra_endpoints: int
    has_tasks: bool

    @property
    def cls(self) -> str:
        """PascalCase class name."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def table(self) -> str:
        """Table name (plural-ish)."""
        return f"{self.name}s"

    def paths(self) -> dict[str, str]:
        """File role -> path of each of the resource's files."""
        paths = {
            "router": f"src/app/routers/{self.name}.py",
            "schema": f"src/app/schemas/{self.name}.py",
            "model": f"src/app/models/{self.name}.py",
            "service": f"src/app/services/{self.name}_service.py",
            "test": f"tests/test_{self.name}.py",
        }
        if self.has_tasks:
            paths["task"] = f"src/app/tasks/{self.name}_tasks.py"
        return paths


@dataclass(frozen=True)
class Change:
    """What the PR does to one file: extend it, maybe with a violation."""

    extend: bool = False
    violation: str | None = None


def _names(count: int) -> list[str]:
    names = [f"{n}_{q}" if q else n for q in QUALIFIERS for n in NOUNS]
    if count > len(names):
        names += [f"{n}_{i}" for i in range(count - len(names)) for n in NOUNS[:1]]
    return names[:count]


def _resource(name: str, rng: random.Random) -> Resource:
    fields = tuple(rng.sample(FIELD_POOL, rng.randint(2, 9)))
    return Resource(name, fields, rng.randint(0, 4), rng.random() < 0.5)


# ---------------------------------------------------------------- templates


def _header(doc: str, change: Change, *, future: bool = True) -> str:
    head = f'"""{doc}"""\n\n'
    return head + ("from __future__ import annotations\n\n" if future else "")


def model_source(res: Resource, change: Change) -> str:
    """Return the model module of a resource."""
    v = change.violation
    imports = "from sqlalchemy import String, Text, func\n"
    if v == "legacy-column":
        imports = "from sqlalchemy import Column, String, Text, func\n"
    lines = [
        _header(f"SQLAlchemy model for the {res.table} table.", change),
        "from datetime import datetime\n\n",
        imports,
        "from sqlalchemy.orm import Mapped, mapped_column\n\n",
        "from app.database import Base\n\n\n",
        f"class {res.cls}(Base):\n",
        f'    """SQLAlchemy model for the {res.table} table."""\n\n',
        f'    __tablename__ = "{res.table}"\n\n',
        "    id: Mapped[int] = mapped_column(primary_key=True)\n",
        "    name: Mapped[str] = mapped_column(String(255))\n",
        "    description: Mapped[str | None] = mapped_column(Text, default=None)\n",
    ]
    for name, typ, args, _ in res.fields:
        lines.append(f"    {name}: Mapped[{typ}] = mapped_column({args})\n")
    if change.extend:
        if v == "legacy-column":
            lines.append("    archived_reason = Column(String(64), nullable=True)\n")
        elif v == "long-line":
            lines.append(
                "    archived_reason: Mapped[str | None] = mapped_column("
                'String(64), default=None, comment="why this row was archived by '
                'the nightly clean-up job, kept for the audit trail of the team")\n'
            )
        else:
            lines.append(
                "    archived_reason: Mapped[str | None] = mapped_column("
                "String(64), default=None)\n"
            )
    lines += [
        "    created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n",
        "    updated_at: Mapped[datetime] = mapped_column(\n",
        "        server_default=func.now(), onupdate=func.now()\n",
        "    )\n",
    ]
    return "".join(lines)


def schema_source(res: Resource, change: Change) -> str:
    """Return the Pydantic schema module of a resource."""
    v = change.violation
    out = [_header(f"Pydantic schemas for {res.name.replace('_', ' ')}.", change)]
    out.append("from datetime import datetime\n")
    if v == "optional-syntax":
        out.append("from typing import Optional\n")
    if v == "typing-list":
        out.append("from typing import List\n")
    out.append("\nfrom pydantic import BaseModel, ConfigDict\n\n\n")
    out.append(f"class {res.cls}Base(BaseModel):\n")
    out.append(f'    """Shared fields for {res.name} schemas."""\n\n')
    out.append("    name: str\n    description: str | None = None\n")
    for name, typ, _, default in res.fields:
        out.append(f"    {name}: {typ} = {default}\n")
    if change.extend:
        if v == "optional-syntax":
            out.append("    archived_reason: Optional[str] = None\n")
        elif v == "typing-list":
            out.append("    labels: List[str] = []\n")
        else:
            out.append("    archived_reason: str | None = None\n")
    out.append(f"\n\nclass {res.cls}Create({res.cls}Base):\n")
    out.append(f'    """Schema for creating a {res.name}."""\n')
    out.append(f"\n\nclass {res.cls}Update(BaseModel):\n")
    out.append(f'    """Schema for updating a {res.name} (all fields optional)."""\n\n')
    out.append("    name: str | None = None\n    description: str | None = None\n")
    for name, typ, _, _ in res.fields:
        optional = typ if typ.endswith("None") else f"{typ} | None"
        out.append(f"    {name}: {optional} = None\n")
    out.append(f"\n\nclass {res.cls}Read({res.cls}Base):\n")
    out.append(f'    """Schema for reading a {res.name} (includes DB fields)."""\n\n')
    if change.extend and v == "orm-mode-config":
        out.append("    class Config:\n        orm_mode = True\n\n")
    else:
        out.append("    model_config = ConfigDict(from_attributes=True)\n\n")
    out.append("    id: int\n    created_at: datetime\n    updated_at: datetime\n")
    return "".join(out)


def service_source(res: Resource, change: Change) -> str:
    """Return the service module of a resource."""
    v, c = change.violation, res.cls
    out = [
        _header(f"Business logic for {res.name.replace('_', ' ')} operations.", change),
        "from sqlalchemy import func, select\n",
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n",
        f"from app.models.{res.name} import {c}\n",
        f"from app.schemas.{res.name} import {c}Create, {c}Update\n\n\n",
        f"class {c}Service:\n",
        f'    """Business logic for {res.name} operations."""\n\n',
        "    def __init__(self, db: AsyncSession) -> None:\n",
        "        self._db = db\n\n",
        f"    async def list_page(self, *, skip: int = 0, limit: int = 20) -> list[{c}]:\n",
        f'        """List {res.table} with pagination."""\n',
        f"        stmt = select({c}).offset(skip).limit(limit)\n",
        "        result = await self._db.execute(stmt)\n",
        "        return list(result.scalars().all())\n\n",
        "    async def count(self) -> int:\n",
        f'        """Count {res.table}."""\n',
        f"        result = await self._db.execute(select(func.count()).select_from({c}))\n",
        "        return int(result.scalar_one())\n\n",
        f"    async def get_by_id(self, {res.name}_id: int) -> {c} | None:\n",
        f'        """Get a {res.name} by primary key."""\n',
        f"        return await self._db.get({c}, {res.name}_id)\n\n",
        f"    async def create(self, payload: {c}Create) -> {c}:\n",
        f'        """Create a new {res.name}."""\n',
    ]
    dump = "payload.dict()" if change.extend and v == "dict-call" else None
    out += [
        f"        item = {c}(**{dump or 'payload.model_dump()'})\n",
        "        self._db.add(item)\n",
        "        await self._db.commit()\n",
        "        await self._db.refresh(item)\n",
        "        return item\n\n",
        "    async def update(\n",
        f"        self, {res.name}_id: int, payload: {c}Update\n",
        f"    ) -> {c} | None:\n",
        f'        """Update an existing {res.name}."""\n',
        f"        item = await self.get_by_id({res.name}_id)\n",
        "        if item is None:\n            return None\n",
        "        for key, value in payload.model_dump(exclude_unset=True).items():\n",
        "            setattr(item, key, value)\n",
        "        await self._db.commit()\n",
        "        await self._db.refresh(item)\n",
        "        return item\n\n",
        f"    async def delete(self, {res.name}_id: int) -> bool:\n",
        f'        """Delete a {res.name} by ID. Returns True if deleted."""\n',
        f"        item = await self.get_by_id({res.name}_id)\n",
        "        if item is None:\n            return False\n",
        "        await self._db.delete(item)\n",
        "        await self._db.commit()\n",
        "        return True\n",
    ]
    for i in range(res.extra_endpoints):
        out += [
            "\n",
            f"    async def list_recent_{i}(self, *, limit: int = 10) -> list[{c}]:\n",
            f'        """List the most recently created {res.table} (view {i})."""\n',
            f"        stmt = select({c}).order_by({c}.created_at.desc()).limit(limit)\n",
            "        result = await self._db.execute(stmt)\n",
            "        return list(result.scalars().all())\n",
        ]
    if change.extend:
        out.append("\n")
        if v == "sync-untyped-method":
            out += [
                "    def describe(self, item):\n",
                f'        """Describe a {res.name} for logs."""\n',
                f'        return f"{res.name} {{item.id}}: {{item.name}}"\n',
            ]
        elif v == "percent-format":
            out += [
                f"    def describe(self, item: {c}) -> str:\n",
                f'        """Describe a {res.name} for logs."""\n',
                f'        return "{res.name} %s: %s" % (item.id, item.name)\n',
            ]
        elif v == "unformatted":
            out += [
                f"    async def find_by_name(self, name: str, *, limit: int=20) -> list[{c}]:\n",
                f'        """Find {res.table} by exact name."""\n',
                f"        stmt = select( {c} ).where({c}.name==name).limit(limit)\n",
                "        result = await self._db.execute(stmt)\n",
                "        return list(result.scalars().all())\n",
            ]
        else:
            out += [
                f"    async def find_by_name(self, name: str, *, limit: int = 20) -> list[{c}]:\n",
                f'        """Find {res.table} by exact name."""\n',
                f"        stmt = select({c}).where({c}.name == name).limit(limit)\n",
                "        result = await self._db.execute(stmt)\n",
                "        return list(result.scalars().all())\n",
            ]
    return "".join(out)


def router_source(res: Resource, change: Change) -> str:
    """Return the router module of a resource."""
    v, c, n = change.violation, res.cls, res.name
    imports = ["from fastapi import APIRouter, Depends, HTTPException, status\n"]
    if change.extend and v == "broad-except":
        imports.insert(0, "import logging\n\n")
    out = [
        _header(f"HTTP routes for {res.table.replace('_', ' ')}.", change),
        *imports,
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n",
        "from app.database import get_db\n",
        f"from app.schemas.{n} import {c}Create, {c}Read, {c}Update\n",
        f"from app.services.{n}_service import {c}Service\n\n",
    ]
    if change.extend and v == "broad-except":
        out.append("logger = logging.getLogger(__name__)\n")
    out += [
        f'router = APIRouter(prefix="/{res.table.replace("_", "-")}", tags=["{res.table}"])\n\n\n',
        f'@router.get("/", response_model=list[{c}Read])\n',
        f"async def list_{res.table}(\n",
        "    skip: int = 0,\n    limit: int = 20,\n",
        "    db: AsyncSession = Depends(get_db),\n",
        f") -> list[{c}Read]:\n",
        f'    """List {res.table} with pagination."""\n',
        f"    service = {c}Service(db)\n",
        "    items = await service.list_page(skip=skip, limit=limit)\n",
        f"    return [{c}Read.model_validate(item) for item in items]\n\n\n",
        f'@router.post("/", response_model={c}Read, status_code=status.HTTP_201_CREATED)\n',
        f"async def create_{n}(\n",
        f"    payload: {c}Create,\n",
        "    db: AsyncSession = Depends(get_db),\n",
        f") -> {c}Read:\n",
        f'    """Create a new {n}."""\n',
        f"    service = {c}Service(db)\n",
        f"    return {c}Read.model_validate(await service.create(payload))\n\n\n",
        f'@router.get("/{{{n}_id}}", response_model={c}Read)\n',
        f"async def get_{n}(\n",
        f"    {n}_id: int,\n",
        "    db: AsyncSession = Depends(get_db),\n",
        f") -> {c}Read:\n",
        f'    """Get a {n} by ID."""\n',
        f"    service = {c}Service(db)\n",
        f"    item = await service.get_by_id({n}_id)\n",
        "    if item is None:\n",
        "        raise HTTPException(\n",
        f'            status_code=status.HTTP_404_NOT_FOUND, detail="{c} not found"\n',
        "        )\n",
        f"    return {c}Read.model_validate(item)\n\n\n",
        f'@router.patch("/{{{n}_id}}", response_model={c}Read)\n',
        f"async def update_{n}(\n",
        f"    {n}_id: int,\n",
        f"    payload: {c}Update,\n",
        "    db: AsyncSession = Depends(get_db),\n",
        f") -> {c}Read:\n",
        f'    """Update a {n} by ID."""\n',
        f"    service = {c}Service(db)\n",
        f"    item = await service.update({n}_id, payload)\n",
        "    if item is None:\n",
        "        raise HTTPException(\n",
        f'            status_code=status.HTTP_404_NOT_FOUND, detail="{c} not found"\n',
        "        )\n",
        f"    return {c}Read.model_validate(item)\n\n\n",
        f'@router.delete("/{{{n}_id}}", status_code=status.HTTP_204_NO_CONTENT)\n',
        f"async def delete_{n}(\n",
        f"    {n}_id: int,\n",
        "    db: AsyncSession = Depends(get_db),\n",
        ") -> None:\n",
        f'    """Delete a {n} by ID."""\n',
        f"    service = {c}Service(db)\n",
        f"    if not await service.delete({n}_id):\n",
        "        raise HTTPException(\n",
        f'            status_code=status.HTTP_404_NOT_FOUND, detail="{c} not found"\n',
        "        )\n",
    ]
    for i in range(res.extra_endpoints):
        out += [
            f'\n\n@router.get("/recent/{i}", response_model=list[{c}Read])\n',
            f"async def list_recent_{res.table}_{i}(\n",
            "    limit: int = 10,\n",
            "    db: AsyncSession = Depends(get_db),\n",
            f") -> list[{c}Read]:\n",
            f'    """List recently created {res.table} (view {i})."""\n',
            f"    items = await {c}Service(db).list_recent_{i}(limit=limit)\n",
            f"    return [{c}Read.model_validate(item) for item in items]\n",
        ]
    if change.extend:
        response = "" if v == "no-response-model" else f", response_model={c}Read"
        define = "def" if v == "sync-handler" else "async def"
        # FastAPI takes a schema return annotation as the response model: the
        # seeded handler returns a plain dict, which names none.
        returns = "dict[str, object]" if v == "no-response-model" else f"{c}Read"
        out += [
            f'\n\n@router.get("/{{{n}_id}}/summary"{response})\n',
            f"{define} get_{n}_summary(\n",
            f"    {n}_id: int,\n",
            "    db: AsyncSession = Depends(get_db),\n",
            f") -> {returns}:\n",
        ]
        if v != "no-docstring":
            out.append(f'    """Get a short summary of a {n}."""\n')
        out.append(f"    service = {c}Service(db)\n")
        if v == "sync-handler":
            out.append(f"    item = service._db.sync_session.get({c}Read, {n}_id)\n")
        elif v == "broad-except":
            out += [
                "    try:\n",
                f"        item = await service.get_by_id({n}_id)\n",
                "    except Exception:\n",
                f'        logger.exception("lookup failed for {n} %s", {n}_id)\n',
                "        item = None\n",
            ]
        else:
            out.append(f"    item = await service.get_by_id({n}_id)\n")
        out += [
            "    if item is None:\n",
            "        raise HTTPException(\n",
            f'            status_code=status.HTTP_404_NOT_FOUND, detail="{c} not found"\n',
            "        )\n",
            f"    return {c}Read.model_validate(item)"
            + (".model_dump()\n" if v == "no-response-model" else "\n"),
        ]
    return "".join(out)


def task_source(res: Resource, change: Change) -> str:
    """Return the Celery task module of a resource."""
    v, n = change.violation, res.name
    out = [
        _header(f"Background tasks for {n.replace('_', ' ')}.", change),
        "import logging\nfrom typing import Any\n\n",
        "from celery import shared_task\n\n",
        "logger = logging.getLogger(__name__)\n\n\n",
        "@shared_task(bind=True, max_retries=3, default_retry_delay=60)\n",
        f"def sync_{n}(self: Any, {n}_id: int) -> dict[str, Any]:\n",
        f'    """Sync external data for a {n}.\n\n',
        "    Args:\n",
        f"        {n}_id: The {n} ID to sync.\n\n",
        "    Returns:\n",
        "        Status dict with result information.\n",
        '    """\n',
        "    try:\n",
        f'        logger.info("syncing {n}", extra={{"id": {n}_id}})\n',
        f'        return {{"status": "ok", "{n}_id": {n}_id}}\n',
        "    except ConnectionError as exc:\n",
        "        raise self.retry(exc=exc) from exc\n",
    ]
    if change.extend:
        decorator = (
            "@shared_task\n"
            if v == "no-retry-options"
            else "@shared_task(bind=True, max_retries=3, default_retry_delay=60)\n"
        )
        name = f"purge{res.cls}Cache" if v == "camel-case" else f"purge_{n}_cache"
        self_param = "" if v == "no-retry-options" else "self: Any, "
        out += [
            "\n\n",
            decorator,
            f"def {name}({self_param}{n}_id: int) -> dict[str, Any]:\n",
            f'    """Drop cached views of a {n}.\n\n',
            "    Args:\n",
            f"        {n}_id: The {n} whose cache is dropped.\n\n",
            "    Returns:\n",
            "        Status dict with result information.\n",
            '    """\n',
            "    try:\n",
            f'        return {{"status": "purged", "{n}_id": {n}_id}}\n',
        ]
        if v == "broad-except":
            # Swallowed: a handler that re-raises (self.retry) is the pattern.
            out += [
                "    except Exception:\n",
                f'        logger.warning("purge failed", extra={{"id": {n}_id}})\n',
                '        return {"status": "failed"}\n',
            ]
        elif v == "no-retry-options":
            out += [
                "    except ConnectionError:\n",
                f'        logger.warning("purge failed", extra={{"id": {n}_id}})\n',
                '        return {"status": "failed"}\n',
            ]
        else:
            out += [
                "    except ConnectionError as exc:\n",
                "        raise self.retry(exc=exc) from exc\n",
            ]
    return "".join(out)


def test_source(res: Resource, change: Change) -> str:
    """Return the test module of a resource."""
    c, n = res.cls, res.name
    out = [
        _header(f"Tests for {n.replace('_', ' ')}.", change),
        f"from app.models.{n} import {c}\n",
        f"from app.schemas.{n} import {c}Create, {c}Update\n",
    ]
    if res.has_tasks:
        out.append(f"from app.tasks.{n}_tasks import sync_{n}\n")
    out += [
        "\n\n",
        "def test_create_schema_keeps_fields() -> None:\n",
        f'    payload = {c}Create(name="first")\n',
        '    assert payload.model_dump()["name"] == "first"\n\n\n',
        "def test_update_schema_is_partial() -> None:\n",
        f"    assert {c}Update().model_dump(exclude_unset=True) == {{}}\n\n\n",
        "def test_model_table_name() -> None:\n",
        f'    assert {c}.__tablename__ == "{res.table}"\n',
    ]
    for name, _, _, default in res.fields:
        compare = "is" if default in ("None", "True") else "=="
        out += [
            f"\n\ndef test_{name}_default() -> None:\n",
            f'    assert {c}Create(name="x").{name} {compare} {default}\n',
        ]
    if res.has_tasks:
        out += [
            "\n\ndef test_sync_task_returns_status() -> None:\n",
            f'    assert sync_{n}(7)["status"] == "ok"\n',
        ]
    if change.extend:
        out += [
            "\n\ndef test_update_schema_keeps_name() -> None:\n",
            f'    assert {c}Update(name="y").model_dump(exclude_unset=True) == '
            '{"name": "y"}\n',
        ]
    return "".join(out)


TEMPLATES: dict[str, Callable[[Resource, Change], str]] = {
    "router": router_source,
    "schema": schema_source,
    "model": model_source,
    "service": service_source,
    "task": task_source,
    "test": test_source,
}


# ------------------------------------------------------------ project files

PYPROJECT = """\
[project]
name = "benchapp"
version = "0.1.0"
description = "A synthetic FastAPI backend for pattern-review benchmarks."
requires-python = ">=3.11"
dependencies = ["fastapi", "sqlalchemy[asyncio]", "pydantic", "celery"]

[dependency-groups]
dev = ["ruff", "mypy", "pytest"]

[tool.uv]
package = false

[tool.ruff]
line-length = 88
target-version = "py311"

[tool.ruff.lint]
select = ["E", "F", "W", "I", "UP", "N", "B", "FA"]

[tool.ruff.lint.flake8-bugbear]
extend-immutable-calls = ["fastapi.Depends"]

[tool.mypy]
python_version = "3.11"
mypy_path = "src"
explicit_package_bases = true
disallow_untyped_defs = true
warn_unused_ignores = true

[[tool.mypy.overrides]]
module = ["celery", "celery.*"]
ignore_missing_imports = true

[tool.pytest.ini_options]
pythonpath = ["src"]
testpaths = ["tests"]
"""

GITIGNORE = ".venv/\n__pycache__/\n.mypy_cache/\n.ruff_cache/\n.pytest_cache/\n"

DATABASE = '''\
"""Database engine, session factory and the declarative base."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import cache

from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

DATABASE_URL = "postgresql+asyncpg://app:app@localhost/app"


class Base(DeclarativeBase):
    """Declarative base of every model."""


@cache
def get_engine() -> AsyncEngine:
    """Create the engine on first use (tests never connect)."""
    return create_async_engine(DATABASE_URL)


async def get_db() -> AsyncIterator[AsyncSession]:
    """Yield a session for one request."""
    async with async_sessionmaker(get_engine(), expire_on_commit=False)() as session:
        yield session
'''


def main_source(resources: list[Resource]) -> str:
    """Return ``main.py``: the app, including every resource's router."""
    imports = "".join(
        f"from app.routers import {r.name} as {r.name}_routes\n" for r in resources
    )
    includes = "".join(
        f"app.include_router({r.name}_routes.router)\n" for r in resources
    )
    return (
        '"""The FastAPI application."""\n\n'
        "from __future__ import annotations\n\n"
        "from fastapi import FastAPI\n\n"
        f"{imports}\n"
        'app = FastAPI(title="benchapp")\n'
        f"{includes}"
    )


def _package_inits(paths: list[str]) -> dict[str, str]:
    inits: dict[str, str] = {}
    for path in paths:
        parent = Path(path).parent
        while parent.parts and parent.parts[0] == "src" and len(parent.parts) > 1:
            inits[str(parent / "__init__.py")] = f'"""{parent.name} package."""\n'
            parent = parent.parent
    return inits


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def _write_all(repo: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        target = repo / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _tidy(repo: Path, paths: list[str]) -> None:
    """Format and sort imports like a well-kept repo (violations excepted)."""
    ruff = Path(sys.executable).with_name("ruff")
    tool = str(ruff) if ruff.exists() else (shutil.which("ruff") or "ruff")
    for args in (["format", "--quiet"], ["check", "--quiet", "--fix", "--select=I"]):
        subprocess.run(
            [tool, *args, "--no-cache", *paths], cwd=repo, check=False,
            capture_output=True,
        )  # fmt: skip


def _commit(repo: Path, message: str) -> str:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    return _git(repo, "rev-parse", "HEAD")


def plan_sizes(pr_files: int) -> tuple[int, int]:
    """Return (resources at base, resources the PR adds) for a PR size.

    About a quarter of a PR's files are new resources; the repo holds a
    little more than the PR touches, as a big refactor's repo would.

    Args:
        pr_files: How many Python files the PR should touch.

    Returns:
        The resource counts.
    """
    per_resource = 5.5
    new = max(1, round(pr_files * 0.25 / per_resource))
    base = max(8, math.ceil(pr_files * 0.9 / per_resource) + 2)
    return base, new


def generate(
    dest: Path, pr_files: int, *, violation_share: float = 0.2, seed: int = 0
) -> GeneratedRepo:
    """Write a synthetic app with a base commit and a PR commit.

    Args:
        dest: An empty or missing folder for the repo.
        pr_files: How many Python files the PR adds or modifies (>= 2).
        violation_share: Share of the PR's non-test files that get one
            seeded violation, from 0 to 1.
        seed: Random seed: the same arguments give the same repo.

    Returns:
        The repo, its two commits, and what the PR changed.

    Raises:
        ValueError: Bad sizes or shares, or ``dest`` is not empty.
    """
    if pr_files < 2:
        raise ValueError(f"a PR needs at least 2 files, got {pr_files}")
    if not 0.0 <= violation_share <= 1.0:
        raise ValueError(f"violation share must be in [0, 1], got {violation_share}")
    if dest.exists() and any(dest.iterdir()):
        raise ValueError(f"{dest} is not empty")
    rng = random.Random(seed)
    n_base, n_new = plan_sizes(pr_files)
    names = _names(n_base + n_new)
    resources = [_resource(name, rng) for name in names]
    base_res, new_res = resources[:n_base], resources[n_base:]

    dest.mkdir(parents=True, exist_ok=True)
    _git(dest, "init", "-q", "-b", "main")
    _git(dest, "config", "user.email", "bench@example.com")
    _git(dest, "config", "user.name", "Bench")
    _git(dest, "config", "commit.gpgsign", "false")

    def resource_files(res: Resource, changes: dict[str, Change]) -> dict[str, str]:
        return {
            path: TEMPLATES[role](res, changes.get(path, Change()))
            for role, path in res.paths().items()
        }

    fixed = {
        "pyproject.toml": PYPROJECT,
        ".gitignore": GITIGNORE,
        "src/app/database.py": DATABASE,
        "tests/__init__.py": "",
    }
    base_files: dict[str, str] = dict(fixed)
    for res in base_res:
        base_files.update(resource_files(res, {}))
    base_files["src/app/main.py"] = main_source(base_res)
    base_files.update(_package_inits(list(base_files)))
    _write_all(dest, base_files)
    _tidy(dest, [p for p in base_files if p.endswith(".py")])
    base_sha = _commit(dest, "Base: the app before the PR")

    # The PR: new resources (and main.py wiring them in), then existing
    # resources extended file by file until the PR has its size.
    changed: list[str] = ["src/app/main.py"]
    new_files: dict[str, str] = {}
    for res in new_res:
        new_files.update(resource_files(res, {}))
    changed += list(new_files)
    touched: list[tuple[Resource, str, str]] = []
    for res in base_res:
        for role, path in res.paths().items():
            if len(changed) + len(touched) >= pr_files:
                break
            touched.append((res, role, path))
    candidates = [
        (path, role)
        for res in new_res
        for role, path in res.paths().items()
        if role != "test"
    ] + [(path, role) for _, role, path in touched if role != "test"]
    rng.shuffle(candidates)
    chosen = candidates[: round(violation_share * len(candidates))]
    violations = []
    for path, role in chosen:
        kind = rng.choice(sorted(VIOLATIONS[role]))
        violations.append(Violation(path, kind, VIOLATIONS[role][kind]))
    by_path = {v.path: v.kind for v in violations}
    # Formatting would repair these; every other file is tidied.
    keep_as_is = {v.path for v in violations if v.kind == "unformatted"}

    head_files: dict[str, str] = {}
    for res in new_res:
        changes = {p: Change(True, by_path.get(p)) for p in res.paths().values()}
        head_files.update(resource_files(res, changes))
    for res, role, path in touched:
        head_files[path] = TEMPLATES[role](res, Change(True, by_path.get(path)))
        changed.append(path)
    head_files["src/app/main.py"] = main_source(base_res + new_res)
    head_files.update(
        {
            k: v
            for k, v in _package_inits(list(head_files)).items()
            if k not in base_files
        }
    )
    _write_all(dest, head_files)
    _tidy(dest, [p for p in head_files if p.endswith(".py") and p not in keep_as_is])
    _git(dest, "checkout", "-q", "-b", "pr")
    head_sha = _commit(dest, f"PR: extend the app ({pr_files} files)")

    touched_res = {res.name for res, _, _ in touched} | {r.name for r in new_res}
    related = sorted(r.paths()["test"] for r in resources if r.name in touched_res)
    numstat = _git(dest, "diff", "--numstat", base_sha, head_sha)
    added = sum(int(line.split()[0]) for line in numstat.splitlines())
    py_count = len(_git(dest, "ls-files", "*.py").splitlines())
    return GeneratedRepo(
        path=dest,
        base=base_sha,
        head=head_sha,
        changed=sorted(set(changed)),
        related_tests=related,
        violations=violations,
        python_files=py_count,
        lines_changed=added,
    )
