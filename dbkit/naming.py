"""Names: table names from model classes, and constraint names that are equal on every backend.

One module owns every naming rule so generated models, hand-written models on a dbkit
``Base`` and the migration engine agree on the same spelling.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Any

#: PostgreSQL truncates identifiers to 63 bytes; the strictest backend sets the limit for all.
MAX_IDENTIFIER_BYTES = 63

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(name: str) -> str:
    """``UserTeam`` → ``user_team``; ``HTTPLog`` → ``http_log``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def model_stem(class_name: str) -> str:
    """The entity name of a model class: ``UserTeamModel`` → ``UserTeam``."""
    if class_name.endswith("Model") and class_name != "Model":
        return class_name[: -len("Model")]
    return class_name


@lru_cache(maxsize=4096)
def pluralize_word(word: str) -> str:
    """Plural of one lower-case word (``person`` → ``people``; ``metadata`` and ``news`` stay).

    ``inflection`` (the Rails inflector) imports in under a millisecond; ``inflect`` 7 takes over a
    second, which a command that must answer fast cannot afford.
    """
    import inflection

    return inflection.pluralize(word)


def table_name_for(class_name: str) -> str:
    """``UserModel`` → ``users``, ``UserTeamModel`` → ``user_teams``, ``MetadataModel`` → ``metadata``."""
    words = snake_case(model_stem(class_name)).split("_")
    words[-1] = pluralize_word(words[-1])
    return "_".join(words)


def reference_field_for(class_name: str) -> str:
    """The foreign-key field a reference to a model gets: ``UserTeamModel`` → ``user_team_id``."""
    return f"{snake_case(model_stem(class_name))}_id"


def shorten_identifier(name: str, limit: int = MAX_IDENTIFIER_BYTES) -> str:
    """Fit ``name`` in ``limit`` UTF-8 bytes, deterministically: a cut prefix plus a hash suffix.

    Two long names that share a prefix still differ, because the suffix hashes the whole name.
    """
    encoded = name.encode("utf-8")
    if len(encoded) <= limit:
        return name
    suffix = "_" + hashlib.sha1(encoded).hexdigest()[:8]
    prefix = encoded[: limit - len(suffix)].decode("utf-8", errors="ignore")
    return prefix + suffix


def _column_names(constraint: Any) -> list[str]:
    columns = getattr(constraint, "columns", None)
    names = [column.name for column in columns] if columns is not None else []
    if not names and hasattr(constraint, "expressions"):  # an Index on expressions
        names = [getattr(expr, "name", None) or "expr" for expr in constraint.expressions]
    return names


def _constraint_name(prefix: str, constraint: Any, table: Any) -> str:
    return shorten_identifier("_".join([prefix, table.name, *_column_names(constraint)]))


def _check_name(constraint: Any, table: Any) -> str:
    """An unnamed CHECK has no columns to name it by: hash its SQL text so the name is stable."""
    digest = hashlib.sha1(str(constraint.sqltext).encode("utf-8")).hexdigest()[:8]
    return shorten_identifier(f"ck_{table.name}_{digest}")


def naming_convention() -> dict[str, Any]:
    """The ``MetaData.naming_convention`` of every dbkit ``Base``.

    Names are computed in full by dbkit (not truncated per dialect by SQLAlchemy), so they
    are the same on SQLite and PostgreSQL. No template uses ``%(constraint_name)s``, so an
    explicit name the user gave is kept as written.
    """
    return {
        "dbkit_ix": lambda c, t: _constraint_name("ix", c, t),
        "dbkit_uq": lambda c, t: _constraint_name("uq", c, t),
        "dbkit_fk": lambda c, t: _constraint_name("fk", c, t),
        "dbkit_pk": lambda c, t: shorten_identifier(f"pk_{t.name}"),
        "dbkit_ck": _check_name,
        "ix": "%(dbkit_ix)s",
        "uq": "%(dbkit_uq)s",
        "fk": "%(dbkit_fk)s",
        "pk": "%(dbkit_pk)s",
        "ck": "%(dbkit_ck)s",
    }
