"""Publishing periods: the rules shared by the pages, the API and the demo data."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from app import announce as alerts
from app import audit
from app.dates import add_months, add_months_dt, covers_months, local_today, local_zone
from app.extensions import db
from app.matches import services as matches
from app.matches.services import MatchConflict
from app.models import Department, Match, Period, User
from app.models.periods import PERIOD_SOURCES
from app.models.types import utcnow
from app.policy import effective_policy

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
    return add_months_dt(published_at, effective_policy(department.trust).fallback_months)


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
    alerts.period_published(period, today)
    return period


def split_dates(start: date, end: date, months: int) -> list[tuple[date, date]]:
    """Consecutive parts of ``months`` months covering start..end (inclusive); the last part
    absorbs a remainder shorter than the minimum rather than becoming a part of its own."""
    parts: list[tuple[date, date]] = []
    part_start = start
    k = 1
    while True:
        # Count from the original start so that month-end clamping never drifts.
        next_start = add_months(start, k * months)
        if covers_months(next_start, end, MIN_PERIOD_MONTHS):
            parts.append((part_start, next_start - timedelta(days=1)))
            part_start, k = next_start, k + 1
        else:
            parts.append((part_start, end))
            return parts


def validate_split(data: PeriodInput, split_months: int | None) -> dict[str, str]:
    """Field errors of a split request: too_short (parts under 3 months), no_split (one part)."""
    if split_months is None:
        return {}
    if split_months < MIN_PERIOD_MONTHS:
        return {"split_months": "too_short"}
    if (
        data.end_date > data.start_date
        and len(split_dates(data.start_date, data.end_date, split_months)) < 2
    ):
        return {"split_months": "no_split"}
    return {}


def publish_periods(
    data: PeriodInput,
    *,
    split_months: int | None = None,
    actor: User | None,
    today: date | None = None,
) -> list[Period]:
    """Create one open period, or consecutive parts of ``split_months`` months (flushes, audits
    each); raises PeriodError with every field error and creates nothing then."""
    errors = validate_period(data, today) | validate_split(data, split_months)
    if db.session.get(Department, data.department_id) is None:
        errors["department_id"] = "unknown"
    if errors:
        raise PeriodError(errors)
    if split_months is None:
        return [publish_period(data, actor=actor, today=today)]
    published_at = utcnow()
    return [
        publish_period(
            replace(data, start_date=start, end_date=end),
            actor=actor,
            published_at=published_at,
            today=today,
        )
        for start, end in split_dates(data.start_date, data.end_date, split_months)
    ]


def period_input(period: Period, **changes) -> PeriodInput:
    """The period's current values as a PeriodInput, with ``changes`` applied (for edits)."""
    current = {name: getattr(period, name) for name in PeriodInput.__dataclass_fields__}
    return PeriodInput(**(current | changes))


EDITABLE_FIELDS = (
    "start_date",
    "end_date",
    "source",
    "description",
    "on_call",
    "contact_name",
    "contact_email",
)


def update_period(
    period: Period, data: PeriodInput, *, actor: User | None, today: date | None = None
) -> dict[str, list]:
    """Change an open period's dates, source, on-call, description and contact (never its
    department); audits {field: [old, new]} and returns it. Raises MatchConflict when the
    period is not open, PeriodError on bad input."""
    if period.status != "open":
        raise MatchConflict("period_not_open", "only an open period can be edited")
    errors = validate_period(data, today)
    # A period that already started may still get a new description or contact.
    if data.start_date == period.start_date:
        errors.pop("start_date", None)
    if data.department_id != period.department_id:
        errors["department_id"] = "cannot_change"
    if errors:
        raise PeriodError(errors)
    changes: dict[str, list] = {}
    for name in EDITABLE_FIELDS:
        old, new = getattr(period, name), getattr(data, name)
        if old != new:
            changes[name] = [_json_value(old), _json_value(new)]
            setattr(period, name, new)
    if changes:
        db.session.flush()
        audit.record("period.updated", period, actor=actor, data=changes)
    return changes


def _json_value(value):
    return value.isoformat() if isinstance(value, date) else value


WITHDRAWABLE_STATUSES = ("open", "matched", "advertised")


def withdraw_period(period: Period, *, reason: str, actor: User | None) -> Period:
    """Withdraw a period that is not filled: a live proposal or offer is cancelled first
    (the GP is told), then the period is withdrawn and audited with the reason."""
    reason = (reason or "").strip()
    if not reason:
        raise PeriodError({"reason": "required"})
    if period.status not in WITHDRAWABLE_STATUSES:
        raise MatchConflict("not_withdrawable", "only a period that is not filled can be withdrawn")
    live = matches.live_match_for_period(period)
    if live is not None:
        matches.cancel(live, reason=reason, actor=actor)
    period.status = "withdrawn"
    db.session.flush()
    audit.record("period.withdrawn", period, actor=actor, reason=reason)
    return period


def default_accept_by(period: Period, today: date | None = None) -> date:
    """The policy's days to answer from today, but never on or after the start."""
    today = today or local_today()
    days = effective_policy(period.department.trust).offer_days
    return min(today + timedelta(days=days), period.start_date - timedelta(days=1))


def offer_period(
    period: Period, *, accept_by: date, actor: User, today: date | None = None
) -> Match:
    """Offer the period to the GP of its confirmed proposal (see matches.offer)."""
    live = matches.live_match_for_period(period)
    if live is None:
        raise MatchConflict("no_candidate", "the period has no candidate to offer it to")
    return matches.offer(live, accept_by=accept_by, actor=actor, today=today)


def record_period_hired(period: Period, *, actor: User) -> Match:
    """Record that the GP who accepted the period is hired (see matches.record_hired)."""
    live = matches.live_match_for_period(period)
    if live is None:
        raise MatchConflict("not_accepted", "only an accepted placement can be hired")
    return matches.record_hired(live, actor=actor)


def days_until_fallback(period: Period, today: date | None = None) -> int | None:
    """Days from today to the fallback date of an open period (0 or less: the next run)."""
    if period.status != "open":
        return None
    today = today or local_today()
    return (period.advertise_after.astimezone(local_zone()).date() - today).days

