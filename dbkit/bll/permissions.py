"""Who may read and change which rows: the one place the permission rules are written down.

Every rule is a SQL condition added to the query that reads or changes rows, never a filter
applied to results in Python. ``root`` and ``system`` are the ids in the database manager's
configuration (``DatabaseManager(root_id=..., system_id=...)``, by default the ``ROOT_ID`` and
``SYSTEM_ID`` environment variables).

1. **Requester.** Every operation names a requester id. Root and system always exist; any
   other id must be a row of the user table (``users``, not soft-deleted), or the operation
   is refused with :class:`~dbkit.errors.PermissionDeniedError`.
2. **Root** reads and changes every row of every table, soft-deleted rows included.
3. **Soft-deleted rows** (``deleted_at`` set) are invisible to everyone else: get, list and
   search skip them, and they cannot be changed.
4. **System rows** (created by the system id) are readable by every requester and changeable
   only by root and system.
5. **System entities** (the entity class, or its ``DatabaseMixin`` model, says ``system = True``):
   every requester may read them under these rules; only root and system may create, update or
   delete their rows.
6. **Own rows.** A requester reads and changes the rows they created (``created_by_user_id``),
   and their own row of the user table.
7. **Team rows.** A row whose ``team_id`` names a team is shared with that team: every member
   reads it; members whose role has ``can_write`` (``admin``) and the team's creator change
   it, unless rule 4 protects it. A team row itself counts as belonging to its own team.
   Creating a row in a team, or moving a row into one, needs the same right to change (root
   and system may place rows in any team).
8. Anything else is refused: reads skip the row; get, update and delete of one named row raise
   ``PermissionDeniedError`` saying what was refused (``NotFoundError`` when no such row exists,
   or it is soft-deleted).

A table without ``created_by_user_id`` has no owners: only rules 2, 5 and 7 apply to it.
Teams, roles and memberships are the models in :mod:`dbkit.bll.team_models`; a codebase points the
rules at its own equivalents with :class:`PermissionRules` (table and column names).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from dbkit.errors import ConfigurationError, PermissionDeniedError
from dbkit.manager import DatabaseManager

OWNER_COLUMN = "created_by_user_id"
DELETED_COLUMN = "deleted_at"


@dataclass(frozen=True)
class PermissionRules:
    """Where the rules find users, teams, memberships and roles (table and column names)."""

    user_table: str = "users"
    team_table: str = "teams"
    membership_table: str = "memberships"
    role_table: str = "roles"
    #: The column of a shared row naming its team.
    team_column: str = "team_id"
    membership_user_column: str = "user_id"
    membership_team_column: str = "team_id"
    membership_role_column: str = "role_id"
    #: A boolean column of the role table: true for roles that may change the team's rows.
    role_can_write_column: str = "can_write"


def class_setting(entity: type, name: str, default: Any) -> Any:
    """A setting (``system``, ``seed_list``) from the entity's ``DatabaseMixin`` model, else the entity."""
    model = getattr(entity, "__dbkit_model__", None)
    if model is not None and name in _declared_names(model):
        return getattr(model, name)
    return getattr(entity, name, default)


@lru_cache(maxsize=1024)
def _declared_names(model: type) -> frozenset[str]:
    names: set[str] = set()
    for klass in model.__mro__:
        names.update(klass.__dict__)
    return frozenset(names)


def is_valid_id(value: Any) -> bool:
    """Whether ``value`` can be a dbkit primary key (a UUID) at all."""
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Requester:
    id: str
    is_root: bool
    is_system: bool


class AccessPolicy:
    """Builds the SQL conditions of the rules above for one database manager."""

    def __init__(self, db_manager: DatabaseManager, rules: PermissionRules | None = None) -> None:
        self.db_manager = db_manager
        self.rules = rules or PermissionRules()

    # -- requesters --------------------------------------------------------------------------
    def requester(self, requester_id: Any) -> Requester:
        requester_id = str(requester_id)
        return Requester(
            requester_id,
            is_root=requester_id == self.db_manager.root_id,
            is_system=requester_id == self.db_manager.system_id,
        )

    def check_requester_exists(self, db: Session, requester: Requester) -> None:
        """Rule 1: refuse an id that is neither root, system nor a live user."""
        if requester.is_root or requester.is_system:
            return
        users = self._table(self.rules.user_table, "check that requesters exist")
        exists = False
        if is_valid_id(requester.id):
            query = sa.select(sa.literal(1)).where(users.c.id == requester.id)
            if DELETED_COLUMN in users.c:
                query = query.where(users.c[DELETED_COLUMN].is_(None))
            exists = db.execute(query).first() is not None
        if not exists:
            raise PermissionDeniedError(
                f"Requester {requester.id!r} is not a user of this database (no live row in "
                f"{self.rules.user_table!r}); every operation is refused."
            )

    # -- conditions --------------------------------------------------------------------------
    def read_condition(self, entity: type, requester: Requester) -> sa.ColumnElement[bool] | None:
        """Rules 2-7 for reading; ``None`` means no restriction (root)."""
        if requester.is_root:
            return None
        table = entity.__table__
        allowed: list[sa.ColumnElement[bool]] = []
        if OWNER_COLUMN in table.c:
            allowed.append(table.c[OWNER_COLUMN].in_([requester.id, self.db_manager.system_id]))
        allowed.extend(self._self_and_team(table, requester, writing=False))
        return self._live_and(table, sa.or_(*allowed) if allowed else sa.false())

    def write_condition(self, entity: type, requester: Requester) -> sa.ColumnElement[bool] | None:
        """Rules 2-7 for changing; ``None`` means no restriction (root)."""
        if requester.is_root:
            return None
        table = entity.__table__
        allowed: list[sa.ColumnElement[bool]] = []
        if OWNER_COLUMN in table.c:
            allowed.append(table.c[OWNER_COLUMN] == requester.id)
        team_rules = self._self_and_team(table, requester, writing=True)
        if team_rules and OWNER_COLUMN in table.c and not requester.is_system:
            owner = table.c[OWNER_COLUMN]
            not_system_row = sa.or_(owner.is_(None), owner != self.db_manager.system_id)
            team_rules = [sa.and_(rule, not_system_row) for rule in team_rules]
        allowed.extend(team_rules)
        return self._live_and(table, sa.or_(*allowed) if allowed else sa.false())

    def check_entity_writable(self, entity: type, requester: Requester, action: str) -> None:
        """Rule 5: only root and system change the rows of a system entity."""
        if requester.is_root or requester.is_system:
            return
        if class_setting(entity, "system", False):
            raise PermissionDeniedError(
                f"Requester {requester.id!r} may not {action} {entity.__name__} rows: {entity.__name__} is a "
                "system entity, writable only by the root and system requesters."
            )

    def check_team_writable(
        self, db: Session, entity: type, requester: Requester, team_id: Any, action: str
    ) -> None:
        """Rule 7: placing a row in a team needs the right to change that team's rows."""
        if requester.is_root or requester.is_system or team_id is None:
            return
        team_column = self._team_column(entity.__table__)
        if team_column is None or team_column is entity.__table__.c.get("id"):
            return  # a new team belongs to nobody else yet
        wanted = sa.literal(str(team_id), type_=team_column.type)
        query = sa.select(sa.literal(1)).where(wanted.in_(self._teams(requester, writing=True)))
        if not is_valid_id(team_id) or db.execute(query).first() is None:
            raise PermissionDeniedError(
                f"Requester {requester.id!r} may not {action} a {entity.__name__} in team {team_id!r}: that needs a "
                f"role with {self.rules.role_can_write_column} in the team (or having created the team)."
            )

    # -- pieces ------------------------------------------------------------------------------
    def _live_and(self, table: sa.Table, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        if DELETED_COLUMN in table.c:
            return sa.and_(table.c[DELETED_COLUMN].is_(None), condition)
        return condition

    def _self_and_team(
        self, table: sa.Table, requester: Requester, *, writing: bool
    ) -> list[sa.ColumnElement[bool]]:
        rules: list[sa.ColumnElement[bool]] = []
        if table.name == self.rules.user_table and "id" in table.c:
            rules.append(table.c.id == requester.id)
        team_column = self._team_column(table)
        if team_column is not None:
            rules.append(team_column.in_(self._teams(requester, writing=writing)))
        return rules

    def _team_column(self, table: sa.Table) -> sa.Column[Any] | None:
        if table.name == self.rules.team_table:
            return table.c.id
        return table.c.get(self.rules.team_column)

    def _teams(self, requester: Requester, *, writing: bool) -> sa.Select[Any]:
        """Ids of the teams the requester reads (member, creator) or changes (writing role, creator)."""
        rules = self.rules
        teams = self._table(rules.team_table, "share rows with teams")
        memberships = self._table(rules.membership_table, "share rows with teams")
        member = memberships.c[rules.membership_user_column] == requester.id
        membership_teams = sa.select(memberships.c[rules.membership_team_column]).where(member)
        if DELETED_COLUMN in memberships.c:
            membership_teams = membership_teams.where(memberships.c[DELETED_COLUMN].is_(None))
        if writing:
            roles = self._table(rules.role_table, "decide which members change team rows")
            membership_teams = membership_teams.join(
                roles, roles.c.id == memberships.c[rules.membership_role_column]
            ).where(roles.c[rules.role_can_write_column].is_(True))
        created_teams = sa.select(teams.c.id).where(teams.c[OWNER_COLUMN] == requester.id)
        if DELETED_COLUMN in teams.c:
            created_teams = created_teams.where(teams.c[DELETED_COLUMN].is_(None))
        return sa.union(membership_teams, created_teams)

    def _table(self, name: str, purpose: str) -> sa.Table:
        table = self.db_manager.metadata.tables.get(name)
        if table is None:
            raise ConfigurationError(
                f"The permission rules need the table {name!r} to {purpose}, but no model on {self.db_manager!r} "
                "defines it. Register dbkit.bll.team_models.TEAM_MODELS (and a users model) in your ModelRegistry, "
                "or point the rules at your own tables with PermissionRules(...)."
            )
        return table
