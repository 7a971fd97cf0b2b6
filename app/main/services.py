"""Rules for profiles, department capacity and user administration (flush; callers commit)."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from app import audit
from app.auth.services import AccountError
from app.extensions import db
from app.gps import verification
from app.models import GP, Department, Municipality, User
from app.municipalities.services import municipality_changed

# A profile breaks the same rules as a registration.
ProfileError = AccountError


def save_gp_profile(
    gp: GP | None,
    *,
    user: User,
    name: str,
    hpr_number: str,
    municipality_id: int,
    specialisation_started: date | None,
    months_general_practice: int,
    courses_completed: int,
    supervision_group_months: int,
    scheme: str,
    actor: User,
) -> dict[str, tuple]:
    """Create or update ``user``'s GP profile and audit the change.

    Returns {field: (old, new)} of what changed."""
    municipality = db.session.get(Municipality, municipality_id)
    if municipality is None:
        raise ProfileError("municipality_id", "unknown_municipality")
    taken = db.session.scalar(sa.select(GP.id).where(GP.hpr_number == hpr_number))
    if taken is not None and (gp is None or taken != gp.id):
        raise ProfileError("hpr_number", "hpr_taken")
    created = gp is None
    if created:
        gp = GP(user=user)
        db.session.add(gp)
    new_values = {
        "name": name.strip(),
        "hpr_number": hpr_number,
        "municipality_id": municipality.id,
        "specialisation_started": specialisation_started,
        "months_general_practice": months_general_practice,
        "courses_completed": courses_completed,
        "supervision_group_months": supervision_group_months,
        "scheme": scheme,
    }
    changes = {
        field: (None if created else getattr(gp, field), value)
        for field, value in new_values.items()
        if getattr(gp, field) != value
    }
    for field, (_old, value) in changes.items():
        setattr(gp, field, value)
    if not created and "municipality_id" in changes:
        assert gp is not None  # an existing profile
        rank = gp.municipality_priority
        if municipality_changed(gp, actor=actor):
            changes["municipality_priority"] = (rank, None)
    if not created:
        assert gp is not None  # an existing profile
        verification.lapse(gp, changes)  # a changed verified value: its verifier hears of it
    if changes:
        db.session.flush()
        audit.record(
            "gp.registered" if created else "gp.profile_updated",
            gp,
            actor=actor,
            data={k: [_jsonable(o), _jsonable(n)] for k, (o, n) in changes.items()},
        )
    return changes


def set_department_capacity(department: Department, capacity: int, reason: str, actor: User):
    old = department.alis_capacity
    department.alis_capacity = capacity
    audit.record(
        "department.capacity_changed",
        department,
        actor=actor,
        reason=reason,
        data={"alis_capacity": [old, capacity]},
    )


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value
