"""CP-SAT models for the parts of the open market where department capacity binds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import cast

from ortools.sat.python import cp_model

from .capacity import Capacity

Pair = tuple[int, int]


@dataclass(frozen=True)
class Part:
    """One component of the open market, in market indexes.

    `lists[g]` are the periods g may get here (best first): all eligible ones in max mode, the
    band between the uncapacitated stable matching and below in strict mode. `keep` are the
    periods that must end filled or be capacity-blocked (strict mode, see docs/matching.md).
    """

    gps: list[int]
    periods: list[int]
    lists: list[list[int]]
    prefs: list[list[int]]  # full preference lists (all GPs), for the preference cost
    rank: list[dict[int, int]]
    period_ids: list[str]
    capacity: Capacity  # occupancy of pins and placements only
    keep: set[int] = field(default_factory=set)
    most: int | None = None  # a proven upper bound on placements, added as a constraint
    # Ties (matching/ties.py): classes[g][k] is the class of prefs[g][k] (market.classes;
    # empty: no ties); `placed`: GPs placed in every result; twin[p]: the group of periods
    # that differ only in their id (matching/objective.py), -1 if none.
    classes: list[list[int]] = field(default_factory=list)
    placed: frozenset[int] = frozenset()
    twin: list[int] = field(default_factory=list)

    def tie(self, g: int, k: int) -> int:
        """The class of the k-th period of g's full list: how many periods g strictly
        prefers to it (its place, without ties)."""
        return self.classes[g][k] if self.classes else k


@dataclass(frozen=True)
class PartSolution:
    assignment: dict[int, int]  # gp -> period
    optimal: bool
    placements_bound: int


@dataclass(frozen=True)
class Settings:
    time_limit_s: float


def _costs(part: Part) -> dict[Pair, int]:
    """Tie-break cost of a pair: GP rank, then priority rank; the rank step exceeds any total
    of priority ranks, so preference strictly comes first."""
    n = max(1, min(len(part.gps), len(part.periods)))
    max_prio = 1 + max((r for p in part.periods for r in part.rank[p].values()), default=0)
    step = n * max_prio + 1
    costs = {}
    for g in part.gps:
        where = {p: k for k, p in enumerate(part.prefs[g])}
        for p in part.lists[g]:
            costs[(g, p)] = where[p] * step + part.rank[p][g]
    return costs


class _Builder:
    def __init__(self, part: Part, hint: dict[int, int]) -> None:
        self.part = part
        self.model = cp_model.CpModel()
        self.costs = _costs(part)
        self.x = {pair: self.model.new_bool_var("") for pair in self.costs}
        self.hint: dict[cp_model.IntVar, int] = {
            v: int(hint.get(g) == p) for (g, p), v in self.x.items()
        }
        self.hinted = hint
        self.hinted_periods = set(hint.values())
        self.by_period: dict[int, list[tuple[int, int]]] = defaultdict(list)  # p -> (rank, g)
        for g, p in self.costs:
            self.by_period[p].append((part.rank[p][g], g))
        for lst in self.by_period.values():
            lst.sort()

    def prefix(self, lits: list[cp_model.IntVar]) -> list[cp_model.IntVar | None]:
        """prefix[k] = 'one of lits[:k] is true' (None for k = 0); lits are at-most-one."""
        out: list[cp_model.IntVar | None] = [None]
        prev: cp_model.IntVar | None = None
        for k, lit in enumerate(lits[:-1]):
            if prev is None:
                prev = lit
            else:
                nxt = self.model.new_bool_var("")
                self.model.add(nxt == prev + lit)
                self.hint[nxt] = self.hint[prev] + self.hint[lit]
                prev = nxt
            out.append(prev)
            del k
        return out

    def filled(self) -> dict[int, cp_model.LinearExprT]:
        out: dict[int, cp_model.LinearExprT] = {}
        for p, cands in self.by_period.items():
            lits = [self.x[(g, p)] for _, g in cands]
            self.model.add_at_most_one(lits)
            out[p] = lits[0] if len(lits) == 1 else sum(lits)
        for g in self.part.gps:
            self.model.add_at_most_one(self.x[(g, p)] for p in self.part.lists[g])
        return out

    def capacity_rows(self) -> list[tuple[list[int], int, int, int]]:
        """(periods covering it, remaining room, dept, segment) of every segment that can bind."""
        ids = self.part.period_ids
        binding = self.part.capacity.binding((p, ids[p]) for p in self.by_period)
        return [(ps, room, d, s) for d, s, ps, room in binding]

    def _run(self, settings: Settings) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        solver = cp_model.CpSolver()
        params = solver.parameters
        # The deterministic limit normally stops the search before the wall limit (a
        # deterministic second takes several wall seconds here), so even an unproven result
        # is reproducible; the wall limit is the caller's hard cap.
        params.max_time_in_seconds = max(0.1, settings.time_limit_s)
        params.max_deterministic_time = max(0.05, settings.time_limit_s / 6)
        params.num_workers = 1  # small parts prove fastest on one worker, deterministically
        params.linearization_level = 2  # the LP bound is what proves the count
        params.random_seed = 0
        return solver, solver.solve(self.model)

    def solve(self, settings: Settings) -> PartSolution:
        """The most placements, then the best GP preference, then priority: one solve with
        lexicographic weights on one worker (small parts prove fastest that way; large
        parts go to the MIP, matching/mip.py)."""
        model = self.model
        if self.part.most is not None:
            model.add(sum(self.x.values()) <= self.part.most)
        for var, val in self.hint.items():
            model.add_hint(var, bool(val))
        big = 1 + sum(sorted(self.costs.values())[-len(self.part.gps) :])
        model.maximize(sum((big - c) * self.x[pair] for pair, c in self.costs.items()))
        solver, status = self._run(settings)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return PartSolution(dict(self.hinted), False, len(self.part.gps))
        best = {g: p for (g, p), var in self.x.items() if solver.boolean_value(var)}
        if status == cp_model.OPTIMAL:
            return PartSolution(best, True, len(best))
        least = big - max(self.costs.values(), default=0)
        bound = int(solver.best_objective_bound // max(1, least))
        return PartSolution(best, False, max(bound, len(best)))


def solve_strict(part: Part, hint: dict[int, int], settings: Settings) -> PartSolution:
    """The most placements among results whose blocking pairs are all capacity-exempt.

    Stability of a pair (g, p): x[g,p], or g holds a period it prefers (prefix over g's list),
    or p holds a GP ahead of g (prefix over p's candidates), or p is empty while its
    department is full on one of its days (z_p).
    """
    b = _Builder(part, hint)
    model, x, cap = b.model, b.x, part.capacity
    filled = b.filled()
    better: dict[Pair, cp_model.IntVar | None] = {}
    for g in part.gps:
        lits = [x[(g, p)] for p in part.lists[g]]
        for p, pre in zip(part.lists[g], b.prefix(lits), strict=True):
            better[(g, p)] = pre
    higher: dict[Pair, cp_model.IntVar | None] = {}
    for p, cands in b.by_period.items():
        lits = [x[(g, p)] for _, g in cands]
        for (_, g), pre in zip(cands, b.prefix(lits), strict=True):
            higher[(g, p)] = pre
    occupancy: dict[tuple[int, int], int] = defaultdict(int)
    for p in hint.values():
        span = cap.span.get(part.period_ids[p])
        if span:
            for s in range(span[1], span[2]):
                occupancy[(span[0], s)] += 1
    full: dict[tuple[int, int], cp_model.IntVar] = {}
    for ps, room, d, s in b.capacity_rows():
        total = sum(filled[p] for p in ps)
        model.add(total <= room)
        if room > 0:
            flag = model.new_bool_var("")
            model.add(total >= room).only_enforce_if(flag)
            full[(d, s)] = flag
            b.hint[flag] = int(occupancy[(d, s)] >= room)
    exempt: dict[int, cp_model.IntVar] = {}
    closed: set[int] = set()
    for p in set(b.by_period) | part.keep:
        span = cap.span.get(part.period_ids[p])
        if span is None:
            continue
        d, lo, hi = span
        if not cap.fits(part.period_ids[p]):
            closed.add(p)  # pins and placements leave no room: never fillable, always exempt
            continue
        flags = [full[(d, s)] for s in range(lo, hi) if (d, s) in full]
        if flags:
            z = model.new_bool_var("")
            if p in filled:
                model.add(filled[p] == 0).only_enforce_if(z)
            model.add_bool_or(flags).only_enforce_if(z)
            exempt[p] = z
            b.hint[z] = int(p not in b.hinted_periods and any(b.hint[f] for f in flags))
    for p in part.keep:
        if p in closed:
            continue
        lits = [exempt[p]] if p in exempt else []
        if p in filled:
            # with one candidate, filled[p] is that candidate's own literal
            one = len(b.by_period[p]) == 1
            lits.append(cast(cp_model.IntVar, filled[p]) if one else _as_bool(b, filled[p], p))
        model.add_bool_or(lits)
    for (g, p), var in x.items():
        if p in closed:
            continue
        clause = [var]
        for lit in (better[(g, p)], higher[(g, p)], exempt.get(p)):
            if lit is not None:
                clause.append(lit)
        model.add_bool_or(clause)
    return b.solve(settings)


def _as_bool(b: _Builder, expr: cp_model.LinearExprT, p: int) -> cp_model.IntVar:
    lit = b.model.new_bool_var("")
    b.model.add(expr == lit)
    b.hint[lit] = int(p in b.hinted_periods)
    return lit
