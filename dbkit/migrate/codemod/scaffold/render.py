"""The one renderer: a :class:`~.plan.ModulePlan` → the source of a ``BLL_*`` module.

Everything before this point is values and expressions; here they become text. The module's
imports are exactly those of the expressions rendered (each name knows its import,
:meth:`~.code.Expr.origins`), gathered while rendering and written last: nothing planned but not
rendered is imported, and nothing rendered goes without its import.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from dbkit.generate.options import DBColumn
from dbkit.migrate.codemod.scaffold.code import (
    Attribute,
    Call,
    Expr,
    Import,
    Imports,
    Name,
    Subscript,
    as_expr,
    module_aliases,
)
from dbkit.migrate.codemod.scaffold.plan import FieldPlan, ModelPlan, ModulePlan

#: ``DBColumn``'s own field order: options are written in it, so the output is stable and familiar.
DBCOLUMN_ORDER = list(DBColumn.__dataclass_fields__)
ANNOTATED = Import("typing", "Annotated")
DBCOLUMN = Import("dbkit", "DBColumn")
FIELD = Import("pydantic", "Field")
APPLICATION_MODEL = Import("dbkit", "ApplicationModel")
DATABASE_MIXIN = Import("dbkit", "DatabaseMixin")
CLASS_VAR = Import("typing", "ClassVar")
ENUM = Import("enum")


def render_module(module: ModulePlan, formatter: Callable[[str], str] | None) -> str:
    """Docstring, imports, enum classes, then models; formatted by ``formatter`` when given.

    The import block is written last, from the names of what was rendered.
    """
    used, models, enums = _render_body(module)
    aliases = _aliases_for_shadowed_modules(module, used)
    if aliases:
        with module_aliases(aliases):
            used, models, enums = _render_body(module)
    imports = used.render(local_modules=module.local_modules)
    body = "\n\n\n".join([*enums, *models])
    source = f'"""{module.docstring}"""\n\n{imports}\n\n\n{body}\n'
    return formatter(source) if formatter else source


def _render_body(module: ModulePlan) -> tuple[Imports, list[str], list[str]]:
    used = Imports()
    models = [render_model(plan, used) for plan in module.models]
    enums = [render_enum(enum_class, name, members, used) for enum_class, name, members in module.enums]
    return used, models, enums


def _aliases_for_shadowed_modules(module: ModulePlan, used: Imports) -> dict[str, str]:
    """An alias for each imported module that a field of the module is named after."""
    fields = {item.name for plan in module.models for item in plan.fields}
    aliases: dict[str, str] = {}
    for imported, alias in used.modules.items():
        bound = alias or imported
        if bound in fields:
            renamed = f"{bound}_"
            while renamed in fields:
                renamed += "_"
            aliases[bound] = renamed
    return aliases


def render_enum(
    enum_class: type[enum.Enum], name: str, members: list[tuple[str, Expr]], imports: Imports
) -> str:
    """The enum class, redefined with its members (the ``DB_*`` module defining it is deleted in Phase 3)."""
    enum_module = Name("enum", ENUM)
    bases: list[Expr] = [Attribute(enum_module, "Enum")]
    if issubclass(enum_class, enum.IntFlag):
        bases = [Attribute(enum_module, "IntFlag")]
    elif issubclass(enum_class, enum.Flag):
        bases = [Attribute(enum_module, "Flag")]
    elif issubclass(enum_class, enum.IntEnum):
        bases = [Attribute(enum_module, "IntEnum")]
    elif issubclass(enum_class, str):
        bases.insert(0, Name("str"))
    elif issubclass(enum_class, int):
        bases.insert(0, Name("int"))
    lines = [f"class {name}({', '.join(_text(imports, base) for base in bases)}):"]
    lines += [f"    {member} = {_text(imports, value)}" for member, value in members]
    return "\n".join(lines)


def render_model(plan: ModelPlan, imports: Imports) -> str:
    """``class XModel(bases):`` with class variables, ``table_args`` and fields."""
    bases: list[Expr] = [Name("ApplicationModel", APPLICATION_MODEL)] if plan.audit else []
    bases += reversed(plan.reference_bases)  # Pydantic puts the last base's fields first
    bases.append(Name("DatabaseMixin", DATABASE_MIXIN))
    lines = [f"class {plan.name}({', '.join(_text(imports, base) for base in bases)}):"]
    body = _class_vars(plan, imports)
    if plan.table_args:
        items = "".join(f"        {_text(imports, item)},\n" for item in plan.table_args)
        body.append(f"table_args: {_text(imports, _class_var('tuple'))} = (\n{items}    )")
    if plan.declared_relationships:
        entries = "".join(
            f"        {name!r}: {_text(imports, spec)},\n"
            for name, spec in plan.declared_relationships.items()
        )
        body.append(f"db_relationships: {_text(imports, _class_var('dict'))} = {{\n{entries}    }}")
    field_lines = []
    if plan.mixin_id and not plan.audit:
        field_lines.append(
            f'id: str = {_text(imports, Name("Field", FIELD))}(description="Unique identifier")'
        )
    field_lines += [render_field(item, imports) for item in plan.fields]
    if body and field_lines:
        body.append("")
    body += field_lines
    lines += [f"    {line}" if line else "" for line in body or ["pass"]]
    return "\n".join(lines)


def _class_var(type_name: str) -> Expr:
    """``ClassVar[<type_name>]``."""
    return Subscript(Name("ClassVar", CLASS_VAR), (Name(type_name),))


def _class_vars(plan: ModelPlan, imports: Imports) -> list[str]:
    """``table_name``, ``table_comment`` and ``audit_columns``, where dbkit's defaults differ."""
    found: list[tuple[str, str, Any]] = []
    if plan.table_name is not None:
        found.append(("table_name", "str", plan.table_name))
    if plan.table_comment:
        found.append(("table_comment", "str", plan.table_comment))
    if not plan.audit:
        found.append(("audit_columns", "bool", False))
    return [
        f"{name}: {_text(imports, _class_var(type_name))} = {_text(imports, as_expr(value))}"
        for name, type_name, value in found
    ]


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
    """``expr``, the imports its names need added to the module's: the only place imports come from."""
    for origin in expr.origins():
        imports.add(origin)
    return expr


def _text(imports: Imports, expr: Expr) -> str:
    """``expr`` as source, its names' imports added to the module's."""
    return _use(imports, expr).render()
