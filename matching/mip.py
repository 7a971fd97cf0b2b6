"""The count of a large strict_priority part as a mixed-integer programme (HiGHS, through
OR-Tools' MathOpt).

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

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta

from ortools.math_opt.python import mathopt

from .cpsat import Part, PartSolution, Settings


def _segments(part: Part, periods: list[int]) -> list[tuple[frozenset[int], int, list[int]]]:
    """(periods running, room, segments) of each department segment that can bind and is
    not dominated by another segment of the same department."""
    ids = part.period_ids
    by_dept: dict[int, dict[tuple[frozenset[int], int], list[int]]] = defaultdict(dict)
    for d, s, ps, room in part.capacity.binding((p, ids[p]) for p in periods):
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


def most_placements_strict(
    part: Part,
    settings: Settings,
    start: dict[int, int] | None = None,
    log: Callable[[Sequence[str]], None] | None = None,
) -> PartSolution | None:
    """The most placements of the part whose blocking pairs are all capacity-exempt.

    `start` (GP -> period, a priority-respecting assignment such as the core) is handed to
    HiGHS as its first solution, so a time-limited run returns at least that. Returns None if
    the solver found no solution in time (the caller keeps its own). `log`, if given, receives
    HiGHS's log lines as they come (benchmarks/strict_part_bench.py reads them).
    """
    started = time.perf_counter()
    model = mathopt.Model(name="strict part")
    cap, ids = part.capacity, part.period_ids
    x: dict[tuple[int, int], mathopt.Variable] = {}
    for g in part.gps:
        for p in part.lists[g]:
            x[(g, p)] = model.add_binary_variable()
    cands: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for g, p in x:
        cands[p].append((part.rank[p][g], g))
    for lst in cands.values():
        lst.sort()
    inf = math.inf

    def row(lo: float, hi: float, terms: list[tuple[mathopt.Variable, float]]) -> None:
        c = model.add_linear_constraint(lb=lo, ub=hi)
        for var, coef in terms:
            c.set_coefficient(var, coef)

    for g in part.gps:
        row(-inf, 1, [(x[(g, p)], 1) for p in part.lists[g]])
    for p in sorted(cands):
        row(-inf, 1, [(x[(g, p)], 1) for _, g in cands[p]])
    fill: dict[int, mathopt.Variable] = {}

    def filled(p: int) -> mathopt.Variable:
        if p not in fill:
            fill[p] = model.add_variable(lb=0, ub=1)
            row(0, 0, [(fill[p], -1)] + [(x[(g, p)], 1) for _, g in cands.get(p, [])])
        return fill[p]

    flag_of: dict[tuple[int, int], mathopt.Variable] = {}
    full_when: dict[mathopt.Variable, tuple[list[int], int]] = {}
    periods = sorted(set(cands) | part.keep)
    for ps, room, (d, *segs) in _segments(part, periods):
        members = sorted(ps)
        row(-inf, room, [(filled(p), 1) for p in members])
        if room > 0:
            flag = model.add_binary_variable()
            row(0, inf, [(filled(p), 1) for p in members] + [(flag, -room)])
            full_when[flag] = (members, room)
            for s in segs:
                flag_of[(d, s)] = flag
    exempt: dict[int, mathopt.Variable] = {}
    exempt_flags: dict[int, list[mathopt.Variable]] = {}
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
        flags = {f.id: f for f in mine}
        if flags:
            z = model.add_binary_variable()
            row(-inf, 0, [(z, 1)] + [(flags[k], -1) for k in sorted(flags)])
            if p in cands:
                row(-inf, 1, [(z, 1), (filled(p), 1)])
            exempt[p] = z
            exempt_flags[p] = list(flags.values())
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
    model.maximize(mathopt.fast_sum(x.values()))
    # Building counts against the limit, and HiGHS overruns its own by up to about a second
    # on large parts (it checks the clock between presolve and cut rounds).
    left = settings.time_limit_s - (time.perf_counter() - started)
    params = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(0.9 * left - 0.3, 0.5)),
        # The objective is a count: stop only when the bound meets it (the default relative
        # gap would accept a count a few short of the optimum on large parts).
        relative_gap_tolerance=0.0,
        enable_output=False,  # HiGHS would print on standard output, where results go
    )
    hints = None
    if start:
        held = {p: g for g, p in start.items()}
        values = {var: float(start.get(g) == p) for (g, p), var in x.items()}
        values.update({var: float(p in held) for p, var in fill.items()})
        for flag, (members, room) in full_when.items():
            values[flag] = float(sum(p in held for p in members) >= room)
        for p, z in exempt.items():
            values[z] = float(p not in held and any(values[f] for f in exempt_flags[p]))
        hints = mathopt.ModelSolveParameters(
            solution_hints=[mathopt.SolutionHint(variable_values=values)]
        )
    result = mathopt.solve(
        model, mathopt.SolverType.HIGHS, params=params, model_params=hints, msg_cb=log
    )
    if not result.has_primal_feasible_solution():
        return None
    pairs = list(x)
    values = result.variable_values([x[pair] for pair in pairs])
    best = {g: p for (g, p), v in zip(pairs, values, strict=True) if v > 0.5}
    # For a maximisation the dual bound is the upper bound on the count.
    upper = result.termination.objective_bounds.dual_bound
    bound = max(int(math.floor(upper + 1e-6)), len(best)) if math.isfinite(upper) else len(part.gps)
    optimal = result.termination.reason == mathopt.TerminationReason.OPTIMAL
    return PartSolution(best, optimal and bound == len(best), bound)
