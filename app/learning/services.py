"""The rules of learning goals: which goals a period offers (the trust chooses them when it
publishes or edits the period), who speaks for which side of an ended placement, and the
department's and the GP's confirmation of the goals reached. Pages, the API and the demo call
these functions; each one audits and flushes, the edge commits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from app import audit
from app.access import manages_trust, speaks_for_gp
from app.dates import local_today
from app.errors import Conflict, InvalidInput, NotFound
from app.extensions import db
from app.models import GoalConfirmation, LearningGoal, Match, Period, User
from app.models.learning import GOAL_SIDES
from app.models.statuses import MatchStatus, PeriodStatus
from app.models.types import utcnow
from app.text import ID_MAX


def all_goals() -> list[LearningGoal]:
    """The reference list of learning goals, by code."""
    return list(db.session.scalars(sa.select(LearningGoal).order_by(LearningGoal.code)))


def goals_by_code(codes: Iterable[str], *, field: str = "learning_goals") -> list[LearningGoal]:
    """The goals named by ``codes`` (each once, by code); an unknown code is refused."""
    wanted = sorted({str(c).strip().upper() for c in codes})
    found = {g.code: g for g in all_goals() if g.code in wanted}
    if len(found) != len(wanted):
        raise InvalidInput("unknown_learning_goal", field=field)
    return [found[c] for c in wanted]


def default_goals() -> list[LearningGoal]:
    """What a new period offers until its publisher chooses (lifecycle.publish_period sets
    it): every goal of the reference list, since the sources name hospital service as the
    way to ALM-055 and ALM-085."""
    return all_goals()


def default_goal_codes() -> list[str]:
    return [g.code for g in default_goals()]


def set_period_goals(period: Period, codes: Iterable[str], *, actor: User | None) -> bool:
    """Make ``period`` offer exactly the goals ``codes`` while it is open (as its other fields:
    a placement's confirmations rest on what it offered); audits a change (flushes). Returns
    whether anything changed."""
    if period.status != PeriodStatus.OPEN:
        raise Conflict("period_not_open")
    goals = goals_by_code(codes)
    before = [g.code for g in period.learning_goals]
    after = [g.code for g in goals]
    if before == after:
        return False
    period.learning_goals = goals
    db.session.flush()
    audit.record(
        "period.learning_goals_changed",
        period,
        actor=actor,
        data={"learning_goals": [before, after]},
    )
    return True


# ---- ended placements


def placement_ended(match: Match, today: date | None = None) -> bool:
    """An accepted match whose period's last day has passed."""
    today = today or local_today()
    return match.status == MatchStatus.ACCEPTED and match.period.end_date < today


def side_of(user: User, match: Match) -> str | None:
    """Who ``user`` speaks for in ``match``'s placement: "gp" (the GP themself),
    "department" (trust staff of the period's trust), "municipality" (a user of the GP's
    municipality), or None. Coordinators and admins read results in the statistics only."""
    if user.role == "gp":
        return "gp" if match.gp.user_id == user.id else None
    if user.role == "trust":
        return "department" if manages_trust(user, match.period.department.trust) else None
    if user.role == "municipality":
        return "municipality" if speaks_for_gp(user, match.gp) else None
    return None


def get_placement_or_404(
    match_id: int, user: User, *, sides: tuple[str, ...] | None = None
) -> tuple[Match, str]:
    """The placement and the side ``user`` speaks for in it (limited to ``sides``, if
    given); anyone else, and a match that is not an accepted placement, gets 404."""
    match = db.session.get(Match, match_id) if 1 <= match_id <= ID_MAX else None
    side = side_of(user, match) if match is not None else None
    if match is None or side is None or (sides is not None and side not in sides):
        raise NotFound("match")
    if match.status != MatchStatus.ACCEPTED:
        raise NotFound("match")
    return match, side


def check_ended(match: Match, today: date | None = None) -> None:
    if not placement_ended(match, today):
        raise Conflict("placement_not_ended")


@dataclass(frozen=True)
class Confirmations:
    """The goals the period offered, and what each side confirmed (None: not yet)."""

    offered: list[LearningGoal]
    department: GoalConfirmation | None
    gp: GoalConfirmation | None

    def of(self, side: str) -> GoalConfirmation | None:
        return self.department if side == "department" else self.gp


def confirmations(match: Match) -> Confirmations:
    rows = {
        c.side: c
        for c in db.session.scalars(
            sa.select(GoalConfirmation).where(GoalConfirmation.match_id == match.id)
        )
    }
    return Confirmations(
        offered=list(match.period.learning_goals),
        department=rows.get("department"),
        gp=rows.get("gp"),
    )


def confirm_goals(
    match: Match, side: str, codes: Iterable[str], *, actor: User, today: date | None = None
) -> GoalConfirmation:
    """``side`` (the department or the GP) states which of the goals the period offered the
    GP reached (none is an answer too). A second confirmation replaces the first; the audit
    log keeps both. Refused before the placement has ended, and for goals not offered."""
    if side not in GOAL_SIDES:
        raise NotFound("match")
    check_ended(match, today)
    goals = goals_by_code(codes, field="reached")
    offered = {g.code for g in match.period.learning_goals}
    if any(g.code not in offered for g in goals):
        raise InvalidInput("goal_not_offered", field="reached")
    row = db.session.get(GoalConfirmation, (match.id, side))
    if row is None:
        row = GoalConfirmation(match_id=match.id, side=side)
        db.session.add(row)
    row.confirmed_by_id = actor.id
    row.confirmed_at = utcnow()
    row.goals = goals
    db.session.flush()
    audit.record(
        "placement.goals_confirmed",
        match,
        actor=actor,
        data={"side": side, "reached": [g.code for g in goals]},
    )
    return row
