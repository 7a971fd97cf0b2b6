"""Verified progress measures (issue 19): months in general practice, courses completed and
supervision-group months are declared by the GP; a municipality user of the GP's
municipality or a coordinator of the GP's region verifies them (the value, who, when).

A verification holds while the declared value equals the verified one. When the GP changes a
verified value, the verification lapses (the verified value stays on record, the state is
"changed") and the verifier hears of it (``lapse``, called by the profile's own change).

Which value ranks a GP (declared, or verified only under a region's
``verified_progress_only``) is app.progress.ranking_value.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app import announce, audit
from app.errors import InvalidInput
from app.extensions import db
from app.models import GP, User
from app.models.types import utcnow
from app.progress import MEASURES

VERIFIED, CHANGED, DECLARED = "verified", "changed", "declared"
STATES = (VERIFIED, CHANGED, DECLARED)


@dataclass(frozen=True)
class MeasureState:
    """One measure of one GP: what the GP declares and what was verified (by whom, when)."""

    measure: str
    declared: int
    verified: int | None
    verified_by: str | None
    verified_at: datetime | None

    @property
    def state(self) -> str:
        """verified (the declared value is the verified one), changed (the GP changed it
        since), or declared (never verified)."""
        if self.verified is None:
            return DECLARED
        return VERIFIED if self.verified == self.declared else CHANGED

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "declared": self.declared,
            "verified": self.verified,
            "verified_by": self.verified_by,
            "verified_at": self.verified_at,
        }


def verified_value(gp: GP, measure: str) -> int | None:
    return getattr(gp, f"{measure}_verified")


def verifier_names(gps: Iterable[GP]) -> dict[int, str]:
    """{user id: name} of every verifier of ``gps``, in one query."""
    ids = {
        uid
        for gp in gps
        for m in MEASURES
        if (uid := getattr(gp, f"{m}_verified_by_id")) is not None
    }
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(User.id, User.email, GP.name)
        .outerjoin(GP, GP.user_id == User.id)
        .where(User.id.in_(ids))
    )
    return {uid: name or email for uid, email, name in rows}


def states(gp: GP, names: dict[int, str] | None = None) -> dict[str, MeasureState]:
    """{measure: MeasureState} of ``gp``; ``names`` from ``verifier_names`` for a page of
    GPs (read here for one GP)."""
    if names is None:
        names = verifier_names([gp])
    out = {}
    for m in MEASURES:
        by_id = getattr(gp, f"{m}_verified_by_id")
        out[m] = MeasureState(
            measure=m,
            declared=getattr(gp, m),
            verified=verified_value(gp, m),
            verified_by=names.get(by_id) if by_id is not None else None,
            verified_at=getattr(gp, f"{m}_verified_at"),
        )
    return out


def states_of(gps: Iterable[GP]) -> dict[int, dict[str, MeasureState]]:
    """``states`` of many GPs, with one query for the verifiers' names."""
    gps = list(gps)
    names = verifier_names(gps)
    return {gp.id: states(gp, names) for gp in gps}


def parse_measures(measures: Iterable[Any] | None) -> tuple[str, ...]:
    """The measures asked for (None or empty: all three); an unknown one is refused."""
    if not measures:
        return MEASURES
    chosen = []
    for m in measures:
        if not isinstance(m, str) or m not in MEASURES:
            raise InvalidInput("unknown_measure", field="measures")
        if m not in chosen:
            chosen.append(m)
    return tuple(chosen)


def verify(gp: GP, *, actor: User, measures: Iterable[str] | None = None) -> dict[str, list]:
    """Record the GP's declared values of ``measures`` (all three by default) as verified by
    ``actor`` now. Who may is app.access.get_gp_to_verify_or_404. Audits and flushes;
    returns {measure: [old verified, new verified]}."""
    chosen = parse_measures(measures)
    actor_id, now = actor.id, utcnow()
    changes: dict[str, list] = {}
    for m in chosen:
        old = verified_value(gp, m)
        value = getattr(gp, m)
        changes[m] = [old, value]
        setattr(gp, f"{m}_verified", value)
        setattr(gp, f"{m}_verified_by_id", actor_id)
        setattr(gp, f"{m}_verified_at", now)
    db.session.flush()
    audit.record("gp.progress_verified", gp, actor=actor, data=changes)
    return changes


def lapse(gp: GP, changes: dict[str, tuple]) -> list[str]:
    """The GP changed declared values (``changes``: {field: (old, new)}): each measure whose
    verification held before and no longer does has lapsed; its verifier hears of it, one
    message per verifier. Returns the lapsed measures."""
    by_verifier: dict[int, list[dict]] = {}
    for m in MEASURES:
        if m not in changes:
            continue
        old, new = changes[m]
        verified, verifier_id = verified_value(gp, m), getattr(gp, f"{m}_verified_by_id")
        if verified is None or verifier_id is None or old != verified or new == verified:
            continue
        by_verifier.setdefault(verifier_id, []).append(
            {"measure": m, "verified": verified, "declared": new}
        )
    for verifier_id, lapsed in by_verifier.items():
        verifier = db.session.get(User, verifier_id)
        if verifier is not None:
            announce.progress_changed(gp, verifier, lapsed)
    return [c["measure"] for lapsed in by_verifier.values() for c in lapsed]


def init_app(app: Any) -> None:
    """Templates read a page of GPs' states with one query: ``progress_states(gps)``."""
    app.jinja_env.globals.update(progress_states=states_of)
