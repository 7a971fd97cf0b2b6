"""The municipality's rules: endorsing a GP's window (and withdrawing the endorsement), and
the municipality's own priority among its GPs. Each change is audited and flushed; the edge
commits. Who may do it is app/access.py (``speaks_for_gp``): pages and API load the window
or GP through it and answer 404 outside the user's municipalities.

An endorsement is the municipality's yes to the GP's leave from the practice for the
window's dates: it lapses when the GP changes the dates or the months (``lapse_endorsement``,
called by the window's own change) and can be withdrawn only while no proposal, offer or
placement rests on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import access, audit
from app.errors import Conflict, InvalidInput
from app.extensions import db
from app.matches.queries import live_match_for_gp
from app.models import GP, Availability, Department, Match, Municipality, Period, Region, User
from app.models.statuses import CURRENT_AVAILABILITY, LIVE_MATCH_STATUSES, MatchStatus
from app.models.types import utcnow
from app.policy import region_policy
from app.runs.problem import window_loads

AUDIT_TYPE = "availability"
PRIORITY_MIN, PRIORITY_MAX = 1, 9999
# The window's fields an endorsement covers: a change to one of them ends it.
ENDORSED_FIELDS = ("earliest_start", "latest_end", "months")


def municipalities_by_number(numbers) -> tuple[list[Municipality], list[str]]:
    """The municipalities with these numbers (each once, in the order given), and the
    numbers no municipality has. The command line, the admin page and the demo read a
    municipality user's scope through it."""
    wanted = list(dict.fromkeys(str(n).strip() for n in numbers if str(n).strip()))
    found = {
        m.number: m
        for m in db.session.scalars(sa.select(Municipality).where(Municipality.number.in_(wanted)))
    }
    return [found[n] for n in wanted if n in found], [n for n in wanted if n not in found]


def endorse(window: Availability, *, actor: User) -> Availability:
    """The municipality endorses the GP's current window (who, when). Audits and flushes."""
    if window.status not in CURRENT_AVAILABILITY:
        raise Conflict("not_current")
    if window.endorsed_at is not None:
        raise Conflict("already_endorsed")
    actor_id = actor.id  # read first: loading it must not flush half an endorsement
    window.endorsed_at, window.endorsed_by_id = utcnow(), actor_id
    db.session.flush()
    audit.record(
        "availability.endorsed",
        window,
        object_type=AUDIT_TYPE,
        actor=actor,
        data={"gp_id": window.gp_id},
    )
    return window


def withdraw_endorsement(window: Availability, *, actor: User, reason: str | None = None):
    """Take the endorsement back, while no proposal, offer or placement rests on it."""
    if window.endorsed_at is None:
        raise Conflict("not_endorsed")
    if window.status not in CURRENT_AVAILABILITY:
        raise Conflict("not_current")
    if live_match_for_gp(window.gp) is not None:
        raise Conflict("endorsement_in_use")
    _clear(window, "availability.endorsement_withdrawn", actor=actor, reason=reason)
    return window


def lapse_endorsement(window: Availability, changes: dict[str, Any], *, actor: User) -> bool:
    """After the GP changed ``changes`` ({field: [old, new]}) of the window: an endorsement
    of other dates lapses (audited). Returns whether it did."""
    if window.endorsed_at is None or not set(changes) & set(ENDORSED_FIELDS):
        return False
    _clear(window, "availability.endorsement_lapsed", actor=actor)
    return True


def municipality_changed(gp: GP, *, actor: User) -> bool:
    """The GP moved to another municipality: the old one's rank and endorsement mean nothing
    to the new one. Clears both (the endorsement audited here; the caller audits the profile
    change, which includes the rank). Returns whether the rank was cleared."""
    window = access.current_window(gp)
    if window is not None and window.endorsed_at is not None:
        _clear(window, "availability.endorsement_lapsed", actor=actor)
    if gp.municipality_priority is None:
        return False
    gp.municipality_priority = None
    return True


def _clear(window: Availability, action: str, *, actor: User, reason: str | None = None) -> None:
    data: dict[str, Any] = {"gp_id": window.gp_id, "endorsed_by_id": window.endorsed_by_id}
    data["endorsed_at"] = window.endorsed_at.isoformat() if window.endorsed_at else None
    window.endorsed_at, window.endorsed_by_id = None, None
    db.session.flush()
    audit.record(action, window, object_type=AUDIT_TYPE, actor=actor, reason=reason, data=data)


def set_priority(gp: GP, rank: int | None, *, actor: User) -> dict[str, list]:
    """The municipality's own rank of ``gp`` among its GPs (1 first; None: not stated).
    Audited as gp.municipality_priority_changed; returns {field: [old, new]} (empty: no
    change)."""
    if rank is not None and (
        isinstance(rank, bool)
        or not isinstance(rank, int)
        or not PRIORITY_MIN <= rank <= PRIORITY_MAX
    ):
        raise InvalidInput(
            "out_of_range",
            field="municipality_priority",
            params={"low": PRIORITY_MIN, "high": PRIORITY_MAX},
        )
    old = gp.municipality_priority
    if old == rank:
        return {}
    gp.municipality_priority = rank
    db.session.flush()
    change = {"municipality_priority": [old, rank]}
    audit.record("gp.municipality_priority_changed", gp, actor=actor, data=change)
    return change


def regions_requiring_endorsement() -> set[int]:
    """Ids of the regions whose rules match only endorsed windows (one query: four rows)."""
    regions = db.session.scalars(sa.select(Region).options(selectinload(Region.policy)))
    return {r.id for r in regions if region_policy(r).endorsement_required}


def waits_for_endorsement(window: Availability | None, requiring: set[int] | None = None) -> bool:
    """The window is left out of matching until the municipality endorses it: the region it
    seeks service in requires endorsement (``requiring``: regions_requiring_endorsement(),
    for a list) and it has none. Only a current window can wait."""
    if window is None or window.status not in CURRENT_AVAILABILITY or window.endorsed_at:
        return False
    if requiring is None:
        requiring = regions_requiring_endorsement()
    return access.seeking_region_id(window.gp, window) in requiring


# ---- what a municipality user sees


@dataclass(frozen=True)
class MunicipalityGP:
    """One of the municipality's GPs: the current window and the live match, if any."""

    gp: GP
    window: Availability | None
    match: Match | None

    @property
    def waiting_for_endorsement(self) -> bool:
        return self.window is not None and self.window.endorsed_at is None


def gps_query(user: User) -> sa.Select:
    """The GPs ``user`` speaks for, by name (app.access), with their account and
    municipality (and its trust) loaded."""
    return access.gps_in_scope(user).options(
        selectinload(GP.user), selectinload(GP.municipality).selectinload(Municipality.trust)
    )


def describe_gps(gps: list[GP]) -> list[MunicipalityGP]:
    """Each GP with their current window and live match (two queries for the whole list)."""
    ids = [gp.id for gp in gps]
    windows = {
        w.gp_id: w
        for w in db.session.scalars(
            sa.select(Availability)
            .options(*window_loads(gp=False))
            .where(Availability.gp_id.in_(ids), Availability.status.in_(CURRENT_AVAILABILITY))
        )
    }
    matches = {
        m.gp_id: m
        for m in db.session.scalars(
            sa.select(Match)
            .options(
                selectinload(Match.period)
                .selectinload(Period.department)
                .selectinload(Department.trust)
            )
            .where(Match.gp_id.in_(ids), Match.status.in_(LIVE_MATCH_STATUSES))
        )
    }
    return [MunicipalityGP(gp, windows.get(gp.id), matches.get(gp.id)) for gp in gps]


def live_matches_by_date(user: User, today: date) -> list[Match]:
    """The live proposals, offers and placements of ``user``'s GPs that have not ended,
    by the period's first day: when the municipality needs a locum."""
    return list(
        db.session.scalars(
            access.matches_in_scope(user)
            .join(Match.period)
            .options(selectinload(Match.gp), selectinload(Match.period))
            .where(Match.status.in_(LIVE_MATCH_STATUSES), Period.end_date >= today)
            .order_by(Period.start_date, Match.id)
        )
    )


def is_placement(match: Match) -> bool:
    return match.status == MatchStatus.ACCEPTED
