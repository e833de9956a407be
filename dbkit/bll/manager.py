"""Moved to :mod:`dbkit.bll.business_manager`; this path stays for code written against it."""

from dbkit._moved import alias

alias(__name__, "dbkit.bll.business_manager")
