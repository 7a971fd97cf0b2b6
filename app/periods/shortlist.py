"""The shortlist: under a `shortlist` policy the department chooses its candidate among the
eligible GPs, ranked by the engine with the same rules as the nightly run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, gettext

import matching
from app import lifecycle
from app.access import manages_trust
from app.catalogue import describe
from app.dates import local_today
from app.errors import Conflict, MatchConflict
from app.extensions import db
from app.matches.queries import held_matches, is_held, live_match_for_period
from app.models import GP, Match, Period, User
from app.policy import effective_policy
from app.runs.problem import build_problems


class ShortlistUnavailable(Conflict):
    """No shortlist for this period; ``code``: solver_policy, chosen, not_in_problem, forbidden
    (words: app.catalogue, as shortlist_<code>)."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(code)
        self.detail = detail
        self.api_code = f"shortlist_{code}"  # the API's code (spec/api.md's error format)

    @property
    def message(self) -> str:
        return describe(f"shortlist_{self.code}")


@dataclass(frozen=True)
class ShortlistEntry:
    """One candidate with the progress measures the department compares."""

    gp: GP
    position: int  # 1 = highest priority among the candidates shown
    months_general_practice: int
    courses_completed: int
    supervision_group_months: int
    catchment: bool  # lives in the trust's catchment area
    first_choice: bool  # the period's specialty is the GP's first wish
    lottery: float
    proposed: bool  # the matching's current proposal for this period


@dataclass(frozen=True)
class Choice:
    """What the department chose from a shortlist, beside what the engine proposed."""

    chosen: GP
    engine: GP | None  # None: the engine had proposed nobody
    position: int
    candidates: int

    @property
    def followed_engine(self) -> bool:
        return self.engine is not None and self.engine.id == self.chosen.id


def choice_of(match: Match | None) -> Choice | None:
    """The department's choice that made ``match`` (lifecycle.choose), else None."""
    record = (match.explanation or {}).get("shortlist") if match is not None else None
    if match is None or not isinstance(record, dict) or "chosen_gp_id" not in record:
        return None
    engine_id = record.get("engine_gp_id")
    return Choice(
        chosen=match.gp,
        engine=db.session.get(GP, engine_id) if engine_id is not None else None,
        position=record["position"],
        candidates=record["candidates"],
    )


def uses_shortlist(period: Period) -> bool:
    return effective_policy(period.department.trust).selection == "shortlist"


def shortlist(period: Period, user: User, today: date | None = None) -> list[ShortlistEntry]:
    """The ranked eligible candidates for ``period`` (at most the policy's shortlist size),
    leaving out GPs who hold another period. Raises ShortlistUnavailable. Changes nothing."""
    if not manages_trust(user, period.department.trust):
        raise ShortlistUnavailable("forbidden", "the period belongs to another trust")
    policy = effective_policy(period.department.trust)
    if not uses_shortlist(period):
        raise ShortlistUnavailable("solver_policy", "the matching proposes one candidate")
    live = live_match_for_period(period)
    if live is not None and is_held(live):
        raise ShortlistUnavailable("chosen", "the period already has its candidate")
    today = today or local_today()
    region_id = period.department.trust.region_id
    # Only what ranking this one period needs: the period, the windows that could hold it.
    problem_json = next(
        (rp.problem for rp in build_problems(today, [region_id], period_ids=[period.id])), None
    )
    if problem_json is None or not any(p["id"] == str(period.id) for p in problem_json["periods"]):
        raise ShortlistUnavailable(
            "not_in_problem", "the period is not open for matching (started, advertised or closed)"
        )
    problem = matching.problem_from_json(problem_json)
    candidates = matching.rank_candidates(problem, str(period.id))
    holding = set(
        db.session.scalars(
            sa.select(Match.gp_id).where(
                held_matches(),
                Match.period_id != period.id,
                Match.gp_id.in_([int(c.gp) for c in candidates]),
            )
        )
    )
    chosen = [c for c in candidates if int(c.gp) not in holding][: policy.shortlist_size]
    gps = {
        g.id: g
        for g in db.session.scalars(sa.select(GP).where(GP.id.in_([int(c.gp) for c in chosen])))
    }
    mp = problem.period_by_id[str(period.id)]
    entries = []
    for position, candidate in enumerate(chosen, 1):
        engine_gp = problem.gp_by_id[candidate.gp]
        wishes = engine_gp.availability.specialties
        entries.append(
            ShortlistEntry(
                gp=gps[int(candidate.gp)],
                position=position,
                months_general_practice=engine_gp.months_general_practice,
                courses_completed=engine_gp.courses_completed,
                supervision_group_months=engine_gp.supervision_group_months,
                catchment=engine_gp.home_trust == mp.trust,
                first_choice=bool(wishes) and wishes[0] == mp.specialty,
                lottery=candidate.lottery,
                proposed=live is not None and live.gp_id == int(candidate.gp),
            )
        )
    return entries


def choose_candidate(period: Period, gp_id: int, *, actor: User) -> Match:
    """The department picks a GP from its shortlist: a confirmed, pinned match beside what
    the engine proposed (lifecycle.choose). Raises ShortlistUnavailable, or MatchConflict
    if the GP is not on it."""
    entries = shortlist(period, actor)
    entry = next((e for e in entries if e.gp.id == gp_id), None)
    if entry is None:
        raise MatchConflict("not_on_shortlist", "the GP is not on the period's shortlist")
    # The reason is stored data that GPs and coordinators read: written in bokmål, like the
    # reasons coordinators type.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = gettext(
            "Chosen from the shortlist by %(trust)s", trust=period.department.trust.name
        )
    return lifecycle.choose(
        period,
        entry.gp,
        position=entry.position,
        candidates=len(entries),
        reason=reason,
        actor=actor,
    )
