"""The count of a large strict_priority part as a mixed-integer programme (HiGHS, through
OR-Tools' linear solver wrapper).

The stability rows of a one-to-one market describe the stable matching polytope, whose LP
relaxation is integral; department capacity and its exemption are the only source of
fractionality, so branch and cut proves the count where CP-SAT's search does not
(docs/matching.md). The model is the same as CP-SAT's (matching/cpsat.py), written for an
LP-based solver: full sums instead of prefix variables, a fill variable per period that
capacity can touch, and one capacity row and full-flag per maximal set of periods running
at the same time in a department (a segment whose periods are a subset of another's, with at
least as much room, can only be full when that one is).
"""

from __future__ import annotations

import time
from collections import defaultdict

from ortools.linear_solver import pywraplp

from .cpsat import Part, PartSolution, Settings


def _segments(part: Part, periods: list[int]) -> list[tuple[frozenset[int], int, list[int]]]:
    """(periods running, room, segments) of each department segment that can bind and is
    not dominated by another segment of the same department."""
    cap = part.capacity
    cover: dict[tuple[int, int], list[int]] = defaultdict(list)
    for p in periods:
        span = cap.span.get(part.period_ids[p])
        if span is not None:
            for s in range(span[1], span[2]):
                cover[(span[0], s)].append(p)
    by_dept: dict[int, dict[tuple[frozenset[int], int], list[int]]] = defaultdict(dict)
    for (d, s), ps in sorted(cover.items()):
        room = cap.cap[d] - cap.counts[d][s]
        if len(ps) > room:
            by_dept[d].setdefault((frozenset(ps), room), []).append(s)
    out = []
    for d in sorted(by_dept):
        items = by_dept[d]
        for (ps, room), segs in items.items():
            dominated = any(
                other_room <= room and ps <= other and (other, other_room) != (ps, room)
                for other, other_room in items
            )
            if not dominated:
                out.append((ps, room, [d, *segs]))
    return out


def most_placements_strict(part: Part, settings: Settings) -> PartSolution | None:
    """The most placements of the part whose blocking pairs are all capacity-exempt.

    Returns None if the solver found no solution in time (the caller keeps its own).
    """
    started = time.perf_counter()
    solver = pywraplp.Solver.CreateSolver("HIGHS")
    # HiGHS prints a banner on standard output, where `python -m matching solve` writes the
    # result: keep it quiet. The objective is a count: stop only when the bound meets it (the
    # default relative gap would accept a count a few short of the optimum on large parts).
    # (The wrapper reports False for HiGHS options even when it applied them.)
    solver.SetSolverSpecificParametersAsString("output_flag=false\nmip_rel_gap=0")
    cap, ids = part.capacity, part.period_ids
    x: dict[tuple[int, int], pywraplp.Variable] = {}
    for g in part.gps:
        for p in part.lists[g]:
            x[(g, p)] = solver.BoolVar("")
    cands: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for g, p in x:
        cands[p].append((part.rank[p][g], g))
    for lst in cands.values():
        lst.sort()
    inf = solver.infinity()

    def row(lo: float, hi: float, terms: list[tuple[pywraplp.Variable, float]]) -> None:
        c = solver.Constraint(lo, hi)
        for var, coef in terms:
            c.SetCoefficient(var, coef)

    for g in part.gps:
        row(-inf, 1, [(x[(g, p)], 1) for p in part.lists[g]])
    for p in sorted(cands):
        row(-inf, 1, [(x[(g, p)], 1) for _, g in cands[p]])
    fill: dict[int, pywraplp.Variable] = {}

    def filled(p: int) -> pywraplp.Variable:
        if p not in fill:
            fill[p] = solver.NumVar(0, 1, "")
            row(0, 0, [(fill[p], -1)] + [(x[(g, p)], 1) for _, g in cands.get(p, [])])
        return fill[p]

    flag_of: dict[tuple[int, int], pywraplp.Variable] = {}
    periods = sorted(set(cands) | part.keep)
    for ps, room, (d, *segs) in _segments(part, periods):
        members = sorted(ps)
        row(-inf, room, [(filled(p), 1) for p in members])
        if room > 0:
            flag = solver.BoolVar("")
            row(0, inf, [(filled(p), 1) for p in members] + [(flag, -room)])
            for s in segs:
                flag_of[(d, s)] = flag
    exempt: dict[int, pywraplp.Variable] = {}
    closed: set[int] = set()
    for p in periods:
        span = cap.span.get(ids[p])
        if span is None:
            continue
        d, lo, hi = span
        if any(cap.cap[d] - cap.counts[d][s] <= 0 for s in range(lo, hi)):
            closed.add(p)  # pins and placements leave no room: never filled, always exempt
            continue
        mine = (flag_of[(d, s)] for s in range(lo, hi) if (d, s) in flag_of)
        flags = {f.index(): f for f in mine}
        if flags:
            z = solver.BoolVar("")
            row(-inf, 0, [(z, 1)] + [(flags[k], -1) for k in sorted(flags)])
            if p in cands:
                row(-inf, 1, [(z, 1), (filled(p), 1)])
            exempt[p] = z
    for p in sorted(part.keep):
        if p in closed:
            continue
        terms = [(exempt[p], 1)] if p in exempt else []
        terms += [(x[(g, p)], 1) for _, g in cands.get(p, [])]
        row(1, inf, terms)
    for (g, p), var in x.items():
        if p in closed:
            continue
        terms = [(var, 1)]
        for q in part.lists[g]:
            if q == p:
                break
            terms.append((x[(g, q)], 1))
        for _, h in cands[p]:
            if h == g:
                break
            terms.append((x[(h, p)], 1))
        if p in exempt:
            terms.append((exempt[p], 1))
        row(1, inf, terms)
    objective = solver.Objective()
    for var in x.values():
        objective.SetCoefficient(var, 1)
    objective.SetMaximization()
    left = settings.time_limit_s - (time.perf_counter() - started)  # building counts too
    solver.SetTimeLimit(max(1, int(left * 1000)))
    status = solver.Solve()
    if status not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return None
    best = {g: p for (g, p), var in x.items() if var.solution_value() > 0.5}
    bound = max(int(objective.BestBound() + 1e-6), len(best))
    return PartSolution(best, status == pywraplp.Solver.OPTIMAL and bound == len(best), bound)
