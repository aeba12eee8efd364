"""Shapes of real FastAPI code that the rules misread (issue #12, item 3).

Each test is one misreading found on real merged pull requests, written as
the shape the code had there (fresh code, not copied), run through the real
engine with roles detected from path and content as in a review.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from pattern_review.checks import ruff_check
from pattern_review.config import Config
from pattern_review.conventions.engine import lint_source
from pattern_review.conventions.roles import detect_roles, parse_tree
from pattern_review.models import Finding
from pattern_review.rulebook.catalog import RUFF_STYLE_SELECT, cite_ruff_code
from tests.check_context import check_context
from tests.gitrepo import GitRepo


def _lint(path: str, code: str) -> list[Finding]:
    return lint_source(path, textwrap.dedent(code), Config())


def _rules(findings: list[Finding]) -> list[str]:
    return [finding.rule for finding in findings]


def _roles(path: str, code: str) -> frozenset[str]:
    source = textwrap.dedent(code)
    return detect_roles(path, Config(), parse_tree(source), source)


# Roles -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "backend/tests/api/routes/test_items.py",
        "backend/app/tests/utils/user.py",
        "server/tests/fixtures/app.py",
        "src/pkg/items_test.py",
        "deep/down/conftest.py",
    ],
)
def test_tests_at_any_depth_are_tests(path: str) -> None:
    code = """\
        from fastapi import FastAPI
        from pydantic import BaseModel


        class Payload(BaseModel):
            name: str


        app = FastAPI()
        """
    assert _roles(path, code) == {"test"}
    assert _lint(path, code) == []


def test_a_module_that_builds_routes_is_web_layer_not_schema() -> None:
    code = """\
        from fastapi import APIRouter
        from pydantic import BaseModel

        router = APIRouter(prefix="/auth", tags=["auth"])


        class LoginForm(BaseModel):
            email: str
            password: str


        class TokenOut(BaseModel):
            access_token: str
        """
    assert _roles("src/app/auth.py", code) == {"router"}


@pytest.mark.parametrize(
    ("path", "code"),
    [
        (
            "src/app/core/security.py",
            """\
            from datetime import datetime, timedelta

            import jwt
            from pydantic import BaseModel


            class TokenPayload(BaseModel):
                sub: str | None = None


            def create_access_token(subject: str, expires: timedelta) -> str:
                expire = datetime.now() + expires
                return jwt.encode({"exp": expire, "sub": subject}, "k")


            def verify_password(plain: str, hashed: str) -> bool:
                return plain == hashed


            def hash_password(plain: str) -> str:
                return plain
            """,
        ),
        (
            "src/app/db.py",
            """\
            from pydantic import BaseModel
            from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine


            class DatabaseSettings(BaseModel):
                url: str
                pool_size: int = 5


            engine = create_async_engine("postgresql+asyncpg://")
            SessionMaker = async_sessionmaker(engine)


            async def get_db_session():
                async with SessionMaker() as session:
                    yield session


            async def dispose() -> None:
                await engine.dispose()
            """,
        ),
    ],
)
def test_modules_that_are_mostly_something_else_are_not_schemas(
    path: str, code: str
) -> None:
    assert "schema" not in _roles(path, code)


def test_a_schema_module_is_still_a_schema() -> None:
    code = """\
        from pydantic import BaseModel


        class ItemBase(BaseModel):
            name: str


        class ItemRead(ItemBase):
            id: int


        def example() -> ItemBase:
            return ItemBase(name="x")
        """
    assert _roles("src/app/payloads.py", code) == {"schema"}


@pytest.mark.parametrize(
    "path",
    [
        "backend/app/alembic/versions/1a2b3c_add_items.py",
        "server/migrations/versions/2024_add_orders.py",
        "app/migrations/0002_data.py",
    ],
)
def test_migrations_get_only_the_rules_that_make_sense_there(path: str) -> None:
    code = """\
        import sqlalchemy as sa
        from alembic import op
        from sqlalchemy.orm import declarative_base

        revision = "1a2b3c"
        down_revision = "0f0f0f"
        Base = declarative_base()


        class Item(Base):
            __tablename__ = "items"
            id = sa.Column(sa.Integer, primary_key=True)
            name = sa.Column(sa.String)


        def upgrade() -> None:
            op.create_table("tags", sa.Column("name", sa.String(), nullable=False))
            bind = op.get_bind()
            session = sa.orm.Session(bind=bind)
            session.commit()
        """
    assert _roles(path, code) == {"migration"}
    assert _lint(path, code) == []


def test_a_blind_except_in_a_migration_is_still_reported() -> None:
    code = """\
        def upgrade() -> None:
            try:
                op.drop_index("ix_items_name")
            except Exception:
                pass
        """
    path = "backend/app/alembic/versions/1a2b3c_drop.py"
    assert _rules(_lint(path, code)) == ["ERR002"]


# RTR001 ------------------------------------------------------------------


def test_a_router_that_only_aggregates_routers_needs_no_prefix_or_tags() -> None:
    code = """\
        from fastapi import APIRouter

        from app.api.routes import items, login, users

        api_router = APIRouter()
        api_router.include_router(login.router)
        api_router.include_router(users.router)
        api_router.include_router(items.router)
        """
    assert _lint("backend/app/api/main.py", code) == []


def test_a_router_with_its_own_routes_still_needs_prefix_and_tags() -> None:
    code = """\
        from fastapi import APIRouter

        from app.api.routes import items

        api_router = APIRouter()
        api_router.include_router(items.router)


        @api_router.get("/health", response_model=bool)
        async def health() -> bool:
            \"\"\"Report liveness.\"\"\"
            return True
        """
    assert _rules(_lint("backend/app/api/main.py", code)) == ["RTR001"]


# MDL001 ------------------------------------------------------------------


def test_column_in_a_core_association_table_is_not_flagged() -> None:
    code = """\
        from sqlalchemy import Column, ForeignKey, Table
        from sqlalchemy.orm import Mapped, mapped_column

        from app.database import Base

        item_tags = Table(
            "item_tags",
            Base.metadata,
            Column("item_id", ForeignKey("items.id"), primary_key=True),
            Column("tag_id", ForeignKey("tags.id"), primary_key=True),
        )


        class Tag(Base):
            \"\"\"A tag.\"\"\"

            __tablename__ = "tags"

            id: Mapped[int] = mapped_column(primary_key=True)
        """
    assert _lint("src/app/models/tag.py", code) == []


# RTR002 / RTR003 ---------------------------------------------------------


def test_an_async_session_from_another_dependency_is_fine() -> None:
    code = """\
        from fastapi import APIRouter, Depends, status
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.db import get_db_session

        router = APIRouter(prefix="/orders", tags=["orders"])


        @router.get("/", response_model=list[OrderRead])
        async def list_orders(
            session: AsyncSession = Depends(get_db_session),
        ) -> list[OrderRead]:
            \"\"\"List orders.\"\"\"
            return await OrderService(session).list()
        """
    assert _lint("src/app/routers/orders.py", code) == []


def test_session_rule_names_the_repositorys_own_dependency() -> None:
    code = """\
        from fastapi import APIRouter, Depends
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.db import get_async_session

        router = APIRouter(prefix="/orders", tags=["orders"])


        @router.get("/", response_model=list[OrderRead])
        async def list_orders(session: AsyncSession) -> list[OrderRead]:
            \"\"\"List orders.\"\"\"
            return await OrderService(session).list()
        """
    findings = _lint("src/app/routers/orders.py", code)
    assert _rules(findings) == ["RTR002"]
    assert "Depends(get_async_session)" in findings[0].message
    assert "get_db" not in findings[0].message.replace("get_async_session", "")


def test_session_rule_never_names_a_function_the_repository_lacks() -> None:
    code = """\
        from fastapi import APIRouter
        from sqlalchemy.orm import Session

        router = APIRouter(prefix="/orders", tags=["orders"])


        @router.get("/", response_model=list[OrderRead])
        async def list_orders(db: Session) -> list[OrderRead]:
            \"\"\"List orders.\"\"\"
            return await OrderService(db).list()
        """
    findings = _lint("src/app/routers/orders.py", code)
    assert _rules(findings) == ["RTR002"]
    assert "get_db" not in findings[0].message
    assert "sync Session" in findings[0].message


def test_hand_made_session_message_names_the_repositorys_dependency() -> None:
    code = """\
        from fastapi import APIRouter, Depends
        from sqlalchemy.ext.asyncio import AsyncSession

        from app.db import AsyncSessionLocal, get_session

        router = APIRouter(prefix="/orders", tags=["orders"])


        @router.get("/", response_model=list[OrderRead])
        async def list_orders(
            session: AsyncSession = Depends(get_session),
        ) -> list[OrderRead]:
            \"\"\"List orders.\"\"\"
            async with AsyncSessionLocal() as other:
                return await OrderService(other).list()
        """
    findings = _lint("src/app/routers/orders.py", code)
    assert _rules(findings) == ["RTR003"]
    assert "Depends(get_session)" in findings[0].message
    assert "get_db)" not in findings[0].message


# RTR005 ------------------------------------------------------------------


def test_return_annotation_is_the_response_model() -> None:
    code = """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/users", tags=["users"])


        @router.get("/me")
        async def read_me() -> UserPublic:
            \"\"\"Return the current user.\"\"\"
            return current


        @router.get("/")
        async def list_users() -> list[UserPublic]:
            \"\"\"List users.\"\"\"
            return []
        """
    assert _lint("src/app/routers/users.py", code) == []


def test_response_model_message_names_the_handlers_own_type() -> None:
    code = """\
        from typing import Any

        from fastapi import APIRouter

        router = APIRouter(prefix="/users", tags=["users"])


        @router.get("/me")
        async def read_me() -> Any:
            \"\"\"Return the current user.\"\"\"
            return UserPublic.model_validate(current)
        """
    findings = _lint("src/app/routers/users.py", code)
    assert _rules(findings) == ["RTR005"]
    assert "ResourceRead" not in findings[0].message
    assert "UserPublic" in findings[0].message
    assert "`Any`" in findings[0].message


# RTR006 ------------------------------------------------------------------


def test_a_post_named_new_that_refreshes_a_token_needs_no_201() -> None:
    code = """\
        from fastapi import APIRouter, Depends

        router = APIRouter(prefix="/token", tags=["auth"])


        @router.post("/new", response_model=Token)
        async def new_token(refresh: str = Depends(refresh_cookie)) -> Token:
            \"\"\"Swap a refresh token for a new access token.\"\"\"
            return Token(access_token=security.create_access_token(refresh))
        """
    assert _lint("src/app/routers/token.py", code) == []


def test_a_post_that_creates_through_its_service_needs_201() -> None:
    code = """\
        from fastapi import APIRouter, Depends
        from sqlalchemy.ext.asyncio import AsyncSession

        router = APIRouter(prefix="/orders", tags=["orders"])


        @router.post("/", response_model=OrderRead)
        async def place_order(
            payload: OrderIn, db: AsyncSession = Depends(get_db)
        ) -> OrderRead:
            \"\"\"Place an order.\"\"\"
            return await OrderService(db).create(payload)
        """
    assert _rules(_lint("src/app/routers/orders.py", code)) == ["RTR006"]


# ERR001 ------------------------------------------------------------------


def test_http_exception_finding_points_at_the_raise_with_good_grammar() -> None:
    code = """\
        from fastapi import HTTPException


        def check_quota(used: int, limit: int) -> None:
            if used > limit:
                raise HTTPException(status_code=429, detail="quota")
        """
    findings = _lint("src/app/quota.py", code)
    assert _rules(findings) == ["ERR001"]
    assert findings[0].line == 6
    assert " a other " not in findings[0].message


def test_a_module_that_only_subclasses_http_exception_is_fine() -> None:
    code = """\
        from fastapi import HTTPException, status


        class NotFoundError(HTTPException):
            \"\"\"A 404 with the app's detail format.\"\"\"

            def __init__(self, what: str) -> None:
                super().__init__(status.HTTP_404_NOT_FOUND, f"{what} not found")
        """
    assert _lint("src/app/errors.py", code) == []


# STY014 ------------------------------------------------------------------


def test_a_sync_handler_without_io_is_not_called_an_io_handler() -> None:
    code = """\
        from fastapi import APIRouter

        router = APIRouter(prefix="/utils", tags=["utils"])


        @router.get("/health-check/", response_model=bool)
        def health_check() -> bool:
            \"\"\"Report liveness.\"\"\"
            return True
        """
    assert _lint("src/app/routers/utils.py", code) == []


def test_a_sync_handler_with_a_sync_session_is_an_io_handler() -> None:
    code = """\
        from fastapi import APIRouter, Depends
        from sqlalchemy.orm import Session

        router = APIRouter(prefix="/items", tags=["items"])


        @router.get("/", response_model=list[ItemRead])
        def list_items(db: Session = Depends(get_db)) -> list[ItemRead]:
            \"\"\"List items.\"\"\"
            return crud.list_items(db)
        """
    findings = [f for f in _lint("src/app/routers/items.py", code)]
    assert "STY014" in _rules(findings)
    message = next(f.message for f in findings if f.rule == "STY014")
    assert "does I/O" in message


def test_sync_crud_functions_with_a_sync_session_are_reported() -> None:
    code = """\
        from sqlalchemy import select
        from sqlalchemy.orm import Session


        def get_user_by_email(session: Session, email: str) -> User | None:
            return session.execute(select(User).where(User.email == email)).scalar()


        def full_name(user: User) -> str:
            return f"{user.first} {user.last}"
        """
    findings = _lint("backend/app/crud.py", code)
    assert [(f.rule, f.line) for f in findings] == [("STY014", 5)]


# MDL004 ------------------------------------------------------------------


def test_tablename_from_a_declared_attr_on_a_base_is_accepted() -> None:
    code = """\
        from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


        class Base(DeclarativeBase):
            \"\"\"Base with table names derived from class names.\"\"\"

            @declared_attr.directive
            def __tablename__(cls) -> str:
                return cls.__name__.lower()


        class Item(Base):
            \"\"\"An item.\"\"\"

            id: Mapped[int] = mapped_column(primary_key=True)
        """
    assert _lint("src/app/models/item.py", code) == []


def test_tablename_from_an_imported_mixin_with_declared_attr_is_accepted() -> None:
    code = """\
        from sqlalchemy.orm import Mapped, declared_attr, mapped_column

        from app.database import Base


        class TableNameMixin:
            \"\"\"Derives the table name.\"\"\"

            @declared_attr
            def __tablename__(cls) -> str:
                return cls.__name__.lower()


        class Item(TableNameMixin, Base):
            \"\"\"An item.\"\"\"

            id: Mapped[int] = mapped_column(primary_key=True)
        """
    assert _lint("src/app/models/item.py", code) == []


# Service pattern: session as a method parameter ---------------------------


def test_a_service_method_that_takes_the_session_is_reported() -> None:
    code = """\
        from sqlalchemy.ext.asyncio import AsyncSession


        class OrderService:
            \"\"\"Order business logic.\"\"\"

            async def get(self, session: AsyncSession, order_id: int) -> Order | None:
                \"\"\"Get an order.\"\"\"
                return await session.get(Order, order_id)
        """
    findings = _lint("src/app/services/order_service.py", code)
    assert [(f.rule, f.line) for f in findings] == [("SVC007", 7)]


# Ruff citations -----------------------------------------------------------


def test_ruff_codes_the_style_rules_do_not_state_cite_the_checklist() -> None:
    assert cite_ruff_code("ANN401").pattern == "completion-checklist"
    assert cite_ruff_code("N818").pattern == "completion-checklist"
    assert cite_ruff_code("ANN001").pattern == "style-rules#2"
    assert cite_ruff_code("N801").pattern == "style-rules#7"
    assert cite_ruff_code("N816").pattern == "style-rules#8"


def test_our_selection_adds_only_what_the_agent_file_states() -> None:
    def selected(code: str) -> bool:
        return any(code.startswith(prefix) for prefix in RUFF_STYLE_SELECT)

    assert not selected("ANN401")
    assert not selected("N818")
    assert selected("N816")
    assert selected("ANN201")
    assert selected("N802")


def test_real_ruff_reports_mixed_case_constants_and_not_any_or_error_suffix(
    git_repo: GitRepo, tmp_path: Path
) -> None:
    git_repo.write(
        "src/app/limits.py",
        '''\
        from __future__ import annotations

        from typing import Any

        maxBatch = 100


        class QuotaExceeded(Exception):
            """Too many items."""


        def passthrough(value: Any) -> Any:
            """Return the value."""
            return value
        ''',
    )
    git_repo.commit()
    context = check_context(git_repo, tmp_path, "src/app/limits.py", status="added")

    outcome = ruff_check.run(context)

    assert [(f.rule, f.line, f.pattern) for f in outcome.findings] == [
        ("N816", 5, "style-rules#8")
    ]
