"""The national demo data set: every region, about 2,000 GPs and 800 periods per unit of
scale, and a year of history made by the services themselves.

The year is simulated week by week with the clock moved (time-machine, a development
dependency): each simulated week starts with the real nightly matching run at 02:00
(expiring offers, advertising periods past their fallback date, proposing), then during
the day GPs register with their windows and wishes, trusts publish periods, coordinators
confirm proposals, trusts offer them and GPs accept, decline or let offers expire, and a
few periods are withdrawn. Every row, audit record and notification comes from the same
service function a page or the API calls; timestamps are the simulated ones. The same seed
gives the same data (one solver worker with a fixed seed; every choice from one generator).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from app import lifecycle
from app.auth.passwords import hash_password
from app.auth.services import GPRegistration, create_user, register_gp
from app.dates import add_months, local_today, local_zone
from app.demo import DEMO_PASSWORD, FIRST_NAMES, LAST_NAMES, SEED, _period_text, demo_email
from app.extensions import db
from app.gps.services import AvailabilityInput
from app.models import (
    GP,
    AuditEvent,
    Department,
    Match,
    MatchingRun,
    Municipality,
    Notification,
    Period,
    Region,
    Trust,
    User,
)
from app.models.periods import PERIOD_SOURCES
from app.models.statuses import MatchStatus
from app.periods.services import PeriodInput

GPS_PER_SCALE = 2000
PERIODS_PER_SCALE = 800
DAYS = 364  # a year back from today, in whole weeks
MARKER = "koordinator.nasjonal"  # this login exists only after a national load
# Municipalities with a municipality user (kommune.NUMBER@…): Oslo, Bergen, Trondheim, Tromsø.
MUNICIPALITY_USERS = ("0301", "4601", "5001", "5501")
DECLINE_REASONS = (None, None, "Passer ikke med familiesituasjonen.", "Har fått annen stilling.")


class NotEmpty(RuntimeError):
    """The database is not ready for the national demo: it has data of its own (the national
    demo loads only on nothing but reference data), or not even the reference data. The
    command prints it on one line and exits 2."""


@dataclass
class NationalLoad:
    seconds: float = 0.0
    per_region: dict[str, Counter] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


def is_loaded() -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == demo_email(MARKER))) is not None


def check_empty() -> None:
    """Raise NotEmpty unless the database holds only reference data."""
    for model, words in ((User, "user accounts"), (GP, "GPs"), (Period, "periods")):
        n = db.session.scalar(sa.select(sa.func.count()).select_from(model))
        if n:
            raise NotEmpty(
                f"the database already has {n} {words}: the national demo loads only into a "
                "database with nothing but reference data (flask db upgrade, reference load)"
            )


@contextmanager
def _at(day: date, hour: int) -> Iterator[None]:
    """The clock of the whole process stands at ``hour`` o'clock local time on ``day``."""
    import time_machine  # a development dependency: the demo is a development tool

    moment = datetime.combine(day, time(hour), tzinfo=local_zone())
    with time_machine.travel(moment, tick=False):
        yield


def load_national(
    scale: float = 1.0, seed: int = SEED, today: date | None = None, step_days: int = 7
) -> NationalLoad:
    """Simulate a year of the national market up to ``today`` (flushes; the caller commits).
    Raises NotEmpty on a database with data of its own."""
    check_empty()
    if db.session.scalar(sa.select(sa.func.count()).select_from(Department)) == 0:
        raise NotEmpty("load the reference data first (flask reference load)")
    today = today or local_today()
    first = today - timedelta(days=DAYS)
    sim = _Simulation(random.Random(seed), first)
    with _at(first, 8):
        sim.staff()
    n_gps, n_periods = round(GPS_PER_SCALE * scale), round(PERIODS_PER_SCALE * scale)
    gp_days = sim.spread(n_gps, first, today)
    period_days = sim.spread(n_periods, first, today - timedelta(days=3))
    day, previous = first, first - timedelta(days=1)
    while True:
        with _at(day, 2):
            sim.nightly_run(day)
        with _at(day, 10):
            sim.withdraw_some(day)
            if day < today:  # today's proposals wait for the people who act on them
                sim.answer_offers(day)
                sim.offer_proposals(day)
            for _ in range(sum(1 for d in gp_days if previous < d <= day)):
                sim.register(day)
            for _ in range(sum(1 for d in period_days if previous < d <= day)):
                sim.publish(day)
        if day == today:
            break
        previous, day = day, min(today, day + timedelta(days=step_days))
    deliver_the_past(today)
    db.session.flush()
    return NationalLoad(per_region=region_counts(), totals=totals())


class _Simulation:
    def __init__(self, rng: random.Random, first: date):
        self.rng = rng
        self.first = first
        self.hash = hash_password(DEMO_PASSWORD)  # one hash: all demo logins share it
        self.regions = list(db.session.scalars(sa.select(Region).order_by(Region.id)))
        self.municipalities = list(
            db.session.scalars(
                sa.select(Municipality)
                .where(Municipality.trust_id.is_not(None))
                .order_by(Municipality.id)
            )
        )
        self.departments = list(
            db.session.scalars(
                sa.select(Department).where(Department.alis_capacity > 0).order_by(Department.id)
            )
        )
        # The first GPs and periods go to every municipality and department once, in an
        # order of the seed's (a small scale still reaches every region).
        rng.shuffle(self.municipalities)
        rng.shuffle(self.departments)
        self.trusts = list(db.session.scalars(sa.select(Trust).order_by(Trust.id)))
        self.specialties_in: dict[int, list[Any]] = {}
        for department in self.departments:
            wanted = self.specialties_in.setdefault(department.trust.region_id, [])
            if department.specialty not in wanted:
                wanted.append(department.specialty)
        self.hr: dict[int, User] = {}
        self.coordinator: dict[int, User] = {}
        self.gps = 0
        self.periods = 0
        self.to_withdraw: dict[int, date] = {}

    def spread(self, n: int, first: date, last: date) -> list[date]:
        """``n`` days between first and last, a third of them in the first week (the market
        as it stood when the history begins)."""
        span = (last - first).days
        return sorted(
            first if self.rng.random() < 1 / 3 else first + timedelta(self.rng.randint(1, span))
            for _ in range(n)
        )

    def _user(self, local: str, role: str, **kw: Any) -> User:
        user = create_user(demo_email(local), DEMO_PASSWORD, role, password_hash=self.hash, **kw)
        user.email_verified_at = user.created_at
        return user

    def staff(self) -> None:
        self._user("admin", "admin")
        self._user(MARKER, "coordinator")
        for region in self.regions:
            self.coordinator[region.id] = self._user(
                f"koordinator.{region.code}", "coordinator", region=region
            )
        for trust in self.trusts:
            self.hr[trust.id] = self._user(f"hr.{trust.code}", "trust", trust=trust)
        # A municipality user (the GP's employer) for each region's largest city.
        by_number = {m.number: m for m in self.municipalities}
        for number in MUNICIPALITY_USERS:
            if number in by_number:
                self._user(f"kommune.{number}", "municipality", municipalities=[by_number[number]])

    def nightly_run(self, day: date) -> None:
        from app.runs.guard import held_locks
        from app.runs.services import RunRequest, run_matching

        with held_locks(exclusive=True):
            run_matching(RunRequest(as_of=day, trigger="nightly"))

    def register(self, day: date) -> None:
        rng, i = self.rng, self.gps
        self.gps += 1
        # Every municipality first, then at random: all of them have GPs.
        if i < len(self.municipalities):
            municipality = self.municipalities[i]
        else:
            municipality = rng.choice(self.municipalities)
        months_gp = rng.randint(24, 110)
        gp = register_gp(
            GPRegistration(
                email=demo_email(f"alis{i:04d}"),
                password=DEMO_PASSWORD,
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                hpr_number=str(10_000_000 + i),
                municipality_id=municipality.id,
                specialisation_started=day - timedelta(days=30 * (months_gp + rng.randint(0, 12))),
                months_general_practice=months_gp,
                courses_completed=rng.randint(0, 12),
                supervision_group_months=rng.randint(0, 24),
                scheme="old" if rng.random() < 0.15 else "new",
                locale=rng.choice(("nb", "nb", "nb", "nn")),
            ),
            password_hash=self.hash,
        )
        if i % 9 != 4:  # every ninth has not confirmed the address yet
            gp.user.email_verified_at = gp.user.created_at
        if rng.random() < 0.88:
            self._window(gp, day)

    def _window(self, gp: GP, day: date) -> None:
        rng = self.rng
        earliest = add_months(day.replace(day=1), rng.randint(1, 8))
        months = 12 if gp.scheme == "old" else rng.choice((6, 6, 6, 3))
        latest = add_months(earliest, months + rng.randint(0, 10)) - timedelta(days=1)
        home = gp.municipality.trust
        assert home is not None  # only municipalities with a catchment trust are chosen
        specialties = self.specialties_in[home.region_id]
        wishes = rng.sample(specialties, k=min(len(specialties), rng.randint(1, 3)))
        others = [t for t in self.trusts if t.region_id == home.region_id and t is not home]
        trusts = (
            []
            if rng.random() < 0.3
            else [home, *rng.sample(others, k=min(len(others), rng.randint(0, 2)))]
        )
        lifecycle.create_availability(
            gp,
            AvailabilityInput(
                earliest_start=earliest,
                latest_end=latest,
                months=months,
                specialty_ids=tuple(s.id for s in wishes),
                trust_ids=tuple(t.id for t in trusts),
                accept_other_specialty=rng.random() < 0.4,
            ),
            actor=gp.user,
            today=day,
        )

    def publish(self, day: date) -> None:
        rng, i = self.rng, self.periods
        self.periods += 1
        if i < len(self.departments):  # every department first
            department = self.departments[i]
        else:
            department = rng.choice(self.departments)
        start = add_months(day.replace(day=1), rng.randint(2, 9))
        length = rng.choice((6, 6, 6, 6, 3, 12))
        period = lifecycle.publish_period(
            PeriodInput(
                department_id=department.id,
                start_date=start,
                end_date=add_months(start, length) - timedelta(days=1),
                source=rng.choice(PERIOD_SOURCES[:4]),
                description=_period_text(department, length),
                on_call=rng.random() < 0.6,
                contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                contact_email=f"alis@{department.trust.code}.no",
            ),
            actor=self.hr[department.trust_id],
            today=day,
        )
        if i % 20 == 7:
            self.to_withdraw[period.id] = day + timedelta(days=rng.randint(1, 7))

    def answer_offers(self, day: date) -> None:
        """GPs answer most open offers within a week: three in four accept."""
        offers = db.session.scalars(
            sa.select(Match).where(Match.status == MatchStatus.OFFERED).order_by(Match.id)
        ).all()
        for match in offers:
            if match.accept_by is None or match.accept_by < day or self.rng.random() < 0.5:
                continue
            if self.rng.random() < 0.75:
                lifecycle.accept(match, actor=match.gp.user, today=day)
            else:
                reason = self.rng.choice(DECLINE_REASONS)
                lifecycle.decline(match, actor=match.gp.user, reason=reason, today=day)

    def offer_proposals(self, day: date) -> None:
        """Coordinators confirm, and trusts offer, most proposals within the week."""
        proposals = db.session.scalars(
            sa.select(Match).where(Match.status == MatchStatus.PROPOSED).order_by(Match.id)
        ).all()
        for match in proposals:
            period = match.period
            deadline = min(day + timedelta(days=14), period.start_date - timedelta(days=1))
            if deadline < day or self.rng.random() < 0.3:
                continue
            trust = period.department.trust
            if match.awaiting_choice:  # a shortlist (Ahus): the department chooses
                chosen = self.choose_from_shortlist(match, day)
                if chosen is None:
                    continue
                match = chosen
            elif match.confirmed_at is None:
                lifecycle.confirm(match, actor=self.coordinator[trust.region_id])
            lifecycle.offer(match, accept_by=deadline, actor=self.hr[trust.id], today=day)

    def choose_from_shortlist(self, match: Match, day: date) -> Match | None:
        """The department takes the engine's proposal two times in three, else another GP
        on the shortlist (through the shortlist's own service, as on the period's page).
        None when there is no shortlist to choose from (the proposal waits)."""
        from app.periods.shortlist import ShortlistUnavailable, choose_candidate, shortlist

        period, staff = match.period, self.hr[match.period.department.trust_id]
        try:
            ids = [e.gp.id for e in shortlist(period, staff, today=day)]
        except ShortlistUnavailable:
            return None
        others = [g for g in ids if g != match.gp_id]
        if match.gp_id in ids and (not others or self.rng.random() < 2 / 3):
            pick = match.gp_id
        elif others:
            pick = self.rng.choice(others)
        else:
            return None
        return choose_candidate(period, pick, actor=staff)

    def withdraw_some(self, day: date) -> None:
        """One period in twenty is taken back within days of its publication (the leave was
        cancelled); a proposal it has is cancelled first."""
        for period_id, when in sorted(self.to_withdraw.items()):
            if when > day:
                continue
            del self.to_withdraw[period_id]
            period = db.session.get_one(Period, period_id)
            lifecycle.withdraw_period(
                period, reason="Permisjonen ble avlyst.", actor=self.hr[period.department.trust_id]
            )


def deliver_the_past(today: date) -> int:
    """Record the emails of the simulated past as sent, at the moment each became due, as
    the scheduler would have sent them then (the outbox store's own ``mark_sent``; flushes).
    Only those of the last simulated day (``today``) stay queued, so the first delivery after
    a load sends a day's emails, not a year's. Returns how many were recorded."""
    from app.outbox_store import store
    from notifications.store import NOTIFICATION

    start_of_today = datetime.combine(today, time(0), tzinfo=local_zone())
    due = db.session.execute(
        sa.select(Notification.id, Notification.next_attempt_at)
        .where(Notification.email_status == "pending", Notification.created_at < start_of_today)
        .order_by(Notification.id)
    ).all()
    for notification_id, due_at in due:
        store.mark_sent(NOTIFICATION, notification_id, due_at)
    return len(due)


def region_counts() -> dict[str, Counter]:
    """GPs, windows and periods by status, per region (for the command's report)."""
    out: dict[str, Counter] = {}
    gp_rows = db.session.execute(
        sa.select(Region.code, sa.func.count(GP.id))
        .join(Trust, Trust.region_id == Region.id)
        .join(Municipality, Municipality.trust_id == Trust.id)
        .join(GP, GP.municipality_id == Municipality.id)
        .group_by(Region.code)
    )
    for code, n in gp_rows:
        out.setdefault(code, Counter())["gps"] = n
    period_rows = db.session.execute(
        sa.select(Region.code, Period.status, sa.func.count(Period.id))
        .join(Trust, Trust.region_id == Region.id)
        .join(Department, Department.trust_id == Trust.id)
        .join(Period, Period.department_id == Department.id)
        .group_by(Region.code, Period.status)
    )
    for code, status, n in period_rows:
        counts = out.setdefault(code, Counter())
        counts["periods"] += n
        counts[str(status)] = n
    return dict(sorted(out.items()))


def totals() -> dict[str, int]:
    def count(model: type, *where: Any) -> int:
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0

    return {
        "users": count(User),
        "gps": count(GP),
        "periods": count(Period),
        "matches": count(Match),
        "accepted": count(Match, Match.status == MatchStatus.ACCEPTED),
        "runs": count(MatchingRun),
        "notifications": count(Notification),
        "audit_records": count(AuditEvent),
    }
