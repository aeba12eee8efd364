"""Convention rules: schema family (the agent file's Schema Pattern, Pydantic v2)."""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from pattern_review.config import Role
from pattern_review.conventions.roles import CODE_ROLES
from pattern_review.conventions.rule import Example, FileContext, Rule
from pattern_review.conventions.rules.vocabulary import code

PATTERN = "schema-pattern"
SCHEMA: frozenset[Role] = frozenset({"schema"})

# Pydantic v1 ``class Config`` keys and their v2 ``ConfigDict`` names; keys
# whose meaning changed (allow_mutation, fields, json_encoders) are left out,
# so a Config using them gets no automatic suggestion.
V1_CONFIG_KEYS: dict[str, str] = {
    "orm_mode": "from_attributes",
    "allow_population_by_field_name": "populate_by_name",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_lower": "str_to_lower",
    "anystr_upper": "str_to_upper",
    "min_anystr_length": "str_min_length",
    "max_anystr_length": "str_max_length",
    "schema_extra": "json_schema_extra",
    "validate_all": "validate_default",
    "extra": "extra",
    "frozen": "frozen",
    "arbitrary_types_allowed": "arbitrary_types_allowed",
    "validate_assignment": "validate_assignment",
    "use_enum_values": "use_enum_values",
    "from_attributes": "from_attributes",
    "populate_by_name": "populate_by_name",
    "str_strip_whitespace": "str_strip_whitespace",
}


def _config_dict(body: cst.BaseSuite) -> str | None:
    """Return ``model_config = ConfigDict(...)`` for a v1 Config body, or None."""
    if not isinstance(body, cst.IndentedBlock):
        return None
    pairs: list[str] = []
    for statement in body.body:
        if m.matches(statement, m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])):
            continue  # the Config's docstring
        if not m.matches(
            statement,
            m.SimpleStatementLine(
                body=[m.Assign(targets=[m.AssignTarget(target=m.Name())])]
            ),
        ):
            return None
        assign = cst.ensure_type(
            cst.ensure_type(statement, cst.SimpleStatementLine).body[0], cst.Assign
        )
        key = cst.ensure_type(assign.targets[0].target, cst.Name).value
        if key not in V1_CONFIG_KEYS:
            return None
        pairs.append(f"{V1_CONFIG_KEYS[key]}={code(assign.value)}")
    return f"model_config = ConfigDict({', '.join(pairs)})"


def _has_none(annotation: cst.BaseExpression) -> bool:
    """Whether an annotation admits None (``X | None``, ``Optional[X]``)."""
    return bool(
        m.findall(annotation, m.Name("None") | m.Name("Optional") | m.Name("Any"))
    )


def _has_default(value: cst.BaseExpression | None) -> bool:
    """Whether a field's value gives it a default (``Field(...)`` may not)."""
    if value is None:
        return False
    if not m.matches(value, m.Call(func=m.Name("Field"))):
        return True
    call = cst.ensure_type(value, cst.Call)
    for arg in call.args:
        if arg.keyword is None and not arg.star:
            return not m.matches(arg.value, m.Ellipsis())
        if arg.keyword and arg.keyword.value in {"default", "default_factory"}:
            return True
    return False


def _class_statements(node: cst.ClassDef) -> list[cst.BaseSmallStatement]:
    if not isinstance(node.body, cst.IndentedBlock):
        return []
    return [
        small
        for statement in node.body.body
        if isinstance(statement, cst.SimpleStatementLine)
        for small in statement.body
    ]


_PYDANTIC_BASES = frozenset({"BaseModel", "BaseSettings", "SQLModel", "GenericModel"})


class NoV1ClassConfigRule(Rule):
    """Schemas configure Pydantic with ``model_config``, not ``class Config``.

    ``class Config`` is Pydantic v1's API: v2 still reads it with a
    deprecation warning, and drops or renames several of its keys (``orm_mode``
    became ``from_attributes``) without error. Outside schema modules (a
    module with one Pydantic base class and its helpers) only classes that
    derive ``BaseModel``, ``BaseSettings`` or ``SQLModel`` by name count.
    """

    ID = "SCH001"
    PATTERN = PATTERN
    SUMMARY = "No Pydantic v1 class Config: use model_config = ConfigDict(...)"
    AGENT_TEXT = (
        "Read schema adds `model_config = ConfigDict(from_attributes=True)` and "
        "DB fields"
    )
    MESSAGE = (
        "Pydantic v1 `class Config` in a model: Pydantic v2 uses "
        "model_config = ConfigDict(...)."
    )
    ROLES = CODE_ROLES
    VALID = (
        Example(
            "class ItemRead(ItemBase):\n"
            '    """Read schema."""\n\n'
            "    model_config = ConfigDict(from_attributes=True)\n\n"
            "    id: int\n",
            role="schema",
        ),
        # Outside schema modules, a class that is not visibly Pydantic.
        Example(
            "class Dialect(Base):\n    class Config:\n        quoting = 'double'\n",
        ),
        Example(
            "class Settings:\n"
            '    """Not a model: a plain class may have a nested Config."""\n\n'
            "    class Config:\n"
            "        debug = True\n",
            role="schema",
        ),
    )
    INVALID = (
        Example(
            "from pydantic import ConfigDict\n\n\n"
            "class ItemRead(ItemBase):\n"
            '    """Read schema."""\n\n'
            "    id: int\n\n"
            "    class Config:\n"
            "        orm_mode = True\n",
            role="schema",
            line=9,
            column=5,
            suggestion="    model_config = ConfigDict(from_attributes=True)",
        ),
        Example(
            "class ItemCreate(BaseModel):\n"
            "    name: str\n\n"
            "    class Config:\n"
            "        allow_population_by_field_name = True\n"
            "        json_encoders = {datetime: str}\n",
            role="schema",
            line=4,
            column=5,
        ),
        # A shared Pydantic base beside its helper functions: not a schema
        # module, still Pydantic v1.
        Example(
            "class AppModel(BaseModel):\n"
            "    class Config:\n"
            "        allow_population_by_field_name = True\n\n\n"
            "def to_camel(name: str) -> str:\n"
            "    return name\n\n\n"
            "def to_iso(value: datetime) -> str:\n"
            "    return value.isoformat()\n",
            line=2,
            column=5,
        ),
        Example(
            "class AppSettings(BaseSettings):\n"
            "    debug: bool = False\n\n"
            "    class Config:\n"
            "        env_file = '.env'\n",
            line=4,
            column=5,
            message=(
                "Pydantic v1 `class Config` on settings: pydantic-settings v2 "
                "uses model_config = SettingsConfigDict(...)."
            ),
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Flag a nested ``class Config`` of a class with bases."""
        if not node.bases or not isinstance(node.body, cst.IndentedBlock):
            return
        if "schema" not in self.context.roles and not any(
            code(base.value).rpartition(".")[2] in _PYDANTIC_BASES
            for base in node.bases
        ):
            return
        settings = any(
            code(base.value).rpartition(".")[2] == "BaseSettings" for base in node.bases
        )
        for statement in node.body.body:
            if not m.matches(statement, m.ClassDef(name=m.Name("Config"))):
                continue
            config = cst.ensure_type(statement, cst.ClassDef)
            if settings:
                # pydantic-settings v2 has its own dict and keys: no rewrite.
                self.report(
                    config,
                    "Pydantic v1 `class Config` on settings: pydantic-settings v2 "
                    "uses model_config = SettingsConfigDict(...).",
                )
            else:
                self.report(config, suggestion=_config_dict(config.body))


class NoOrmModeRule(Rule):
    """``orm_mode`` is spelled ``from_attributes`` in Pydantic v2.

    v2 ignores ``orm_mode`` in ``ConfigDict`` with only a warning, so a Read
    schema silently stops reading ORM objects.
    """

    ID = "SCH002"
    PATTERN = PATTERN
    SUMMARY = "ConfigDict(from_attributes=True), never orm_mode"
    AGENT_TEXT = (
        "Read schema adds `model_config = ConfigDict(from_attributes=True)` and "
        "DB fields"
    )
    MESSAGE = (
        "orm_mode is Pydantic v1: write from_attributes=True in "
        "model_config = ConfigDict(...)."
    )
    ROLES = SCHEMA
    VALID = (
        Example(
            "model_config = ConfigDict(from_attributes=True)\n",
            role="schema",
        ),
        Example(
            'model_config = ConfigDict(extra="forbid", frozen=True)\n',
            role="schema",
        ),
    )
    INVALID = (
        Example(
            "class ItemRead(ItemBase):\n    model_config = ConfigDict(orm_mode=True)\n",
            role="schema",
            line=2,
            column=31,
            suggestion="    model_config = ConfigDict(from_attributes=True)",
        ),
        Example(
            'model_config = {"orm_mode": True, "extra": "forbid"}\n',
            role="schema",
            line=1,
            column=17,
            suggestion=('model_config = {"from_attributes": True, "extra": "forbid"}'),
        ),
    )

    def visit_Arg(self, node: cst.Arg) -> None:
        """Flag an ``orm_mode=`` keyword."""
        if node.keyword is not None and node.keyword.value == "orm_mode":
            self.report(
                node,
                suggestion=code(node.with_changes(keyword=cst.Name("from_attributes"))),
            )

    def visit_DictElement(self, node: cst.DictElement) -> None:
        """Flag an ``"orm_mode"`` key of a config dict."""
        key = node.key
        if isinstance(key, cst.SimpleString) and key.evaluated_value == "orm_mode":
            quote = key.value[0]
            fixed = node.with_changes(
                key=cst.SimpleString(f"{quote}from_attributes{quote}")
            )
            self.report(node, suggestion=code(fixed))


class UpdateFieldsOptionalRule(Rule):
    """Every field of an ``*Update`` schema is optional: ``X | None = None``.

    Update schemas serve PATCH: the client sends only what changes, and the
    service applies ``model_dump(exclude_unset=True)``. A required field
    forces clients to resend values they did not change.
    """

    ID = "SCH003"
    PATTERN = PATTERN
    SUMMARY = "Every *Update schema field is X | None = None"
    AGENT_TEXT = "Update schema has all optional fields"
    MESSAGE = (
        "Update schema field is required: every Update field is optional, "
        "written X | None = None."
    )
    ROLES = SCHEMA
    VALID = (
        Example(
            "class ItemUpdate(BaseModel):\n"
            '    """All optional."""\n\n'
            "    name: str | None = None\n"
            "    price: int | None = Field(default=None, ge=0)\n",
            role="schema",
        ),
        Example(
            "class ItemCreate(BaseModel):\n"
            "    name: str\n\n\n"
            "class ItemUpdate(BaseModel):\n"
            "    model_config = ConfigDict(extra='forbid')\n"
            "    tags: ClassVar[int] = 3\n"
            "    name: Optional[str] = None\n",
            role="schema",
        ),
    )
    INVALID = (
        Example(
            "class ItemUpdate(BaseModel):\n"
            "    name: str\n"
            "    description: str | None = None\n",
            role="schema",
            line=2,
            column=5,
            message=(
                "Update schema field `name` is required: every Update field is "
                "optional, written X | None = None."
            ),
            suggestion="    name: str | None = None",
        ),
        Example(
            "class UserUpdate(UserBase):\n"
            "    email: str | None\n"
            "    age: int = Field(..., ge=0)\n",
            role="schema",
            line=2,
            column=5,
            message=(
                "Update schema field `email` is required: every Update field is "
                "optional, written X | None = None."
            ),
            suggestion="    email: str | None = None",
            count=2,
        ),
    )

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Check each field of a class named ``*Update``."""
        if not node.name.value.endswith("Update") or not node.bases:
            return
        for small in _class_statements(node):
            if not m.matches(small, m.AnnAssign(target=m.Name())):
                continue
            field = cst.ensure_type(small, cst.AnnAssign)
            name = cst.ensure_type(field.target, cst.Name).value
            annotation = field.annotation.annotation
            if name == "model_config" or m.matches(
                annotation, m.Subscript(value=m.Name("ClassVar"))
            ):
                continue
            optional = _has_none(annotation)
            if optional and _has_default(field.value):
                continue
            suggestion = None
            if field.value is None:
                wanted = code(annotation) + ("" if optional else " | None")
                suggestion = f"{name}: {wanted} = None"
            self.report(
                field,
                f"Update schema field `{name}` is required: every Update field "
                "is optional, written X | None = None.",
                suggestion=suggestion,
            )


class ReadFromAttributesRule(Rule):
    """``*Read`` schemas set ``model_config = ConfigDict(from_attributes=True)``.

    Services return ORM objects; without ``from_attributes`` the router's
    ``response_model`` cannot read them and the response fails validation.
    """

    ID = "SCH004"
    PATTERN = PATTERN
    SUMMARY = "*Read schemas set model_config = ConfigDict(from_attributes=True)"
    AGENT_TEXT = (
        "Read schema adds `model_config = ConfigDict(from_attributes=True)` and "
        "DB fields"
    )
    MESSAGE = (
        "Read schema without from_attributes: add "
        "model_config = ConfigDict(from_attributes=True) so it reads ORM objects."
    )
    ROLES = SCHEMA
    VALID = (
        Example(
            "class ItemRead(ItemBase):\n"
            "    model_config = ConfigDict(from_attributes=True)\n\n"
            "    id: int\n",
            role="schema",
        ),
        Example(
            "class ItemRead(ItemBase):\n"
            "    model_config = ConfigDict(from_attributes=True)\n\n\n"
            "class ItemDetailRead(ItemRead):\n"
            "    tags: list[str]\n",
            role="schema",
        ),
    )
    INVALID = (
        Example(
            "class ItemRead(ItemBase):\n    id: int\n",
            role="schema",
            line=1,
            column=7,
        ),
        Example(
            "class ItemRead(ItemBase):\n"
            "    model_config = ConfigDict(from_attributes=False)\n\n"
            "    id: int\n",
            role="schema",
            line=1,
            column=7,
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._reads_attributes: set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Check a class named ``*Read`` (inherited config counts)."""
        name = node.name.value
        config = m.Assign(
            targets=[m.AssignTarget(target=m.Name("model_config"))],
            value=m.Call(
                args=[
                    m.ZeroOrMore(),
                    m.Arg(keyword=m.Name("from_attributes"), value=m.Name("True")),
                    m.ZeroOrMore(),
                ]
            ),
        )
        inherited = any(
            isinstance(base.value, cst.Name)
            and base.value.value in self._reads_attributes
            for base in node.bases
        )
        if inherited or any(m.matches(s, config) for s in _class_statements(node)):
            self._reads_attributes.add(name)
        elif name.endswith("Read") and node.bases:
            self.report(node.name)


class CreateReadInheritBaseRule(Rule):
    """``*Create`` and ``*Read`` schemas inherit the resource's ``*Base``.

    The Base schema holds the shared fields once; a Create or Read that
    derives ``BaseModel`` directly copies them and drifts.
    """

    ID = "SCH005"
    PATTERN = PATTERN
    SUMMARY = "Create and Read schemas inherit the resource's Base schema"
    AGENT_TEXT = "Base schema for shared fields\nCreate schema inherits Base"
    MESSAGE = (
        "This schema does not inherit the resource's Base schema: Create and "
        "Read schemas derive from <Resource>Base."
    )
    ROLES = SCHEMA
    VALID = (
        Example(
            "class ItemBase(BaseModel):\n    name: str\n\n\n"
            "class ItemCreate(ItemBase):\n    pass\n\n\n"
            "class ItemRead(ItemBase):\n    id: int\n",
            role="schema",
        ),
        Example(
            "class LoginCreate(BaseModel):\n    user: str\n",
            role="schema",
        ),
    )
    INVALID = (
        Example(
            "class ItemBase(BaseModel):\n    name: str\n\n\n"
            "class ItemCreate(BaseModel):\n    name: str\n",
            role="schema",
            line=5,
            column=18,
            message=(
                "ItemCreate derives BaseModel, not ItemBase: Create and Read "
                "schemas inherit the resource's Base schema."
            ),
            suggestion="class ItemCreate(ItemBase):",
        ),
        Example(
            "class UserBase(BaseModel):\n    email: str\n\n\n"
            "class UserCreate(UserBase):\n    password: str\n\n\n"
            "class UserRead(BaseModel):\n    id: int\n",
            role="schema",
            line=9,
            column=16,
            message=(
                "UserRead derives BaseModel, not UserBase: Create and Read "
                "schemas inherit the resource's Base schema."
            ),
            suggestion="class UserRead(UserBase):",
        ),
    )

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._bases: set[str] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        """Remember ``*Base`` schemas; check Create/Read against them."""
        name = node.name.value
        if name.endswith("Base") and name != "Base":
            self._bases.add(name)
            return
        for suffix in ("Create", "Read"):
            if not name.endswith(suffix) or len(name) == len(suffix):
                continue
            wanted = name[: -len(suffix)] + "Base"
            if wanted not in self._bases:
                return
            for arg in node.bases:
                if m.matches(arg.value, m.Name("BaseModel")):
                    self.report(
                        arg,
                        f"{name} derives BaseModel, not {wanted}: Create and Read "
                        "schemas inherit the resource's Base schema.",
                        suggestion=wanted,
                    )
