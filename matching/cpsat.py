"""CP-SAT models for the parts of the market where department capacity binds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .capacity import Capacity

Pair = tuple[int, int]


@dataclass(frozen=True)
class Part:
    """One component of the open market, in market indexes."""

    gps: list[int]
    periods: list[int]
    prefs: list[list[int]]  # the market's preference lists (all GPs)
    rank: list[dict[int, int]]  # the market's priority ranks (all periods)
    period_ids: list[str]
    capacity: Capacity  # occupancy of pins and placements only


@dataclass(frozen=True)
class PartSolution:
    assignment: dict[int, int]  # gp -> period
    optimal: bool
    placements_bound: int


@dataclass(frozen=True)
class Settings:
    time_limit_s: float
    num_workers: int


def _weights(part: Part) -> tuple[dict[Pair, int], int]:
    """Tie-free-by-construction lexicographic weights: placements, then GP preference, then priority."""
    n = max(1, min(len(part.gps), len(part.periods)))
    max_prio = 1 + max((max(part.rank[p].values(), default=0) for p in part.periods), default=0)
    max_rank = max((len(part.prefs[g]) for g in part.gps), default=1)
    prio_span = n * max_prio + 1
    costs = {}
    for g in part.gps:
        for k, p in enumerate(part.prefs[g]):
            costs[(g, p)] = k * prio_span + part.rank[p][g]
    big = n * max_rank * prio_span + prio_span
    return costs, big


def _capacity_rows(part: Part, filled: dict[int, cp_model.LinearExprT]) -> list[tuple[list[int], int, int, int]]:
    """(periods covering it, remaining capacity, dept, segment) per segment that can bind."""
    cover: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in part.periods:
        span = part.capacity.span.get(part.period_ids[p])
        if span is not None and p in filled:
            d, lo, hi = span
            for s in range(lo, hi):
                cover[(d, s)].append(p)
    rows = []
    for (d, s), ps in sorted(cover.items()):
        room = part.capacity.cap[d] - part.capacity.counts[d][s]
        if len(ps) > room:
            rows.append((ps, room, d, s))
    return rows


def _solve(model: cp_model.CpModel, settings: Settings) -> tuple[cp_model.CpSolver, int]:
    solver = cp_model.CpSolver()
    params = solver.parameters
    params.max_time_in_seconds = max(0.1, settings.time_limit_s)
    params.num_workers = settings.num_workers
    params.interleave_search = settings.num_workers > 1  # deterministic with several workers
    params.random_seed = 0
    return solver, solver.solve(model)


def _finish(
    solver: cp_model.CpSolver, status: int, x: dict[Pair, cp_model.IntVar], big: int,
    costs: dict[Pair, int], fallback: dict[int, int],
) -> PartSolution:
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return PartSolution(dict(fallback), False, len(fallback) + len(x))
    assignment = {g: p for (g, p), var in x.items() if solver.boolean_value(var)}
    max_cost = max(costs.values(), default=0)
    bound = int(solver.best_objective_bound // max(1, big - max_cost))
    if status == cp_model.OPTIMAL:
        bound = len(assignment)
    return PartSolution(assignment, status == cp_model.OPTIMAL, max(bound, len(assignment)))


def solve_max(part: Part, hint: dict[int, int], settings: Settings) -> PartSolution:
    """The most placements under capacity, then best GP preference, then priority."""
    model = cp_model.CpModel()
    costs, big = _weights(part)
    x = {pair: model.new_bool_var(f"x{pair[0]}_{pair[1]}") for pair in costs}
    by_period: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for g in part.gps:
        row = [x[(g, p)] for p in part.prefs[g]]
        model.add_at_most_one(row)
        for p, var in zip(part.prefs[g], row, strict=True):
            by_period[p].append(var)
    for vars_ in by_period.values():
        model.add_at_most_one(vars_)
    filled = {p: sum(v) for p, v in by_period.items()}
    for ps, room, _, _ in _capacity_rows(part, filled):
        model.add(sum(filled[p] for p in ps) <= room)
    model.maximize(sum((big - c) * x[pair] for pair, c in costs.items()))
    for pair, var in x.items():
        model.add_hint(var, hint.get(pair[0]) == pair[1])
    solver, status = _solve(model, settings)
    return _finish(solver, status, x, big, costs, hint)


def solve_strict(part: Part, hint: dict[int, int], settings: Settings) -> PartSolution:
    """The most placements among results whose blocking pairs are all capacity-exempt.

    Stability of (g, p): x[g,p] or g holds a better period (prefix sum a) or p holds a
    higher-priority GP (prefix sum b) or p is empty while its department is full on one of its
    days (z_p). Capacity-full flags only claim fullness; the objective never rewards them.
    """
    model = cp_model.CpModel()
    costs, big = _weights(part)
    x = {pair: model.new_bool_var(f"x{pair[0]}_{pair[1]}") for pair in costs}
    hint_val: dict[cp_model.IntVar, int] = {v: int(hint.get(g) == p) for (g, p), v in x.items()}
    better: dict[Pair, cp_model.IntVar] = {}  # (g, p) -> g holds a period it prefers to p
    for g in part.gps:
        row = [x[(g, p)] for p in part.prefs[g]]
        model.add_at_most_one(row)
        prev: cp_model.IntVar | None = None
        for k, p in enumerate(part.prefs[g]):
            if prev is not None:
                better[(g, p)] = prev
            if k + 1 < len(row):
                if prev is None:
                    prev = row[0]
                else:
                    nxt = model.new_bool_var("")
                    model.add(nxt == prev + row[k])
                    hint_val[nxt] = hint_val[prev] + hint_val[row[k]]
                    prev = nxt
    higher: dict[Pair, cp_model.IntVar] = {}  # (g, p) -> p holds a GP ahead of g
    filled: dict[int, cp_model.IntVar] = {}
    comp_gps = set(part.gps)
    for p in part.periods:
        order = sorted((r, g) for g, r in part.rank[p].items() if g in comp_gps)
        prev = None
        for _, g in order:
            if prev is not None:
                higher[(g, p)] = prev
            if prev is None:
                prev = x[(g, p)]
            else:
                nxt = model.new_bool_var("")
                model.add(nxt == prev + x[(g, p)])
                hint_val[nxt] = hint_val[prev] + hint_val[x[(g, p)]]
                prev = nxt
        if order:
            model.add_at_most_one(x[(g, p)] for _, g in order)
            filled[p] = prev  # type: ignore[assignment]
    full: dict[tuple[int, int], cp_model.IntVar] = {}
    occupancy: dict[tuple[int, int], int] = defaultdict(int)
    for p, g in ((p, g) for g, p in hint.items()):
        span = part.capacity.span.get(part.period_ids[p])
        if span:
            for s in range(span[1], span[2]):
                occupancy[(span[0], s)] += 1
    for ps, room, d, s in _capacity_rows(part, filled):
        model.add(sum(filled[p] for p in ps) <= room)
        flag = model.new_bool_var("")
        model.add(sum(filled[p] for p in ps) >= room).only_enforce_if(flag)
        full[(d, s)] = flag
        hint_val[flag] = int(occupancy[(d, s)] >= room)
    exempt: dict[int, cp_model.IntVar] = {}
    for p in filled:
        span = part.capacity.span.get(part.period_ids[p])
        if span is None:
            continue
        d, lo, hi = span
        flags = [full[(d, s)] for s in range(lo, hi) if (d, s) in full]
        always = any(part.capacity.cap[d] - part.capacity.counts[d][s] <= 0 for s in range(lo, hi))
        if not flags or always:
            continue  # cannot be full (never exempt) / never fillable (its pairs need no clause)
        z = model.new_bool_var("")
        model.add_implication(z, filled[p].Not())
        model.add_bool_or(flags).only_enforce_if(z)
        exempt[p] = z
        hint_val[z] = int(hint_val[filled[p]] == 0 and any(hint_val[f] for f in flags))
    for (g, p), var in x.items():
        span = part.capacity.span.get(part.period_ids[p])
        if span and any(
            part.capacity.cap[span[0]] - part.capacity.counts[span[0]][s] <= 0
            for s in range(span[1], span[2])
        ):
            continue
        clause = [var]
        for lit in (better.get((g, p)), higher.get((g, p)), exempt.get(p)):
            if lit is not None:
                clause.append(lit)
        model.add_bool_or(clause)
    model.maximize(sum((big - c) * x[pair] for pair, c in costs.items()))
    for var, val in hint_val.items():
        model.add_hint(var, bool(val))
    solver, status = _solve(model, settings)
    return _finish(solver, status, x, big, costs, hint)
