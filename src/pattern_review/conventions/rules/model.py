"""Convention rules: model family (the agent file's Model Pattern, SQLAlchemy 2.0)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from pattern_review.config import Role
from pattern_review.conventions.rule import Example, FileContext, Rule
from pattern_review.conventions.rules.vocabulary import (
    call_to,
    called_name,
    code,
    keyword,
    named,
)

PATTERN = "model-pattern"
MODEL: frozenset[Role] = frozenset({"model"})

# Column types whose Python type is clear, and whether mapped_column can infer
# the column type from Mapped[...] alone (so the type argument can go).
PYTHON_TYPES: dict[str, tuple[str, bool]] = {
    "Integer": ("int", True),
    "BigInteger": ("int", False),
    "SmallInteger": ("int", False),
    "Boolean": ("bool", True),
    "Float": ("float", True),
    "String": ("str", False),
    "Text": ("str", False),
    "Unicode": ("str", False),
    "UnicodeText": ("str", False),
}

_COLUMN = call_to("Column")
_MAPPED_COLUMN = call_to("mapped_column")


def _type_name(value: cst.BaseExpression) -> str | None:
    """``String`` for ``String``, ``String(255)`` or ``sa.String(255)``."""
    if isinstance(value, cst.Call):
        value = value.func
    if isinstance(value, cst.Name):
        return value.value
    if isinstance(value, cst.Attribute):
        return value.attr.value
    return None


def _mapped_column_for(name: str, call: cst.Call) -> str | None:
    """Return ``name: Mapped[T] = mapped_column(...)`` for a ``Column(...)``.

    None when the Python type is not clear from the column type.
    """
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    if not positional or any(arg.star for arg in call.args):
        return None
    first = positional[0]
    if isinstance(first.value, cst.SimpleString):
        return None  # Column("name", Type, ...): the column is renamed
    known = PYTHON_TYPES.get(_type_name(first.value) or "")
    if known is None:
        return None
    python_type, inferred = known
    primary = m.matches(
        keyword(call, "primary_key") or cst.Arg(cst.Name("False")),
        m.Arg(value=m.Name("True")),
    )
    nullable = keyword(call, "nullable")
    required = primary or (
        nullable is not None and m.matches(nullable.value, m.Name("False"))
    )
    annotation = python_type if required else f"{python_type} | None"
    kept = [
        code(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT))
        for arg in call.args
        if not (arg is first and inferred and not isinstance(first.value, cst.Call))
        and arg is not nullable
    ]
    return f"{name}: Mapped[{annotation}] = mapped_column({', '.join(kept)})"


def _assigned_names(node: cst.ClassDef) -> set[str]:
    """Names a class body assigns at its top level (``x = ...``, ``x: T = ...``)."""
    names: set[str] = set()
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    for statement in body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Assign):
                targets = [target.target for target in small.targets]
            elif isinstance(small, cst.AnnAssign):
                targets = [small.target]
            else:
                continue
            names.update(t.value for t in targets if isinstance(t, cst.Name))
    return names


def _names_table(node: cst.ClassDef) -> bool:
    """Whether a class sets ``__tablename__`` or derives it (``declared_attr``)."""
    if "__tablename__" in _assigned_names(node):
        return True
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
    return any(
        isinstance(item, cst.FunctionDef)
        and item.name.value == "__tablename__"
        and any(
            "declared_attr" in code(decorator.decorator)
            for decorator in item.decorators
        )
        for item in body
    )


class NoLegacyColumnRule(Rule):
    """Columns are ``Mapped[...] = mapped_column(...)``, never ``Column()``.

    ``Column()`` is SQLAlchemy 1.x's declarative style: the attribute has no
    Python type, so mypy cannot check what code reads from or writes to it.
    This is also Style Rule 13 (``Mapped[]`` for all column types).
    """

    ID = "MDL001"
    PATTERN = PATTERN
    SUMMARY = "Mapped[] + mapped_column(), never legacy Column()"
    AGENT_TEXT = (
        "Use `Mapped[]` type annotations (never legacy `Column()`)\n"
        "Use `mapped_column()` for column definitions"
    )
    MESSAGE = (
        "Legacy Column(): declare columns as name: Mapped[T] = mapped_column(...) "
        "(SQLAlchemy 2.0)."
    )
    ROLES = MODEL
    VALID = (
        Example(
            "class Item(Base):\n"
            '    __tablename__ = "items"\n\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    name: Mapped[str] = mapped_column(String(255))\n",
            role="model",
        ),
        Example(
            "class Item(Base):\n"
            '    __tablename__ = "items"\n\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n"
            "    owner: Mapped[User] = relationship(back_populates='items')\n",
            role="model",
        ),
        # A Core association table: its columns cannot be mapped_column().
        Example(
            "order_products = sa.Table(\n"
            '    "order_products",\n'
            "    Base.metadata,\n"
            '    sa.Column("order_id", sa.ForeignKey("orders.id"), primary_key=True),\n'
            '    sa.Column("product_id", sa.ForeignKey("products.id")),\n'
            ")\n",
            role="model",
        ),
    )
    INVALID = (
        Example(
            "from sqlalchemy import Column, Integer, String\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Item(Base):\n"
            '    __tablename__ = "items"\n\n'
            "    id = Column(Integer, primary_key=True)\n"
            "    name = Column(String(255), nullable=False)\n",
            role="model",
            line=8,
            column=5,
            suggestion="    id: Mapped[int] = mapped_column(primary_key=True)",
            count=2,
        ),
        Example(
            "import sqlalchemy as sa\n"
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Item(Base):\n"
            '    __tablename__ = "items"\n\n'
            "    note = sa.Column(sa.Text)\n"
            "    data = Column(JSONB, default=dict)\n",
            role="model",
            line=8,
            column=5,
            suggestion="    note: Mapped[str | None] = mapped_column(sa.Text)",
            count=2,
        ),
        # Column() beside a Table is still flagged, on the class attribute.
        Example(
            "links = Table(\n"
            '    "links", Base.metadata, Column("a_id", ForeignKey("a.id"))\n'
            ")\n\n\n"
            "class A(Base):\n"
            '    __tablename__ = "a"\n\n'
            "    id = Column(BigInteger, primary_key=True)\n",
            role="model",
            line=9,
            column=5,
        ),
        # Without Mapped and mapped_column imported, the fix would not run:
        # the finding goes out without a suggestion.
        Example(
            "import sqlalchemy as sa\n\n\n"
            "class Item(Base):\n"
            '    __tablename__ = "items"\n\n'
            "    note = sa.Column(sa.Text)\n",
            role="model",
            line=7,
            column=5,
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._reported: set[cst.CSTNode] = set()

    def visit_Assign(self, node: cst.Assign) -> None:
        """Flag ``name = Column(...)`` with a mapped_column suggestion."""
        if not m.matches(
            node, m.Assign(targets=[m.AssignTarget(target=m.Name())], value=_COLUMN)
        ):
            return
        name = cst.ensure_type(node.targets[0].target, cst.Name).value
        call = cst.ensure_type(node.value, cst.Call)
        # The call is visited next (pre-order): it must not be reported twice.
        self._reported.add(call)
        self.report(node, suggestion=_mapped_column_for(name, call))

    def visit_Call(self, node: cst.Call) -> None:
        """Flag a ``Column(...)`` that is not a plain assignment.

        The columns of a Core ``Table(...)`` (an association table) are left
        alone: ``mapped_column`` only exists on mapped classes.
        """
        called = called_name(node)
        if called == "Table":
            self._reported.update(
                arg.value for arg in node.args if called_name(arg.value) == "Column"
            )
        elif called == "Column" and node not in self._reported:
            self.report(node)


class StringHasLengthRule(Rule):
    """Varchar columns are ``String(N)``; unlimited text is ``Text``.

    A bare ``String`` is ``VARCHAR`` without a length: PostgreSQL accepts it
    as unlimited, MySQL refuses it, and the limit the schema should state is
    left unsaid.
    """

    ID = "MDL002"
    PATTERN = PATTERN
    SUMMARY = "String(N) for varchar, Text for unlimited text (no bare String)"
    AGENT_TEXT = "Use `String(N)` for varchar, `Text` for unlimited text"
    MESSAGE = (
        "String without a length: use String(N) for varchar, or Text for "
        "unlimited text."
    )
    ROLES = MODEL
    VALID = (
        Example(
            "name: Mapped[str] = mapped_column(String(255))\n"
            "body: Mapped[str] = mapped_column(Text)\n",
            role="model",
        ),
        Example(
            "code: Mapped[str] = mapped_column(sa.String(length=8), unique=True)\n",
            role="model",
        ),
    )
    INVALID = (
        Example(
            "name: Mapped[str] = mapped_column(String)\n",
            role="model",
            line=1,
            column=35,
        ),
        Example(
            "title: Mapped[str] = mapped_column(sa.String(), index=True)\n"
            "slug = Column(String, unique=True)\n",
            role="model",
            line=1,
            column=36,
            count=2,
        ),
    )

    def visit_Call(self, node: cst.Call) -> None:
        """Check the type argument of ``mapped_column``/``Column``."""
        if called_name(node) not in ("mapped_column", "Column"):
            return
        for arg in node.args:
            if arg.keyword is not None:
                continue
            value = arg.value
            if _type_name(value) != "String":
                continue
            if isinstance(value, cst.Call) and value.args:
                continue
            self.report(value)


class TimestampDefaultsRule(Rule):
    """``created_at``/``updated_at`` get their values from the database.

    ``server_default=func.now()`` sets the time in the database, so rows
    written by any client (migrations, SQL) agree; ``updated_at`` also needs
    ``onupdate=func.now()`` or it never changes after insert.
    """

    ID = "MDL003"
    PATTERN = PATTERN
    SUMMARY = "Timestamps use server_default=func.now() (updated_at: onupdate too)"
    AGENT_TEXT = "Use `server_default=func.now()` for timestamps"
    MESSAGE = (
        "Timestamp column without server_default=func.now(): let the database set it."
    )
    ROLES = MODEL
    VALID = (
        Example(
            "created_at: Mapped[datetime] = mapped_column(server_default=func.now())\n"
            "updated_at: Mapped[datetime] = mapped_column(\n"
            "    server_default=func.now(), onupdate=func.now()\n"
            ")\n",
            role="model",
        ),
        Example(
            "deleted_at: Mapped[datetime | None] = mapped_column(default=None)\n"
            "name: Mapped[str] = mapped_column(String(50))\n",
            role="model",
        ),
    )
    INVALID = (
        Example(
            "from sqlalchemy import func\n\n"
            "created_at: Mapped[datetime] = mapped_column(nullable=False)\n",
            role="model",
            line=3,
            column=32,
            message=(
                "created_at lacks server_default=func.now(): let the database "
                "set timestamps, as the Model Pattern does."
            ),
            suggestion=(
                "created_at: Mapped[datetime] = mapped_column(nullable=False, "
                "server_default=func.now())"
            ),
        ),
        # The fixed line would exceed the line length: no suggestion, only the
        # finding (as without ``func`` imported).
        Example(
            "from sqlalchemy import func\n\n\n"
            "class Item(Base):\n"
            "    updated_at: Mapped[datetime] = mapped_column("
            "server_default=func.now())\n",
            role="model",
            line=5,
            column=36,
            message=(
                "updated_at lacks onupdate=func.now(): let the database "
                "set timestamps, as the Model Pattern does."
            ),
        ),
    )

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """Check ``created_at``/``updated_at = mapped_column(...)``."""
        if not m.matches(
            node,
            m.AnnAssign(
                target=m.Name("created_at") | m.Name("updated_at"),
                value=_MAPPED_COLUMN,
            ),
        ):
            return
        name = cst.ensure_type(node.target, cst.Name).value
        call = cst.ensure_type(node.value, cst.Call)
        wanted = ["server_default"] + (["onupdate"] if name == "updated_at" else [])
        missing = [key for key in wanted if keyword(call, key) is None]
        if not missing or any(arg.star for arg in call.args):
            return
        added = [
            cst.Arg(
                keyword=cst.Name(key),
                value=cst.parse_expression("func.now()"),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            for key in missing
        ]
        args = [
            *(arg.with_changes(comma=cst.MaybeSentinel.DEFAULT) for arg in call.args),
            *added,
        ]
        fixed = call.with_changes(args=args)
        suggestion = None if "\n" in code(call) else code(fixed)
        self.report(
            call,
            f"{name} lacks {' and '.join(f'{key}=func.now()' for key in missing)}: "
            "let the database set timestamps, as the Model Pattern does.",
            suggestion=suggestion,
        )


class ExplicitTablenameRule(Rule):
    """Every model sets ``__tablename__`` explicitly.

    A generated or inherited table name changes when the class is renamed;
    an explicit one keeps migrations and raw SQL stable.
    """

    ID = "MDL004"
    PATTERN = PATTERN
    SUMMARY = "Models set __tablename__ explicitly"
    AGENT_TEXT = "Use `__tablename__` to set the table name explicitly"
    MESSAGE = "Model without __tablename__: set the table name explicitly."
    ROLES = MODEL
    VALID = (
        Example(
            "class Item(Base):\n"
            '    __tablename__ = "items"\n\n'
            "    id: Mapped[int] = mapped_column(primary_key=True)\n",
            role="model",
        ),
        Example(
            "class Base(DeclarativeBase):\n"
            "    pass\n\n\n"
            "class TimestampMixin:\n"
            "    created_at: Mapped[datetime] = mapped_column("
            "server_default=func.now())\n\n\n"
            "class Abstract(Base):\n"
            "    __abstract__ = True\n",
            role="model",
        ),
        Example(
            "class Item(Base):\n"
            "    def __repr__(self) -> str:\n"
            '        return "item"\n\n'
            '    __tablename__: str = "items"\n',
            role="model",
        ),
        # The name comes from a declared_attr on the module's own base.
        Example(
            "class Base(DeclarativeBase):\n"
            "    @declared_attr.directive\n"
            "    def __tablename__(cls) -> str:\n"
            "        return cls.__name__.lower()\n\n\n"
            "class Invoice(Base):\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n",
            role="model",
        ),
    )
    INVALID = (
        Example(
            "class Item(Base):\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n",
            role="model",
            line=1,
            column=7,
            message="Model Item has no __tablename__: set the table name explicitly.",
        ),
        # A mixin without the declared_attr gives no table name.
        Example(
            "class AuditMixin:\n"
            "    @declared_attr\n"
            "    def created_by(cls) -> Mapped[int]:\n"
            "        return mapped_column(ForeignKey('users.id'))\n\n\n"
            "class Invoice(AuditMixin, Base):\n"
            "    id: Mapped[int] = mapped_column(primary_key=True)\n",
            role="model",
            line=7,
            column=7,
            message=(
                "Model Invoice has no __tablename__: set the table name explicitly."
            ),
        ),
        Example(
            "class Tag(TimestampMixin, db.Base):\n"
            '    """A tag."""\n\n'
            "    name: Mapped[str] = mapped_column(String(50))\n\n"
            "    if TYPE_CHECKING:\n"
            '        __tablename__ = "tags"\n',
            role="model",
            line=1,
            column=7,
            message="Model Tag has no __tablename__: set the table name explicitly.",
        ),
    )

    def visit_Module(self, node: cst.Module) -> None:
        """Find the module's classes that give subclasses a ``__tablename__``.

        A base or mixin may derive it with ``@declared_attr`` (or set it);
        classes deriving one, here in the module, inherit it.
        """
        self._naming: set[str] = set()
        for statement in node.body:
            if not isinstance(statement, cst.ClassDef):
                continue
            bases = {_type_name(arg.value) for arg in statement.bases}
            if bases & self._naming or _names_table(statement):
                self._naming.add(statement.name.value)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Check a class deriving the declarative ``Base``."""
        if not any(m.matches(arg.value, named("Base")) for arg in node.bases):
            return
        if {_type_name(arg.value) for arg in node.bases} & self._naming:
            return
        names = _assigned_names(node)
        if names & {"__tablename__", "__abstract__", "__table__"}:
            return
        self.report(
            node.name,
            f"Model {node.name.value} has no __tablename__: set the table name "
            "explicitly.",
        )


class MappedAnnotationRule(Rule):
    """A ``mapped_column()`` attribute is annotated ``Mapped[...]``.

    Without ``Mapped[]`` the annotation lies: ``name: str`` on a model class
    is an ``InstrumentedAttribute`` at class level, and SQLAlchemy 2.0 refuses
    plain annotations at mapping time (Style Rule 13).
    """

    ID = "MDL005"
    PATTERN = PATTERN
    SUMMARY = "mapped_column() attributes are annotated Mapped[...]"
    AGENT_TEXT = "Use `Mapped[]` type annotations (never legacy `Column()`)"
    MESSAGE = (
        "Column annotated without Mapped[]: write name: Mapped[T] = mapped_column(...)."
    )
    ROLES = MODEL
    VALID = (
        Example(
            "name: Mapped[str] = mapped_column(String(255))\n",
            role="model",
        ),
        Example(
            "id: orm.Mapped[int] = orm.mapped_column(primary_key=True)\n"
            "LIMIT: int = 3\n",
            role="model",
        ),
    )
    INVALID = (
        Example(
            "from sqlalchemy.orm import Mapped, mapped_column\n\n"
            "name: str = mapped_column(String(255))\n",
            role="model",
            line=3,
            column=7,
            suggestion="name: Mapped[str] = mapped_column(String(255))",
        ),
        Example(
            "from sqlalchemy.orm import Mapped, mapped_column\n\n\n"
            "class Item(Base):\n"
            "    id: int = mapped_column(primary_key=True)\n"
            "    note: str | None = mapped_column(Text)\n",
            role="model",
            line=5,
            column=9,
            suggestion="    id: Mapped[int] = mapped_column(primary_key=True)",
            count=2,
        ),
    )

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        """Flag ``x: T = mapped_column(...)`` where T is not ``Mapped[...]``."""
        if node.value is None or called_name(node.value) != "mapped_column":
            return
        annotation = node.annotation.annotation
        if m.matches(
            annotation,
            m.Subscript(value=named("Mapped")),
        ):
            return
        self.report(annotation, suggestion=f"Mapped[{code(annotation)}]")
