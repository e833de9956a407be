"""The plain data of a schema snapshot: tables, columns, constraints, indexes, enums, types.

Everything here is a frozen dataclass holding strings, numbers, booleans and tuples, so a
snapshot can be dumped to JSON, loaded back, compared and handed to the revision writer
without a database or SQLAlchemy. SQLAlchemy is imported only by :func:`type_spec` and
:meth:`TypeSpec.to_sqlalchemy`, the two directions between SQLAlchemy types and
:class:`TypeSpec`.

Types are stored structurally (``TypeSpec(kind="string", length=255)``), so equivalent
spellings are one value: ``VARCHAR(255)`` and ``String(255)`` are both ``string/255``,
``postgresql.UUID`` and ``Uuid`` are ``uuid``, ``DOUBLE PRECISION`` and ``Float()`` are
``float/53``. The kinds and both directions live in one ordered registry, :data:`TYPE_KINDS`.

SQLite stores dbkit's ``Uuid`` as ``CHAR(32)``; a ``CHAR(32)`` reflected from SQLite is read
as ``uuid`` (in a dbkit schema that is what it is), and :meth:`Snapshot.as_stored_by`
turns a model's own ``CHAR(32)`` into ``uuid`` when it is compared with an SQLite database,
so the ambiguity never shows up as a difference.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import MISSING, dataclass, fields, replace
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from dbkit.migrate.schema.memo import IdentityMemo

if TYPE_CHECKING:
    from sqlalchemy.types import TypeEngine

#: The snapshot format this dbkit writes, and the newest it reads.
FORMAT_VERSION = 1

#: Databases whose reflected snapshots need a projection (see :meth:`Snapshot.as_stored_by`).
SQLITE = "sqlite"
POSTGRESQL = "postgresql"

#: Single-precision floats have at most this many mantissa bits (PostgreSQL ``REAL``).
SINGLE_PRECISION_BITS = 24
DOUBLE_PRECISION_BITS = 53

#: On SQLite, dbkit's ``Uuid`` is a ``CHAR`` of this length (32 hex digits, no dashes).
SQLITE_UUID_CHAR_LENGTH = 32


#: Tables that belong to the migration tool, not to the application.
IGNORED_TABLES = frozenset({"alembic_version"})

#: Dialect keyword arguments of indexes and constraints each database gives back when reflected:
#: the only ones a comparison with that database looks at (:meth:`Snapshot.as_stored_by`).
REFLECTED_DIALECT_OPTIONS: dict[str, frozenset[str]] = {
    "postgresql": frozenset(
        {
            "postgresql_using",
            "postgresql_where",
            "postgresql_include",
            "postgresql_with",
            "postgresql_ops",
            "postgresql_nulls_not_distinct",
        }
    ),
    "sqlite": frozenset({"sqlite_where"}),
}


# -- types ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TypeSpec:
    """A column type as data: its generic ``kind`` plus the attributes that matter for DDL.

    ``length``/``fixed`` (``CHAR`` when fixed) for strings, ``precision``/``scale`` for numerics
    (floats keep 24 or 53 bits), ``timezone`` for datetimes and times, ``name``/``values``/
    ``native``/``length`` for enums, ``raw`` for a type dbkit does not know (its SQL spelling).
    ``variants`` holds ``(dialect, spec)`` pairs from ``with_variant`` (sorted by dialect; only those
    that differ from the base spec): :meth:`Snapshot.as_stored_by` picks the one of its database.
    """

    kind: str
    length: int | None = None
    fixed: bool = False
    precision: int | None = None
    scale: int | None = None
    timezone: bool = False
    name: str | None = None
    values: tuple[str, ...] = ()
    native: bool = True
    raw: str | None = None
    variants: tuple[tuple[str, TypeSpec], ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in TYPE_KINDS:
            raise ValueError(f"Unknown type kind {self.kind!r}; known kinds: {', '.join(TYPE_KINDS)}.")
        object.__setattr__(self, "_hash", self._fields_hash())

    # The hash is computed once: every column snapshot is interned by a key holding its spec.
    # It is not pickled (a string's hash differs between processes); unpickling recomputes it.
    def _fields_hash(self) -> int:
        return hash(
            (
                self.kind,
                self.length,
                self.fixed,
                self.precision,
                self.scale,
                self.timezone,
                self.name,
                self.values,
                self.native,
                self.raw,
                self.variants,
            )
        )

    def __hash__(self) -> int:
        return self._hash  # type: ignore[no-any-return]

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_hash", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        object.__setattr__(self, "_hash", self._fields_hash())

    def to_dict(self) -> dict[str, Any]:
        """Only the attributes that differ from their defaults, so dumps stay short and stable."""
        data: dict[str, Any] = {"kind": self.kind}
        for item in fields(self)[1:]:
            value = getattr(self, item.name)
            if value == item.default:
                continue
            if item.name == "variants":
                data[item.name] = {dialect: spec.to_dict() for dialect, spec in value}
            else:
                data[item.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TypeSpec:
        attributes = {
            name: tuple(value) if isinstance(value, list) else value
            for name, value in data.items()
            if name != "variants"
        }
        variants = data.get("variants") or {}
        if variants:
            attributes["variants"] = tuple(
                (dialect, TypeSpec.from_dict(variants[dialect])) for dialect in sorted(variants)
            )
        return interned_spec(**attributes)

    def to_sqlalchemy(self) -> TypeEngine[Any]:
        """The generic SQLAlchemy type of this spec (what a revision writes in ``sa.Column(...)``),
        with its ``with_variant`` types."""
        built = TYPE_KINDS[self.kind].to_sqlalchemy(self)
        for dialect, variant in self.variants:
            built = built.with_variant(variant.to_sqlalchemy(), dialect)
        return built

    def for_dialect(self, dialect: str) -> TypeSpec:
        """The type ``dialect`` creates: its variant there, else this spec without variants."""
        if not self.variants:
            return self
        return dict(self.variants).get(dialect) or replace(self, variants=())

    def label(self) -> str:
        """A short human spelling for reports: ``string(255)``, ``numeric(10, 2)``, ``enum status``
        (``big_integer (sqlite: integer)`` with variants)."""
        if self.variants:
            variants = ", ".join(f"{dialect}: {spec.label()}" for dialect, spec in self.variants)
            return f"{replace(self, variants=()).label()} ({variants})"
        if self.kind == "enum":
            return f"enum {self.name or ''}{list(self.values)}".strip()
        if self.kind == "unknown":
            return self.raw or "unknown"
        if self.kind == "string":
            base = "char" if self.fixed else "string"
            return f"{base}({self.length})" if self.length else base
        if self.kind == "numeric" and self.precision is not None:
            return f"numeric({self.precision}, {self.scale or 0})"
        if self.kind in ("datetime", "time") and self.timezone:
            return f"{self.kind} with time zone"
        if self.kind == "float" and self.precision == SINGLE_PRECISION_BITS:
            return "float(24)"
        return self.kind


@lru_cache(maxsize=4096)
def interned_spec(kind: str, **attributes: Any) -> TypeSpec:
    """One shared spec per distinct type (specs are immutable): a schema has few types, many columns."""
    return TypeSpec(kind, **attributes)


@dataclass(frozen=True)
class TypeKind:
    """One registry entry: how to recognise a SQLAlchemy type of this kind, and how to build one."""

    name: str
    #: ``sqlalchemy`` module → the classes that belong to this kind (checked with ``isinstance``).
    sa_classes: Callable[[Any], tuple[type, ...]]
    #: An instance of one of those classes → its spec.
    from_sqlalchemy: Callable[[Any], TypeSpec]
    #: A spec → the generic SQLAlchemy type.
    to_sqlalchemy: Callable[[TypeSpec], Any]


def _sa() -> Any:
    import sqlalchemy

    return sqlalchemy


def _sqltypes() -> Any:
    from sqlalchemy.sql import sqltypes

    return sqltypes


def _float_bits(precision: int | None) -> int:
    """PostgreSQL's rule: FLOAT(1..24) is REAL, anything else (or no precision) DOUBLE PRECISION.
    ``Float(0)`` is no precision: SQLAlchemy's DDL omits a zero precision (plain ``FLOAT``)."""
    if precision and precision <= SINGLE_PRECISION_BITS:
        return SINGLE_PRECISION_BITS
    return DOUBLE_PRECISION_BITS


def _float_spec(sa_type: Any) -> TypeSpec:
    sa = _sa()
    if isinstance(sa_type, sa.REAL) and sa_type.precision is None:
        return interned_spec("float", precision=SINGLE_PRECISION_BITS)
    return interned_spec("float", precision=_float_bits(sa_type.precision))


def _to_float(spec: TypeSpec) -> Any:
    sa = _sa()
    return sa.Float(SINGLE_PRECISION_BITS) if spec.precision == SINGLE_PRECISION_BITS else sa.Float()


def _enum_spec(sa_type: Any) -> TypeSpec:
    values = tuple(str(value) for value in sa_type.enums)
    return interned_spec(
        "enum",
        name=sa_type.name,
        values=values,
        native=bool(sa_type.native_enum),
        length=sa_type.length or max((len(v) for v in values), default=0),
    )


def _to_enum(spec: TypeSpec) -> Any:
    return _sa().Enum(*spec.values, name=spec.name, native_enum=spec.native, length=spec.length)


def _string_spec(sa_type: Any) -> TypeSpec:
    sa = _sa()
    return interned_spec("string", length=sa_type.length, fixed=isinstance(sa_type, (sa.CHAR, sa.NCHAR)))


def _to_string(spec: TypeSpec) -> Any:
    sa = _sa()
    return sa.CHAR(spec.length) if spec.fixed else sa.String(spec.length)


def _to_unknown(spec: TypeSpec) -> Any:
    """Find the dialect type spelled ``raw`` (``TSVECTOR``, ``CIDR``...) so a revision can use it."""
    from sqlalchemy.dialects import postgresql, sqlite

    base = (spec.raw or "").split("(")[0].strip()
    for names in (postgresql.base.ischema_names, sqlite.base.ischema_names):
        found = names.get(base) or names.get(base.lower()) or names.get(base.upper())
        if found is not None:
            return found()
    raise TypeError(
        f"No SQLAlchemy type is known for the database type {spec.raw!r}; register the column's type "
        "in the model explicitly (e.g. DBColumn(sa_type=...))."
    )


def _simple(
    kind: str, make: Callable[[Any], Any]
) -> tuple[Callable[[Any], TypeSpec], Callable[[TypeSpec], Any]]:
    return (lambda _sa_type: interned_spec(kind)), (lambda _spec: make(_sa()))


def _postgresql() -> Any:
    from sqlalchemy.dialects import postgresql

    return postgresql


def _postgresql_jsonb_classes(_sa: Any) -> tuple[type, ...]:
    """JSONB, if anything imported SQLAlchemy's PostgreSQL dialect: a column can only be a JSONB once
    its module is loaded, and importing it just to ask costs every other codebase 0.1 s."""
    postgresql = sys.modules.get("sqlalchemy.dialects.postgresql")
    return (postgresql.JSONB,) if postgresql is not None else ()


def _kind(name: str, sa_classes: Callable[[Any], tuple[type, ...]], make: Callable[[Any], Any]) -> TypeKind:
    reader, writer = _simple(name, make)
    return TypeKind(name, sa_classes, reader, writer)


#: Every kind, most specific first (``Enum`` is a ``String``, ``Float`` a ``Numeric``,
#: ``BigInteger`` an ``Integer``, ``Text`` a ``String``): :func:`type_spec` takes the first match.
TYPE_KINDS: dict[str, TypeKind] = {
    kind.name: kind
    for kind in (
        TypeKind("enum", lambda sa: (sa.Enum,), _enum_spec, _to_enum),
        _kind("uuid", lambda sa: (sa.Uuid,), lambda sa: sa.Uuid()),
        # JSONB is a JSON to SQLAlchemy but another column type to PostgreSQL (galaxy's
        # ``JSON().with_variant(JSONB, "postgresql")``): its own kind, or the variant is lost
        _kind("jsonb", _postgresql_jsonb_classes, lambda sa: _postgresql().JSONB()),
        _kind("json", lambda sa: (sa.JSON,), lambda sa: sa.JSON()),
        _kind("boolean", lambda sa: (sa.Boolean,), lambda sa: sa.Boolean()),
        _kind("text", lambda sa: (sa.Text,), lambda sa: sa.Text()),
        TypeKind("string", lambda sa: (sa.String,), _string_spec, _to_string),
        _kind("small_integer", lambda sa: (sa.SmallInteger,), lambda sa: sa.SmallInteger()),
        _kind("big_integer", lambda sa: (sa.BigInteger,), lambda sa: sa.BigInteger()),
        _kind("integer", lambda sa: (sa.Integer,), lambda sa: sa.Integer()),
        TypeKind("float", lambda sa: (sa.Float,), _float_spec, _to_float),
        TypeKind(
            "numeric",
            lambda sa: (sa.Numeric,),
            lambda t: interned_spec("numeric", precision=t.precision, scale=t.scale),
            lambda spec: _sa().Numeric(spec.precision, spec.scale),
        ),
        TypeKind(
            "datetime",
            lambda sa: (sa.DateTime,),
            lambda t: interned_spec("datetime", timezone=bool(t.timezone)),
            lambda spec: _sa().DateTime(timezone=spec.timezone),
        ),
        _kind("date", lambda sa: (sa.Date,), lambda sa: sa.Date()),
        TypeKind(
            "time",
            lambda sa: (sa.Time,),
            lambda t: interned_spec("time", timezone=bool(t.timezone)),
            lambda spec: _sa().Time(timezone=spec.timezone),
        ),
        _kind("interval", lambda sa: (_sqltypes()._AbstractInterval,), lambda sa: sa.Interval()),
        _kind("binary", lambda sa: (_sqltypes()._Binary,), lambda sa: sa.LargeBinary()),
        TypeKind(
            "unknown", lambda sa: (), lambda t: interned_spec("unknown", raw=_raw_spelling(t)), _to_unknown
        ),
    )
}


def _raw_spelling(sa_type: Any) -> str:
    try:
        return str(sa_type)
    except Exception:  # a dialect-only type cannot compile on the default dialect
        return str(getattr(sa_type, "__visit_name__", type(sa_type).__name__)).upper()


def type_spec(sa_type: Any) -> TypeSpec:
    """The :class:`TypeSpec` of a SQLAlchemy type instance (or class).

    A ``TypeDecorator`` is read through its ``impl``; a ``with_variant`` type by its base type
    (the generic one a model declares) plus the variants that differ from it; dialect types by the
    generic kind they belong to.

    Remembered per type instance, weakly: SQLAlchemy treats a type instance as fixed once used
    (each dialect caches its processors by the instance, ``dialect._type_memos``), and a session
    that compares the same models again (parity, then diff, then parity after a fix elsewhere)
    reads each of their types once.
    """
    entry = _SPEC_OF_TYPE.entries.get(id(sa_type))  # IdentityMemo.get, inlined: once per column
    if entry is not None and entry[0]() is sa_type:
        return entry[1]
    if isinstance(sa_type, type):
        return _interned(_type_spec(sa_type()))
    return _SPEC_OF_TYPE.remember(sa_type, _interned(_type_spec(sa_type)))


_SPEC_OF_TYPE: IdentityMemo[TypeSpec] = IdentityMemo()


def _interned(spec: TypeSpec) -> TypeSpec:
    """The one spec object equal to ``spec``: equal specs are then the same object, so comparing
    snapshots (and interning their columns) stops at identity instead of comparing fields."""
    known = _SPECS.get(spec)
    if known is None:
        if len(_SPECS) >= _SPECS_LIMIT:
            _SPECS.clear()  # bounded; dropping it only costs field comparisons again
        known = _SPECS[spec] = spec
    return known


_SPECS: dict[TypeSpec, TypeSpec] = {}
_SPECS_LIMIT = 4096


def _type_spec(sa_type: Any) -> TypeSpec:
    if _chooses_per_dialect(sa_type):
        return _per_dialect_spec(sa_type)
    variant_mapping = getattr(sa_type, "_variant_mapping", None)
    if not variant_mapping:
        return _base_type_spec(sa_type)
    base = _base_type_spec(sa_type)
    variants = tuple(
        (str(dialect), spec)
        for dialect, spec in sorted((d, type_spec(t)) for d, t in variant_mapping.items())
        if spec != base
    )
    return replace(base, variants=variants) if variants else base


def _chooses_per_dialect(sa_type: Any) -> bool:
    """A ``TypeDecorator`` that picks its storage type per database in ``load_dialect_impl``
    (prefect's and many projects' GUID: UUID on PostgreSQL, CHAR(36) elsewhere)."""
    decorator = _sa().types.TypeDecorator
    return (
        isinstance(sa_type, decorator)
        and type(sa_type).load_dialect_impl is not decorator.load_dialect_impl
        and not getattr(sa_type, "_variant_mapping", None)
    )


def _per_dialect_spec(sa_type: Any) -> TypeSpec:
    """PostgreSQL's storage type, with SQLite's as a variant where it differs (as ``with_variant``)."""
    specs = {}
    for name, dialect in _ddl_dialects():
        try:
            specs[name] = type_spec(sa_type.load_dialect_impl(dialect))
        except Exception:  # a decorator that cannot choose for this database: read through its impl
            specs[name] = _base_type_spec(sa_type)
    base = specs[POSTGRESQL]
    variants = tuple((name, spec) for name, spec in sorted(specs.items()) if spec != base)
    return replace(base, variants=variants) if variants else base


@lru_cache(maxsize=1)
def _ddl_dialects() -> tuple[tuple[str, Any], ...]:
    from sqlalchemy.dialects import postgresql, sqlite

    return (POSTGRESQL, postgresql.dialect()), (SQLITE, sqlite.dialect())


def _base_type_spec(sa_type: Any) -> TypeSpec:
    while True:
        kind = _kind_of_class(type(sa_type))
        if kind is not None:
            return kind.from_sqlalchemy(sa_type)
        if not isinstance(sa_type, _sa().types.TypeDecorator):
            return TYPE_KINDS["unknown"].from_sqlalchemy(sa_type)
        sa_type = sa_type.impl_instance  # a decorator is known by what it stores
        if _chooses_per_dialect(sa_type):  # prefect's Pydantic stores through its per-dialect JSON
            return _per_dialect_spec(sa_type)


@lru_cache(maxsize=1024)
def _kind_of_class(sa_class: type) -> TypeKind | None:
    """The first kind whose SQLAlchemy classes include ``sa_class`` (cached: a schema repeats few types)."""
    sa = _sa()
    for kind in TYPE_KINDS.values():
        classes = kind.sa_classes(sa)
        if classes and issubclass(sa_class, classes):
            return kind
    return None


# -- SQL text normalised by meaning ------------------------------------------------------------
_QUOTED = re.compile(r"('(?:[^']|'')*')")
#: PostgreSQL casts it adds when it stores an expression (``'EUR'::character varying``).
_PG_CAST = re.compile(
    r"::\s*(?:character varying|character|double precision|timestamp with(?:out)? time zone|"
    r"time with(?:out)? time zone|bit varying|\"[^\"]+\"|[a-z_][a-z0-9_]*)(?:\(\d+(?:,\s*\d+)?\))?(?:\[\])?",
    re.IGNORECASE,
)
#: ``(a)`` → ``a``, but never a call's parentheses (``lower(name)`` stays a call).
_PARENTHESISED_ATOM = re.compile(r"(?<![\w.])\(\s*([A-Za-z_][\w.]*|\d+(?:\.\d+)?|'(?:[^']|'')*')\s*\)")
_CURRENT_TIMESTAMP = re.compile(
    r"^(?:now\(\)|current_timestamp(?:\(\))?|transaction_timestamp\(\)|localtimestamp(?:\(\))?|"
    r"datetime\('now'\))$",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$")
_TRUE_SPELLINGS = frozenset({"1", "true", "'1'", "'t'", "'true'", "t"})
_FALSE_SPELLINGS = frozenset({"0", "false", "'0'", "'f'", "'false'", "f"})
_NUMERIC_KINDS = frozenset({"integer", "small_integer", "big_integer", "numeric", "float"})


def _outside_quotes(text: str, transform: Callable[[str], str]) -> str:
    parts = _QUOTED.split(text)
    return "".join(part if index % 2 else transform(part) for index, part in enumerate(parts))


def _strip_enclosing_parentheses(text: str) -> str:
    while text.startswith("(") and text.endswith(")") and _encloses(text):
        text = text[1:-1].strip()
    return text


def _encloses(text: str) -> bool:
    """True when the first ``(`` closes at the last character (``(a) + (b)`` is not enclosed)."""
    depth = 0
    in_quote = False
    for index, char in enumerate(text):
        if char == "'":
            in_quote = not in_quote
        elif not in_quote and char == "(":
            depth += 1
        elif not in_quote and char == ")":
            depth -= 1
            if depth == 0 and index != len(text) - 1:
                return False
    return depth == 0


_COMPARISON = re.compile(r"\s*(<=|>=|<>|!=|=|<|>)\s*")
_DEFAULT_ORDER = re.compile(r"\s+asc(?:\s+nulls\s+last)?(?=\s*(?:,|\)|$))")


@lru_cache(maxsize=8192)
def normalize_sql(text: str | None) -> str | None:
    """An SQL expression spelled one way: no PostgreSQL casts, no redundant parentheses,
    single spaces, lower case outside string literals (``(si * 2)`` → ``si * 2``)."""
    if text is None:
        return None
    result = _outside_quotes(text, lambda part: _PG_CAST.sub("", part))
    result = _outside_quotes(result, lambda part: re.sub(r"\s+", " ", part).lower())
    # ``id=1`` as written in a model, ``id = 1`` as PostgreSQL gives it back
    result = _outside_quotes(result, lambda part: _COMPARISON.sub(r" \1 ", part))
    # ascending is the default order of an index expression: PostgreSQL does not spell it
    result = _outside_quotes(result, lambda part: _DEFAULT_ORDER.sub("", part))
    previous = None
    while previous != result:
        previous = result
        result = _PARENTHESISED_ATOM.sub(r"\1", result)
    result = re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", result))
    return _strip_enclosing_parentheses(result.strip())


@lru_cache(maxsize=8192)
def normalize_server_default(text: str | None, kind: str) -> str | None:
    """A server default by meaning, given the column's type kind.

    ``now()``/``CURRENT_TIMESTAMP`` → ``CURRENT_TIMESTAMP``; ``'EUR'::character varying`` →
    ``'EUR'``; numbers in any quoting → their shortest decimal spelling (``'0.00'`` → ``0``);
    booleans (``0``, ``'f'``, ``false``) → ``false``/``true``.
    """
    if text is None:
        return None
    spelled = normalize_sql(text)
    assert spelled is not None
    if _CURRENT_TIMESTAMP.match(spelled):
        return "CURRENT_TIMESTAMP"
    if spelled in ("current_date", "current_time"):
        return spelled.upper()
    if kind == "boolean":
        if spelled in _TRUE_SPELLINGS:
            return "true"
        if spelled in _FALSE_SPELLINGS:
            return "false"
    if kind in _NUMERIC_KINDS:
        unquoted = spelled[1:-1] if spelled.startswith("'") and spelled.endswith("'") else spelled
        if _NUMBER.match(unquoted):
            return _shortest_number(unquoted)
    return spelled


def _shortest_number(text: str) -> str:
    from decimal import Decimal

    return format(Decimal(text).normalize(), "f")


# -- dialect keyword arguments ------------------------------------------------------------------------
#: ``dialect_options`` of an index or constraint: ``(keyword, canonical JSON text of its value)``
#: pairs sorted by keyword, so the owner stays frozen and hashable whatever the value is.
DialectOptions = tuple[tuple[str, str], ...]
_NO_OPTION = object()


def dialect_options(options: Mapping[str, Any]) -> DialectOptions:
    """Dialect keyword arguments (``postgresql_using="gin"``...) as snapshot data, by meaning.

    Values must be JSON-safe already (the sources turn columns into names and SQL into text). SQL
    (``*_where``) is normalised with :func:`normalize_sql`; a keyword at its default (``None``,
    ``postgresql_using="btree"``, an empty ``postgresql_include``, ``postgresql_nulls_not_distinct=False``)
    is left out, so a model that spells the default equals a database that reflects nothing.
    """
    found = []
    for key, value in options.items():
        canonical = _canonical_option(key, value)
        if canonical is not _NO_OPTION:
            found.append((key, json.dumps(canonical, sort_keys=True, default=str)))
    return tuple(sorted(found))


def _canonical_option(key: str, value: Any) -> Any:
    if value is None or (isinstance(value, list | tuple | dict) and not value):
        return _NO_OPTION
    if key.endswith("_where"):
        return normalize_sql(str(value))
    if key == "postgresql_using":
        return _NO_OPTION if str(value).lower() == "btree" else str(value).lower()
    if key == "postgresql_nulls_not_distinct":
        return True if value else _NO_OPTION
    if key == "postgresql_with":  # PostgreSQL reflects storage parameters as text
        return {str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return list(value)
    return value


def option_values(options: DialectOptions) -> dict[str, Any]:
    """``dialect_options`` back to keyword arguments (JSON values; SQL still text)."""
    return {key: json.loads(text) for key, text in options}


def options_of_dialect(options: DialectOptions, dialect: str) -> DialectOptions:
    """The options ``dialect`` reflects (see :data:`REFLECTED_DIALECT_OPTIONS`); none of another dialect."""
    kept = REFLECTED_DIALECT_OPTIONS.get(dialect, frozenset())
    return tuple(item for item in options if item[0] in kept)


def _fills_dict_directly(cls: type) -> type:
    """Give a frozen dataclass an ``__init__`` that fills the instance ``__dict__`` in place.

    The generated one sets each field through ``object.__setattr__`` (about twice the cost of a
    plain assignment); a snapshot builds one object per column and constraint, so this is a
    measurable share of parity and diff. Fields and defaults stay the dataclass's own; only
    classes without ``__post_init__``, ``slots`` or default factories use it.
    """
    names = [item.name for item in fields(cls)]
    defaults = {f"_default_{item.name}": item.default for item in fields(cls) if item.default is not MISSING}
    parameters = ", ".join(
        f"{name}=_default_{name}" if f"_default_{name}" in defaults else name for name in names
    )
    body = "".join(f"    values[{name!r}] = {name}\n" for name in names)
    namespace: dict[str, Any] = {}
    exec(f"def __init__(self, {parameters}):\n    values = self.__dict__\n{body}", defaults, namespace)
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[misc]
    return cls


# -- columns, constraints, tables ----------------------------------------------------------------
@_fills_dict_directly
@dataclass(frozen=True)
class IdentitySnapshot:
    """An ``IDENTITY`` column's generator (PostgreSQL defaults filled in: start 1, increment 1)."""

    always: bool = False
    start: int = 1
    increment: int = 1


@_fills_dict_directly
@dataclass(frozen=True)
class ComputedSnapshot:
    """A generated column: its expression (normalised) and whether it is stored."""

    sqltext: str
    persisted: bool | None = None


@_fills_dict_directly
@dataclass(frozen=True)
class ColumnSnapshot:
    """One column. ``server_default`` is normalised by meaning (see :func:`normalize_server_default`);
    ``autoincrement`` is true only for a sole integer primary key the database numbers itself."""

    name: str
    type: TypeSpec
    nullable: bool = True
    primary_key: bool = False
    server_default: str | None = None
    comment: str | None = None
    identity: IdentitySnapshot | None = None
    computed: ComputedSnapshot | None = None
    autoincrement: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type.to_dict(),
            "nullable": self.nullable,
            "primary_key": self.primary_key,
            "server_default": self.server_default,
            "comment": self.comment,
            "identity": as_plain_dict(self.identity),
            "computed": as_plain_dict(self.computed),
            "autoincrement": self.autoincrement,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ColumnSnapshot:
        identity, computed = data.get("identity"), data.get("computed")
        return interned_column(
            data["name"],
            TypeSpec.from_dict(data["type"]),
            bool(data.get("nullable", True)),
            bool(data.get("primary_key", False)),
            data.get("server_default"),
            data.get("comment"),
            IdentitySnapshot(**identity) if identity else None,
            ComputedSnapshot(**computed) if computed else None,
            bool(data.get("autoincrement", False)),
        )


#: A shared :class:`ColumnSnapshot` per distinct column, called with its fields positionally.
#: Most columns repeat across tables (audit columns, keys); one object each saves building them and
#: lets equal tuples of columns compare by identity first (what parity and diff do most). The cache
#: itself is the function (no wrapper): it runs once per column of every snapshot.
interned_column = lru_cache(maxsize=16384)(ColumnSnapshot)


@_fills_dict_directly
@dataclass(frozen=True)
class PrimaryKeySnapshot:
    """``dialect_options``: see :func:`dialect_options` (``sqlite_on_conflict``...)."""

    name: str | None
    columns: tuple[str, ...]
    dialect_options: DialectOptions = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PrimaryKeySnapshot:
        return _tupled(cls, data)  # type: ignore[no-any-return]


@_fills_dict_directly
@dataclass(frozen=True)
class ForeignKeySnapshot:
    """``ondelete``/``onupdate`` upper-cased; ``NO ACTION`` (the default) is ``None``."""

    name: str | None
    columns: tuple[str, ...]
    referred_table: str
    referred_columns: tuple[str, ...]
    ondelete: str | None = None
    onupdate: str | None = None

    @property
    def match_key(self) -> tuple[Any, ...]:
        return (self.columns, self.referred_table, self.referred_columns)


@_fills_dict_directly
@dataclass(frozen=True)
class UniqueSnapshot:
    """``dialect_options``: see :func:`dialect_options` (``postgresql_nulls_not_distinct``...)."""

    name: str | None
    columns: tuple[str, ...]
    dialect_options: DialectOptions = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> UniqueSnapshot:
        return _tupled(cls, data)  # type: ignore[no-any-return]

    @property
    def match_key(self) -> tuple[Any, ...]:
        return (self.columns,)


@_fills_dict_directly
@dataclass(frozen=True)
class CheckSnapshot:
    """A CHECK constraint; ``sqltext`` normalised with :func:`normalize_sql`."""

    name: str | None
    sqltext: str


@_fills_dict_directly
@dataclass(frozen=True)
class IndexSnapshot:
    """An index; an expression part of ``columns`` is its normalised SQL (``expressions`` marks it).

    ``dialect_options``: its dialect keyword arguments (``postgresql_using``, ``postgresql_where``,
    ``mysql_length``...; see :func:`dialect_options`), written to JSON only when there are some."""

    name: str | None
    columns: tuple[str, ...]
    unique: bool = False
    expressions: bool = False
    dialect_options: DialectOptions = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndexSnapshot:
        return _tupled(cls, data)  # type: ignore[no-any-return]

    @property
    def match_key(self) -> tuple[Any, ...]:
        return (self.columns,)


@_fills_dict_directly
@dataclass(frozen=True)
class TableSnapshot:
    """One table. ``model`` names the class that defines it (for messages; never a difference)."""

    name: str
    columns: tuple[ColumnSnapshot, ...]
    primary_key: PrimaryKeySnapshot | None = None
    foreign_keys: tuple[ForeignKeySnapshot, ...] = ()
    unique_constraints: tuple[UniqueSnapshot, ...] = ()
    check_constraints: tuple[CheckSnapshot, ...] = ()
    indexes: tuple[IndexSnapshot, ...] = ()
    comment: str | None = None
    migration_notes: str | dict[str, Any] | None = None
    model: str | None = None

    @cached_property
    def column_map(self) -> dict[str, ColumnSnapshot]:
        return {column.name: column for column in self.columns}

    @cached_property
    def column_positions(self) -> dict[str, int]:
        return {column.name: index for index, column in enumerate(self.columns)}

    @cached_property
    def schema_key(self) -> tuple[Any, ...]:
        """Everything a diff compares (not ``migration_notes`` or ``model``): equal keys, no changes."""
        return (
            self.columns,
            self.primary_key,
            self.foreign_keys,
            self.unique_constraints,
            self.check_constraints,
            self.indexes,
            self.comment,
        )

    @property
    def label(self) -> str:
        """``users (UserModel)`` when the model is known: what error messages call this table."""
        return f"{self.name} ({self.model})" if self.model else self.name

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "columns": [column.to_dict() for column in self.columns],
            "primary_key": as_plain_dict(self.primary_key),
            "foreign_keys": [as_plain_dict(item) for item in self.foreign_keys],
            "unique_constraints": [as_plain_dict(item) for item in self.unique_constraints],
            "check_constraints": [as_plain_dict(item) for item in self.check_constraints],
            "indexes": [as_plain_dict(item) for item in self.indexes],
            "comment": self.comment,
            "migration_notes": self.migration_notes,
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableSnapshot:
        pk = data.get("primary_key")
        return cls(
            name=data["name"],
            columns=tuple(ColumnSnapshot.from_dict(item) for item in data["columns"]),
            primary_key=_tupled(PrimaryKeySnapshot, pk) if pk else None,
            foreign_keys=tuple(_tupled(ForeignKeySnapshot, item) for item in data.get("foreign_keys", ())),
            unique_constraints=tuple(
                _tupled(UniqueSnapshot, item) for item in data.get("unique_constraints", ())
            ),
            check_constraints=tuple(CheckSnapshot(**item) for item in data.get("check_constraints", ())),
            indexes=tuple(_tupled(IndexSnapshot, item) for item in data.get("indexes", ())),
            comment=data.get("comment"),
            migration_notes=data.get("migration_notes"),
            model=data.get("model"),
        )


@dataclass(frozen=True)
class EnumSnapshot:
    """A named database enum type (PostgreSQL ``CREATE TYPE ... AS ENUM``); values in order."""

    name: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class Snapshot:
    """A whole schema. ``dialect`` is the database it was reflected from (``None`` for models)."""

    tables: tuple[TableSnapshot, ...]
    enums: tuple[EnumSnapshot, ...] = ()
    dialect: str | None = None
    format_version: int = FORMAT_VERSION

    @cached_property
    def table_map(self) -> dict[str, TableSnapshot]:
        return {table.name: table for table in self.tables}

    @cached_property
    def enum_map(self) -> dict[str, EnumSnapshot]:
        return {enum.name: enum for enum in self.enums}

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "dialect": self.dialect,
            "tables": [table.to_dict() for table in sorted(self.tables, key=lambda t: t.name)],
            "enums": [
                {"name": e.name, "values": list(e.values)} for e in sorted(self.enums, key=lambda e: e.name)
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Snapshot:
        return cls(
            tables=tuple(TableSnapshot.from_dict(item) for item in data["tables"]),
            enums=tuple(EnumSnapshot(item["name"], tuple(item["values"])) for item in data.get("enums", ())),
            dialect=data.get("dialect"),
            format_version=data["format_version"],
        )

    def unbuildable_foreign_keys(self) -> list[tuple[TableSnapshot, ForeignKeySnapshot]]:
        """Foreign keys no database can hold: the referred columns are neither the referred table's
        primary key nor unique (PostgreSQL refuses ``REFERENCES``, SQLite's ``foreign_key_check``
        reports a mismatch). Keys to a table no model defines are refused elsewhere, not listed here."""
        found = []
        for table in self.tables:
            for key in table.foreign_keys:
                referred = self.table_map.get(key.referred_table)
                if referred is not None and frozenset(key.referred_columns) not in _unique_column_sets(
                    referred
                ):
                    found.append((table, key))
        return found

    def without_unbuildable_foreign_keys(self) -> Snapshot:
        """This schema as a database can hold it: revisions leave such keys out (with a comment), and
        a diff never compares them, or it would report them missing after every upgrade."""
        unbuildable = self.unbuildable_foreign_keys()
        if not unbuildable:
            return self
        dropped = {(table.name, key) for table, key in unbuildable}
        tables = tuple(
            replace(
                table, foreign_keys=tuple(k for k in table.foreign_keys if (table.name, k) not in dropped)
            )
            for table in self.tables
        )
        return replace(self, tables=tables)

    def as_stored_by(self, dialect: str) -> Snapshot:
        """This schema as ``dialect`` keeps it, so a model snapshot compares with a reflected one.

        Every database: a column's type is its ``with_variant`` type for that database, if any;
        a non-native enum is a ``VARCHAR`` of the enum's length.
        Dialect options of indexes and constraints are only those ``dialect`` reflects
        (:data:`REFLECTED_DIALECT_OPTIONS`): ``mysql_length`` or ``postgresql_concurrently`` are no
        difference against PostgreSQL, ``postgresql_where`` none against SQLite.
        SQLite additionally keeps no comments, no native enums, no float precision, no time
        zones, no identity generators; stores ``Interval`` as ``DATETIME`` and ``Uuid`` as
        ``CHAR(32)`` (read back as ``uuid``); numbers every sole ``INTEGER`` primary key; and
        SQLAlchemy cannot reflect its expression indexes.
        """
        sqlite = dialect == SQLITE
        tables = tuple(_table_as_stored(table, dialect) for table in self.tables)
        return replace(self, tables=tables, enums=() if sqlite else self.enums)


def _unique_column_sets(table: TableSnapshot) -> set[frozenset[str]]:
    """Column sets a foreign key may refer to: the primary key, unique constraints, unique indexes."""
    sets = {frozenset(unique.columns) for unique in table.unique_constraints}
    sets.update(frozenset(index.columns) for index in table.indexes if index.unique and not index.expressions)
    if table.primary_key is not None:
        sets.add(frozenset(table.primary_key.columns))
    return sets


def _merged_uniques(table: TableSnapshot, pk_columns: tuple[str, ...]) -> tuple[UniqueSnapshot, ...]:
    """CREATE TABLE keeps one index per column list, on PostgreSQL and SQLite alike: a UNIQUE that
    repeats the primary key (mlflow's registered_models) or another UNIQUE (galaxy's dataset.uuid,
    unique twice) is merged into the first."""
    seen = {pk_columns}
    merged = []
    for unique in table.unique_constraints:
        if unique.columns not in seen:
            seen.add(unique.columns)
            merged.append(unique)
    return tuple(merged) if len(merged) != len(table.unique_constraints) else table.unique_constraints


def _table_as_stored(table: TableSnapshot, dialect: str) -> TableSnapshot:
    sqlite = dialect == SQLITE
    pk_columns = table.primary_key.columns if table.primary_key else ()
    columns = tuple(_column_as_stored(column, dialect, pk_columns) for column in table.columns)
    table = _options_as_stored(table, dialect)
    uniques = _merged_uniques(table, pk_columns)
    if not sqlite:
        return replace(table, columns=columns, unique_constraints=uniques)
    return replace(
        table,
        columns=columns,
        unique_constraints=uniques,
        comment=None,
        indexes=tuple(index for index in table.indexes if not index.expressions),
    )


def _options_as_stored(table: TableSnapshot, dialect: str) -> TableSnapshot:
    """Only the dialect options ``dialect`` reflects, on the primary key, unique constraints and indexes."""

    def kept(item: Any) -> Any:
        options = options_of_dialect(item.dialect_options, dialect)
        return item if options == item.dialect_options else replace(item, dialect_options=options)

    pk, uniques, indexes = table.primary_key, table.unique_constraints, table.indexes
    if not any(item.dialect_options for item in (pk, *uniques, *indexes) if item is not None):
        return table
    return replace(
        table,
        primary_key=kept(pk) if pk is not None else None,
        unique_constraints=tuple(kept(u) for u in uniques),
        indexes=tuple(kept(i) for i in indexes),
    )


def _column_as_stored(column: ColumnSnapshot, dialect: str, pk_columns: tuple[str, ...]) -> ColumnSnapshot:
    sqlite = dialect == SQLITE
    spec = _type_as_stored(column.type.for_dialect(dialect), sqlite)
    if not sqlite:
        return replace(column, type=spec) if spec != column.type else column
    rowid = pk_columns == (column.name,) and spec.kind == "integer"
    return replace(
        column,
        type=spec,
        comment=None,
        identity=None,
        autoincrement=column.autoincrement or rowid,
    )


def _type_as_stored(spec: TypeSpec, sqlite: bool) -> TypeSpec:
    if spec.kind == "enum" and (sqlite or not spec.native):
        return TypeSpec("string", length=spec.length)
    if not sqlite:
        return spec
    if spec.kind == "float":
        return TypeSpec("float")
    if spec.kind in ("datetime", "time"):
        return replace(spec, timezone=False)
    if spec.kind == "interval":
        return TypeSpec("datetime")
    if spec.kind == "string" and spec.fixed and spec.length == SQLITE_UUID_CHAR_LENGTH:
        return TypeSpec("uuid")
    return spec


def as_plain_dict(item: Any) -> Any:
    """A snapshot dataclass (constraint, index, identity...) as a JSON-ready dict; ``None`` stays.
    ``dialect_options`` is a dict of keyword → value, written only when there are some."""
    if item is None:
        return None
    data = {}
    for f in fields(item):
        value = getattr(item, f.name)
        if f.name == "dialect_options":
            if value:
                data[f.name] = option_values(value)
        else:
            data[f.name] = list(value) if isinstance(value, tuple) else value
    return data


def _tupled(cls: type, data: Mapping[str, Any]) -> Any:
    return cls(
        **{
            key: dialect_options(value)
            if key == "dialect_options"
            else tuple(value)
            if isinstance(value, list)
            else value
            for key, value in data.items()
        }
    )


__all__ = [
    "FORMAT_VERSION",
    "IGNORED_TABLES",
    "REFLECTED_DIALECT_OPTIONS",
    "TYPE_KINDS",
    "CheckSnapshot",
    "ColumnSnapshot",
    "ComputedSnapshot",
    "DialectOptions",
    "EnumSnapshot",
    "ForeignKeySnapshot",
    "IdentitySnapshot",
    "IndexSnapshot",
    "PrimaryKeySnapshot",
    "Snapshot",
    "TableSnapshot",
    "TypeKind",
    "TypeSpec",
    "UniqueSnapshot",
    "as_plain_dict",
    "dialect_options",
    "normalize_server_default",
    "normalize_sql",
    "option_values",
    "options_of_dialect",
    "type_spec",
]
