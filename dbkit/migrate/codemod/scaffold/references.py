"""The reference decisions: a ``ReferenceID`` base, ``DBColumn(references=...)`` or a plain foreign key.

dbkit generates a relationship (and its backref) for each ``references`` option. A foreign key
to a scaffolded model's single primary key, of the same type, becomes ``references`` with the
hand-written relationship's names; one that ``XModel.ReferenceID`` generates exactly (column,
comment, relationship and backref) becomes that base class. Anything else stays a plain
``foreign_key``, and a relationship dbkit will not generate is reported.

Relationship options (``cascade``, ``lazy``, ``order_by``...) ride along as ``relationship_options``
/ ``backref_options``; relationships no foreign-key field states (one-to-many declared on the
parent, many-to-many, adjacency lists) become the model's ``db_relationships``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from dbkit.generate.options import RELATIONSHIP_OPTIONS
from dbkit.manager import PK_COLUMN_TYPE
from dbkit.migrate.codemod.scaffold.code import Attribute, Call, Constant, Expr, Import, Name, as_expr
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
from dbkit.migrate.codemod.scaffold.relationships import (
    NotCarriedError,
    created_by_other_class,
    foreign_key_names,
    has_custom_join,
    needs_foreign_keys,
    relationship_options,
    remote_side_names,
    reverse_of,
)
from dbkit.migrate.codemod.scaffold.values import ModuleWriter
from dbkit.migrate.schema.from_models import foreign_key_target
from dbkit.naming import model_stem, reference_field_for

DB_RELATIONSHIP = Import("dbkit", "DBRelationship")


def target_of(constraint: sa.ForeignKeyConstraint) -> tuple[str, str]:
    """``(table, column)`` a single-column foreign key points to."""
    return foreign_key_target(constraint.elements[0])


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
        #: (table, relationship) over a foreign key left plain: declared in ``db_relationships`` instead.
        self.plain_key_relationships: set[tuple[str, str]] = set()

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
            and self._declared_with_backref(model, relationship.name)
            and not self._carried_options(model, relationship.name, None, backref=True)
            and not self._carried_options(model, relationship.name, None, backref=False)
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
            # a plain foreign key generates no relationship: it becomes one of ``db_relationships``
            self.plain_key_relationships.add((model.table.name, relationship.name))
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
        rel = _relationship(model, relationship.name) if relationship is not None else None
        if relationship is None or (rel is not None and created_by_other_class(rel)):
            # none, or a backref another class declares: that class's model declares it too, so each
            # class keeps what it declared through a gradual switch
            if default_name:
                field.options["relationship"] = False
            return
        if relationship.name != default_name:
            field.options["relationship"] = relationship.name
        self_reference = target_table == model.table.name
        # declared without backref= but with a reverse: each side declares itself (back_populates)
        paired = (
            rel is not None
            and rel.backref is None
            and reverse_of(rel) is not None
            and not self_reference
            and self._declarable(reverse_of(rel))
        )
        default_backref = "children" if self_reference and relationship.name == "parent" else model.table.name
        if paired:
            field.options["backref"] = False  # the other side declares itself: back_populates
        elif relationship.backref != default_backref:
            field.options["backref"] = relationship.backref if relationship.backref else False
        options = self._carried_options(model, relationship.name, column.name, backref=False)
        if paired:
            options["back_populates"] = relationship.backref
        if options:
            field.options["relationship_options"] = options
        if paired:
            return
        backref_options = self._carried_options(model, relationship.name, column.name, backref=True)
        if backref_options and relationship.backref:
            field.options["backref_options"] = backref_options
        dropped = sorted(set(relationship.backref_options) - set(RELATIONSHIP_OPTIONS))
        if dropped:
            self.problem(
                model.table,
                column.name,
                f"backref {relationship.backref!r} options {dropped} are not generated (ORM-level): set them "
                "on the generated class if the application relies on them.",
            )
        if relationship.backref:
            self.backrefs[(target_table, relationship.backref)] = f"{model.name}.{relationship.name}"

    def _declared_with_backref(self, model: ModelPlan, name: str) -> bool:
        """Whether the class itself declares ``name`` with ``backref=`` (what a ReferenceID generates)."""
        rel = _relationship(model, name)
        return rel is not None and rel.backref is not None

    def _carried_options(
        self, model: ModelPlan, name: str, column: str | None, *, backref: bool
    ) -> dict[str, Any]:
        """Options of the hand-written relationship ``name`` (or of its reverse, the backref) to carry;
        one with no dbkit spelling is reported for ``column`` (not when only asking, ``column=None``)."""
        rel = _relationship(model, name)
        if rel is not None and backref:
            rel = reverse_of(rel)
        if rel is None:
            return {}
        try:
            return relationship_options(rel)
        except NotCarriedError as exc:
            if column is not None:
                self.problem(
                    model.table, column, f"relationship {rel.key!r}: {exc}; set it on the generated class."
                )
            return {}

    # -- relationships no field states ----------------------------------------------------------------
    def report_uncovered(self, model: ModelPlan) -> None:
        """Relationships no scaffolded reference or backref generates become ``db_relationships``;
        one that dbkit cannot express (a custom join) is reported, as are ``@validates`` methods."""
        mapped = model.source.mapped_class
        if mapped is None:
            return
        covered_names = {
            info.name
            for info in model.relationships.values()
            if (model.table.name, info.name) not in self.plain_key_relationships
        }
        mapper = sa.inspect(mapped)
        for rel in relationships_of(mapped):
            if rel.parent is not mapper:
                continue  # inherited: the model of the class that declares it has it
            if rel.key in covered_names or (model.table.name, rel.key) in self.backrefs:
                continue
            if created_by_other_class(rel):
                continue  # the declaring class's model creates it (or, kept hand-written, that class)
            declared = self._declared_relationship(model, rel)
            if declared is not None:
                model.declared_relationships[rel.key] = declared
        validators = getattr(sa.inspect(mapped), "validators", {})
        if validators:
            self.problem(
                model.table,
                None,
                f"@validates methods {sorted(validators)} are not scaffolded: "
                "write them as Pydantic field validators on the model.",
            )

    def _declared_relationship(self, model: ModelPlan, rel: Any) -> Expr | None:
        """``DBRelationship(target, secondary=..., back_populates=..., <options>)``; None: reported."""
        mapped = model.source.mapped_class
        kind = "many-to-many" if rel.secondary is not None else rel.direction.name.lower()
        label = f"relationship {mapped.__name__}.{rel.key} ({kind} to {rel.mapper.class_.__name__})"
        if has_custom_join(rel):
            return self._not_generated(model, f"{label} has a custom primaryjoin/secondaryjoin")
        if rel.secondary is not None and rel.secondary.name not in self.plans:
            return self._not_generated(
                model, f"{label}: its association table {rel.secondary.name} is not scaffolded"
            )
        try:
            options = relationship_options(rel)
        except NotCarriedError as exc:
            return self._not_generated(model, f"{label}: {exc}")
        keywords: list[tuple[str, Expr]] = []
        if rel.secondary is not None:
            keywords.append(("secondary", Constant(rel.secondary.name)))
        reverse = reverse_of(rel)
        self_referential = rel.mapper.local_table is model.table
        if reverse is not None and rel.backref is not None and not self_referential:
            keywords.append(("backref", Constant(reverse.key)))
            try:
                backref_options = relationship_options(reverse)
            except NotCarriedError as exc:
                return self._not_generated(model, f"{label}: its backref {reverse.key}: {exc}")
            if backref_options:
                keywords.append(("backref_options", as_expr(backref_options)))
        elif reverse is not None and self._declarable(reverse):  # a partner not scaffolded cannot be named
            keywords.append(("back_populates", Constant(reverse.key)))
        if needs_foreign_keys(rel):
            keywords.append(("foreign_keys", as_expr(foreign_key_names(rel))))
        if self_referential:
            keywords.append(("remote_side", as_expr(remote_side_names(rel))))
        keywords += [(key, as_expr(value)) for key, value in options.items()]
        return Call(Name("DBRelationship", DB_RELATIONSHIP), (self._target(model, rel),), tuple(keywords))

    def _declarable(self, rel: Any) -> bool:
        """Whether scaffold declares ``rel`` on a model too (so a ``back_populates`` naming it resolves)."""
        if rel.mapper.local_table.name not in self.plans or rel.parent.local_table.name not in self.plans:
            return False
        if rel.parent.inherits is not None and rel.parent.inherits.local_table is rel.parent.local_table:
            return False
        if has_custom_join(rel) or (rel.secondary is not None and rel.secondary.name not in self.plans):
            return False
        try:
            relationship_options(rel)
        except NotCarriedError:
            return False
        return True

    def _target(self, model: ModelPlan, rel: Any) -> Expr:
        """The scaffolded model when defined before; else the class name the registry resolves."""
        table = rel.mapper.local_table.name
        target_plan = self.plans.get(table)
        if target_plan is None:
            self.problem(
                model.table,
                None,
                f"relationship {rel.key!r} targets {rel.mapper.class_.__name__}, which stays hand-written: the "
                "generated model names it, so generate on the application's base (DatabaseManager(url, base=Base)).",
            )
            return Constant(rel.mapper.class_.__name__)
        if table != model.table.name and self.defined_before(table, model):
            return self.model_reference(table, model)
        return Constant(model_stem(target_plan.name))

    def _not_generated(self, model: ModelPlan, why: str) -> None:
        self.problem(
            model.table,
            None,
            f"{why}, so it is not generated: declare it on the generated class (ORM-level only).",
        )
        return None


def _relationship(model: ModelPlan, name: str) -> Any | None:
    """The hand-written mapped class's relationship ``name``, configured; None without one."""
    mapped = model.source.mapped_class
    if mapped is None:
        return None
    return next((rel for rel in relationships_of(mapped) if rel.key == name), None)
