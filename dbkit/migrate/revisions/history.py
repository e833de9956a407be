"""Reading a versions directory: the recorded revisions, their snapshots and content hashes."""

from __future__ import annotations

import ast
import hashlib
import json
import re
import traceback
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic.script import ScriptDirectory
from alembic.util import CommandError

from dbkit.errors import DbkitError

FROM_SNAPSHOT_NAME = "dbkit_from_snapshot"
TO_SNAPSHOT_NAME = "dbkit_to_snapshot"
CONTENT_HASH_NAME = "dbkit_content_hash"
_HASH_LINE = re.compile(rf'^{CONTENT_HASH_NAME} = "[^"\n]*"$', re.MULTILINE)

SnapshotText = str | dict[str, Any] | None


class RevisionError(DbkitError):
    """A revision cannot be written or read as asked; nothing was written."""


@dataclass(frozen=True)
class RecordedRevision:
    """One revision file as dbkit reads it (snapshots are ``None`` in revisions dbkit did not write)."""

    revision: str
    down_revision: str | None
    path: Path
    message: str
    from_snapshot: str | None
    to_snapshot: str | None
    #: ``True``/``False`` for dbkit-written files; ``None`` when the file has no hash.
    hash_matches: bool | None


@dataclass(frozen=True)
class RecordedHistory:
    revisions: tuple[RecordedRevision, ...] = ()  # base first
    heads: tuple[str, ...] = ()

    @property
    def head(self) -> RecordedRevision | None:
        if len(self.heads) != 1:
            return None
        return next(revision for revision in self.revisions if revision.revision == self.heads[0])

    @property
    def head_to_snapshot(self) -> str | None:
        head = self.head
        return head.to_snapshot if head else None

    @property
    def edited(self) -> tuple[RecordedRevision, ...]:
        return tuple(revision for revision in self.revisions if revision.hash_matches is False)


# -- reading ---------------------------------------------------------------------------------------
def script_directory(versions_dir: str | Path) -> ScriptDirectory:
    """Alembic's view of ``versions_dir`` (no env.py needed just to read revisions)."""

    versions = Path(versions_dir).resolve()
    return ScriptDirectory(str(versions.parent), version_locations=[str(versions)])


def read_history(
    versions_dir: str | Path | None = None, *, script: ScriptDirectory | None = None
) -> RecordedHistory:
    """Every revision in ``versions_dir`` (or Alembic's ``script``), base first, with what dbkit recorded."""

    if script is None:
        if versions_dir is None or not Path(versions_dir).is_dir():
            return RecordedHistory()
        script = script_directory(versions_dir)
    try:
        scripts = list(reversed(list(script.walk_revisions())))
        heads = tuple(script.get_heads())
    except CommandError as exc:
        raise RevisionError(f"Cannot read the revisions in {script.versions}: {exc}") from None
    except Exception as exc:  # a revision file whose own code fails to import (Alembic imports each one)
        culprit = _failing_revision_file(exc, Path(script.versions))
        raise RevisionError(
            f"Cannot read the revisions in {script.versions}: {culprit} does not import "
            f"({type(exc).__name__}: {getattr(exc, 'msg', None) or exc}). Fix or remove that file."
        ) from None
    return RecordedHistory(tuple(_recorded(item) for item in scripts), heads)


def _failing_revision_file(exc: BaseException, versions: Path) -> str:
    """The revision file (and line) whose import raised ``exc``: the innermost frame in ``versions``."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{Path(exc.filename).name}, line {exc.lineno}"
    inside = [
        (Path(frame.f_code.co_filename), line)
        for frame, line in traceback.walk_tb(exc.__traceback__)
        if Path(frame.f_code.co_filename).resolve().is_relative_to(versions.resolve())
    ]
    return f"{inside[-1][0].name}, line {inside[-1][1]}" if inside else "a revision file"


def _recorded(item: Any) -> RecordedRevision:
    path = Path(item.path)
    text = path.read_text(encoding="utf-8")
    constants = _module_constants(text, path)
    recorded_hash = constants.get(CONTENT_HASH_NAME)
    down = item.down_revision
    return RecordedRevision(
        revision=item.revision,
        down_revision=down if isinstance(down, str) or down is None else ",".join(down),
        path=path,
        message=(item.doc or "").strip(),
        from_snapshot=_snapshot_constant(constants.get(FROM_SNAPSHOT_NAME)),
        to_snapshot=_snapshot_constant(constants.get(TO_SNAPSHOT_NAME)),
        hash_matches=None if recorded_hash is None else recorded_hash == content_hash(text),
    )


def _module_constants(text: str, path: Path) -> dict[str, Any]:
    """The dbkit constants of a revision file, read without executing it."""
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise RevisionError(f"{path}, line {exc.lineno}: not valid Python ({exc.msg}).") from None
    wanted = {FROM_SNAPSHOT_NAME, TO_SNAPSHOT_NAME, CONTENT_HASH_NAME}
    constants: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in wanted:
                with suppress(ValueError):
                    constants[name] = ast.literal_eval(node.value)
    return constants


def _snapshot_constant(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) else None


def content_hash(text: str) -> str:
    """The hash recorded in a revision file: of its whole text with the hash value blanked."""
    blanked = _HASH_LINE.sub(f'{CONTENT_HASH_NAME} = ""', text)
    return "sha256:" + hashlib.sha256(blanked.encode("utf-8")).hexdigest()


def snapshots_equal(first: SnapshotText, second: SnapshotText) -> bool:
    """Same schema document, whatever the spelling (key order, whitespace, escapes)."""
    return _canonical(first) == _canonical(second)


def _canonical(snapshot: SnapshotText) -> str | None:
    if snapshot is None:
        return None
    document = json.loads(snapshot) if isinstance(snapshot, str) else snapshot
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def single_head(history: RecordedHistory, versions: Path) -> str | None:
    """The head revision (``None`` for an empty history); several heads are refused, never guessed."""
    if len(history.heads) > 1:
        raise RevisionError(
            f"{versions} has {len(history.heads)} heads ({', '.join(sorted(history.heads))}): "
            "merge them first (`alembic merge heads`), then write the revision."
        )
    return history.heads[0] if history.heads else None
