"""Small facts about a module's source that every codemod needs when it inserts lines."""

from __future__ import annotations

import ast


def after_docstring(tree: ast.Module) -> int:
    """The line after the module's docstring (0 without one): where a first import may go."""
    first = tree.body[0] if tree.body else None
    if (
        isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
    ):
        return first.end_lineno or 0
    return 0
