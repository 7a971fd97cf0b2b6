"""Application rounds: the one home of their rules (issue 20).

A policy (a region's, or a trust's override) whose ``intake`` is ``rounds`` holds dated
rounds (``application_rounds``): apply by, matching date, answer by. Under such a policy:

- a window registered (created) on or before a round's application deadline enters that
  round's one matching; a window registered later waits for the next round;
- the trust's periods are not matched by the nightly run: a period waits for the first
  round whose matching date falls on or after its publication and before its start, and is
  matched by the first run on or after that date, once (the round's row records the run:
  ``matched_run_id``, claimed with a conditional UPDATE, so no later run matches it again);
- offers of a period its round matched default to the round's answer date;
- a period its round left without a match, or whose match ended later, falls back to
  ordinary advertising: its fallback date is the day after the round's matching (the round
  is its one chance); a period no round reaches before it starts keeps the ordinary
  fallback date (the policy's months after publication).

The run (app/runs), the publication (app/periods), the offer, the reminders, the pages and
the API all ask this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.dates import local_zone
from app.extensions import db
from app.models import ApplicationRound, Availability, MatchingRun, Period, Policy, Region, Trust
from app.models.types import utcnow
from app.policy import EffectivePolicy, effective_policy, region_policy


class RoundTaken(RuntimeError):
    """Another run matched the round first (the database guard)."""


def local_date(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()


def rounds_of(policy: EffectivePolicy) -> list[ApplicationRound]:
    """The policy's rounds by application deadline; none unless its intake is rounds."""
    if policy.intake != "rounds" or policy.policy_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(ApplicationRound)
            .where(ApplicationRound.policy_id == policy.policy_id)
            .order_by(ApplicationRound.apply_by)
        )
    )


def upcoming(rounds: Iterable[ApplicationRound], today: date) -> list[ApplicationRound]:
    """The rounds still to be matched (matching today or later), soonest first."""
    return [r for r in rounds if not r.matched and r.match_on >= today]


def window_round(rounds: Iterable[ApplicationRound], registered: date) -> ApplicationRound | None:
    """The round a window registered on ``registered`` enters: the first one not matched
    whose application deadline is that day or later."""
    return next((r for r in rounds if not r.matched and r.apply_by >= registered), None)


def period_round(
    rounds: Iterable[ApplicationRound], published: date, start: date
) -> ApplicationRound | None:
    """The round a period published on ``published`` waits for: the first one not matched
    whose matching date is that day or later and before the period starts."""
    return next(
        (r for r in rounds if not r.matched and published <= r.match_on < start),
        None,
    )


def round_fallback(trust: Trust, published_at: datetime, start: date) -> datetime | None:
    """The fallback to ordinary advertising of a period of ``trust`` published at
    ``published_at``: the start of the day after its round's matching (None: no round)."""
    found = period_round(rounds_of(effective_policy(trust)), local_date(published_at), start)
    if found is None:
        return None
    return datetime.combine(found.match_on + timedelta(days=1), time(0), tzinfo=local_zone())


def offer_deadline(period: Period, today: date) -> date | None:
    """The answer date of the round that matched ``period``, if it is not past."""
    if period.application_round_id is None:
        return None
    found = db.session.get(ApplicationRound, period.application_round_id)
    if found is None or found.answer_by < today:
        return None
    return found.answer_by


def late_periods(window: Availability | None, periods: Iterable[Period]) -> frozenset[int]:
    """Of ``periods``, those an application round matched whose deadline was before the
    window's registration ("Why not?"; one query)."""
    periods = list(periods)
    ids = {p.application_round_id for p in periods if p.application_round_id is not None}
    if window is None or not ids:
        return frozenset()
    query = sa.select(ApplicationRound.id, ApplicationRound.apply_by).where(
        ApplicationRound.id.in_(ids)
    )
    deadlines: dict[int, date] = {row.id: row.apply_by for row in db.session.execute(query)}
    registered = local_date(window.created_at)
    return frozenset(
        p.id
        for p in periods
        if p.application_round_id in deadlines and deadlines[p.application_round_id] < registered
    )


@dataclass
class RoundPlan:
    """What one run does with the trusts under rounds: which round it matches for which
    trust, and the periods it takes into those rounds."""

    # trusts whose intake is rounds
    rounds_trusts: set[int] = field(default_factory=set)
    # trust id -> the round this run matches for it
    matching: dict[int, ApplicationRound] = field(default_factory=dict)
    # every round this run marks as matched (a round whose date passed without a run is
    # merged into the later one that is due with it)
    due: list[ApplicationRound] = field(default_factory=list)
    # period id -> the round that takes it (filled by ``takes``)
    taken: dict[int, ApplicationRound] = field(default_factory=dict)

    def round_of(self, period: Period) -> ApplicationRound | None:
        """The round this run matches ``period`` in, if any."""
        found = self.matching.get(period.department.trust_id)
        if (
            found is None
            or period.application_round_id is not None
            or local_date(period.published_at) > found.match_on
        ):
            return None
        return found

    def takes(self, period: Period) -> bool:
        """Whether this run may match ``period`` (its trust matches continuously, or this
        run matches the round the period waits for); records the round's periods."""
        if period.department.trust_id not in self.rounds_trusts:
            return True
        found = self.round_of(period)
        if found is None:
            return False
        self.taken[period.id] = found
        return True

    def frozen(self, period: Period) -> bool:
        """A period of a rounds trust that this run does not match (its proposals stay)."""
        return period.department.trust_id in self.rounds_trusts and period.id not in self.taken

    def late(self, window: Availability | None, period_id: int) -> bool:
        """Whether ``window`` was registered after the deadline of the round this run
        matches ``period_id`` in (so it waits for the next round)."""
        found = self.taken.get(period_id)
        if found is None or window is None:
            return False
        return local_date(window.created_at) > found.apply_by


def view_plan(periods: Iterable[Period]) -> RoundPlan:
    """For ranking outside a run (a period's shortlist): the round each period of a trust
    under rounds belongs to (the one that matched it, else the one it waits for), so that
    ``late`` leaves out the windows registered after that round's deadline."""
    result = RoundPlan()
    by_policy: dict[int, list[ApplicationRound]] = {}
    for period in periods:
        found: ApplicationRound | None
        if period.application_round_id is not None:
            found = db.session.get(ApplicationRound, period.application_round_id)
        else:
            policy = effective_policy(period.department.trust)
            if policy.intake != "rounds" or policy.policy_id is None:
                continue
            if policy.policy_id not in by_policy:
                by_policy[policy.policy_id] = rounds_of(policy)
            found = period_round(
                by_policy[policy.policy_id], local_date(period.published_at), period.start_date
            )
        if found is not None:
            result.taken[period.id] = found
    return result


def plan(as_of: date, regions: list[Region] | None) -> RoundPlan:
    """The rounds of the trusts (of ``regions``, or all) that a run dated ``as_of`` matches:
    per policy under rounds, its latest round not yet matched whose matching date has come."""
    query = sa.select(Trust).order_by(Trust.id)
    if regions is not None:
        query = query.where(Trust.region_id.in_([r.id for r in regions]))
    result = RoundPlan()
    by_policy: dict[int, ApplicationRound | None] = {}
    for trust in db.session.scalars(query):
        policy = effective_policy(trust)
        if policy.intake != "rounds" or policy.policy_id is None:
            continue
        result.rounds_trusts.add(trust.id)
        if policy.policy_id not in by_policy:
            due = [r for r in rounds_of(policy) if not r.matched and r.match_on <= as_of]
            result.due.extend(due)
            by_policy[policy.policy_id] = due[-1] if due else None
        found = by_policy[policy.policy_id]
        if found is not None:
            result.matching[trust.id] = found
    return result


def claim(round_plan: RoundPlan, run: MatchingRun) -> None:
    """Mark the plan's due rounds as matched by ``run`` (flushes). The UPDATE only takes a
    round nobody matched; RoundTaken if another run did in the meantime."""
    now = utcnow()
    for found in round_plan.due:
        taken: sa.CursorResult = db.session.execute(  # type: ignore[assignment]
            sa.update(ApplicationRound)
            .where(ApplicationRound.id == found.id, ApplicationRound.matched_run_id.is_(None))
            .values(matched_run_id=run.id, matched_at=now)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            raise RoundTaken(f"round {found.id} was matched by another run")
        db.session.refresh(found)


def record_periods(round_plan: RoundPlan) -> None:
    """The periods the plan's rounds took now belong to them (later runs leave them)."""
    for period_id, found in round_plan.taken.items():
        period = db.session.get_one(Period, period_id)
        period.application_round_id = found.id
    db.session.flush()


@dataclass(frozen=True)
class Schedule:
    """The rounds of one policy under rounds, for a page: whose rules (the region's or a
    trust's), the trusts that follow them, and the rounds."""

    policy: Policy
    trusts: tuple[Trust, ...]
    rounds: tuple[ApplicationRound, ...]


def schedules(region: Region) -> list[Schedule]:
    """The region's policies under rounds (its own first, then its trusts' overrides by
    trust name), each with the trusts that follow it and its rounds."""
    policies: dict[int, list[Trust]] = {}
    rows: dict[int, Policy] = {}
    own = region_policy(region)
    if own.intake == "rounds" and own.policy_id is not None:
        policies[own.policy_id] = []
    for trust in region.trusts:
        policy = effective_policy(trust)
        if policy.intake == "rounds" and policy.policy_id is not None:
            policies.setdefault(policy.policy_id, []).append(trust)
    if not policies:
        return []
    for row in db.session.scalars(sa.select(Policy).where(Policy.id.in_(list(policies)))):
        rows[row.id] = row
    return [
        Schedule(policy=rows[pid], trusts=tuple(trusts), rounds=tuple(rows[pid].rounds))
        for pid, trusts in sorted(policies.items(), key=lambda item: rows[item[0]].trust_id or 0)
    ]


def window_rounds(window: Availability, region: Region | None) -> list[tuple[Schedule, object]]:
    """For the GP's page: per schedule of the region the window seeks, the round the window
    enters (None: no round ahead)."""
    if region is None:
        return []
    registered = local_date(window.created_at)
    return [(s, window_round(s.rounds, registered)) for s in schedules(region)]
