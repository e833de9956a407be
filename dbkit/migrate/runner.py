"""Moved to :mod:`dbkit.migrate.revisions.runner`; this path stays for code written against it."""

from dbkit._moved import alias

alias(__name__, "dbkit.migrate.revisions.runner")
