"""Scaffold keeps ``sqlalchemy.ext.mutable`` tracking: in-place changes of a JSON field are still saved.

A hand-written ``MutableDict.as_mutable(JSON)`` column marks its row dirty on ``obj.data[k] = v``.
A generated class whose column is plain ``JSON`` silently drops such changes at commit. Scaffold
writes ``sa_type=MutableDict.as_mutable(...)`` around the column's type, and the generated class is
exercised here: the change survives a commit. A tracker the generated module cannot import (a
subclass defined in the ``DB_*`` module Phase 3 deletes) is reported instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from codebases import write_codebase
from sqlalchemy.orm import Session
from test_scaffold import load_generated

from dbkit import DatabaseManager, ModelRegistry
from dbkit.migrate import api
from dbkit.migrate.codemod.scaffold import scaffold_codebase

NOTE_TYPES = '''
import json

import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableDict


class JSONEncodedDict(sa.types.TypeDecorator):
    """SQLAlchemy's recipe: a dict stored as JSON text."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else json.dumps(value)

    def process_result_value(self, value, dialect) -> dict:
        return None if value is None else json.loads(value)


class TrackedJSON(JSONEncodedDict):
    """Tracked by its class: every column of this type is a MutableDict."""

    cache_ok = True


MutableDict.associate_with(TrackedJSON)
'''

DB_NOTES = """
import sqlalchemy as sa
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.orm import DeclarativeBase

from note_types import JSONEncodedDict, TrackedJSON


class Base(DeclarativeBase):
    pass


class TrackedDict(MutableDict):
    pass


class Note(Base):
    __tablename__ = "notes"
    id = sa.Column(sa.Integer, primary_key=True)
    data = sa.Column(MutableDict.as_mutable(sa.JSON), nullable=False)
    tags = sa.Column(MutableList.as_mutable(sa.JSON()), nullable=False)
    encoded = sa.Column(MutableDict.as_mutable(JSONEncodedDict), nullable=False)
    local = sa.Column(TrackedDict.as_mutable(sa.JSON), nullable=False)
    plain = sa.Column(sa.JSON, nullable=True)
    by_class = sa.Column(TrackedJSON(), nullable=False)
"""


def scaffolded(tmp_path: Path) -> tuple[Any, list[Any], str]:
    directory = write_codebase(tmp_path / "notes", {"note_types.py": NOTE_TYPES, "DB_Notes.py": DB_NOTES})
    result = scaffold_codebase(directory)
    result.write(directory)
    assert not api.parity(directory).has_schema_differences
    (module,) = load_generated(directory, ["BLL_Notes"]).values()
    return module.NoteModel, result.problems, result.modules["BLL_Notes"]


def test_in_place_changes_of_a_tracked_json_field_are_saved_by_the_generated_class(tmp_path: Path) -> None:
    model, _, source = scaffolded(tmp_path)
    manager = DatabaseManager("sqlite://")  # its own registry: the default one keeps no "notes" table
    (note_class,) = ModelRegistry(manager, [model]).generate().values()
    assert "DBColumn(sa_type=MutableDict.as_mutable(sa.JSON()))" in source, source
    assert "DBColumn(sa_type=MutableList.as_mutable(sa.JSON()))" in source
    assert "DBColumn(sa_type=MutableDict.as_mutable(JSONEncodedDict()))" in source
    assert "from sqlalchemy.ext.mutable import MutableDict, MutableList" in source
    # tracked through its class (associate_with): the type itself carries the tracking
    assert "    by_class: Annotated[dict[str, Any], DBColumn(sa_type=TrackedJSON())]\n" in source
    engine = sa.create_engine("sqlite://")
    note_class.metadata.create_all(engine)
    values = {
        "data": {"a": 1},
        "tags": ["x"],
        "encoded": {"n": 1},
        "local": {},
        "plain": {"p": 1},
        "by_class": {},
    }
    with Session(engine) as session:
        session.add(note_class(id=1, **values))
        session.commit()
        note = session.get(note_class, 1)
        note.data["b"] = 2
        note.tags.append("y")
        note.encoded["n"] = 2
        note.plain["p"] = 2  # untracked, as in the hand-written class: not saved
        note.by_class["c"] = 1
        session.commit()
    with Session(engine) as session:
        note = session.get(note_class, 1)
        assert (note.data, note.tags, note.encoded, note.plain) == (
            {"a": 1, "b": 2},
            ["x", "y"],
            {"n": 2},
            {"p": 1},
        )
        assert note.by_class == {"c": 1}
    engine.dispose()


def test_a_tracker_the_generated_module_cannot_import_is_reported(tmp_path: Path) -> None:
    _, problems, source = scaffolded(tmp_path)
    lost = [problem for problem in problems if "mutation tracking lost" in problem.message]
    assert [problem.column for problem in lost] == ["local"]
    assert "TrackedDict (defined in DB_Notes)" in lost[0].message
    assert "    local: dict[str, Any]\n" in source, source
