"""Column types of the library codebase: a module that stays after Phase 3 (not a DB_* file).

Each is a real-world shape whose instance attributes do not say how to construct it again.
"""

import sqlalchemy as sa
from sqlalchemy.types import UserDefinedType


class UTCDateTime(sa.types.TypeDecorator):
    """As zenml's (sqlmodel's): stores ``DateTime(timezone=True)``, but ``__init__`` takes no argument."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def __init__(self) -> None:
        super().__init__()


class PydanticJSON(sa.types.TypeDecorator):
    """As prefect's ``Pydantic`` (stored as text here): a required positional argument the instance does
    not keep by name."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, pydantic_type: type, sa_column_type: sa.types.TypeEngine | None = None) -> None:
        super().__init__()
        self._pydantic_type = pydantic_type


class Code(sa.types.TypeDecorator):
    """A decorator whose constructor call scaffold writes rebuilds it: kept as is."""

    impl = sa.CHAR
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return value.upper() if value is not None else None


class Vector(UserDefinedType):
    """A type of its own (no ``impl`` to fall back to) whose constructor argument is kept under another name."""

    cache_ok = True

    def __init__(self, dim: int) -> None:
        self.dimensions = dim

    def get_col_spec(self, **kw: object) -> str:
        return f"VECTOR({self.dimensions})"
