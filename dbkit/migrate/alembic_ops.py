"""Moved to :mod:`dbkit.migrate.revisions.operations`; this path stays for code written against it."""

from dbkit._moved import alias

alias(__name__, "dbkit.migrate.revisions.operations")
