"""Moved to :mod:`dbkit.bll.team_models`; this path stays for code written against it."""

from dbkit._moved import alias

alias(__name__, "dbkit.bll.team_models")
