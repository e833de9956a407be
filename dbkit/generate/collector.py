"""The cyclic garbage collector around model generation.

Generating SQLAlchemy classes allocates hundreds of thousands of long-lived objects (tables,
columns, mappers, relationship properties), all of them in reference cycles. Left alone, the
collector runs full (generation 2) passes over them while they are being built and again right
after (200 models: about 0.4 s of a 1.2 s ``create_all`` was one such pass), and every later
full collection of the process traverses them again, though they live as long as the process.

Two measures, both measured in bench/README.md ("Where the time goes"):

- :func:`collector_paused` turns the collector off while a generation runs and restores it after,
  even when generation raises. Nested and concurrent pauses (two managers generating in two
  threads) share one process-wide count: only the outermost restores the state it found, so a
  thread finishing early cannot re-enable the collector under another, nor leave it off.
- :func:`freeze_once` moves every object alive after the first bulk generation of the process into
  CPython's permanent generation (``gc.freeze()``), out of every later collection: a full
  collection after generating 200 models takes 3 ms instead of 0.2 s. Frozen objects are still
  freed by reference counting, but a cycle among them is never collected, and ``gc.get_objects()``
  no longer lists them. So the price is bounded on purpose: it freezes once per process, and only
  when nothing froze since dbkit was imported (an application that froze for its own reasons, e.g. before
  ``fork()``, is left alone). A kernel that regenerates 200 models on fresh managers keeps the first
  set (about 90 MiB) for good, not one per run; ``gc.unfreeze()`` hands it back to the collector,
  and ``FREEZE_AFTER_GENERATION = False`` turns the freeze off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_was_enabled = False
_froze = False

#: Set to False to keep the objects of the first bulk generation in ordinary collections.
FREEZE_AFTER_GENERATION = True
#: What was frozen before dbkit was imported: CPython 3.12 starts with a few hundred objects frozen
#: (375 on 3.12.1, 0 on 3.11 and 3.13), which is the interpreter's doing, not an application's freeze.
FROZEN_AT_IMPORT = gc.get_freeze_count()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; the outermost exit restores its previous state."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()


def freeze_once() -> bool:
    """Freeze the objects alive now, the first time a bulk generation ends; True if it froze.

    Skipped when turned off, while a pause is active (an enclosing generation is still
    allocating), when the application disabled the collector, when something froze since dbkit was imported,
    and after the first time.
    """
    global _froze
    with _lock:
        if (
            not FREEZE_AFTER_GENERATION
            or _froze
            or _depth
            or not gc.isenabled()
            or gc.get_freeze_count() > FROZEN_AT_IMPORT
        ):
            return False
        gc.freeze()
        _froze = True
        return True
