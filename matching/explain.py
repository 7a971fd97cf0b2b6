"""Reasons for every eligible pair left out, and the exempt blocking pairs of strict mode."""

from __future__ import annotations

from datetime import date

from .eligibility import FORBIDDEN, TIE_KEY
from .market import PIN, Market
from .model import GP, STRICT
from .result import (
    CAUSE_CAPACITY,
    CAUSE_PIN,
    CAUSE_PLACED,
    DEPARTMENT_FULL,
    ELSEWHERE_PREFERRED,
    GP_PINNED,
    GP_PLACED,
    HIGHER_PRIORITY,
    PERIOD_PINNED,
    PERIOD_PLACED,
    PLACEMENTS_TRADEOFF,
    UNEXPLAINED,
    Assignment,
    BlockingPair,
    GPReasons,
    PassedOver,
    Reason,
    natural_key,
)

Final = dict[str, tuple[str, str]]  # gp -> (period, source)
Explained = tuple[list[GPReasons], list[GPReasons], list[BlockingPair], list[PassedOver]]


def _reason_of(period: str, reason: str) -> Reason:
    """Reason(period, reason) without the named tuple's argument handling."""
    return tuple.__new__(Reason, (period, reason))


class Explainer:
    """Explains a final assignment against the market it came from."""

    def __init__(self, market: Market, final: Final) -> None:
        self.market = market
        self.final = final
        self.holder = {p: (g, src) for g, (p, src) in final.items()}
        self.occupancy = market.capacity.copy()
        for g, (p, _) in final.items():
            if g not in market.fixed_gp:
                self.occupancy.add(p)
        self._positions: dict[str, dict[str, int]] = {}
        # Fast path for the common question "is the period held by an open GP ahead of this
        # open GP?": the holder's integer rank there, by period id.
        self._open_gp = {g: i for i, g in enumerate(market.gp_ids)}
        self._held_rank: dict[str, tuple[dict[int, int], int]] = {}
        for op, pid in enumerate(market.period_ids):
            held = self.holder.get(pid)
            if held is not None and held[0] in self._open_gp:
                ranks = market.rank[op]
                self._held_rank[pid] = (ranks, ranks[self._open_gp[held[0]]])
        self._fits_cache: dict[str, bool] = {}
        self._full_cache: dict[str, str | None] = {}
        # The two reasons most pairs get, one shared (immutable) Reason per period: at
        # 20k x 8k about a million pairs get one of them.
        ids = [p.id for p in market.problem.periods]
        self._higher = {pid: _reason_of(pid, HIGHER_PRIORITY) for pid in ids}
        self._elsewhere = {pid: _reason_of(pid, ELSEWHERE_PREFERRED) for pid in ids}

    def position(self, period: str) -> dict[str, int]:
        pos = self._positions.get(period)
        if pos is None:
            pos = {g: i for i, g in enumerate(self.market.candidates[period])}
            self._positions[period] = pos
        return pos

    def ahead(self, gp: str, other: str, period: str) -> bool:
        """`gp` has higher priority than `other` for `period`."""
        pos = self.position(period)
        if gp in pos and other in pos:
            return pos[gp] < pos[other]
        return self.market.outranks(gp, other, period)

    def priority_position(self, gp: str, period: str) -> int:
        pos = self.position(period)
        if gp in pos:
            return pos[gp] + 1
        g = self.market.problem.gp_by_id[gp]
        p = self.market.problem.period_by_id[period]
        mine = self.market.rules.key(g, p)
        rules, gps = self.market.rules, self.market.problem.gp_by_id
        return 1 + sum(rules.key(gps[c], p) < mine for c in self.market.candidates[period])

    def assignments(self) -> list[Assignment]:
        out = []
        for gp, (period, source) in sorted(self.final.items(), key=lambda i: natural_key(i[0])):
            mine = self.market.eligible.get(gp, [])
            rank = mine.index(period) + 1 if period in mine else None
            out.append(Assignment(gp, period, rank, self.priority_position(gp, period), source))
        return out

    def explain(self, strict: bool) -> Explained:
        """(reasons of unplaced GPs, reasons of placed GPs, exempt blocking pairs (strict
        mode), passed-over pairs (max_placements: the pairs given up for the count))."""
        unplaced, placed, blocking, passed = [], [], [], []
        problem = self.market.problem
        elig, periods = self.market.elig, problem.period_by_id
        higher, elsewhere = self._higher, self._elsewhere
        for g in sorted(problem.gps, key=lambda g: natural_key(g.id)):
            reasons = []
            mine = self.final.get(g.id)
            eligible = self.market.eligible[g.id]
            own = eligible.index(mine[0]) if mine is not None and mine[0] in eligible else -1
            own_key = None
            if mine is not None and own < 0:  # a pin or placement outside the eligible list
                own_key = elig.preference_key(g, periods[mine[0]])
            start = 0
            og = self._open_gp.get(g.id, -1)
            held_rank = self._held_rank
            if own_key is None and own >= 0:
                # Everything below the GP's own period, and the periods it is equally happy
                # with (its tie): placed elsewhere, preferred at least as much.
                head = self._tie_head(g, eligible, own)
                for period in eligible[:head]:
                    fast = held_rank.get(period)
                    if fast is not None and fast[1] < fast[0].get(og, fast[1]):
                        reasons.append(higher[period])
                        continue
                    reason, cause = self._reason(g.id, period, mine, False)
                    reasons.append(Reason(period, reason))
                    if cause is not None and strict:
                        blocking.append(self._blocking(g.id, period, cause))
                    elif reason == PLACEMENTS_TRADEOFF:
                        passed.append(self._passed(g.id, period))
                reasons.extend(map(elsewhere.__getitem__, eligible[head:own]))
                reasons.extend(map(elsewhere.__getitem__, eligible[own + 1 :]))
                start = len(eligible)
            for period in eligible[start:]:
                fast = held_rank.get(period) if own_key is None else None
                if fast is not None and fast[1] < fast[0].get(og, fast[1]):
                    reasons.append(higher[period])
                    continue
                if own_key is not None:  # not blocking unless it strictly prefers the period
                    better_own = (
                        own_key[:TIE_KEY] <= elig.preference_key(g, periods[period])[:TIE_KEY]
                    )
                else:
                    better_own = False
                reason, cause = self._reason(g.id, period, mine, better_own)
                reasons.append(Reason(period, reason))
                if cause is not None and strict:
                    blocking.append(self._blocking(g.id, period, cause))
                elif reason == PLACEMENTS_TRADEOFF:
                    passed.append(self._passed(g.id, period))
            for period in self.market.forbidden_eligible.get(g.id, []):
                if mine is None or period != mine[0]:
                    reasons.append(Reason(period, FORBIDDEN))
            if mine is None:
                unplaced.append(GPReasons(g.id, tuple(reasons)))
            elif reasons:
                placed.append(GPReasons(g.id, tuple(reasons)))
        return unplaced, placed, blocking, passed

    def _passed(self, gp: str, period: str) -> PassedOver:
        held = self.holder.get(period)
        return PassedOver(gp, period, None if held is None else held[0])

    def _tie_head(self, gp: GP, eligible: list[str], own: int) -> int:
        """The first place in the GP's list of the periods it likes as much as eligible[own]."""
        elig, periods = self.market.elig, self.market.problem.period_by_id
        mine = elig.preference_key(gp, periods[eligible[own]])[:TIE_KEY]
        head = own
        while head and elig.preference_key(gp, periods[eligible[head - 1]])[:TIE_KEY] == mine:
            head -= 1
        return head

    def _reason(
        self, gp: str, period: str, mine: tuple[str, str] | None, better_own: bool
    ) -> tuple[str, str | None]:
        if better_own:
            return ELSEWHERE_PREFERRED, None
        held = self.holder.get(period)
        if held is not None and self.ahead(held[0], gp, period):
            return HIGHER_PRIORITY, None
        # From here on (gp, period) is a blocking pair unless the mode trades it for placements.
        if mine is not None and mine[1] != "match":
            return (GP_PINNED, CAUSE_PIN) if mine[1] == PIN else (GP_PLACED, CAUSE_PLACED)
        if held is not None and held[1] != "match":
            return (PERIOD_PINNED, CAUSE_PIN) if held[1] == PIN else (PERIOD_PLACED, CAUSE_PLACED)
        if held is None and not self._fits(period, self._given_back(gp, period)):
            return DEPARTMENT_FULL, CAUSE_CAPACITY
        if self.market.problem.policy.mode == STRICT:
            return UNEXPLAINED, None
        return PLACEMENTS_TRADEOFF, None

    def _given_back(self, gp: str, period: str) -> str | None:
        """The GP's own period if asking for `period` frees its place (docs/matching.md: a
        later period of the same department)."""
        mine = self.final.get(gp)
        if mine is not None and self.occupancy.gives_back(mine[0], period):
            return mine[0]
        return None

    def _fits(self, period: str, without: str | None = None) -> bool:
        if without is not None:
            return self.occupancy.fits(period, without)
        fits = self._fits_cache.get(period)
        if fits is None:
            fits = self._fits_cache[period] = self.occupancy.fits(period)
        return fits

    def _full_from(self, period: str, without: str | None = None) -> str | None:
        if without is not None:
            day = self.occupancy.first_full_day(period, without)
            return None if day is None else date.fromordinal(day).isoformat()
        if period not in self._full_cache:
            day = self.occupancy.first_full_day(period)
            self._full_cache[period] = None if day is None else date.fromordinal(day).isoformat()
        return self._full_cache[period]

    def _blocking(self, gp: str, period: str, cause: str) -> BlockingPair:
        held = self.holder.get(period)
        dept = self.market.problem.period_by_id[period].department
        if cause == CAUSE_CAPACITY:
            full_from = self._full_from(period, self._given_back(gp, period))
            return BlockingPair(gp, period, cause, None, dept, full_from)
        return BlockingPair(gp, period, cause, None if held is None else held[0])

    def unfilled(self) -> list[str]:
        return sorted(
            (p.id for p in self.market.problem.periods if p.id not in self.holder), key=natural_key
        )
