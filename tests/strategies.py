"""Hypothesis strategies for random schemas, as plain specs that render to Python source.

Two families:

* :func:`model_sets`: ``DatabaseMixin`` model sets (every registry field type, optional and
  required fields, references including self-references and cycles, enums, unique/index and
  server-default options). :func:`render_models` turns one into a module's source.
* :func:`hand_written_sets`: plain SQLAlchemy declarative classes (the ``DB_*.py`` files users
  bring). :func:`render_hand_written` turns one into a module's source.

:func:`evolutions` pairs a model set with a mutated copy (columns and tables added or dropped,
nullability relaxed, strings widened, indexes and uniques toggled) for migration round trips.

Specs are frozen dataclasses, so a failing example prints readably and shrinks well. Rules that
keep every generated schema *legal* (a user error is not what these properties look for) are
stated where they are enforced.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, replace

from hypothesis import strategies as st

#: Distinct per process, so exec'd classes, enum types and modules never share a name.
_unique = itertools.count()


def unique_suffix() -> int:
    return next(_unique)


# -- generated (DatabaseMixin) models ------------------------------------------------------------
@dataclass(frozen=True)
class FieldKind:
    """One Python field type: how to annotate it and what it allows."""

    annotation: str
    field_kwargs: str = ""
    column_options: str = ""
    #: An unbounded domain: three rows can hold three distinct values, so ``unique`` is legal.
    unique_ok: bool = True
    #: PostgreSQL can index it (``json`` has no btree operator class).
    index_ok: bool = True
    #: An SQL literal both backends accept for a NOT NULL backfill (None: never added NOT NULL).
    backfill: str | None = None
    #: A server default (as DBColumn(server_default=...) source), when the kind takes a simple one.
    server_default: str | None = None


FIELD_KINDS: dict[str, FieldKind] = {
    "str": FieldKind("str", "max_length=40", backfill="'filled'", server_default='"dflt"'),
    "text": FieldKind("str", backfill="'filled'"),
    "sa_text": FieldKind("str", column_options="sa_type=sa.Text()", backfill="'filled'"),
    "int": FieldKind("int", backfill="7", server_default='sa.text("0")'),
    "big_int": FieldKind("int", column_options="sa_type=sa.BigInteger()", backfill="7"),
    "bool": FieldKind("bool", unique_ok=False, backfill="FALSE", server_default="sa.false()"),
    "float": FieldKind("float", backfill="1.5"),
    "decimal": FieldKind("decimal.Decimal", "max_digits=10, decimal_places=2", backfill="2.25"),
    "datetime": FieldKind("dt.datetime", server_default="sa.func.now()"),
    "date": FieldKind("dt.date"),
    "time": FieldKind("dt.time"),
    "timedelta": FieldKind("dt.timedelta"),
    "uuid": FieldKind("uuid.UUID"),
    "bytes": FieldKind("bytes", unique_ok=False),
    "dict": FieldKind("dict[str, int]", unique_ok=False, index_ok=False),
    "list": FieldKind("list[str]", unique_ok=False, index_ok=False),
    "nested": FieldKind("Address", unique_ok=False, index_ok=False),
    "enum": FieldKind("{enum}", unique_ok=False),
    "literal": FieldKind('Literal["low", "mid", "high"]', unique_ok=False),
}

#: Field names a model may use (reserved SQL words included: they must simply work).
FIELD_NAMES = ("title", "amount", "order", "group", "user", "note", "level", "starts", "size", "label")
#: Table names (reserved words included).
TABLE_NAMES = ("accounts", "order", "group", "user", "items", "ledgers", "tags", "select")


@dataclass(frozen=True)
class EnumSpec:
    name: str
    members: tuple[str, ...]
    native: bool = True
    by_value: bool = False


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    optional: bool
    unique: bool = False
    index: bool = False
    server_default: bool = False
    comment: str | None = None
    enum: EnumSpec | None = None


@dataclass(frozen=True)
class ReferenceSpec:
    """A foreign key to model ``target`` (an index into the set), by class or by table name."""

    name: str
    target: int
    optional: bool
    by_class: bool
    ondelete: str | None = None
    relationship: bool = True


@dataclass(frozen=True)
class ModelSpec:
    class_name: str
    table: str
    #: ``uuid``: ApplicationModel's id and audit columns; ``int``: an own integer key, no audit
    #: columns; ``bare``: DatabaseMixin's id only (``audit_columns = False``).
    key: str
    fields: tuple[FieldSpec, ...]
    references: tuple[ReferenceSpec, ...] = ()
    comment: str | None = None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields) + tuple(r.name for r in self.references)


@dataclass(frozen=True)
class ModelSetSpec:
    models: tuple[ModelSpec, ...]
    enums: tuple[EnumSpec, ...]


def _enum_specs(suffix: int) -> st.SearchStrategy[tuple[EnumSpec, ...]]:
    def build(options: list[tuple[bool, bool]]) -> tuple[EnumSpec, ...]:
        members = (("RED", "GREEN", "BLUE"), ("DRAFT", "LIVE"))
        return tuple(
            EnumSpec(f"Shade{index}x{suffix}", members[index % 2], native, by_value)
            for index, (native, by_value) in enumerate(options)
        )

    return st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=2).map(build)


def _field_specs(enums: tuple[EnumSpec, ...], kinds: tuple[str, ...]) -> st.SearchStrategy[FieldSpec]:
    @st.composite
    def build(draw: st.DrawFn) -> FieldSpec:
        kind = draw(st.sampled_from(kinds))
        info = FIELD_KINDS[kind]
        optional = draw(st.booleans())
        unique = info.unique_ok and draw(st.booleans())
        index = info.index_ok and draw(st.booleans())
        default = info.server_default is not None and draw(st.booleans())
        comment = draw(st.sampled_from([None, "Shown to users", "It's quoted"]))
        enum = draw(st.sampled_from(enums)) if kind == "enum" else None
        return FieldSpec("", kind, optional, unique, index, default, comment, enum)

    return build()


@st.composite
def model_sets(
    draw: st.DrawFn,
    *,
    max_models: int = 4,
    max_fields: int = 6,
    kinds: tuple[str, ...] = tuple(FIELD_KINDS),
    required_cycles: bool = True,
) -> ModelSetSpec:
    """A legal set of models. References point at ``uuid``-keyed models by table name (the form that
    allows self-references and cycles) or at earlier models by class (any key type). With
    ``required_cycles=False`` a required reference only points at an earlier model, so rows can be
    inserted in order (the shape real data has)."""
    suffix = unique_suffix()
    enums = draw(_enum_specs(suffix))
    count = draw(st.integers(1, max_models))
    tables = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=count, max_size=count, unique=True))
    keys = [draw(st.sampled_from(("uuid", "uuid", "int", "bare"))) for _ in range(count)]
    models = []
    for index in range(count):
        names = draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=max_fields, unique=True))
        fields = tuple(replace(draw(_field_specs(enums, kinds)), name=name) for name in names)
        most = 3 if _reference_targets(index, keys) else 0
        references = tuple(
            draw(_reference(index, position, keys, required_cycles))
            for position in range(draw(st.integers(0, most)))
        )
        comment = draw(st.sampled_from([None, "Rows of a random table"]))
        class_name = f"{tables[index].title()}{index}x{suffix}Model"
        models.append(ModelSpec(class_name, tables[index], keys[index], fields, references, comment))
    return ModelSetSpec(tuple(models), enums)


def _reference_targets(index: int, keys: list[str]) -> list[int]:
    """Earlier models (by class, any key) and uuid-keyed ones anywhere (by table name)."""
    return sorted(set(range(index)) | {target for target, key in enumerate(keys) if key != "int"})


@st.composite
def _reference(
    draw: st.DrawFn, index: int, position: int, keys: list[str], required_cycles: bool
) -> ReferenceSpec:
    target = draw(st.sampled_from(_reference_targets(index, keys)))
    by_class = target < index and (keys[target] == "int" or draw(st.booleans()))
    optional = draw(st.booleans()) if (required_cycles or target < index) else True
    ondelete = draw(st.sampled_from([None, "CASCADE", "SET NULL"] if optional else [None, "CASCADE"]))
    return ReferenceSpec(f"ref{position}_id", target, optional, by_class, ondelete, draw(st.booleans()))


def render_models(spec: ModelSetSpec) -> str:
    """Python source defining the set (enums first, models in order)."""
    lines = [
        "import datetime as dt",
        "import decimal",
        "import enum",
        "import uuid",
        "from typing import Annotated, ClassVar, Literal",
        "",
        "import sqlalchemy as sa",
        "from pydantic import BaseModel, Field",
        "",
        "from dbkit import ApplicationModel, DatabaseMixin, DBColumn",
        "",
        "",
        "class Address(BaseModel):",
        "    city: str",
        "    zip_code: str",
        "",
    ]
    for enum in spec.enums:
        lines += ["", f"class {enum.name}(enum.Enum):"]
        lines += [f'    {member} = "{member.lower()}"' for member in enum.members]
    for model in spec.models:
        lines += ["", "", *_render_model(model, spec)]
    return "\n".join(lines) + "\n"


def _render_model(model: ModelSpec, spec: ModelSetSpec) -> list[str]:
    bases = {"uuid": "ApplicationModel, DatabaseMixin", "int": "DatabaseMixin", "bare": "DatabaseMixin"}
    lines = [
        f"class {model.class_name}({bases[model.key]}):",
        f'    table_name: ClassVar[str] = "{model.table}"',
    ]
    if model.key != "uuid":
        lines.append("    audit_columns: ClassVar[bool] = False")
    if model.comment:
        lines.append(f"    table_comment: ClassVar[str] = {model.comment!r}")
    if model.key == "int":
        lines.append("    id: Annotated[int | None, DBColumn(primary_key=True)] = None")
    lines += [f"    {_render_field(field)}" for field in model.fields]
    lines += [f"    {_render_reference(model, reference, spec)}" for reference in model.references]
    return lines


def _render_field(field: FieldSpec) -> str:
    info = FIELD_KINDS[field.kind]
    annotation = info.annotation
    options = [info.column_options] if info.column_options else []
    if field.enum is not None:
        annotation = field.enum.name
        if not field.enum.native:
            options.append("native_enum=False")
        if field.enum.by_value:
            options += ['enum_by="value"', f'enum_name="{field.enum.name.lower()}_by_value"']
    if field.unique:
        options.append("unique=True")
    if field.index:
        options.append("index=True")
    if field.server_default:
        options.append(f"server_default={info.server_default}")
    if field.optional:
        annotation += " | None"
    kwargs = [info.field_kwargs] if info.field_kwargs else []
    if field.comment:
        kwargs.append(f"description={field.comment!r}")
    default = ["None"] if field.optional else []
    value = f" = Field({', '.join(default + kwargs)})" if default or kwargs else ""
    column = f"DBColumn({', '.join(options)})" if options else None
    typed = f"Annotated[{annotation}, {column}]" if column else annotation
    return f"{field.name}: {typed}{value}"


def _render_reference(model: ModelSpec, reference: ReferenceSpec, spec: ModelSetSpec) -> str:
    target = spec.models[reference.target]
    options = [f"references={target.class_name if reference.by_class else repr(target.table)}"]
    if reference.ondelete:
        options.append(f'ondelete="{reference.ondelete}"')
    if reference.relationship:  # named backrefs: two references to one target must not collide
        options.append(f'backref="{model.table}_{reference.name}_back"')
    else:
        options.append("relationship=False")
    annotation = "int" if target.key == "int" else "str"
    if reference.optional:
        return f"{reference.name}: Annotated[{annotation} | None, DBColumn({', '.join(options)})] = None"
    return f"{reference.name}: Annotated[{annotation}, DBColumn({', '.join(options)})]"


# -- evolutions (old, new) ---------------------------------------------------------------------------
#: Kinds an evolution uses: each has a backfill literal, or is added only as optional.
EVOLUTION_KINDS = (
    "str",
    "text",
    "int",
    "big_int",
    "bool",
    "float",
    "decimal",
    "date",
    "uuid",
    "enum",
    "list",
)

Mutation = Callable[[ModelSetSpec, st.DrawFn], tuple[ModelSetSpec, str]]


@dataclass(frozen=True)
class Evolution:
    old: ModelSetSpec
    new: ModelSetSpec
    steps: tuple[str, ...]


def _replace_model(spec: ModelSetSpec, index: int, model: ModelSpec) -> ModelSetSpec:
    models = list(spec.models)
    models[index] = model
    return replace(spec, models=tuple(models))


def _add_field(spec: ModelSetSpec, draw: st.DrawFn) -> tuple[ModelSetSpec, str]:
    index = draw(st.integers(0, len(spec.models) - 1))
    model = spec.models[index]
    free = [name for name in FIELD_NAMES if name not in model.column_names]
    if not free:
        return spec, "add_field: no free name"
    field = draw(_field_specs(spec.enums, EVOLUTION_KINDS))
    if FIELD_KINDS[field.kind].backfill is None:
        field = replace(field, optional=True)
    field = replace(field, name=draw(st.sampled_from(free)), unique=False)  # a new unique would need data
    new = replace(model, fields=(*model.fields, field))
    return _replace_model(
        spec, index, new
    ), f"add {model.table}.{field.name} ({field.kind}, optional={field.optional})"


def _drop_field(spec: ModelSetSpec, draw: st.DrawFn) -> tuple[ModelSetSpec, str]:
    """Drop a field; never a required unique one: its downgrade cannot refill distinct values (the
    dropped data is gone, and one placeholder in every row violates the constraint)."""
    index = draw(st.integers(0, len(spec.models) - 1))
    model = spec.models[index]
    droppable = [position for position, f in enumerate(model.fields) if f.optional or not f.unique]
    if not droppable:
        return spec, "drop_field: none"
    position = draw(st.sampled_from(droppable))
    dropped = model.fields[position]
    new = replace(model, fields=model.fields[:position] + model.fields[position + 1 :])
    return _replace_model(spec, index, new), f"drop {model.table}.{dropped.name}"


def _change_field(spec: ModelSetSpec, draw: st.DrawFn) -> tuple[ModelSetSpec, str]:
    """A change that keeps every stored value: relax NOT NULL, toggle index/comment, widen a string."""
    index = draw(st.integers(0, len(spec.models) - 1))
    model = spec.models[index]
    if not model.fields:
        return spec, "change_field: none"
    position = draw(st.integers(0, len(model.fields) - 1))
    field = model.fields[position]
    how = draw(st.sampled_from(["relax", "index", "comment", "widen", "unique_off"]))
    if how == "relax":
        changed = replace(field, optional=True)
    elif how == "index":
        changed = replace(field, index=FIELD_KINDS[field.kind].index_ok and not field.index)
    elif how == "comment":
        changed = replace(field, comment=None if field.comment else "Changed comment")
    elif how == "widen" and field.kind == "str":
        changed = replace(field, kind="text")
    else:
        changed = replace(field, unique=False)
    fields = (*model.fields[:position], changed, *model.fields[position + 1 :])
    return _replace_model(spec, index, replace(model, fields=fields)), f"{how} {model.table}.{field.name}"


def _add_model(spec: ModelSetSpec, draw: st.DrawFn) -> tuple[ModelSetSpec, str]:
    free = [name for name in TABLE_NAMES if name not in {m.table for m in spec.models}]
    if not free:
        return spec, "add_model: no free name"
    table = draw(st.sampled_from(free))
    names = draw(st.lists(st.sampled_from(FIELD_NAMES), max_size=3, unique=True))
    fields = tuple(replace(draw(_field_specs(spec.enums, EVOLUTION_KINDS)), name=name) for name in names)
    targets = [i for i, m in enumerate(spec.models) if m.key != "int"]
    references = ()
    if targets and draw(st.booleans()):
        references = (ReferenceSpec("ref0_id", draw(st.sampled_from(targets)), True, False, None, True),)
    class_name = f"{table.title()}Addedx{unique_suffix()}Model"
    model = ModelSpec(class_name, table, draw(st.sampled_from(("uuid", "bare"))), fields, references)
    return replace(spec, models=(*spec.models, model)), f"add table {table}"


def _drop_model(spec: ModelSetSpec, draw: st.DrawFn) -> tuple[ModelSetSpec, str]:
    """Drop the last model nobody else references (indexes of references stay valid)."""
    last = len(spec.models) - 1
    if last < 1 or any(r.target == last for m in spec.models[:last] for r in m.references):
        return spec, "drop_model: referenced or alone"
    return replace(spec, models=spec.models[:last]), f"drop table {spec.models[last].table}"


def _add_reference(spec: ModelSetSpec, draw: st.DrawFn) -> tuple[ModelSetSpec, str]:
    """An optional reference (column and foreign key) added to an existing table, by table name."""
    index = draw(st.integers(0, len(spec.models) - 1))
    model = spec.models[index]
    targets = [i for i, m in enumerate(spec.models) if m.key != "int"]
    if not targets:
        return spec, "add_reference: no uuid-keyed target"
    name = f"ref{len(model.references)}_id"
    reference = ReferenceSpec(name, draw(st.sampled_from(targets)), True, False, None, draw(st.booleans()))
    new = replace(model, references=(*model.references, reference))
    return _replace_model(spec, index, new), f"add reference {model.table}.{name}"


_MUTATIONS: tuple[Mutation, ...] = (
    _add_field,
    _drop_field,
    _change_field,
    _add_model,
    _drop_model,
    _add_reference,
)


@st.composite
def evolutions(draw: st.DrawFn, max_steps: int = 3) -> Evolution:
    """A model set whose required references are acyclic (rows can be inserted), and a mutated copy."""
    old = draw(model_sets(max_models=3, max_fields=4, kinds=EVOLUTION_KINDS, required_cycles=False))
    new, steps = old, []
    for _ in range(draw(st.integers(1, max_steps))):
        mutate = draw(st.sampled_from(_MUTATIONS))
        new, step = mutate(new, draw)
        steps.append(step)
    return Evolution(old, _renamed_classes(new), tuple(steps))


def _renamed_classes(spec: ModelSetSpec) -> ModelSetSpec:
    """The new set's classes get names of their own (both sets are loaded side by side)."""
    suffix = unique_suffix()
    models = tuple(replace(m, class_name=f"{m.class_name}v{suffix}") for m in spec.models)
    return replace(spec, models=models)


# -- hand-written (plain SQLAlchemy) models -----------------------------------------------------------
#: SQLAlchemy column types a hand-written model may use, as source; ``unique_ok`` as for fields.
HAND_TYPES: dict[str, tuple[str, bool]] = {
    "integer": ("sa.Integer()", True),
    "big_integer": ("sa.BigInteger()", True),
    "small_integer": ("sa.SmallInteger()", True),
    "string": ("sa.String(50)", True),
    "string_unbounded": ("sa.String()", True),
    "text": ("sa.Text()", True),
    "boolean": ("sa.Boolean()", False),
    "float": ("sa.Float()", True),
    "float53": ("sa.Float(53)", True),
    "numeric": ("sa.Numeric(12, 3)", True),
    "datetime": ("sa.DateTime()", True),
    "datetime_tz": ("sa.DateTime(timezone=True)", True),
    "date": ("sa.Date()", True),
    "time": ("sa.Time()", True),
    "interval": ("sa.Interval()", True),
    "uuid": ("sa.Uuid()", True),
    "uuid_str": ("sa.Uuid(as_uuid=False)", True),
    "binary": ("sa.LargeBinary()", False),
    "json": ("sa.JSON()", False),
    "enum_class": ("sa.Enum(Mood, name='mood{suffix}')", False),
    "enum_class_plain": ("sa.Enum(Mood, name='mood_plain{suffix}', native_enum=False)", False),
    "enum_strings": ("sa.Enum('small', 'large', name='size{suffix}')", False),
}
#: Server defaults per type, as source.
HAND_DEFAULTS: dict[str, str] = {
    "integer": 'sa.text("0")',
    "string": '"none"',
    "text": '"none"',
    "boolean": "sa.false()",
    "datetime_tz": "sa.func.now()",
    "enum_class": '"happy"',
}
#: Primary-key shapes: the key column's source, and the type a foreign key to it uses.
HAND_KEYS: dict[str, tuple[str, str]] = {
    "int": ("sa.Integer(), primary_key=True", "sa.Integer()"),
    "uuid": ("sa.Uuid(as_uuid=False), primary_key=True", "sa.Uuid(as_uuid=False)"),
    "string": ("sa.String(36), primary_key=True", "sa.String(36)"),
}
HAND_COLUMN_NAMES = ("name", "price", "order", "status", "notes", "counter", "moment", "payload")


@dataclass(frozen=True)
class HandColumn:
    name: str
    type: str
    nullable: bool
    unique: bool = False
    index: bool = False
    server_default: bool = False
    comment: str | None = None
    #: ``mapped_column`` or the classic ``sa.Column`` spelling.
    classic: bool = False


@dataclass(frozen=True)
class HandForeignKey:
    name: str
    target: int
    nullable: bool
    ondelete: str | None = None
    #: Declare a ``relationship`` with a backref on the class too.
    relationship: bool = False


@dataclass(frozen=True)
class HandTable:
    class_name: str
    table: str
    key: str
    columns: tuple[HandColumn, ...]
    foreign_keys: tuple[HandForeignKey, ...] = ()
    #: A composite ``UniqueConstraint`` / an explicit ``Index`` over two columns, from table args.
    composite_unique: bool = False
    named_index: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class HandWrittenSet:
    tables: tuple[HandTable, ...]
    naming_convention: bool
    suffix: int


@st.composite
def _hand_column(draw: st.DrawFn, name: str) -> HandColumn:
    kind = draw(st.sampled_from(sorted(HAND_TYPES)))
    unique_ok = HAND_TYPES[kind][1]
    return HandColumn(
        name=name,
        type=kind,
        nullable=draw(st.booleans()),
        unique=unique_ok and draw(st.booleans()),
        index=kind not in ("json",) and draw(st.booleans()),
        server_default=kind in HAND_DEFAULTS and draw(st.booleans()),
        comment=draw(st.sampled_from([None, "Hand-written comment"])),
        classic=draw(st.booleans()),
    )


@st.composite
def _hand_foreign_key(draw: st.DrawFn, name: str, count: int) -> HandForeignKey:
    nullable = draw(st.booleans())
    ondelete = draw(st.sampled_from([None, "CASCADE", "SET NULL"] if nullable else [None, "CASCADE"]))
    return HandForeignKey(name, draw(st.integers(0, count - 1)), nullable, ondelete, draw(st.booleans()))


@st.composite
def hand_written_sets(draw: st.DrawFn, max_tables: int = 4) -> HandWrittenSet:
    """Declarative classes on one Base: any key shape, foreign keys (self and cycles included)."""
    suffix = unique_suffix()
    count = draw(st.integers(1, max_tables))
    tables = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=count, max_size=count, unique=True))
    built = []
    for index in range(count):
        names = draw(st.lists(st.sampled_from(HAND_COLUMN_NAMES), max_size=5, unique=True))
        columns = tuple(draw(_hand_column(name)) for name in names)
        foreign_keys = tuple(
            draw(_hand_foreign_key(f"link{position}_id", count))
            for position in range(draw(st.integers(0, 2)))
        )
        plain = [c for c in columns if c.type not in ("json",)]
        built.append(
            HandTable(
                class_name=f"{tables[index].title()}{index}x{suffix}",
                table=tables[index],
                key=draw(st.sampled_from(sorted(HAND_KEYS))),
                columns=columns,
                foreign_keys=foreign_keys,
                composite_unique=len(plain) >= 2 and draw(st.booleans()),
                named_index=len(plain) >= 2 and draw(st.booleans()),
                comment=draw(st.sampled_from([None, "A hand-written table"])),
            )
        )
    return HandWrittenSet(tuple(built), draw(st.booleans()), suffix)


def render_hand_written(spec: HandWrittenSet) -> str:
    """A ``DB_*.py`` module: enums, a Base, then one declarative class per table."""
    base_metadata = (
        "    metadata = sa.MetaData(naming_convention=naming_convention())\n"
        if spec.naming_convention
        else "    pass\n"
    )
    lines = [
        "import enum",
        "",
        "import sqlalchemy as sa",
        "from sqlalchemy.orm import DeclarativeBase, mapped_column, relationship",
        "",
        "from dbkit.naming import naming_convention",
        "",
        "",
        "class Mood(enum.Enum):",
        '    happy = "happy"',
        '    sad = "sad"',
        "",
        "",
        "class Base(DeclarativeBase):",
        base_metadata,
    ]
    for table in spec.tables:
        lines += ["", *_render_hand_table(table, spec)]
    return "\n".join(lines) + "\n"


def _render_hand_table(table: HandTable, spec: HandWrittenSet) -> list[str]:
    args: list[str] = []
    plain = [c.name for c in table.columns if c.type not in ("json",)]
    if table.composite_unique:
        args.append(f"sa.UniqueConstraint({plain[0]!r}, {plain[1]!r})")
    if table.named_index:
        args.append(f"sa.Index('ix_custom_{table.table}_{spec.suffix}', {plain[1]!r}, {plain[0]!r})")
    options = f"{{'comment': {table.comment!r}}}" if table.comment else ""
    lines = [f"class {table.class_name}(Base):", f"    __tablename__ = {table.table!r}"]
    if args or options:
        lines.append(f"    __table_args__ = ({', '.join([*args, options] if options else args)},)")
    lines.append(f"    id = mapped_column({HAND_KEYS[table.key][0]})")
    for column in table.columns:
        lines.append(f"    {_render_hand_column(column, spec)}")
    for foreign_key in table.foreign_keys:
        target = spec.tables[foreign_key.target]
        spelled = [HAND_KEYS[target.key][1], f"sa.ForeignKey('{target.table}.id'{_ondelete(foreign_key)})"]
        lines.append(
            f"    {foreign_key.name} = mapped_column({', '.join(spelled)}, nullable={foreign_key.nullable})"
        )
        if foreign_key.relationship:
            relation = foreign_key.name.removesuffix("_id")
            backref = f"{table.table}_{relation}_back"
            lines.append(
                f"    {relation} = relationship({target.class_name!r}, foreign_keys=[{foreign_key.name}], "
                f"backref={backref!r}" + (", remote_side=[id]" if target is table else "") + ")"
            )
    return lines


def _ondelete(foreign_key: HandForeignKey) -> str:
    return f", ondelete={foreign_key.ondelete!r}" if foreign_key.ondelete else ""


def _render_hand_column(column: HandColumn, spec: HandWrittenSet) -> str:
    arguments = [HAND_TYPES[column.type][0].format(suffix=spec.suffix), f"nullable={column.nullable}"]
    if column.unique:
        arguments.append("unique=True")
    if column.index:
        arguments.append("index=True")
    if column.server_default:
        arguments.append(f"server_default={HAND_DEFAULTS[column.type]}")
    if column.comment:
        arguments.append(f"comment={column.comment!r}")
    if column.classic:
        return f"{column.name} = sa.Column({column.name!r}, {', '.join(arguments)})"
    return f"{column.name} = mapped_column({', '.join(arguments)})"


__all__ = [
    "EVOLUTION_KINDS",
    "FIELD_KINDS",
    "Evolution",
    "HandWrittenSet",
    "ModelSetSpec",
    "evolutions",
    "hand_written_sets",
    "model_sets",
    "render_hand_written",
    "render_models",
    "unique_suffix",
]
