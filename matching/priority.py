"""Priority of a GP for a period: policy-ordered keys and the published lottery."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from .model import GP, Period, Problem

PriorityKey = tuple[float, ...]


def lottery_number(seed: str, gp_id: str) -> float:
    """HMAC-SHA256(key=seed, msg=gp_id), top 53 bits as a float in [0, 1); lower goes first.

    Anyone can recompute it: the float is exact, so its JSON text round-trips.
    """
    digest = hmac.new(seed.encode("utf-8"), gp_id.encode("utf-8"), hashlib.sha256).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / float(1 << 53)


# A GP whose municipality stated no priority comes after every GP with one.
UNKNOWN_MUNICIPALITY_PRIORITY = float("inf")


def municipality_rank(rank: int | None) -> float:
    """The municipality_priority key of a GP's stated ``rank``: lower first, unknown (None)
    after every known rank. The waiting list orders by the same function."""
    return UNKNOWN_MUNICIPALITY_PRIORITY if rank is None else rank


# Each key maps (gp, period, lottery) to a number; smaller means higher priority.
_KEYS: dict[str, Callable[[GP, Period, float], float]] = {
    "catchment": lambda g, p, lot: 0 if g.home_trust == p.trust else 1,
    "first_choice": lambda g, p, lot: (
        0 if g.availability.specialties and g.availability.specialties[0] == p.specialty else 1
    ),
    "months_general_practice": lambda g, p, lot: -g.months_general_practice,
    "courses_completed": lambda g, p, lot: -g.courses_completed,
    "supervision_group_months": lambda g, p, lot: -g.supervision_group_months,
    "registered_at": lambda g, p, lot: g.registered_at.timestamp(),
    "municipality_priority": lambda g, p, lot: municipality_rank(g.municipality_priority),
    "lottery": lambda g, p, lot: lot,
}


def key_value(name: str, gp: GP, period: Period, lottery: float) -> object:
    """The value of one priority key as people read it (True = has the advantage)."""
    if name == "catchment":
        return gp.home_trust == period.trust
    if name == "first_choice":
        return (
            bool(gp.availability.specialties) and gp.availability.specialties[0] == period.specialty
        )
    if name == "registered_at":
        return gp.registered_at.isoformat()
    if name == "lottery":
        return lottery
    return getattr(gp, name)


class PriorityRules:
    """Total priority order per period: the policy keys, then lottery, then GP id."""

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        seed = problem.policy.lottery_seed
        self.lottery: dict[str, float] = {g.id: lottery_number(seed, g.id) for g in problem.gps}
        order = sorted(problem.gps, key=lambda g: (self.lottery[g.id], g.id))
        # The final tie-break: the lottery, then the id (only if two numbers collide).
        self.tiebreak: dict[str, int] = {g.id: i for i, g in enumerate(order)}
        self._fns: dict[str, tuple[Callable[[GP, Period, float], float], ...]] = {}

    def _functions(self, trust: str) -> tuple[Callable[[GP, Period, float], float], ...]:
        fns = self._fns.get(trust)
        if fns is None:
            fns = tuple(_KEYS[k] for k in self.problem.priority_order(trust))
            self._fns[trust] = fns
        return fns

    def key(self, gp: GP, period: Period) -> PriorityKey:
        """Sort key of `gp` for `period`: smaller is higher priority; never equal for two GPs."""
        lot = self.lottery[gp.id]
        return (
            *(fn(gp, period, lot) for fn in self._functions(period.trust)),
            self.tiebreak[gp.id],
        )


@dataclass(frozen=True)
class Candidate:
    """One eligible GP for a period, as a shortlist shows it."""

    gp: str
    position: int
    keys: tuple[tuple[str, object], ...]
    lottery: float
