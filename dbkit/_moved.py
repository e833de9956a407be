"""Old import paths of modules that moved (the engine laid out by stage, clearer module names).

Code written against them (users' ``env.py`` files, CI checks, notebooks) keeps working: a path
whose module moved whole is the moved module itself; a path whose module was split re-exports
every part.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any


def alias(old: str, new: str) -> None:
    """Make ``old`` the module ``new`` itself, so attributes and monkeypatches reach the real one."""
    sys.modules[old] = importlib.import_module(new)


def reexport(namespace: dict[str, Any], *modules: str) -> None:
    """Copy every name of ``modules`` (private helpers included) into a split module's old path."""
    for name in modules:
        module = importlib.import_module(name)
        namespace.update({key: value for key, value in vars(module).items() if not key.startswith("__")})
