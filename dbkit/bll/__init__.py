"""The business-logic layer: sessions, managers with permissions and hooks, team models, seeding.

Derived variants (``Model.Create``/``Update``/``Search``/``Network``) live in
``dbkit.generate.crud_variants``; the permission rules are written down in
``dbkit.bll.permissions``.
"""

from dbkit.bll.business_manager import AbstractBLLManager, HookContext
from dbkit.bll.permissions import AccessPolicy, PermissionRules
from dbkit.bll.query import SearchError, escape_like
from dbkit.bll.seeding import SeedError, seed
from dbkit.bll.session import current_session, to_return_type, with_session
from dbkit.bll.team_models import ADMIN_ROLE, MEMBER_ROLE, TEAM_MODELS, MembershipModel, RoleModel, TeamModel

__all__ = [
    "ADMIN_ROLE",
    "MEMBER_ROLE",
    "TEAM_MODELS",
    "AbstractBLLManager",
    "AccessPolicy",
    "HookContext",
    "MembershipModel",
    "PermissionRules",
    "RoleModel",
    "SearchError",
    "SeedError",
    "TeamModel",
    "current_session",
    "escape_like",
    "seed",
    "to_return_type",
    "with_session",
]
