"""The relationship contract: what the application's mapped classes promise, ORM-wise, and its proof on rows.

Derived from the hand-written models (before a switch) or from whatever maps the tables now:
every mapped class, every relationship in both directions, its cardinality and cascade. Parity's
``orm`` level compares two classes by :func:`relationship_shape`, so a switch that would lose a
relationship, a backref or an option is visible before it happens.
"""

from __future__ import annotations

import sqlite3
import tempfile
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import RelationshipDirection, Session

from dbkit.errors import DbkitError
from dbkit.manager import normalize_url

#: The cascade SQLAlchemy applies when none is given.
DEFAULT_CASCADE = ("merge", "save-update")


def relationship_shape(rel: Any) -> dict[str, Any]:
    """One relationship as plain values: target table, cardinality, association table, options.

    Remote columns are part of the shape only for a self-referential relationship (elsewhere they
    follow from the foreign keys); ``order_by`` is given as ``table.column [desc]``.
    """
    self_referential = rel.mapper.local_table is rel.parent.local_table
    return {
        "target": rel.mapper.local_table.name,
        "direction": rel.direction.name.lower(),
        "uselist": bool(rel.uselist),
        "secondary": rel.secondary.name if rel.secondary is not None else None,
        "cascade": sorted(rel.cascade),
        "passive_deletes": rel.passive_deletes,
        "lazy": rel.lazy,
        "viewonly": bool(rel.viewonly),
        "order_by": _order_by(rel),
        "remote_side": sorted(c.name for c in rel.remote_side) if self_referential else None,
        "back_populates": _reverse_key(rel),
    }


def relationship_shapes(mapped_class: type) -> dict[str, dict[str, Any]]:
    """Relationship name → shape, backrefs included (the class's registry is configured first)."""
    mapper = sa.inspect(mapped_class)
    mapper.registry.configure()
    return {name: relationship_shape(rel) for name, rel in sorted(mapper.relationships.items())}


#: Rows read per class when the contract is exercised (ordered by primary key: the same rows each run).
SAMPLE_ROWS = 25


class ContractError(DbkitError):
    """The contract cannot be run (no scratch copy of the database can be made)."""


@dataclass(frozen=True)
class RelationshipContract:
    """Every mapped class (by table) and every relationship (``table.attribute``) with its shape."""

    classes: dict[str, str]
    relationships: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"classes": self.classes, "relationships": self.relationships}


@dataclass
class ContractRun:
    """The contract exercised on rows: related rows reached per relationship, and what broke."""

    links: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)


def derive_contract(classes: Iterable[type]) -> RelationshipContract:
    """The contract of mapped classes: what the application's code may rely on, ORM-wise."""
    mapped = {}
    relationships = {}
    for cls in classes:
        table = sa.inspect(cls).local_table.name
        mapped[table] = cls.__name__
        for name, shape in relationship_shapes(cls).items():
            relationships[f"{table}.{name}"] = shape
    return RelationshipContract(dict(sorted(mapped.items())), dict(sorted(relationships.items())))


def application_classes(roots: Iterable[type]) -> list[type]:
    """Every root class mapped in the registries of ``roots`` (hand-written and, on an adopted base,
    generated): what the application maps, whichever kind maps each table."""
    registries = {id(sa.inspect(cls).registry): sa.inspect(cls).registry for cls in roots}
    found: dict[str, type] = {}
    for registry in registries.values():
        for mapper in registry.mappers:
            inherits = mapper.inherits
            if not isinstance(mapper.local_table, sa.Table):
                continue
            if inherits is not None and inherits.local_table is mapper.local_table:
                continue
            found.setdefault(mapper.local_table.name, mapper.class_)
    return [found[name] for name in sorted(found)]


def exercise(classes: Iterable[type], url: str, sample: int = SAMPLE_ROWS) -> ContractRun:
    """Load each class's first ``sample`` rows and follow every relationship, both ways.

    Read-only, in a transaction rolled back at the end. A relationship is kept when each related row
    it reaches names the row back through the reverse relationship (``document.owner`` is a user
    whose ``documents`` holds that document), and a scalar one never holds a list.
    """
    engine = sa.create_engine(normalize_url(url))
    run = ContractRun()
    try:
        with Session(engine) as session:
            for cls in classes:
                _exercise_class(session, cls, sample, run)
            session.rollback()
    finally:
        engine.dispose()
    run.links = dict(sorted(run.links.items()))
    return run


def _exercise_class(session: Session, cls: type, sample: int, run: ContractRun) -> None:
    mapper = sa.inspect(cls)
    table = mapper.local_table.name
    order = list(mapper.primary_key)
    rows = session.scalars(sa.select(cls).order_by(*order).limit(sample)).all()
    for name, rel in sorted(mapper.relationships.items()):
        key = f"{table}.{name}"
        reverse = sorted(((r.key, r.uselist) for r in getattr(rel, "_reverse_property", ())), key=str)
        count = 0
        for row in rows:
            value = getattr(row, name)
            related = list(value) if rel.uselist else ([] if value is None else [value])
            if not rel.uselist and isinstance(value, list):
                run.violations.append(f"{key}: a scalar relationship holds a list")
            count += len(related)
            for other in related:
                for back, back_uselist in reverse:
                    if not _leads_back(getattr(other, back), row, back_uselist):
                        run.violations.append(
                            f"{key}: {rel.mapper.local_table.name}.{back} of a related row does not lead back"
                        )
        run.links[key] = count


def _leads_back(value: Any, row: Any, uselist: bool) -> bool:
    """Whether the reverse side's ``value`` holds ``row`` (a collection, or the object itself)."""
    if uselist:
        return value is not None and any(item is row for item in value)
    return value is row


def broken_promises(
    before: RelationshipContract,
    after: RelationshipContract,
    rows_before: ContractRun,
    rows_after: ContractRun,
) -> list[str]:
    """What the application relied on before and no longer gets after: a class, a relationship, its
    shape, or the rows it reaches."""
    broken = [
        f"table {t}: mapped by {c} before, by nothing after"
        for t, c in before.classes.items()
        if t not in after.classes
    ]
    for key, shape in before.relationships.items():
        other = after.relationships.get(key)
        if other is None:
            broken.append(f"{key} ({cardinality(shape)} to {shape['target']}) is gone")
            continue
        parts = [part for part in shape if shape[part] != other[part]]
        if parts:
            broken.append(
                f"{key}: " + ", ".join(f"{part} {shape[part]!r} became {other[part]!r}" for part in parts)
            )
    for key, count in rows_before.links.items():
        after_count = rows_after.links.get(key)
        if after_count is not None and after_count != count:
            broken.append(f"{key}: reached {count} related rows before, {after_count} after")
    broken.extend(f"after: {violation}" for violation in dict.fromkeys(rows_after.violations))
    return broken


@contextmanager
def scratch_copy(url: str) -> Iterator[str]:
    """A throwaway copy of the database at ``url`` (SQLite: a file copy; PostgreSQL: ``CREATE
    DATABASE ... TEMPLATE``), dropped afterwards: the contract never runs against the original."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() == "sqlite":
        with _sqlite_copy(parsed.database) as scratch_url:
            yield scratch_url
        return
    if parsed.get_backend_name() != "postgresql":
        raise ContractError(
            f"the relationship contract runs on SQLite and PostgreSQL, not {parsed.get_backend_name()}."
        )
    name = f"dbkit_contract_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    quote = admin.dialect.identifier_preparer.quote
    try:
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"CREATE DATABASE {quote(name)} TEMPLATE {quote(parsed.database)}")
        except sa.exc.DBAPIError as exc:
            raise ContractError(
                f"cannot copy {parsed.database} for the relationship contract: {str(exc.orig).strip()}. "
                "PostgreSQL copies a database only while nobody else is connected to it: give the URL of a copy."
            ) from None
        try:
            yield parsed.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {quote(name)} WITH (FORCE)")
    finally:
        admin.dispose()


@contextmanager
def _sqlite_copy(database: str | None) -> Iterator[str]:
    source_path = Path(database or "")
    if not database or database == ":memory:" or not source_path.is_file():
        raise ContractError(
            f"SQLite database {database!r} is not a file; give the database the application uses."
        )
    with tempfile.TemporaryDirectory(prefix="dbkit-contract-") as directory:
        scratch = Path(directory) / "scratch.sqlite3"
        source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)  # read-only: never writes it
        target = sqlite3.connect(scratch)
        try:
            source.backup(target)
        finally:
            target.close()
            source.close()
        yield f"sqlite:///{scratch}"


def backrefs_declared_elsewhere(mapped_class: type) -> set[str]:
    """Relationships of ``mapped_class`` that another class creates with ``backref=`` (``User.documents``
    from ``Document.owner``): they follow that class, not this one, through a switch."""
    names = set()
    for rel in sa.inspect(mapped_class).relationships:
        for reverse in getattr(rel, "_reverse_property", ()):
            backref = reverse.backref[0] if isinstance(reverse.backref, tuple) else reverse.backref
            if reverse.parent.class_ is not mapped_class and backref == rel.key:
                names.add(rel.key)
    return names


def cardinality(shape: dict[str, Any]) -> str:
    """``many-to-one``, ``one-to-many``, ``one-to-one`` or ``many-to-many``."""
    direction = shape["direction"]
    if direction == RelationshipDirection.MANYTOMANY.name.lower():
        return "many-to-many"
    if not shape["uselist"]:
        return "many-to-one" if direction == "manytoone" else "one-to-one"
    return "one-to-many"


def _order_by(rel: Any) -> list[str] | None:
    if not rel.order_by:
        return None
    described = []
    for element in rel.order_by:
        column = getattr(element, "element", element)
        name = f"{getattr(getattr(column, 'table', None), 'name', '?')}.{getattr(column, 'name', column)}"
        modifier = getattr(getattr(element, "modifier", None), "__name__", "")
        described.append(f"{name} desc" if modifier.startswith("desc") else name)
    return described


def _reverse_key(rel: Any) -> str | None:
    reverse = sorted(r.key for r in getattr(rel, "_reverse_property", ()))
    return reverse[0] if reverse else None
