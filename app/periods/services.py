"""What a period's input must be, and dates derived from the rules in force (the
publishing, editing and withdrawing themselves are app.lifecycle.periods)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app import rounds
from app.dates import add_months, add_months_dt, covers_months, local_today, local_zone
from app.errors import InvalidInput
from app.extensions import db
from app.models import Department, Period
from app.models.periods import PERIOD_SOURCES
from app.models.statuses import PeriodStatus
from app.policy import effective_policy

MIN_PERIOD_MONTHS = 3


class PeriodError(InvalidInput):
    """Invalid period input; ``fields`` maps each field to what is wrong (machine codes)."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("invalid_period", fields=fields)


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
    # A combined period (3 + 3): from switch_date the GP works in the second department.
    second_department_id: int | None = None
    switch_date: date | None = None


def validate_combined(data: PeriodInput) -> dict[str, str]:
    """Field errors of a period over two departments: both fields or neither; another
    department of the same trust; each part at least 3 months."""
    second, switch = data.second_department_id, data.switch_date
    if second is None and switch is None:
        return {}
    if second is None:
        return {"second_department_id": "required"}
    if switch is None:
        return {"switch_date": "required"}
    errors = {}
    first = db.session.get(Department, data.department_id)
    other = db.session.get(Department, second)
    if other is None:
        errors["second_department_id"] = "unknown"
    elif second == data.department_id:
        errors["second_department_id"] = "same_department"
    elif first is not None and other.trust_id != first.trust_id:
        errors["second_department_id"] = "other_trust"
    before = switch - timedelta(days=1)
    if not (
        data.start_date < switch <= data.end_date
        and covers_months(data.start_date, before, MIN_PERIOD_MONTHS)
        and covers_months(switch, data.end_date, MIN_PERIOD_MONTHS)
    ):
        errors["switch_date"] = "bad_switch"
    return errors


def validate_period(data: PeriodInput, today: date | None = None) -> dict[str, str]:
    """Field errors as machine codes: end_before_start, too_short, in_the_past, unknown,
    and those of a combined period (validate_combined)."""
    today = today or local_today()
    errors: dict[str, str] = validate_combined(data)
    if data.source not in PERIOD_SOURCES:
        errors["source"] = "unknown"
    if data.end_date <= data.start_date:
        errors["end_date"] = "end_before_start"
    elif not covers_months(data.start_date, data.end_date, MIN_PERIOD_MONTHS):
        errors["end_date"] = "too_short"
    if data.start_date < today:
        errors["start_date"] = "in_the_past"
    return errors


def fallback_time(department: Department, published_at: datetime, start: date) -> datetime:
    """When a period with no match falls back to ordinary advertising: the policy's months
    after publication; under rounds, the day after the matching of the round it waits for
    (the round is its one chance; app.rounds)."""
    after_round = rounds.round_fallback(department.trust, published_at, start)
    if after_round is not None:
        return after_round
    return add_months_dt(published_at, effective_policy(department.trust).fallback_months)


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
    if data.second_department_id is not None:
        return {"split_months": "combined"}  # one period over two departments, not parts
    if split_months < MIN_PERIOD_MONTHS:
        return {"split_months": "too_short"}
    if (
        data.end_date > data.start_date
        and len(split_dates(data.start_date, data.end_date, split_months)) < 2
    ):
        return {"split_months": "no_split"}
    return {}


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


def default_accept_by(period: Period, today: date | None = None) -> date:
    """The policy's days to answer from today (a period its application round matched: the
    round's answer date), but never on or after the start."""
    today = today or local_today()
    deadline = rounds.offer_deadline(period, today)
    if deadline is None:
        deadline = today + timedelta(days=effective_policy(period.department.trust).offer_days)
    return min(deadline, period.start_date - timedelta(days=1))


def days_until_fallback(period: Period, today: date | None = None) -> int | None:
    """Days from today to the fallback date of an open period (0 or less: the next run)."""
    if period.status != PeriodStatus.OPEN:
        return None
    today = today or local_today()
    return (period.advertise_after.astimezone(local_zone()).date() - today).days
