"""Publishing periods: the rules shared by the pages, the API and the demo data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from app import audit
from app.dates import add_months_dt, covers_months, local_today
from app.extensions import db
from app.models import Department, Period, User
from app.models.periods import PERIOD_SOURCES
from app.models.types import utcnow

MIN_PERIOD_MONTHS = 3


class PeriodError(ValueError):
    """Invalid period input; ``fields`` maps each field to what is wrong (machine codes)."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(", ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


@dataclass(frozen=True)
class PeriodInput:
    department_id: int
    start_date: date
    end_date: date
    source: str
    description: str = ""
    on_call: bool = False
    contact_name: str | None = None
    contact_email: str | None = None


def validate_period(data: PeriodInput, today: date | None = None) -> dict[str, str]:
    """Field errors as machine codes: end_before_start, too_short, in_the_past, unknown."""
    today = today or local_today()
    errors: dict[str, str] = {}
    if data.source not in PERIOD_SOURCES:
        errors["source"] = "unknown"
    if data.end_date <= data.start_date:
        errors["end_date"] = "end_before_start"
    elif not covers_months(data.start_date, data.end_date, MIN_PERIOD_MONTHS):
        errors["end_date"] = "too_short"
    if data.start_date < today:
        errors["start_date"] = "in_the_past"
    return errors


def fallback_time(department: Department, published_at: datetime) -> datetime:
    """When a period with no match falls back to ordinary advertising."""
    policy = department.trust.policy
    months = policy.fallback_months if policy else 2
    return add_months_dt(published_at, months)


def publish_period(
    data: PeriodInput,
    *,
    actor: User | None,
    published_at: datetime | None = None,
    today: date | None = None,
) -> Period:
    """Create an open period (flushes) and audit it; raises PeriodError on bad input."""
    department = db.session.get(Department, data.department_id)
    errors = validate_period(data, today)
    if department is None:
        errors["department_id"] = "unknown"
    if errors:
        raise PeriodError(errors)
    published_at = published_at or utcnow()
    period = Period(
        department=department,
        start_date=data.start_date,
        end_date=data.end_date,
        source=data.source,
        description=data.description,
        on_call=data.on_call,
        contact_name=data.contact_name,
        contact_email=data.contact_email,
        status="open",
        published_at=published_at,
        advertise_after=fallback_time(department, published_at),
        created_by_id=actor.id if actor else None,
    )
    db.session.add(period)
    db.session.flush()
    audit.record("period.published", period, actor=actor)
    return period
