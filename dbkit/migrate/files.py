"""Writing user-visible files: whole or not at all."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path


def write_atomically(path: Path, text: str) -> None:
    """Write beside ``path`` (a hidden temp file, fsynced), then rename over it.

    A reader (or Alembic scanning a versions directory: the temp name does not end in ``.py``)
    sees the old file or the new one, never half of either; a failure leaves nothing behind.
    An existing file keeps its permissions.
    """
    mode = path.stat().st_mode if path.exists() else None
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_exactly(path: Path) -> str:
    """A file's text exactly, its line endings untranslated (a CRLF file is written back as one)."""
    with open(path, encoding="utf-8", newline="") as handle:
        return handle.read()


def write_all_or_none(
    changes: Sequence[tuple[Path, str | None, str]],
    stale: Callable[[Path], BaseException],
    read: Callable[[Path], str] = read_exactly,
) -> list[Path]:
    """Write every ``(path, text planned from, new text)``, each atomically, or none.

    Refused with ``stale(path)`` before anything is written when a file no longer holds the text the
    change was planned from (``None``: the file must not exist yet); a failure part way puts back
    the files already written, so a codemod never leaves a codebase half rewritten.
    """
    for path, before, _after in changes:
        if (read(path) if path.exists() else None) != before:
            raise stale(path)
    done: list[tuple[Path, str | None]] = []
    try:
        for path, before, after in changes:
            write_atomically(path, after)
            done.append((path, before))
    except BaseException:
        for path, before in done:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                write_atomically(path, before)
        raise
    return [path for path, _before, _after in changes]
