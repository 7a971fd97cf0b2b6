"""A believable Helse Vest demo: GPs with varied progress and windows, periods across the
trusts (some fresh, some past their fallback date), and a login for every role.

Deterministic for a given day (seeded); loading twice leaves the first load as it is.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app import lifecycle
from app.access import current_window
from app.auth.passwords import hash_password
from app.dates import add_months, local_today
from app.extensions import db
from app.gps.services import AvailabilityInput
from app.lifecycle import publish_period
from app.models import (
    GP,
    Department,
    Match,
    Municipality,
    Period,
    Region,
    Site,
    Specialty,
    Trust,
    User,
)
from app.models.periods import PERIOD_SOURCES
from app.models.statuses import LIVE_MATCH_STATUSES as LIVE
from app.models.statuses import MatchStatus, PeriodStatus
from app.models.types import utcnow
from app.periods.services import PeriodInput

DEMO_PASSWORD = "alis-demo-2026"
DEMO_DOMAIN = "demo.alis.no"
SEED = 20261123

FIRST_NAMES = [
    "Kari",
    "Ingrid",
    "Marit",
    "Anne",
    "Silje",
    "Ida",
    "Nora",
    "Sofie",
    "Ragnhild",
    "Solveig",
    "Hanne",
    "Tone",
    "Eli",
    "Live",
    "Maren",
    "Ola",
    "Lars",
    "Per",
    "Jon",
    "Knut",
    "Erik",
    "Magnus",
    "Sindre",
    "Eirik",
    "Håkon",
    "Torbjørn",
    "Sigurd",
    "Vegard",
    "Øystein",
    "Aksel",
]
LAST_NAMES = [
    "Nordmann",
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Haugland",
    "Eide",
    "Vik",
    "Nygård",
    "Solheim",
    "Brekke",
    "Bakke",
    "Lie",
    "Tveit",
    "Myklebust",
    "Hovland",
    "Sandvik",
    "Rasmussen",
    "Dale",
    "Thorsen",
    "Skaar",
    "Halvorsen",
    "Aasen",
    "Fosse",
    "Ramstad",
]


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str
    description: str


STAFF = (
    ("admin", "admin", None, None, "Administrator"),
    ("coordinator", "koordinator.vest", None, "helse-vest", "ALIS-koordinator, Helse Vest"),
    ("coordinator", "koordinator", None, None, "ALIS-koordinator, nasjonal"),
    ("trust", "hr.bergen", "helse-bergen", None, "Helse Bergen (HR)"),
    ("trust", "hr.stavanger", "helse-stavanger", None, "Helse Stavanger (HR)"),
    ("trust", "hr.fonna", "helse-fonna", None, "Helse Fonna (HR)"),
    ("trust", "hr.forde", "helse-forde", None, "Helse Førde (HR)"),
)


# Ahus (Helse Sør-Øst) chooses from a shortlist (its reference policy): its HR login, three
# periods at Nordbyhagen and six GPs in its catchment area who fit them, so that after the
# demo's run each period waits for the department's choice among two or more candidates.
AHUS_USER = ("trust", "hr.ahus", "ahus", None, "Ahus (HR), velger fra kortliste")
AHUS_PERIODS = ("internal-medicine", "psychiatry", "paediatrics")
AHUS_GPS = (  # name, municipality, months of general practice, courses, supervision, wishes
    ("Ingrid Berg", "3205", 72, 6, 18, ("internal-medicine",)),
    ("Jonas Lunde", "3222", 60, 4, 12, ("internal-medicine", "psychiatry")),
    ("Marte Sæther", "3205", 48, 8, 20, ("psychiatry", "internal-medicine")),
    ("Amir Haddad", "3207", 90, 3, 10, ("psychiatry",)),
    ("Line Aas", "3401", 36, 5, 6, ("paediatrics", "internal-medicine")),
    ("Thomas Holm", "3222", 55, 2, 14, ("paediatrics", "psychiatry")),
)

# Vestre Viken (Helse Sør-Øst) accepts 3 + 3 months (issue 20): a GP in Drammen whose window
# allows a split, and two back-to-back periods of 3 months in two of its medical departments,
# so that after the demo's run the GP holds both blocks. (name, municipality, months of general
# practice, courses, supervision), then the departments' sites in the order of the blocks.
SPLIT_GP = ("Kristin Moe", "3301", 40, 3, 12)
SPLIT_SITES = ("drammen", "baerum")

# Helse Førde takes its GPs in application rounds (issue 20), on rules of its own: a round
# whose deadline and matching are the load day (the demo's run matches it, and its offers
# take the round's answer date) and the next round ahead (the region's page and the GPs'
# availability pages show it). Days from the load day: (apply by, matching, answer by).
ROUNDS_TRUST = "helse-forde"
ROUNDS = ((0, 0, 21), (90, 104, 134))

# The municipalities of the demo's municipality users (the GP's employer), with their logins:
# Bergen and Voss in Helse Vest.
MUNICIPALITY_USERS = (
    ("kommune.bergen", "4601", "Bergen kommune (kommuneoverlege)"),
    ("kommune.voss", "4621", "Voss herad (kommuneoverlege)"),
)
# GPs (by their number in the demo) who work in Voss, so that its user has GPs to follow.
VOSS_GPS = (1, 2, 3)


def demo_email(local: str) -> str:
    return f"{local}@{DEMO_DOMAIN}"


def demo_logins() -> list[DemoLogin]:
    logins = [
        DemoLogin(role, demo_email(local), label) for role, local, *_r, label in (*STAFF, AHUS_USER)
    ]
    logins.append(DemoLogin("gp", demo_email("lege"), "Kari Nordmann, ALIS i Bergen"))
    logins.append(
        DemoLogin("gp", demo_email("alis.vv1"), "Kristin Moe, ALIS i Drammen, 3 + 3 måneder")
    )
    logins += [
        DemoLogin("municipality", demo_email(local), label)
        for local, _number, label in MUNICIPALITY_USERS
    ]
    return logins


def is_loaded() -> bool:
    return (
        db.session.scalar(sa.select(User.id).where(User.email == demo_email("admin"))) is not None
    )


def load_demo(today: date | None = None, n_gps: int = 60, n_periods: int = 30) -> dict[str, int]:
    """Add the demo data set on top of the reference data (flushes; the caller commits)."""
    if is_loaded():
        return {}
    today = today or local_today()
    rng = random.Random(SEED)
    region = db.session.scalar(sa.select(Region).where(Region.code == "helse-vest"))
    if region is None:
        raise RuntimeError("load the reference data first (flask reference load)")
    trusts = {t.code: t for t in region.trusts}
    password_hash = hash_password(DEMO_PASSWORD)  # one hash: all demo logins share it

    for role, local, trust_code, region_code, _label in STAFF:
        db.session.add(
            User(
                email=demo_email(local),
                password_hash=password_hash,
                role=role,
                trust=trusts.get(trust_code) if trust_code else None,
                region=region if region_code else None,
                email_verified_at=utcnow(),
            )
        )

    departments = db.session.scalars(
        sa.select(Department)
        .join(Trust)
        .where(Trust.region_id == region.id, Department.alis_capacity > 0)
        .order_by(Department.id)
    ).all()
    municipalities = db.session.scalars(
        sa.select(Municipality)
        .join(Trust, Municipality.trust_id == Trust.id)
        .where(Trust.region_id == region.id)
        .order_by(Municipality.number)
    ).all()
    wanted = _popular_specialties(departments)

    gps = [_make_gp(rng, i, today, municipalities, password_hash) for i in range(n_gps)]
    db.session.flush()
    availabilities = 0
    for gp in gps:
        if rng.random() < 0.85:
            _add_availability(rng, gp, today, wanted, list(trusts.values()))
            availabilities += 1
    _municipality_users(municipalities, password_hash)

    rounds = _rounds(today, trusts.get(ROUNDS_TRUST))
    periods = 0
    for i in range(n_periods):
        department = rng.choice(departments)
        start = add_months(today.replace(day=1), rng.randint(2, 12))
        length = rng.choice((6, 6, 6, 6, 3, 12))
        end = add_months(start, length) - timedelta(days=1)
        # A quarter was published more than two months ago: past their fallback date.
        days_ago = rng.randint(63, 80) if i % 4 == 0 else rng.randint(0, 40)
        published = datetime.combine(today - timedelta(days=days_ago), time(9), tzinfo=UTC)
        publish_period(
            PeriodInput(
                department_id=department.id,
                start_date=start,
                end_date=end,
                source=rng.choice(PERIOD_SOURCES[:4]),
                description=_period_text(department, length),
                on_call=rng.random() < 0.6,
                contact_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                contact_email=f"alis@{department.trust.code}.no",
            ),
            actor=None,
            published_at=published,
            today=today,
        )
        periods += 1
    db.session.flush()
    _subscribe(region, wanted)
    ahus_gps, ahus_periods = _ahus(today, password_hash)
    split_periods = _three_plus_three(today, password_hash)
    offered, accepted = _run_and_answer(today)
    ended = _ended_placement(today, gps, departments)
    return {
        "staff_users": len(STAFF) + 1,
        "gps": len(gps),
        "availabilities": availabilities,
        "periods": periods,
        "proposals": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Match)
            .where(Match.status == MatchStatus.PROPOSED)
        ),
        "offers": offered,
        "accepted": accepted,
        "advertised": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Period)
            .where(Period.status == PeriodStatus.ADVERTISED)
        ),
        "ended_placements": ended,
        "ahus_gps": ahus_gps,
        "ahus_periods": ahus_periods,
        "split_periods": split_periods,
        "rounds": rounds,
    }


def _rounds(today: date, trust: Trust | None) -> int:
    """``trust``'s own rules in application rounds (ROUNDS), set up as a coordinator does on
    the policy page, before the periods are published (their fallback follows the round).
    Returns the rounds added."""
    from app.coordination import policies

    if trust is None:
        return 0
    coordinator = db.session.scalar(
        sa.select(User).where(User.email == demo_email("koordinator.vest"))
    )
    db.session.flush()
    policy = trust.own_policy or policies.create_override(
        trust, reason="Søknadsrunder for ALIS-perioder", actor=coordinator
    )
    for apply_by, match_on, answer_by in ROUNDS:
        policies.add_round(
            policy,
            apply_by=today + timedelta(days=apply_by),
            match_on=today + timedelta(days=match_on),
            answer_by=today + timedelta(days=answer_by),
            reason="Søknadsrunde",
            actor=coordinator,
            today=today,
        )
    policies.update_policy(policy, {"intake": "rounds"}, "Søknadsrunder fra nå av", coordinator)
    return len(ROUNDS)


def _ahus(today: date, password_hash: str) -> tuple[int, int]:
    """Ahus's HR login, its periods and the GPs who fit them (no randomness: the Helse Vest
    data stay as they were). Returns (GPs, periods)."""
    ahus = db.session.scalar(sa.select(Trust).where(Trust.code == "ahus"))
    if ahus is None:
        return 0, 0
    role, local, _trust, _region, _label = AHUS_USER
    db.session.add(
        User(
            email=demo_email(local),
            password_hash=password_hash,
            role=role,
            trust=ahus,
            email_verified_at=utcnow(),
        )
    )
    specialties = {
        s.code: s
        for s in db.session.scalars(
            sa.select(Specialty).where(Specialty.code.in_({c for g in AHUS_GPS for c in g[5]}))
        )
    }
    municipalities = {
        m.number: m
        for m in db.session.scalars(
            sa.select(Municipality).where(Municipality.number.in_({g[1] for g in AHUS_GPS}))
        )
    }
    earliest = add_months(today.replace(day=1), 1)
    for i, (name, number, months_gp, courses, supervision, wishes) in enumerate(AHUS_GPS, 1):
        user = User(
            email=demo_email(f"alis.ahus{i}"),
            password_hash=password_hash,
            role="gp",
            email_verified_at=utcnow(),
        )
        gp = GP(
            user=user,
            name=name,
            hpr_number=str(8100000 + i * 7919),
            municipality=municipalities[number],
            specialisation_started=today - timedelta(days=30 * (months_gp + 6)),
            months_general_practice=months_gp,
            courses_completed=courses,
            supervision_group_months=supervision,
            scheme="new",
            registered_at=datetime.combine(today - timedelta(days=20 * i), time(8), tzinfo=UTC),
        )
        db.session.add(gp)
        db.session.flush()
        lifecycle.create_availability(
            gp,
            AvailabilityInput(
                earliest_start=earliest,
                latest_end=add_months(earliest, 20) - timedelta(days=1),
                months=6,
                specialty_ids=tuple(specialties[c].id for c in wishes),
                trust_ids=(ahus.id,),
                accept_other_specialty=False,
            ),
            actor=user,
            today=today,
        )
    start = add_months(today.replace(day=1), 3)
    published = 0
    for code in AHUS_PERIODS:
        department = db.session.scalars(
            sa.select(Department)
            .join(Specialty)
            .where(Department.trust_id == ahus.id, Specialty.code == code)
            .order_by(Department.id)
        ).first()
        if department is None:  # reference data without it: no period there
            continue
        publish_period(
            PeriodInput(
                department_id=department.id,
                start_date=start,
                end_date=add_months(start, 6) - timedelta(days=1),
                source="parental_leave",
                description=_period_text(department, 6),
                on_call=True,
                contact_name="Hanne Ramstad",
                contact_email="alis@ahus.no",
            ),
            actor=None,
            today=today,
        )
        published += 1
    db.session.flush()
    return len(AHUS_GPS), published


def _three_plus_three(today: date, password_hash: str) -> int:
    """Vestre Viken's 3 + 3: SPLIT_GP with a split window and a period of 3 months at each of
    SPLIT_SITES' medical departments, one after the other. Returns the periods published."""
    vv = db.session.scalar(sa.select(Trust).where(Trust.code == "vestre-viken"))
    medicine = db.session.scalar(sa.select(Specialty).where(Specialty.code == "internal-medicine"))
    name, number, months_gp, courses, supervision = SPLIT_GP
    home = db.session.scalar(sa.select(Municipality).where(Municipality.number == number))
    if vv is None or medicine is None or home is None:
        return 0
    user = User(
        email=demo_email("alis.vv1"),
        password_hash=password_hash,
        role="gp",
        email_verified_at=utcnow(),
    )
    gp = GP(
        user=user,
        name=name,
        hpr_number="8200003",
        municipality=home,
        specialisation_started=today - timedelta(days=30 * (months_gp + 6)),
        months_general_practice=months_gp,
        courses_completed=courses,
        supervision_group_months=supervision,
        scheme="new",
        registered_at=datetime.combine(today - timedelta(days=40), time(8), tzinfo=UTC),
    )
    db.session.add(gp)
    db.session.flush()
    start = add_months(today.replace(day=1), 4)
    lifecycle.create_availability(
        gp,
        AvailabilityInput(
            earliest_start=start,
            latest_end=add_months(start, 12) - timedelta(days=1),
            months=6,
            specialty_ids=(medicine.id,),
            trust_ids=(vv.id,),
            split_allowed=True,
        ),
        actor=user,
        today=today,
    )
    published = 0
    for block, site in enumerate(SPLIT_SITES):
        department = db.session.scalars(
            sa.select(Department)
            .join(Site, Department.site_id == Site.id)
            .where(
                Department.trust_id == vv.id,
                Department.specialty_id == medicine.id,
                Site.code == site,
            )
            .order_by(Department.id)
        ).first()
        if department is None:
            continue
        first = add_months(start, 3 * block)
        publish_period(
            PeriodInput(
                department_id=department.id,
                start_date=first,
                end_date=add_months(first, 3) - timedelta(days=1),
                source="parental_leave",
                description=_period_text(department, 3),
                on_call=True,
                contact_name="Per Sandvik",
                contact_email="alis@vestreviken.no",
            ),
            actor=None,
            today=today,
        )
        published += 1
    db.session.flush()
    return published


def _subscribe(region: Region, specialties: list[Specialty]) -> None:
    """Alerts as people set them up: the demo GP for psychiatry periods in the region, Helse
    Bergen's HR for new GP availability in its specialties (a daily digest)."""
    from app.alerts.services import SubscriptionInput, create_subscription

    gp_user = db.session.scalar(sa.select(User).where(User.email == demo_email("lege")))
    psychiatry = [s for s in specialties if s.code == "psychiatry"] or specialties[:1]
    create_subscription(
        gp_user,
        SubscriptionInput(
            specialty_ids=[s.id for s in psychiatry],
            trust_ids=[],
            region_id=region.id,
            horizon_months=18,
            channel="email",
            frequency="immediate",
        ),
    )
    hr = db.session.scalar(sa.select(User).where(User.email == demo_email("hr.bergen")))
    create_subscription(
        hr,
        SubscriptionInput(
            specialty_ids=sorted({d.specialty_id for d in hr.trust.departments}),
            trust_ids=[],
            region_id=None,
            horizon_months=12,
            channel="email",
            frequency="daily",
        ),
    )


def _run_and_answer(today: date) -> tuple[int, int]:
    """A first matching run, then offers for some proposals and one accepted placement, so the
    portal shows every stage. Returns (offers still open, accepted)."""
    from app.lifecycle import accept, offer
    from app.periods.services import default_accept_by
    from app.runs.guard import held_locks
    from app.runs.services import RunRequest, run_matching

    # The committed runs' lock while the demo's run is made (on a connection of its own, as
    # every run's: a transaction lock here would outlast the run in the caller's transaction).
    with held_locks(exclusive=True):
        run_matching(RunRequest(as_of=today, trigger="manual"))
    # Proposals that wait for a department's choice from its shortlist (Ahus) stay so.
    proposals = db.session.scalars(
        sa.select(Match)
        .where(Match.status == MatchStatus.PROPOSED, Match.awaiting_choice.is_(False))
        .order_by(Match.id)
    ).all()
    first = list(proposals[: max(1, len(proposals) // 3)])
    # and an open offer of a period an application round matched (Helse Førde), if the
    # round's run proposed more than the placement accepted below
    rounds = [m for m in proposals if m.period.application_round_id is not None]
    answered = list(dict.fromkeys([*first, *[m for m in rounds if m not in first[:1]][:1]]))
    for i, match in enumerate(answered):
        staff = match.period.department.trust.staff
        actor = staff[0] if staff else None
        deadline = min(today + timedelta(days=14), match.period.start_date - timedelta(days=1))
        if match.period.application_round_id is not None:
            deadline = default_accept_by(match.period, today)  # the round's answer date
        offer(match, accept_by=deadline, actor=actor, today=today)
        if i == 0:
            accept(match, actor=match.gp.user, today=today)
    db.session.flush()
    return max(0, len(answered) - 1), min(1, len(answered))


def _ended_placement(today: date, gps: list[GP], departments: Sequence[Department]) -> int:
    """One placement at Helse Bergen that ended ten days ago, for a GP in Bergen: the
    department and the GP have confirmed the learning goals, the GP has answered the
    evaluation, and the department and Bergen's municipality user have their invitation.
    Made through the same services as a real one, dated back. Returns 1, or 0 when the
    data has no such GP or department."""
    from app.learning import services, surveys
    from app.lifecycle import accept, offer, propose
    from app.models import MatchingRun

    department = next((d for d in departments if d.trust.code == "helse-bergen"), None)
    placed = set(db.session.scalars(sa.select(Match.gp_id).where(Match.status.in_(LIVE))))
    gp = next(
        (
            g
            for g in gps
            if g.municipality.number == "4601"
            and g.id not in placed
            and g.user.email != demo_email("lege")
        ),
        None,
    )
    run = db.session.scalar(sa.select(MatchingRun).order_by(MatchingRun.id.desc()))
    if department is None or gp is None or run is None:
        return 0
    end = today - timedelta(days=10)
    start = add_months(end, -6) + timedelta(days=1)
    asked = start - timedelta(days=60)  # when it was published, offered and accepted
    period = publish_period(
        PeriodInput(
            department_id=department.id,
            start_date=start,
            end_date=end,
            source="parental_leave",
            description=_period_text(department, 6),
            on_call=True,
            contact_email=f"alis@{department.trust.code}.no",
        ),
        actor=None,
        published_at=datetime.combine(asked, time(9), tzinfo=UTC),
        today=asked,
    )
    match = propose(
        period,
        gp.id,
        run=run,
        gp_rank=1,
        priority_position=1,
        explanation={"reason": "matched", "gp_rank": 1, "priority_position": 1},
        confirmed=True,
    )
    hr = department.trust.staff[0]
    offer(match, accept_by=asked + timedelta(days=14), actor=hr, today=asked)
    accept(match, actor=gp.user, today=asked + timedelta(days=3))
    services.confirm_goals(match, "department", ["ALM-055", "ALM-085"], actor=hr, today=today)
    services.confirm_goals(match, "gp", ["ALM-055", "ALM-085"], actor=gp.user, today=today)
    surveys.invite_ended(today)
    answers = surveys.SurveyAnswers(
        overall=5,
        learning=4,
        arrangements=4,
        comment="Godt veiledet, og nyttig å se pasientforløpene fra sykehussiden.",
    )
    surveys.submit(match, "gp", answers, actor=gp.user, today=today)
    return 1


def _municipality_users(municipalities: Sequence[Municipality], password_hash: str) -> None:
    """Bergen's and Voss's municipality users. They have endorsed their GPs' windows but
    one (the first Voss GP's, pending) and stated Voss's priority of its GPs. Helse Vest's
    rules do not require endorsement, so the matching is the same with or without it."""
    from app.municipalities.services import endorse, set_priority

    by_number = {m.number: m for m in municipalities}
    for local, number, _label in MUNICIPALITY_USERS:
        municipality = by_number.get(number)
        if municipality is None:
            continue
        user = User(
            email=demo_email(local),
            password_hash=password_hash,
            role="municipality",
            municipalities=[municipality],
            email_verified_at=utcnow(),
        )
        db.session.add(user)
        db.session.flush()
        gps = db.session.scalars(
            sa.select(GP).where(GP.municipality_id == municipality.id).order_by(GP.id)
        ).all()
        pending = number == "4621"  # Voss leaves its first GP's window to endorse
        for rank, gp in enumerate(gps, 1):
            window = current_window(gp)
            if window is not None and pending:
                pending = False
            elif window is not None:
                endorse(window, actor=user)
            if number == "4621":
                set_priority(gp, rank, actor=user)


def _popular_specialties(departments: list[Department]) -> list[Specialty]:
    seen: dict[int, Specialty] = {}
    for department in departments:
        seen.setdefault(department.specialty_id, department.specialty)
    return sorted(seen.values(), key=lambda s: s.code)


def _make_gp(rng, i, today, municipalities, password_hash) -> GP:
    if i == 0:
        name, local = "Kari Nordmann", "lege"
        municipality = next((m for m in municipalities if m.number == "4601"), municipalities[0])
    else:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        local = f"alis{i:02d}"
        # Bergen and Stavanger have most of the GPs.
        weights = [8 if m.number in ("4601", "1103") else 1 for m in municipalities]
        municipality = rng.choices(municipalities, weights=weights)[0]
        if i in VOSS_GPS:  # after the draw, so that every other GP stays as it was
            municipality = next((m for m in municipalities if m.number == "4621"), municipality)
    months_gp = 40 if i == 0 else rng.randint(14, 110)
    user = User(email=demo_email(local), password_hash=password_hash, role="gp")
    registered = datetime.combine(
        today - timedelta(days=rng.randint(5, 540)), time(8, rng.randint(0, 59)), tzinfo=UTC
    )
    # Most confirmed their address the day they registered; every ninth has not yet.
    user.email_verified_at = None if i % 9 == 4 else registered + timedelta(days=1)
    gp = GP(
        user=user,
        name=name,
        hpr_number=str(9000000 + i * 7919 % 999999).zfill(7),
        municipality=municipality,
        specialisation_started=today - timedelta(days=30 * (months_gp + rng.randint(0, 12))),
        months_general_practice=months_gp,
        courses_completed=rng.randint(0, 12),
        supervision_group_months=rng.randint(0, 24),
        scheme="old" if rng.random() < 0.15 else "new",
        registered_at=registered,
    )
    db.session.add(gp)
    return gp


def _add_availability(rng, gp: GP, today: date, specialties, trusts) -> None:
    earliest = add_months(today.replace(day=1), rng.randint(1, 10))
    latest = add_months(earliest, rng.randint(9, 20)) - timedelta(days=1)
    months = 12 if gp.scheme == "old" else rng.choice((6, 6, 6, 3))
    latest = max(latest, add_months(earliest, months) - timedelta(days=1))  # covers the months
    wishes = rng.sample(specialties, k=min(len(specialties), rng.randint(1, 3)))
    home = gp.municipality.trust
    others = [t for t in trusts if t is not home]
    trust_wishes = [] if rng.random() < 0.3 else [home, *rng.sample(others, k=rng.randint(0, 2))]
    db.session.flush()  # the GP needs its id
    lifecycle.create_availability(
        gp,
        AvailabilityInput(
            earliest_start=earliest,
            latest_end=latest,
            months=months,
            specialty_ids=tuple(s.id for s in wishes),
            trust_ids=tuple(t.id for t in trust_wishes if t is not None),
            accept_other_specialty=rng.random() < 0.25,
        ),
        actor=gp.user,
        today=today,
    )


def _period_text(department: Department, months: int) -> str:
    return (
        f"{months} månaders teneste for ALIS ved {department.name}, "
        f"{department.trust.name}. Perioden kjem frå planlagd permisjon. "
        "Rettleiing og introduksjonsprogram er på plass."
    )
