"""Snapshot documents: deterministic, versioned JSON (schema: ``snapshot.schema.json`` beside this module).

Loading and dumping never import SQLAlchemy, so ``dbkit diff a.json b.json`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dbkit.errors import DbkitError
from dbkit.migrate.schema.snapshot import (
    FORMAT_VERSION,
    Snapshot,
)

if TYPE_CHECKING:
    pass


#: The published JSON schema of the snapshot format.
SNAPSHOT_SCHEMA_PATH = Path(__file__).with_name("snapshot.schema.json")


class SnapshotError(DbkitError):
    """A snapshot file cannot be read: not JSON, truncated, not a snapshot, or a newer format."""


# -- JSON --------------------------------------------------------------------------------------------
def dump_snapshot(snapshot: Snapshot) -> str:
    """Deterministic JSON: sorted keys and tables, two-space indent, a final newline."""
    return json.dumps(snapshot.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_snapshot(snapshot: Snapshot, path: str | Path) -> Path:
    target = Path(path)
    target.write_text(dump_snapshot(snapshot), encoding="utf-8")
    return target


def load_snapshot(path_or_text: str | Path) -> Snapshot:
    """Read a snapshot from a file path or from JSON text; refuse anything this dbkit cannot trust.

    Refused with :class:`SnapshotError` naming the source: a missing file, invalid or truncated
    JSON, a document that is not a snapshot, an unknown or newer ``format_version``.
    """
    source, text = _read_source(path_or_text)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{source} is not valid JSON (truncated or corrupted?): {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}. Write it again with `dbkit snapshot SOURCE --out FILE.json`."
        ) from None
    _check_format_version(source, data)
    try:
        return Snapshot.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SnapshotError(
            f"{source} does not follow the dbkit snapshot format {FORMAT_VERSION} "
            f"({type(exc).__name__}: {exc}); see {SNAPSHOT_SCHEMA_PATH.name}."
        ) from None


def _read_source(path_or_text: str | Path) -> tuple[str, str]:
    if isinstance(path_or_text, str) and path_or_text.lstrip().startswith("{"):
        return "snapshot text", path_or_text
    path = Path(path_or_text)
    try:
        return f"snapshot file {path}", path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"Cannot read snapshot file {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError:
        raise SnapshotError(f"Snapshot file {path} is not UTF-8 text; is it really a snapshot?") from None


def _check_format_version(source: str, data: Any) -> None:
    if not isinstance(data, dict) or "format_version" not in data:
        raise SnapshotError(f"{source} is not a dbkit snapshot: it has no format_version.")
    version = data["format_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotError(
            f"{source} has an unknown format_version {version!r}; this dbkit reads 1..{FORMAT_VERSION}."
        )
    if version > FORMAT_VERSION:
        raise SnapshotError(
            f"{source} uses snapshot format {version}, newer than this dbkit understands "
            f"(up to {FORMAT_VERSION}). Upgrade dbkit to read it."
        )


__all__ = [
    "SNAPSHOT_SCHEMA_PATH",
    "SnapshotError",
    "dump_snapshot",
    "load_snapshot",
    "write_snapshot",
]
