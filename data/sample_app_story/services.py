"""The sample's service module, still using the hand-written classes (read by the notebooks' story)."""

import DB_Teams
from DB_Auth import User


def active_users(session):
    return session.query(User).filter(User.status == "active").all()


def team_by_slug(session, slug):
    return session.query(DB_Teams.Team).filter_by(slug=slug).one()
