"""The reference decisions: a ``ReferenceID`` base, ``DBColumn(references=...)`` or a plain foreign key.

dbkit generates a relationship (and its backref) for each ``references`` option. A foreign key
to a scaffolded model's single primary key, of the same type, becomes ``references`` with the
hand-written relationship's names; one that ``XModel.ReferenceID`` generates exactly (column,
comment, relationship and backref) becomes that base class. Anything else stays a plain
``foreign_key``, and a relationship dbkit will not generate is reported.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from dbkit.manager import PK_COLUMN_TYPE
from dbkit.migrate.codemod.scaffold.code import Attribute, Expr, Import, Name
from dbkit.migrate.codemod.scaffold.column_types import Report
from dbkit.migrate.codemod.scaffold.facts import (
    RelationshipInfo,
    attribute_name,
    ddl_type,
    name_to_render,
    reference_description,
    relationships_of,
)
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan
from dbkit.migrate.codemod.scaffold.values import ModuleWriter
from dbkit.naming import reference_field_for


def target_of(constraint: sa.ForeignKeyConstraint) -> tuple[str, str]:
    """``(table, column)`` a single-column foreign key points to."""
    table, column = constraint.elements[0].target_fullname.rsplit(".", 2)[-2:]
    return table, column


class ReferencePlanner:
    """Reference decisions across models: which model is defined where, and the backrefs already taken."""

    def __init__(
        self,
        plans: dict[str, ModelPlan],
        table_order: list[str],
        module_order: list[str],
        writer: Callable[[str], ModuleWriter],
        problem: Report,
    ) -> None:
        self.plans = plans
        self.table_order = table_order
        self.module_order = module_order
        self.writer = writer
        self.problem = problem
        #: (target table, backref name) → the scaffolded relationship that creates it.
        self.backrefs: dict[tuple[str, str], str] = {}

    def defined_before(self, target: str, model: ModelPlan) -> bool:
        """Whether ``target``'s class exists at ``model`` (earlier in the module, or an earlier module)."""
        target_plan = self.plans[target]
        if target_plan.module == model.module:
            return self.table_order.index(target) < self.table_order.index(model.table.name)
        return self.module_order.index(target_plan.module) < self.module_order.index(model.module)

    def model_reference(self, target: str, model: ModelPlan) -> Name:
        """The target model's class in ``model``'s module, imported from its module if needed."""
        target_plan = self.plans[target]
        if target_plan.module != model.module:
            return self.writer(model.module).use(Import(target_plan.module, target_plan.name))
        return Name(target_plan.name)

    # -- a ReferenceID base -------------------------------------------------------------------------
    def reference_base(self, model: ModelPlan, column: sa.Column[Any]) -> Expr | None:
        """``XModel.ReferenceID`` (``.Optional``) when it generates exactly this column and relationship."""
        level = model.column_level.get(column.name)
        if level is None or not level.only_foreign_key:
            return None
        constraint = level.foreign_key
        assert constraint is not None
        target_table, target_column = target_of(constraint)
        target_plan = self.plans.get(target_table)
        if target_plan is None or target_table == model.table.name or not target_plan.mixin_id:
            return None
        if target_column != "id" or not self.defined_before(target_table, model):
            return None
        relationship = model.relationships.get(column.name)
        if not self._is_exact_reference(model, column, constraint, target_plan.name, relationship):
            return None
        assert relationship is not None
        self.backrefs[(target_table, model.table.name)] = f"{model.name}.{relationship.name}"
        base = Attribute(self.model_reference(target_table, model), "ReferenceID")
        return Attribute(base, "Optional") if column.nullable else base

    def _is_exact_reference(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        constraint: sa.ForeignKeyConstraint,
        target_name: str,
        relationship: RelationshipInfo | None,
    ) -> bool:
        """Whether ``<target_name>.ReferenceID`` generates this very column, constraint and relationship."""
        element = constraint.elements[0]
        expected_name = reference_field_for(target_name)
        default_backref = model.table.name
        return (
            column.name == expected_name
            and attribute_name(model.source.mapped_class, column) == expected_name
            and not column.primary_key
            and column.comment == reference_description(target_name)
            and ddl_type(column.type) == ddl_type(PK_COLUMN_TYPE)
            and column.server_default is None
            and column.default is None
            and column.onupdate is None
            and column.identity is None
            and column.computed is None
            and element.ondelete is None
            and element.onupdate is None
            and name_to_render(constraint, model.table) is None
            and relationship is not None
            and relationship.name == expected_name[: -len("_id")]
            and relationship.backref == default_backref
            and not relationship.backref_options
            and (target_of(constraint)[0], default_backref) not in self.backrefs
        )

    # -- DBColumn options -------------------------------------------------------------------------
    def plan_reference(self, model: ModelPlan, column: sa.Column[Any], field: FieldPlan) -> bool:
        """``references``/``foreign_key`` options of a one-column foreign key; True: typed by the target."""
        level = model.column_level.get(column.name)
        if level is None or level.foreign_key is None:
            return False
        constraint = level.foreign_key
        element = constraint.elements[0]
        target_table, target_column = target_of(constraint)
        relationship = model.relationships.get(column.name)
        reference = self._references(model, column, target_table, target_column)
        if reference is not None:
            field.options["references"] = reference
        else:
            field.options["foreign_key"] = f"{target_table}.{target_column}"
        for key in ("ondelete", "onupdate"):
            value = getattr(element, key)
            if value is not None:
                field.options[key] = value
        fk_name = name_to_render(constraint, model.table)
        if fk_name is not None:
            field.options["fk_name"] = fk_name
        if reference is not None:
            self.plan_relationship(model, column, field, target_table, relationship)
        elif relationship is not None:
            self._report_no_relationship(model, column, target_table, target_column, relationship)
        return reference is not None

    def _references(
        self, model: ModelPlan, column: sa.Column[Any], target_table: str, target_column: str
    ) -> Expr | str | None:
        """The target model (defined before) or table name (typed alike); None: a plain foreign key."""
        target_plan = self.plans.get(target_table)
        if target_plan is None or [c.name for c in target_plan.table.primary_key] != [target_column]:
            return None
        target_type = target_plan.table.c[target_column].type
        same_type = ddl_type(column.type) == ddl_type(target_type)
        if same_type and self.defined_before(target_table, model):
            return self.model_reference(target_table, model)
        if same_type and ddl_type(target_type) == ddl_type(PK_COLUMN_TYPE):
            return target_table if target_column == "id" else f"{target_table}.{target_column}"
        return None

    def _report_no_relationship(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        target_table: str,
        target_column: str,
        relationship: RelationshipInfo,
    ) -> None:
        why = (
            "a reference to a model not defined yet (a self-reference or a cycle) goes by table name, "
            "which dbkit types as a UUID"
            if target_table in self.plans
            else "it is not the single primary key of a scaffolded table of the same type"
        )
        self.problem(
            model.table,
            column.name,
            f"relationship {relationship.name!r} is not generated: the foreign key targets "
            f"{target_table}.{target_column} and {why}. Declare the relationship by hand.",
        )

    def plan_relationship(
        self,
        model: ModelPlan,
        column: sa.Column[Any],
        field: FieldPlan,
        target_table: str,
        relationship: RelationshipInfo | None,
    ) -> None:
        """``relationship``/``backref`` options where the hand-written names differ from dbkit's defaults."""
        default_name = field.name[: -len("_id")] if field.name.endswith("_id") else None
        if relationship is None:
            if default_name:
                field.options["relationship"] = False
            return
        if relationship.name != default_name:
            field.options["relationship"] = relationship.name
        self_reference = target_table == model.table.name
        default_backref = "children" if self_reference and relationship.name == "parent" else model.table.name
        if relationship.backref != default_backref:
            field.options["backref"] = relationship.backref if relationship.backref else False
        if relationship.backref_options:
            self.problem(
                model.table,
                column.name,
                f"backref {relationship.backref!r} options {list(relationship.backref_options)} are not "
                "generated (ORM-level): set them on the generated class if the application relies on them.",
            )
        if relationship.backref:
            self.backrefs[(target_table, relationship.backref)] = f"{model.name}.{relationship.name}"

    # -- what is left out ---------------------------------------------------------------------------
    def report_uncovered(self, model: ModelPlan) -> None:
        """Relationships no scaffolded reference or backref generates, and ``@validates`` methods."""
        mapped = model.source.mapped_class
        if mapped is None:
            return
        covered_names = {info.name for info in model.relationships.values()}
        for rel in relationships_of(mapped):
            if rel.key in covered_names or (model.table.name, rel.key) in self.backrefs:
                continue
            kind = "many-to-many" if rel.secondary is not None else rel.direction.name.lower()
            target = rel.mapper.class_.__name__
            self.problem(
                model.table,
                None,
                f"relationship {mapped.__name__}.{rel.key} ({kind} to {target}) is not generated: "
                "declare it on the generated class, or model it with a reference field (ORM-level only).",
            )
        validators = getattr(sa.inspect(mapped), "validators", {})
        if validators:
            self.problem(
                model.table,
                None,
                f"@validates methods {sorted(validators)} are not scaffolded: "
                "write them as Pydantic field validators on the model.",
            )
