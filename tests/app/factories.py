"""Build test objects through the same services the app uses."""

from __future__ import annotations

import itertools
from datetime import timedelta

import sqlalchemy as sa

from app.auth.services import GPRegistration, create_user, register_gp
from app.dates import local_today
from app.extensions import db
from app.lifecycle import publish_period
from app.lifecycle.transitions import fixture_writes
from app.models import GP, Department, Municipality, Period, Region, Trust, User
from app.periods.services import PeriodInput

from .conftest import PASSWORD

_counter = itertools.count(1)


def trust(code: str) -> Trust:
    return db.session.scalar(sa.select(Trust).where(Trust.code == code))


def region(code: str) -> Region:
    return db.session.scalar(sa.select(Region).where(Region.code == code))


def municipality(number: str) -> Municipality:
    return db.session.scalar(sa.select(Municipality).where(Municipality.number == number))


def department(trust_code: str = "helse-bergen") -> Department:
    return db.session.scalars(
        sa.select(Department).join(Trust).where(Trust.code == trust_code).order_by(Department.id)
    ).first()


def make_user(
    role: str, *, trust_code=None, region_code=None, email=None, municipality_numbers=()
) -> User:
    n = next(_counter)
    user = create_user(
        email or f"{role}{n}@example.no",
        PASSWORD,
        role,
        trust=trust(trust_code) if trust_code else None,
        region=region(region_code) if region_code else None,
        municipalities=[municipality(number) for number in municipality_numbers],
    )
    db.session.commit()
    return user


def make_gp(*, municipality_number: str = "4601", email=None, **profile) -> GP:
    n = next(_counter)
    data = GPRegistration(
        email=email or f"gp{n}@example.no",
        password=PASSWORD,
        name=profile.pop("name", f"Test Lege {n}"),
        hpr_number=profile.pop("hpr_number", str(1000000 + n)),
        municipality_id=municipality(municipality_number).id,
        specialisation_started=profile.pop("specialisation_started", None),
        months_general_practice=profile.pop("months_general_practice", 40),
        courses_completed=profile.pop("courses_completed", 3),
        supervision_group_months=profile.pop("supervision_group_months", 12),
        scheme=profile.pop("scheme", "new"),
    )
    gp = register_gp(data)
    db.session.commit()
    return gp


def make_period(trust_code: str = "helse-bergen", *, start=None, months=6) -> Period:
    start = start or local_today() + timedelta(days=90)
    end = start + timedelta(days=31 * months)
    period = publish_period(
        PeriodInput(
            department_id=department(trust_code).id,
            start_date=start,
            end_date=end,
            source="parental_leave",
            description="Test",
        ),
        actor=None,
    )
    db.session.commit()
    return period


def make_window(
    gp, *, start=None, months=6, length_months=18, specialties=None, trusts=(), accept_other=False
):
    """An active availability window for ``gp`` (ranked specialty and trust codes)."""
    from app.dates import add_months
    from app.models import Availability, Specialty

    start = start or local_today() + timedelta(days=30)
    wished = [
        db.session.scalar(sa.select(Specialty).where(Specialty.code == c))
        for c in specialties or []
    ]
    wished_trusts = [trust(c) for c in trusts]
    with fixture_writes():  # no validation: tests build windows that started, too
        window = Availability(
            gp=gp,
            earliest_start=start,
            latest_end=add_months(start, length_months),
            months=months,
            accept_other_specialty=accept_other,
            status="active",
        )
    db.session.add(window)
    window.set_wishes(wished, wished_trusts)
    db.session.commit()
    return window


def make_proposal(period, gp, *, confirmed=True, **fields):
    """A live solver proposal for the pair, as a run would store it (committed)."""
    from app.lifecycle import follow_match
    from app.models import Match
    from app.models.types import utcnow

    with fixture_writes():  # in any status, as if a run and the answers had happened
        match = Match(
            period=period,
            gp=gp,
            status=fields.pop("status", "proposed"),
            source="solver",
            gp_rank=1,
            priority_position=1,
            explanation={"reason": "matched", "gp_rank": 1, "priority_position": 1},
            confirmed_at=utcnow() if confirmed else None,
            **fields,
        )
        db.session.add(match)
        db.session.flush()
        follow_match(period)
    db.session.commit()
    return match


def force_status(obj, status: str) -> None:
    """Put a period, match or window in ``status`` directly (a state the test needs, such as
    a period the nightly run advertised), and commit."""
    with fixture_writes():
        obj.status = status
    db.session.commit()
