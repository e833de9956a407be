"""Writing user-visible files: whole or not at all."""

from __future__ import annotations

import os
import tempfile
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
