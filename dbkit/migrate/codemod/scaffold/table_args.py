"""The table-level decisions: constraints and indexes no field declares, and the table's dialect options.

Each becomes an item of the model's ``table_args``, naming the constraint only where dbkit's
naming convention would spell its name differently.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from dbkit.migrate.codemod.scaffold.code import Call, Constant, Expr
from dbkit.migrate.codemod.scaffold.column_types import Report
from dbkit.migrate.codemod.scaffold.facts import name_to_render, resolved_name, sql_text
from dbkit.migrate.codemod.scaffold.plan import ModelPlan
from dbkit.migrate.codemod.scaffold.values import ModuleWriter

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
        pk_name = (
            name_to_render(self.table.primary_key, self.table) if self.table.primary_key.columns else None
        )
        if pk_name is not None:
            found.append((PRIMARY_KEY, pk_name, self.constraint(self.table.primary_key)))
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

    def constraint(self, constraint: Any) -> Expr:
        """``sa.UniqueConstraint(...)``, ``sa.CheckConstraint(...)``, ``sa.ForeignKeyConstraint(...)``..."""
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
                [".".join(element.target_fullname.rsplit(".", 2)[-2:]) for element in constraint.elements],
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
        kwargs.update(constraint.dialect_kwargs)
        return self.writer.call(self.writer.sa(callee), args, kwargs)

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
        kwargs: dict[str, Any] = {"unique": True} if index.unique else {}
        kwargs.update(index.dialect_kwargs)
        keywords = tuple((key, self.writer.value(value)) for key, value in kwargs.items())
        return Call(self.writer.sa("Index"), (Constant(name), *expressions), keywords)

    def dialect_options(self) -> list[Expr]:
        """``{"postgresql_partition_by": ...}``: the table's dialect keyword arguments, as the last item."""
        extra = dict(self.table.dialect_kwargs.items())
        return [self.writer.mapping(dict(sorted(extra.items())))] if extra else []

    def report_schema(self) -> None:
        if self.table.schema:
            self.problem(
                self.table,
                None,
                f"schema {self.table.schema!r} has no model option: the table moves to the default schema.",
            )


def _order(item: tuple[int, str, Expr | None]) -> tuple[int, str, str]:
    """Kind, then name and columns, then the source itself: a total, stable order."""
    kind, key, expr = item
    return (kind, key, expr.render() if expr is not None else "")
