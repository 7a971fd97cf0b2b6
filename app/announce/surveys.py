"""Invitations to a placement's evaluation survey and the one reminder to those who have not
answered (app.learning.surveys decides when). Each message names its placement, role and
recipient in a dedupe key the database keeps once, so a job that runs twice sends nothing
twice."""

from __future__ import annotations

import sqlalchemy as sa

from app.extensions import db
from app.links import path_for
from app.models import Match, Notification, User
from notifications import wording

from .core import match_facts, tell
from .events import municipality_users, trust_staff


def respondents(match: Match, role: str) -> list[User]:
    """Who answers for ``role``: the GP, the trust's staff (the department), or the users
    of the GP's municipality."""
    if role == "gp":
        user = match.gp.user
        return [user] if user is not None and user.active else []
    if role == "department":
        return trust_staff(match.period)
    return municipality_users(match.gp)


def _key(kind: str, match: Match, role: str, user: User) -> str:
    return f"{kind}:{match.id}:{role}:{user.id}"


def _send(kind: str, match: Match, roles: list[str]) -> int:
    wanted = [(role, user) for role in roles for user in respondents(match, role)]
    keys = [_key(kind, match, role, user) for role, user in wanted]
    done = set(
        db.session.scalars(
            sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(keys))
        )
    )
    link = path_for("learning.placement", match_id=match.id)
    count = 0
    for (role, user), key in zip(wanted, keys, strict=True):
        if key in done:
            continue
        words = (
            wording.survey_invitation if kind == "survey_invitation" else wording.survey_reminder
        )
        tell(user, words(user.locale, match_facts(match), role, link=link), dedupe_key=key)
        count += 1
    return count


def survey_invitations(match: Match) -> int:
    """The placement ended: invite the GP, the department and the municipality."""
    return _send("survey_invitation", match, ["gp", "department", "municipality"])


def survey_reminders(match: Match, roles: list[str]) -> int:
    """Remind ``roles`` (those who have not answered) once."""
    return _send("survey_reminder", match, roles)
