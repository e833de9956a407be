"""Moved to :mod:`dbkit.generate.database_mixin`; this path stays for code written against it."""

from dbkit._moved import alias

alias(__name__, "dbkit.generate.database_mixin")
