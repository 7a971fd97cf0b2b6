"""The portal's figures, month by month, for one region or the whole country: what the
statistics page, its public version, the evaluation report and the CSV/Excel downloads show
(one computation for all of them).

Every figure is an aggregate over the chosen span: the queries select one column of the
periods or matches of the region within the span (or group in SQL), never the history row
by row. Definitions, once:

- published: periods whose publication falls in the month;
- proposed: periods that got their first proposal in the month;
- filled: matches accepted in the month (the GP said yes);
- advertised: periods that fell back to ordinary advertising in the month (their fallback
  date, for periods that are advertised now);
- declined, expired: offers the GP declined, or let pass, in the month;
- passed over: candidates the month's last committed run passed over (max_placements);
- fill rate: of the periods published in the span that have an outcome (filled or
  advertised), the share filled;
- days to proposal / to acceptance: medians, from publication, over the span's periods;
- waiting: GPs on the region's waiting list (an active window, no live match) today, and the
  median days since they registered that window;
- evaluation: the survey answers submitted in the span (``survey_results``), averaged per
  question and respondent role; fewer than 5 answers show as "<5" without averages, and
  free text is listed only where a role has at least 5 answers (coordinators only).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
from statistics import median

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import InstrumentedAttribute

from app.data_version import VersionedCache
from app.dates import add_months, local_zone
from app.extensions import db
from app.models import (
    Availability,
    Department,
    Match,
    MatchingRun,
    Period,
    Region,
    Specialty,
    SurveyResponse,
    Trust,
)
from app.models.learning import SURVEY_QUESTIONS, SURVEY_ROLES
from app.models.statuses import LIVE_MATCH_STATUSES, MatchStatus, PeriodStatus
from app.models.users import GP, Municipality

SMALL = 5  # the public version shows counts below this as "fewer than 5"
MAX_MONTHS = 60


@dataclass(frozen=True)
class Span:
    """Whole months: `months` of them, starting with the month of `first`."""

    first: date
    months: int

    @classmethod
    def ending(cls, last: date, months: int) -> Span:
        """The `months` months up to and including the month of `last`."""
        months = max(1, min(months, MAX_MONTHS))
        return cls(add_months(last.replace(day=1), 1 - months), months)

    @property
    def end(self) -> date:
        """The first day after the span."""
        return add_months(self.first, self.months)

    @property
    def month_starts(self) -> list[date]:
        return [add_months(self.first, k) for k in range(self.months)]

    def bounds(self) -> tuple[datetime, datetime]:
        """The span as aware datetimes (local midnight), for timestamp columns."""
        zone = local_zone()
        return (
            datetime.combine(self.first, time(), zone),
            datetime.combine(self.end, time(), zone),
        )


@dataclass
class Month:
    start: date
    published: int = 0
    proposed: int = 0
    filled: int = 0
    advertised: int = 0
    declined: int = 0
    expired: int = 0
    passed_over: int = 0


COUNTS = [f.name for f in fields(Month) if f.name != "start"]


@dataclass
class Figures:
    region: Region | None
    span: Span
    months: list[Month]
    fill_rate: float | None
    days_to_proposal: float | None
    days_to_acceptance: float | None
    waiting: int
    waiting_days: float | None
    by_trust: list[tuple[str, int]] = field(default_factory=list)
    by_specialty: list[tuple[str, int]] = field(default_factory=list)
    by_municipality: list[tuple[str, int]] = field(default_factory=list)

    def total(self, name: str) -> int:
        return sum(getattr(m, name) for m in self.months)

    def peak(self, names: list[str]) -> int:
        """The largest monthly count among `names` (at least 1: the chart's scale)."""
        return max([1, *(getattr(m, n) for m in self.months for n in names)])


def _month_of(moment: datetime | date) -> date:
    if isinstance(moment, datetime):
        moment = moment.astimezone(local_zone()).date()
    return moment.replace(day=1)


def _in_region(query: sa.Select, region: Region | None) -> sa.Select:
    """Restrict a query that joins Period to the periods of `region` (all if None)."""
    query = query.join(Department, Period.department_id == Department.id).join(
        Trust, Department.trust_id == Trust.id
    )
    return query if region is None else query.where(Trust.region_id == region.id)


def _bucket(months: dict[date, Month], name: str, moments: Iterable[datetime | date]) -> None:
    for moment in moments:
        month = months.get(_month_of(moment))
        if month is not None:
            setattr(month, name, getattr(month, name) + 1)


def _days(pairs: Iterable[tuple[datetime, datetime]]) -> float | None:
    values = [(b - a).total_seconds() / 86400 for a, b in pairs if a is not None and b is not None]
    return round(median(values), 1) if values else None


# The figures per region, span, day and language (specialty names), until the matching data
# changes (app/data_version.py): the statistics pages ask the same questions on every view.
_FIGURES = VersionedCache(size=64)


def figures(region: Region | None, span: Span, today: date) -> Figures:
    """The figures of `region` (None: the whole country) over `span`."""
    key = (region.id if region else None, span, today, str(get_locale()))
    kept = _FIGURES.get(key, lambda: replace(_figures(region, span, today), region=None))
    return replace(kept, region=region)


def _figures(region: Region | None, span: Span, today: date) -> Figures:
    lo, hi = span.bounds()
    months = {start: Month(start) for start in span.month_starts}
    session = db.session

    published = session.execute(
        _in_region(sa.select(Period.id, Period.published_at), region).where(
            Period.published_at >= lo, Period.published_at < hi
        )
    ).all()
    _bucket(months, "published", (at for _, at in published))

    first_proposal = (
        sa.select(Match.period_id, sa.func.min(Match.created_at).label("at"))
        .group_by(Match.period_id)
        .subquery()
    )
    proposed = session.execute(
        _in_region(
            sa.select(Period.published_at, first_proposal.c.at).join(
                first_proposal, first_proposal.c.period_id == Period.id
            ),
            region,
        ).where(first_proposal.c.at >= lo, first_proposal.c.at < hi)
    ).all()
    _bucket(months, "proposed", (at for _, at in proposed))

    decided = session.execute(
        _in_region(
            sa.select(Match.status, Match.decided_at, Period.published_at).join(
                Period, Match.period_id == Period.id
            ),
            region,
        ).where(
            Match.status.in_((MatchStatus.ACCEPTED, MatchStatus.DECLINED, MatchStatus.EXPIRED)),
            Match.decided_at >= lo,
            Match.decided_at < hi,
        )
    ).all()
    for status, name in (
        (MatchStatus.ACCEPTED, "filled"),
        (MatchStatus.DECLINED, "declined"),
        (MatchStatus.EXPIRED, "expired"),
    ):
        _bucket(months, name, (at for s, at, _ in decided if s == status))

    advertised = session.scalars(
        _in_region(sa.select(Period.advertise_after), region).where(
            Period.status == PeriodStatus.ADVERTISED,
            Period.advertise_after >= lo,
            Period.advertise_after < hi,
        )
    ).all()
    _bucket(months, "advertised", advertised)

    _passed_over(months, region, span)

    # Outcomes of the periods published in the span.
    outcomes = Counter(
        session.scalars(
            _in_region(sa.select(Period.status), region).where(
                Period.published_at >= lo,
                Period.published_at < hi,
                Period.status.in_((PeriodStatus.FILLED, PeriodStatus.ADVERTISED)),
            )
        ).all()
    )
    decided_periods = outcomes[PeriodStatus.FILLED] + outcomes[PeriodStatus.ADVERTISED]
    fill_rate = outcomes[PeriodStatus.FILLED] / decided_periods if decided_periods else None

    waiting, waiting_days = _waiting(region, today)
    return Figures(
        region=region,
        span=span,
        months=[months[s] for s in span.month_starts],
        fill_rate=fill_rate,
        days_to_proposal=_days((pub, at) for pub, at in proposed),
        days_to_acceptance=_days((pub, at) for s, at, pub in decided if s == MatchStatus.ACCEPTED),
        waiting=waiting,
        waiting_days=waiting_days,
        by_trust=_placements(Trust.id, Trust.short_name, region, span),
        by_specialty=_placements_by_specialty(region, span),
        by_municipality=_placements(
            Municipality.id, Municipality.name, region, span, municipality=True
        ),
    )


def _accepted(columns: list, region: Region | None, span: Span) -> sa.Select:
    lo, hi = span.bounds()
    return _in_region(
        sa.select(*columns).select_from(Match).join(Period, Match.period_id == Period.id),
        region,
    ).where(Match.status == MatchStatus.ACCEPTED, Match.decided_at >= lo, Match.decided_at < hi)


def _placements(
    key: InstrumentedAttribute[int],
    label: InstrumentedAttribute[str],
    region: Region | None,
    span: Span,
    municipality: bool = False,
) -> list[tuple[str, int]]:
    """Placements accepted in the span, grouped by `key` and named by `label`, most first."""
    query = _accepted([label, sa.func.count(Match.id)], region, span)
    if municipality:
        query = query.join(GP, Match.gp_id == GP.id).join(
            Municipality, GP.municipality_id == Municipality.id
        )
    rows = db.session.execute(query.group_by(key, label)).all()
    return sorted(((str(name), int(n)) for name, n in rows), key=lambda r: (-r[1], r[0]))


def _placements_by_specialty(region: Region | None, span: Span) -> list[tuple[str, int]]:
    query = _accepted([Specialty, sa.func.count(Match.id)], region, span).join(
        Specialty, Department.specialty_id == Specialty.id
    )
    rows = db.session.execute(query.group_by(Specialty.id)).all()
    return sorted(((s.name, int(n)) for s, n in rows), key=lambda r: (-r[1], r[0]))


def _passed_over(months: dict[date, Month], region: Region | None, span: Span) -> None:
    """Candidates passed over by the last committed run of each month (read from the run's
    summary in the database, one number per run and region)."""
    lo, hi = span.bounds()
    codes = (
        [region.code]
        if region is not None
        else list(db.session.scalars(sa.select(Region.code).order_by(Region.code)))
    )
    for code in codes:
        count = MatchingRun.summary[("regions", code, "passed_over")].as_integer()
        rows = db.session.execute(
            sa.select(MatchingRun.started_at, count)
            .where(
                MatchingRun.dry_run.is_(False),
                MatchingRun.status == "succeeded",
                MatchingRun.started_at >= lo,
                MatchingRun.started_at < hi,
            )
            .order_by(MatchingRun.started_at)
        ).all()
        last: dict[date, int] = {}
        for at, n in rows:
            last[_month_of(at)] = int(n or 0)  # later runs of the month overwrite earlier
        for start, n in last.items():
            if start in months:
                months[start].passed_over += n


def _waiting(region: Region | None, today: date) -> tuple[int, float | None]:
    """GPs on the waiting list (the coordinator's, app/coordination/overview.py) with no
    live match, and the median days since they registered their window: one column of the
    waiting windows, read in one query."""
    from app.coordination.counts import waiting  # noqa: PLC0415 - a page module

    region_ids = (
        [region.id] if region is not None else list(db.session.scalars(sa.select(Region.id)))
    )
    live = sa.exists().where(
        Match.gp_id == Availability.gp_id, Match.status.in_(LIVE_MATCH_STATUSES)
    )
    created = db.session.scalars(
        sa.select(Availability.created_at).where(waiting(region_ids), ~live)
    ).all()
    days = [(today - at.astimezone(local_zone()).date()).days for at in created]
    return len(days), (round(median(days), 1) if days else None)


def shown(n: int, public: bool) -> str | int:
    """A count as the page shows it: below SMALL it is hidden in the public version."""
    return n if not public or n == 0 or n >= SMALL else f"<{SMALL}"


# ---- the evaluation surveys after placements


@dataclass
class SurveyGroup:
    """The answers of one respondent role in one place (the region or country, or a
    trust): how many, and the average score of each question (None below SMALL answers:
    the page shows "<5" and no averages)."""

    role: str
    answers: int
    averages: dict[str, float] | None

    @property
    def shown_answers(self) -> str | int:
        return shown(self.answers, True)


@dataclass
class SurveyResults:
    questions: tuple[str, ...]
    overall: list[SurveyGroup]  # per role, in the whole region or country
    by_trust: list[tuple[str, list[SurveyGroup]]]
    # Free text per role, only where the role has at least SMALL answers (shuffled out of
    # the order of answering by sorting the text); for coordinators only.
    comments: dict[str, list[str]]


def _survey_group(role: str, n: int, sums: list[float]) -> SurveyGroup:
    averages = (
        {q: round(total / n, 1) for q, total in zip(SURVEY_QUESTIONS, sums, strict=True)}
        if n >= SMALL
        else None
    )
    return SurveyGroup(role, n, averages)


def survey_results(region: Region | None, span: Span) -> SurveyResults:
    """The evaluation answers submitted in ``span`` for placements in ``region`` (None: the
    country): averages per question and respondent role, in the whole and per trust;
    anonymised below SMALL answers. Two queries whatever the number of answers."""
    lo, hi = span.bounds()
    scores = [getattr(SurveyResponse, q) for q in SURVEY_QUESTIONS]
    in_span = (SurveyResponse.submitted_at >= lo, SurveyResponse.submitted_at < hi)
    rows = db.session.execute(
        _in_region(
            sa.select(
                Trust.short_name,
                SurveyResponse.role,
                sa.func.count(SurveyResponse.id),
                *(sa.func.sum(s) for s in scores),
            )
            .select_from(SurveyResponse)
            .join(Match, SurveyResponse.match_id == Match.id)
            .join(Period, Match.period_id == Period.id),
            region,
        )
        .where(*in_span)
        .group_by(Trust.id, Trust.short_name, SurveyResponse.role)
    ).all()
    totals: dict[str, list[float]] = {r: [0.0] * (len(scores) + 1) for r in SURVEY_ROLES}
    trusts: dict[str, dict[str, SurveyGroup]] = {}
    for trust, role, n, *sums in rows:
        values = [float(v or 0) for v in sums]
        totals[role] = [a + b for a, b in zip(totals[role], [n, *values], strict=True)]
        trusts.setdefault(str(trust), {})[role] = _survey_group(role, int(n), values)
    overall = [_survey_group(r, int(totals[r][0]), totals[r][1:]) for r in SURVEY_ROLES]
    by_trust = [
        (name, [groups.get(r) or SurveyGroup(r, 0, None) for r in SURVEY_ROLES])
        for name, groups in sorted(trusts.items())
    ]
    enough = [g.role for g in overall if g.answers >= SMALL]
    comments: dict[str, list[str]] = {role: [] for role in enough}
    if enough:
        texts = db.session.execute(
            _in_region(
                sa.select(SurveyResponse.role, SurveyResponse.comment)
                .select_from(SurveyResponse)
                .join(Match, SurveyResponse.match_id == Match.id)
                .join(Period, Match.period_id == Period.id),
                region,
            ).where(*in_span, SurveyResponse.role.in_(enough), SurveyResponse.comment.is_not(None))
        ).all()
        for role, text in texts:
            comments[role].append(text)
        for role in comments:
            comments[role].sort()
    return SurveyResults(SURVEY_QUESTIONS, overall, by_trust, comments)
