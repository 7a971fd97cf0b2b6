"""Helpers the app calls besides solve(): shortlists, eligibility and "why not?" answers."""

from __future__ import annotations

from .eligibility import Eligibility
from .errors import ProblemError
from .model import Problem
from .priority import Candidate, PriorityRules, key_value


def _indexes(problem: Problem) -> tuple[Eligibility, PriorityRules]:
    """Indexes built once per Problem object (kept in its __dict__, as functools.cached_property
    does on frozen dataclasses), so a page asking about many pairs pays once."""
    cached = problem.__dict__.get("_api_indexes")
    if cached is None:
        cached = (Eligibility(problem), PriorityRules(problem))
        problem.__dict__["_api_indexes"] = cached
    return cached


def rank_candidates(problem: Problem, period_id: str) -> list[Candidate]:
    """Eligible GPs for one period, highest priority first, with their key values and lottery.

    Uses the same rules as the solver (the trust's policy, the lottery as the final tie-break).
    GPs with a pin or placement elsewhere are included; filter them if the list is a waiting list.
    """
    period = problem.period_by_id.get(period_id)
    if period is None:
        raise ProblemError("period", f"unknown period {period_id!r}")
    elig, rules = _indexes(problem)
    found = [g for g in problem.gps if not elig.failures(g, period)]
    found.sort(key=lambda g: rules.key(g, period))
    order = problem.priority_order(period.trust)
    return [
        Candidate(
            gp=g.id,
            position=i + 1,
            keys=tuple((k, key_value(k, g, period, rules.lottery[g.id])) for k in order),
            lottery=rules.lottery[g.id],
        )
        for i, g in enumerate(found)
    ]


def pair_reasons(problem: Problem, gp_id: str, period_id: str) -> list[str]:
    """Why (gp, period) is not an eligible pair: outside_window, too_short, specialty_not_wished,
    trust_not_wished, not_eligible, forbidden (all that apply; empty when it is eligible)."""
    gp = problem.gp_by_id.get(gp_id)
    if gp is None:
        raise ProblemError("gp", f"unknown GP {gp_id!r}")
    period = problem.period_by_id.get(period_id)
    if period is None:
        raise ProblemError("period", f"unknown period {period_id!r}")
    return _indexes(problem)[0].failures(gp, period)


def eligibility(problem: Problem) -> dict[str, list[str]]:
    """Every GP's eligible periods (forbidden pairs left out), in the GP's preference order."""
    elig = _indexes(problem)[0]
    return {
        g.id: [p.id for p in elig.eligible_periods(g) if (g.id, p.id) not in elig.forbidden]
        for g in problem.gps
    }
