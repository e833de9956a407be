"""The table-level decisions: constraints and indexes no field declares, and the table's dialect options.

Each becomes an item of the model's ``table_args``, naming the constraint only where dbkit's
naming convention would spell its name differently. Dialect keyword arguments (``mysql_length``,
``postgresql_where``...) are kept on the table, its primary key, constraints and indexes, in their
order: a column of the table as its name, SQL as the option's own dialect spells it, anything else
as :meth:`.ModuleWriter.value` writes it; an option with no source is reported for its table and
left out, never failing the scaffold.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from dbkit.migrate.codemod.scaffold.code import Call, Constant, DictExpr, Expr, ListExpr, TupleExpr
from dbkit.migrate.codemod.scaffold.column_types import Report
from dbkit.migrate.codemod.scaffold.facts import name_to_render, named_dialect, resolved_name, sql_text
from dbkit.migrate.codemod.scaffold.plan import ModelPlan
from dbkit.migrate.codemod.scaffold.results import ScaffoldError
from dbkit.migrate.codemod.scaffold.values import ModuleWriter, describe
from dbkit.migrate.schema.from_models import foreign_key_target

#: Column-level dialect options a single-column primary key constraint says instead (SQLite reads either).
PRIMARY_KEY_COLUMN_OPTIONS = {"sqlite_on_conflict_primary_key": "sqlite_on_conflict"}
#: Where each kind of item goes in ``table_args``: primary key, unique, check, foreign key, index.
PRIMARY_KEY, UNIQUE, CHECK, FOREIGN_KEY, INDEX = range(5)
CONSTRAINT_ORDER: dict[type, int] = {
    sa.UniqueConstraint: UNIQUE,
    sa.CheckConstraint: CHECK,
    sa.ForeignKeyConstraint: FOREIGN_KEY,
}


def sort_key(item: Any) -> str:
    """Name, columns and SQL: a stable order among items of one kind."""
    name = resolved_name(item) or ""
    columns = [getattr(c, "name", str(c)) for c in getattr(item, "columns", [])]
    return f"{name}|{','.join(columns)}|{getattr(item, 'sqltext', '')}"


class TableArgsPlanner:
    """The ``table_args`` items of one model, and the problems of what they cannot say."""

    def __init__(self, model: ModelPlan, writer: ModuleWriter, problem: Report) -> None:
        self.model = model
        self.table = model.table
        self.writer = writer
        self.problem = problem

    def constraints_and_indexes(self) -> list[Expr | None]:
        """Constraints and indexes the fields do not declare, in a stable order; None: an index left out."""
        declared = {id(item) for level in self.model.column_level.values() for item in level.items()}
        found: list[tuple[int, str, Expr | None]] = []
        primary_key = self.primary_key()
        if primary_key is not None:
            found.append((PRIMARY_KEY, "", primary_key))
        for constraint in self.table.constraints:
            if id(constraint) in declared or isinstance(constraint, sa.PrimaryKeyConstraint):
                continue
            if getattr(constraint, "_type_bound", False):
                continue
            kind = next(
                (order for cls, order in CONSTRAINT_ORDER.items() if isinstance(constraint, cls)), None
            )
            if kind is None:
                self.problem(self.table, None, f"{type(constraint).__name__} is not scaffolded.")
                continue
            found.append((kind, sort_key(constraint), self.constraint(constraint)))
        found += self._column_checks()
        for index in self.table.indexes:
            if id(index) not in declared:
                found.append((INDEX, sort_key(index), self.index(index)))
        self._report_unnamed()
        return [expr for _, _, expr in sorted(found, key=_order)]

    def primary_key(self) -> Expr | None:
        """The primary key constraint, when it has a name dbkit would not give it or dialect options."""
        primary_key = self.table.primary_key
        if not primary_key.columns:
            return None
        moved = self._moved_column_options()
        if name_to_render(primary_key, self.table) is None and not primary_key.dialect_kwargs and not moved:
            return None
        return self.constraint(primary_key, moved)

    def _moved_column_options(self) -> dict[str, Any]:
        """Column options of a single-column primary key its constraint says (``sqlite_on_conflict``)."""
        primary_key = self.table.primary_key
        columns = list(primary_key.columns)
        if len(columns) != 1:
            return {}
        given, own = dict(columns[0].dialect_kwargs), dict(primary_key.dialect_kwargs)  # not the defaults
        return {
            option: given[column_option]
            for column_option, option in PRIMARY_KEY_COLUMN_OPTIONS.items()
            if column_option in given and option not in own
        }

    def report_column_options(self) -> None:
        """Column-level dialect options: DBColumn has none (those the primary key says are kept)."""
        moved = self._moved_column_options()
        for column in self.table.columns:
            for key, value in column.dialect_kwargs.items():
                if column.primary_key and PRIMARY_KEY_COLUMN_OPTIONS.get(key) in moved:
                    continue
                self.problem(
                    self.table,
                    column.name,
                    f"column option {key}={describe(value)} has no DBColumn equivalent and is not scaffolded: "
                    f"the {_dialect_name(column, key)} DDL of the generated table lacks it; set it by hand "
                    "if the application relies on it.",
                )

    def _column_checks(self) -> list[tuple[int, str, Expr | None]]:
        """Column-level CHECKs, declared at table level (DBColumn has no option for them)."""
        found: list[tuple[int, str, Expr | None]] = []
        for column in self.table.columns:
            for constraint in column.constraints:
                self.problem(
                    self.table,
                    column.name,
                    "a column-level CHECK is declared at table level in the generated model "
                    "(same meaning, the DDL spells it as a table constraint).",
                )
                found.append((CHECK, sort_key(constraint), self.constraint(constraint)))
        return found

    def _report_unnamed(self) -> None:
        if resolved_name(self.table.primary_key) is None and self.table.primary_key.columns:
            self.problem(
                self.table,
                None,
                "constraint names are left to the database here (no naming convention): the generated model "
                "names them by dbkit's convention (pk_/fk_/uq_/ix_/ck_), a cosmetic difference.",
            )

    def constraint(self, constraint: Any, extra_options: dict[str, Any] | None = None) -> Expr:
        """``sa.UniqueConstraint(...)``, ``sa.CheckConstraint(...)``, ``sa.ForeignKeyConstraint(...)``...

        ``extra_options``: dialect options the constraint says for its column (see :meth:`primary_key`).
        """
        name = name_to_render(constraint, self.table)
        kwargs: dict[str, Any] = {} if name is None else {"name": name}
        if isinstance(constraint, sa.CheckConstraint):
            if name is None and resolved_name(constraint) is not None:
                kwargs["name"] = resolved_name(constraint)
            args: list[Any] = [sql_text(constraint.sqltext)]
            callee = "CheckConstraint"
        elif isinstance(constraint, sa.ForeignKeyConstraint):
            args = [
                [element.parent.name for element in constraint.elements],
                [".".join(foreign_key_target(element)) for element in constraint.elements],
            ]
            for key in ("ondelete", "onupdate", "deferrable", "initially", "match"):
                if getattr(constraint, key, None) is not None:
                    kwargs[key] = getattr(constraint, key)
            if constraint.use_alter:
                kwargs["use_alter"] = True
            callee = "ForeignKeyConstraint"
        else:
            args = [column.name for column in constraint.columns]
            callee = type(constraint).__name__
            for key in ("deferrable", "initially"):
                if getattr(constraint, key, None) is not None:
                    kwargs[key] = getattr(constraint, key)
        call = self.writer.call(self.writer.sa(callee), args, kwargs)
        owner = _describe_item(constraint)
        options = self.options(
            owner, {**dict(constraint.dialect_kwargs), **(extra_options or {})}, constraint
        )
        return Call(call.func, call.args, call.kwargs + options)

    def index(self, index: sa.Index) -> Expr | None:
        """``sa.Index(name, "column", sa.text("lower(x)"), unique=True)``; None (reported) for no columns."""
        name = resolved_name(index)
        expressions: list[Expr] = []
        for expression in index.expressions:
            if isinstance(expression, sa.Column) and expression.table is self.table:
                expressions.append(Constant(expression.name))
            elif isinstance(expression, str):
                expressions.append(Constant(expression))
            else:
                expressions.append(Call(self.writer.sa("text"), (Constant(sql_text(expression)),)))
        if not expressions:
            self.problem(self.table, None, f"index {name!r} has no columns: left out.")
            return None
        keywords: tuple[tuple[str, Expr], ...] = (("unique", Constant(True)),) if index.unique else ()
        keywords += self.options(f"index {name!r}", dict(index.dialect_kwargs), index)
        return Call(self.writer.sa("Index"), (Constant(name), *expressions), keywords)

    def dialect_options(self) -> list[Expr]:
        """``{"postgresql_partition_by": ...}``: the table's dialect keyword arguments, as the last item.

        In the table's order: MySQL writes its table options (``ENGINE=... CHARSET=...``) in it.
        """
        options = self.options(None, dict(self.table.dialect_kwargs), self.table)
        return [DictExpr(tuple((Constant(key), value) for key, value in options))] if options else []

    # -- dialect options --------------------------------------------------------------------------
    def options(self, owner: str | None, options: dict[str, Any], item: Any) -> tuple[tuple[str, Expr], ...]:
        """``<dialect>_<option>`` keywords of ``item`` (``owner``: how a problem names it; None: the
        table) as expressions, in their order; one with no source is reported and left out."""
        found = []
        for key, value in options.items():
            dialect = _dialect_name(item, key)
            try:
                found.append((key, self.option_value(value, named_dialect(dialect))))
            except (ScaffoldError, sa.exc.SQLAlchemyError) as exc:
                where = f"{owner}: dialect option" if owner else "table option"
                self.problem(
                    self.table,
                    None,
                    f"{where} {key}={describe(value)} not scaffolded: {exc}. Add it by hand to the generated "
                    f"model's table_args (until then, the {dialect} DDL differs).",
                )
        return tuple(found)

    def option_value(self, value: Any, dialect: sa.Dialect | None) -> Expr:
        """A dialect option's value: a column of this table as its name (``postgresql_include``), SQL
        as ``dialect`` spells it (``sqlite_where``), containers item by item, others as values."""
        if isinstance(value, sa.Column) and value.table is self.table:
            return Constant(value.name)
        if isinstance(value, sa.sql.ClauseElement):
            return self.writer.sql(value, dialect)
        if type(value) in (list, tuple):
            items = tuple(self.option_value(item, dialect) for item in value)
            return ListExpr(items) if type(value) is list else TupleExpr(items)
        if type(value) is dict:
            return DictExpr(
                tuple(
                    (self.option_value(k, dialect), self.option_value(v, dialect)) for k, v in value.items()
                )
            )
        return self.writer.value(value)

    def report_schema(self) -> None:
        if self.table.schema:
            self.problem(
                self.table,
                None,
                f"schema {self.table.schema!r} has no model option: the table moves to the default schema.",
            )


def _dialect_name(item: Any, key: str) -> str:
    """The dialect of the keyword ``key`` of ``item`` (``postgresql`` for ``postgresql_where``)."""
    return next((name for name in item.dialect_options if key.startswith(f"{name}_")), key.split("_", 1)[0])


def _describe_item(item: Any) -> str:
    """``UniqueConstraint 'uq_x'``, or its columns when it has no name."""
    name = resolved_name(item)
    if name is not None:
        return f"{type(item).__name__} {name!r}"
    columns = ", ".join(getattr(column, "name", str(column)) for column in getattr(item, "columns", []))
    return f"{type(item).__name__} ({columns})"


def _order(item: tuple[int, str, Expr | None]) -> tuple[int, str, str]:
    """Kind, then name and columns, then the source itself: a total, stable order."""
    kind, key, expr = item
    return (kind, key, expr.render() if expr is not None else "")
