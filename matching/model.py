"""The problem as frozen dataclasses (see docs/matching.md for the JSON form)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

STRICT = "strict_priority"
MAX_PLACEMENTS = "max_placements"
MODES = (STRICT, MAX_PLACEMENTS)

PRIORITY_KEYS = (
    "catchment",
    "first_choice",
    "months_general_practice",
    "courses_completed",
    "supervision_group_months",
    "registered_at",
    "municipality_priority",
    "lottery",
)


@dataclass(frozen=True)
class TrustPolicy:
    """Overrides for the periods of one trust; None keeps the global value."""

    trust: str
    priority: tuple[str, ...] | None = None
    min_months_general_practice: int | None = None


@dataclass(frozen=True)
class Policy:
    mode: str
    priority: tuple[str, ...]
    min_months_general_practice: int
    lottery_seed: str
    shortlist_size: int | None = None


@dataclass(frozen=True)
class Department:
    id: str
    trust: str
    capacity: int


@dataclass(frozen=True)
class Period:
    id: str
    trust: str
    department: str
    specialty: str
    start: date
    end: date
    # A combined period over two departments (Vestre Viken's 3 + 3 in one period): from
    # `switch` (its first day there) to `end` the GP is in `second_department`, whose
    # capacity counts that part (docs/matching.md, "Split placements").
    second_department: str | None = None
    switch: date | None = None

    def parts(self) -> tuple[tuple[str, date, date], ...]:
        """(department, first day, last day) of each part of the period."""
        if self.second_department is None or self.switch is None:
            return ((self.department, self.start, self.end),)
        last = date.fromordinal(self.switch.toordinal() - 1)
        return (
            (self.department, self.start, last),
            (self.second_department, self.switch, self.end),
        )


@dataclass(frozen=True)
class Availability:
    earliest_start: date
    latest_end: date
    months: int
    specialties: tuple[str, ...]
    trusts: tuple[str, ...] = ()
    accept_other_specialty: bool = False
    # Vestre Viken's 3 + 3: up to two non-overlapping blocks of at least 3 months that add up
    # to at most `months` (docs/matching.md, "Split placements").
    split_allowed: bool = False


@dataclass(frozen=True)
class GP:
    id: str
    home_trust: str
    months_general_practice: int
    courses_completed: int
    supervision_group_months: int
    registered_at: datetime
    availability: Availability
    # The GP's municipality's own rank among its GPs (1 first); None: not stated.
    municipality_priority: int | None = None


@dataclass(frozen=True)
class PairRef:
    gp: str
    period: str


@dataclass(frozen=True)
class Problem:
    policy: Policy
    departments: tuple[Department, ...]
    periods: tuple[Period, ...]
    gps: tuple[GP, ...]
    pins: tuple[PairRef, ...] = ()
    forbids: tuple[PairRef, ...] = ()
    placed: tuple[PairRef, ...] = ()
    trust_policies: tuple[TrustPolicy, ...] = ()
    as_of: date | None = None

    @cached_property
    def gp_by_id(self) -> dict[str, GP]:
        return {g.id: g for g in self.gps}

    @cached_property
    def period_by_id(self) -> dict[str, Period]:
        return {p.id: p for p in self.periods}

    @cached_property
    def department_by_id(self) -> dict[str, Department]:
        return {d.id: d for d in self.departments}

    @cached_property
    def trust_policy_by_trust(self) -> dict[str, TrustPolicy]:
        return {t.trust: t for t in self.trust_policies}

    def priority_order(self, trust: str) -> tuple[str, ...]:
        """The priority keys that apply to periods of `trust`."""
        override = self.trust_policy_by_trust.get(trust)
        if override is not None and override.priority is not None:
            return override.priority
        return self.policy.priority

    def min_months(self, trust: str) -> int:
        """The minimum months in general practice for periods of `trust`."""
        override = self.trust_policy_by_trust.get(trust)
        if override is not None and override.min_months_general_practice is not None:
            return override.min_months_general_practice
        return self.policy.min_months_general_practice
