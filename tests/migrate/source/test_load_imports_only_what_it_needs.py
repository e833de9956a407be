"""Reading a hand-written codebase imports only what reading it needs.

Each worker of ``dbkit diff`` starts from the command's imports and loads one codebase: Pydantic
(the model generator, 0.1 s) and SQLAlchemy's PostgreSQL dialect (0.1 s, asyncpg's module with it)
are only imported when the codebase has ``BLL_*.py`` models or a PostgreSQL type of its own. Checked
in a fresh interpreter, where nothing else has imported them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from codebases import write_codebase

PLAIN = """
    import sqlalchemy as sa
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        payload = mapped_column(sa.JSON, nullable=True)
        name: Mapped[str] = mapped_column(sa.String(40))
"""

WITH_JSONB = """
    import sqlalchemy as sa
    from sqlalchemy.dialects.postgresql import JSONB
    from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Document(Base):
        __tablename__ = "documents"
        id: Mapped[int] = mapped_column(primary_key=True)
        body = mapped_column(sa.JSON().with_variant(JSONB(), "postgresql"))
        meta = mapped_column(JSONB, nullable=True)
"""

PROBE = """
    import json, sys
    from dbkit.migrate import api
    from dbkit.migrate.schema.documents import dump_snapshot

    def kinds(path, table):
        snapshot = api.snapshot_of(path)
        dump_snapshot(snapshot)
        return {{c.name: c.type.kind for c in snapshot.table_map[table].columns}}

    plain = kinds({plain!r}, "things")
    imported = sorted(m for m in ("pydantic", "sqlalchemy.dialects.postgresql") if m in sys.modules)
    print(json.dumps({{"plain": plain, "imported": imported, "jsonb": kinds({jsonb!r}, "documents")}}))
"""


def test_a_hand_written_codebase_loads_without_pydantic_or_the_postgresql_dialect(tmp_path: Path) -> None:
    plain = write_codebase(tmp_path / "plain", {"DB_Things.py": PLAIN})
    jsonb = write_codebase(tmp_path / "jsonb", {"DB_Documents.py": WITH_JSONB})
    script = textwrap.dedent(PROBE).format(plain=str(plain), jsonb=str(jsonb))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["imported"] == []
    assert seen["plain"] == {"id": "integer", "payload": "json", "name": "string"}
    # a codebase that imports the dialect itself still has its JSONB columns read as JSONB
    assert seen["jsonb"]["meta"] == "jsonb"
    assert seen["jsonb"]["id"] == "integer"
