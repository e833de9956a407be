"""The one renderer: a :class:`~.plan.ModulePlan` → the source of a ``BLL_*`` module.

Everything before this point is values and expressions; here they become text, and the names
the text uses are added to the module's imports before the import block is written.
"""

from __future__ import annotations

import enum
import keyword
from collections.abc import Callable
from typing import Any

from dbkit.generate.options import DBColumn
from dbkit.migrate.codemod.scaffold.code import Call, Expr, Import, Imports, Name, Subscript, as_expr
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan, ModulePlan
from dbkit.migrate.codemod.scaffold.results import ScaffoldError

#: ``DBColumn``'s own field order: options are written in it, so the output is stable and familiar.
DBCOLUMN_ORDER = list(DBColumn.__dataclass_fields__)
ANNOTATED = Import("typing", "Annotated")
DBCOLUMN = Import("dbkit", "DBColumn")
FIELD = Import("pydantic", "Field")
APPLICATION_MODEL = Import("dbkit", "ApplicationModel")
DATABASE_MIXIN = Import("dbkit", "DatabaseMixin")


def render_module(module: ModulePlan, formatter: Callable[[str], str] | None) -> str:
    """Docstring, imports, enum classes, then models; formatted by ``formatter`` when given."""
    models = [render_model(plan, module.imports) for plan in module.models]
    enums = [render_enum(enum_class, name, module.imports) for enum_class, name in module.enums]
    imports = module.imports.render(local_modules=module.local_modules)
    body = "\n\n\n".join([*enums, *models])
    source = f'"""{module.docstring}"""\n\n{imports}\n\n\n{body}\n'
    return formatter(source) if formatter else source


def render_enum(enum_class: type[enum.Enum], name: str, imports: Imports) -> str:
    """The enum class, redefined with its members (the ``DB_*`` module defining it is deleted in Phase 3)."""
    if issubclass(enum_class, enum.IntEnum):
        bases = "enum.IntEnum"
    elif issubclass(enum_class, str):
        bases = "str, enum.Enum"
    elif issubclass(enum_class, int):
        bases = "int, enum.Enum"
    else:
        bases = "enum.Enum"
    imports.add(Import("enum"))
    lines = [f"class {name}({bases}):"]
    for member in enum_class:
        if not member.name.isidentifier() or keyword.iskeyword(member.name):
            raise ScaffoldError(
                f"Enum {enum_class.__qualname__} member {member.name!r} is not an identifier."
            )
        lines.append(f"    {member.name} = {member.value!r}")
    return "\n".join(lines)


def render_model(plan: ModelPlan, imports: Imports) -> str:
    """``class XModel(bases):`` with class variables, ``table_args`` and fields."""
    bases = [_use(imports, Name("ApplicationModel", APPLICATION_MODEL))] if plan.audit else []
    bases += reversed(plan.reference_bases)  # Pydantic puts the last base's fields first
    bases.append(_use(imports, Name("DatabaseMixin", DATABASE_MIXIN)))
    lines = [f"class {plan.name}({', '.join(_text(imports, base) for base in bases)}):"]
    body = _class_vars(plan)
    if plan.table_args:
        items = "".join(f"        {_text(imports, item)},\n" for item in plan.table_args)
        body.append(f"table_args: ClassVar[tuple] = (\n{items}    )")
    field_lines = []
    if plan.mixin_id and not plan.audit:
        field_lines.append(f'id: str = {imports.add(FIELD)}(description="Unique identifier")')
    field_lines += [render_field(item, imports) for item in plan.fields]
    if body and field_lines:
        body.append("")
    body += field_lines
    lines += [f"    {line}" if line else "" for line in body or ["pass"]]
    return "\n".join(lines)


def _class_vars(plan: ModelPlan) -> list[str]:
    """``table_name``, ``table_comment`` and ``audit_columns``, where dbkit's defaults differ."""
    lines = []
    if plan.table_name is not None:
        lines.append(f"table_name: ClassVar[str] = {plan.table_name!r}")
    if plan.table_comment:
        lines.append(f"table_comment: ClassVar[str] = {plan.table_comment!r}")
    if not plan.audit:
        lines.append("audit_columns: ClassVar[bool] = False")
    return lines


def render_field(field: FieldPlan, imports: Imports) -> str:
    """``name: Annotated[type, DBColumn(...)] = Field(...)``, each part only when it says something."""
    annotation = field.annotation
    if field.options:
        options = tuple(
            (key, as_expr(field.options[key])) for key in sorted(field.options, key=DBCOLUMN_ORDER.index)
        )
        annotation = Subscript(
            Name("Annotated", ANNOTATED), (annotation, Call(Name("DBColumn", DBCOLUMN), (), options))
        )
    declaration = f"{field.name}: {_text(imports, annotation)}"
    value = _field_value(field)
    return declaration if value is None else f"{declaration} = {_text(imports, value)}"


def _field_value(field: FieldPlan) -> Expr | None:
    """``= default``, or ``= Field(default, default_factory=..., description=..., <constraints>)``."""
    keywords: list[tuple[str, Any]] = []
    if field.default_factory is not None:
        keywords.append(("default_factory", field.default_factory))
    if field.description is not None:
        keywords.append(("description", field.description))
    keywords += field.constraints.items()
    if not keywords:
        return field.default
    args = () if field.default is None else (field.default,)
    return Call(Name("Field", FIELD), args, tuple((key, as_expr(value)) for key, value in keywords))


def _use(imports: Imports, expr: Expr) -> Expr:
    """``expr``, the imports its names need added to the module's (a hook may have built it)."""
    for origin in expr.origins():
        imports.add(origin)
    return expr


def _text(imports: Imports, expr: Expr) -> str:
    """``expr`` as source, its names' imports added to the module's."""
    return _use(imports, expr).render()
