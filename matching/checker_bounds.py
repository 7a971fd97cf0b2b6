"""The checker's maximality test (spec property 3), by its own algorithms."""

from __future__ import annotations

import math
from collections import defaultdict, deque
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from ortools.graph.python import max_flow
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt
from ortools.sat.python import cp_model

from .model import STRICT

if TYPE_CHECKING:
    from .checker import Report, World


def _period_proposing(world: World, pairs: dict[str, list[str]]) -> dict[str, str]:
    """Period-proposing deferred acceptance without capacity: a stable matching computed the
    other way round; without ties all stable matchings place the same GPs (rural hospitals
    theorem). A GP trades only for a period it strictly prefers."""
    gps, pers = world.problem.gp_by_id, world.problem.period_by_id
    lists: dict[str, list[str]] = defaultdict(list)
    for g, ps in pairs.items():
        for p in ps:
            lists[p].append(g)
    for p, gs in lists.items():
        gs.sort(key=lambda g: world.prio(gps[g], pers[p]))
    nxt = dict.fromkeys(lists, 0)
    held: dict[str, str] = {}  # gp -> period
    free = deque(sorted(lists))
    while free:
        p = free.popleft()
        cands = lists[p]
        while nxt[p] < len(cands):
            g = cands[nxt[p]]
            nxt[p] += 1
            cur = held.get(g)
            if cur is None or world.pref(gps[g], pers[p]) < world.pref(gps[g], pers[cur]):
                held[g] = p
                if cur is not None:
                    free.append(cur)
                break
    return held


def _has_ties(world: World, pairs: dict[str, list[str]]) -> bool:
    """Some GP of the open market is indifferent between two of its periods."""
    gps, pers = world.problem.gp_by_id, world.problem.period_by_id
    for g, ps in pairs.items():
        keys = [world.pref(gps[g], pers[p]) for p in ps]
        if len(set(keys)) < len(keys):
            return True
    return False


def _max_flow(pairs: dict[str, list[str]]) -> tuple[int, dict[str, str]]:
    gs = sorted(pairs)
    ps = sorted({p for v in pairs.values() for p in v})
    gi = {g: i + 2 for i, g in enumerate(gs)}
    pi = {p: i + 2 + len(gs) for i, p in enumerate(ps)}
    flow = max_flow.SimpleMaxFlow()
    arcs = []
    for g in gs:
        flow.add_arc_with_capacity(0, gi[g], 1)
        for p in pairs[g]:
            arcs.append((flow.add_arc_with_capacity(gi[g], pi[p], 1), g, p))
    for p in ps:
        flow.add_arc_with_capacity(pi[p], 1, 1)
    flow.solve(0, 1)
    chosen = {g: p for arc, g, p in arcs if flow.flow(arc) > 0}
    return flow.optimal_flow(), chosen


def _exact(
    world: World, pairs: dict[str, list[str]], fixed_periods: set[str], strict: bool
) -> int | None:
    """The most placements of the open market, by a plain CP-SAT model (None if unproven)."""
    gps, pers = world.problem.gp_by_id, world.problem.period_by_id
    model = cp_model.CpModel()
    x = {(g, p): model.new_bool_var("") for g, ps in pairs.items() for p in ps}
    by_p: dict[str, list[str]] = defaultdict(list)
    for g, p in x:
        by_p[p].append(g)
    for g, ps in pairs.items():
        model.add(sum(x[(g, p)] for p in ps) <= 1)
    y = {}
    for p, gs in by_p.items():
        y[p] = model.new_bool_var("")
        model.add(sum(x[(g, p)] for g in gs) == y[p])
    cap = {d.id: d.capacity for d in world.problem.departments}
    members: dict[str, list[Any]] = defaultdict(list)
    for q in world.periods:
        if q.department in cap:
            members[q.department].append(q)
    full: dict[tuple[str, int], Any] = {}
    events: dict[str, list[int]] = {}  # days on which a department's load can change
    for dept, qs in members.items():
        starts = {q.start.toordinal() for q in qs}
        events[dept] = sorted(starts | {q.end.toordinal() + 1 for q in qs})
        for day in events[dept] if strict else sorted(starts):
            cover = [q for q in qs if q.start.toordinal() <= day <= q.end.toordinal()]
            base = sum(1 for q in cover if q.id in fixed_periods)
            load = sum(y[q.id] for q in cover if q.id in y)
            if day in starts:  # the load is highest on some day a period starts
                model.add(load + base <= cap[dept])
            # Full-flags serve the exemptions (strict mode); max mode keeps the model it
            # always had (without them CP-SAT's path changes and proves 2k x 800 later).
            flag = model.new_bool_var("")
            model.add(load + base >= cap[dept]).only_enforce_if(flag)
            full[(dept, day)] = flag
    empty_full: dict[tuple[str, str | None], Any] = {}

    def exempt(pp: Any, own: Any = None) -> Any:
        """p empty and its department full on a day of p (outside `own`, given back)."""
        key = (pp.id, None if own is None else own.id)
        if key not in empty_full:
            days = [
                d
                for d in events[pp.department]
                if pp.start.toordinal() <= d <= pp.end.toordinal()
                and (own is None or not own.start.toordinal() <= d <= own.end.toordinal())
            ]
            z = model.new_bool_var("")
            model.add(y[pp.id] == 0).only_enforce_if(z)
            model.add_bool_or([full[(pp.department, d)] for d in days]).only_enforce_if(z)
            empty_full[key] = z
        return empty_full[key]

    if strict:
        from .checker import gives_back

        for (g, p), var in x.items():
            gp, pp = gps[g], pers[p]
            mine = world.pref(gp, pp)
            better = [  # the periods g likes at least as much: with one, (g, p) does not block
                x[(g, q)] for q in pairs[g] if q != p and world.pref(gp, pers[q]) <= mine
            ]
            higher = [x[(h, p)] for h in by_p[p] if world.prio(gps[h], pp) < world.prio(gp, pp)]
            if pp.department not in cap:
                model.add(var + sum(better) + sum(higher) >= 1)
                continue
            model.add(var + sum(better) + sum(higher) + exempt(pp) >= 1)
            # Holding a later period of p's department, g gives it back (docs/matching.md).
            for qid in pairs[g]:
                own = pers[qid]
                if world.pref(gp, own) > mine and gives_back(own, pp):
                    model.add(sum(higher) + exempt(pp, own) >= x[(g, qid)])
    model.maximize(sum(y.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 60.0
    solver.parameters.num_workers = 1
    status = solver.solve(model)
    return int(round(solver.objective_value)) if status == cp_model.OPTIMAL else None


def _lp_bound(world: World, pairs: dict[str, list[str]], fixed_periods: set[str]) -> int | None:
    """The most placements of the open market in max_placements mode can be no more than the
    optimum of its LP relaxation (one period per GP, one GP per period, capacity on every day
    a period starts), solved by GLOP; None if GLOP does not finish. The model goes to MathOpt
    as one proto (a million pairs at 20k x 8k), written here rather than with the solver's
    `mip.Rows`: the checker shares no code with what it checks."""
    cols: list[int] = []  # (row, column) entries, all coefficients 1
    rows: list[int] = []
    upper: list[float] = []
    n = 0
    by_p: dict[str, list[int]] = defaultdict(list)
    for g in sorted(pairs):
        mine = list(range(n, n + len(pairs[g])))
        for p, k in zip(pairs[g], mine, strict=True):
            by_p[p].append(k)
        n += len(mine)
        rows.extend([len(upper)] * len(mine))
        cols.extend(mine)
        upper.append(1.0)
    for p in sorted(by_p):
        rows.extend([len(upper)] * len(by_p[p]))
        cols.extend(by_p[p])
        upper.append(1.0)
    cap = {d.id: d.capacity for d in world.problem.departments}
    members: dict[str, list[Any]] = defaultdict(list)
    for q in world.periods:
        if q.department in cap:
            members[q.department].append(q)
    for dept, qs in sorted(members.items()):
        for day in sorted({q.start.toordinal() for q in qs}):
            cover = [q for q in qs if q.start.toordinal() <= day <= q.end.toordinal()]
            room = cap[dept] - sum(1 for q in cover if q.id in fixed_periods)
            open_ = [q.id for q in cover if q.id in by_p]
            if len(open_) > room:
                load = [k for pid in open_ for k in by_p[pid]]
                rows.extend([len(upper)] * len(load))
                cols.extend(load)
                upper.append(float(room))
    proto = model_pb2.ModelProto(name="checker max_placements LP")
    proto.variables.ids.extend(range(n))
    proto.variables.lower_bounds.extend([0.0] * n)
    proto.variables.upper_bounds.extend([1.0] * n)
    proto.variables.integers.extend([False] * n)
    proto.objective.maximize = True
    proto.objective.linear_coefficients.ids.extend(range(n))
    proto.objective.linear_coefficients.values.extend([1.0] * n)
    proto.linear_constraints.ids.extend(range(len(upper)))
    proto.linear_constraints.lower_bounds.extend([-math.inf] * len(upper))
    proto.linear_constraints.upper_bounds.extend(upper)
    r, c = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
    order = np.lexsort((c, r))  # the proto wants the matrix sorted by row, then column
    matrix = proto.linear_constraint_matrix
    matrix.row_ids.extend(r[order].tolist())
    matrix.column_ids.extend(c[order].tolist())
    matrix.coefficients.extend([1.0] * len(order))
    result = mathopt.solve(
        mathopt.Model.from_model_proto(proto),
        mathopt.SolverType.GLOP,
        params=mathopt.SolveParameters(time_limit=timedelta(seconds=300)),
    )
    if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
        return None
    dual_bound: float = result.termination.objective_bounds.dual_bound
    return math.floor(dual_bound + 1e-6)


def check_maximal(
    world: World,
    eligible: dict[str, list[str]],
    assign: dict[str, str],
    fixed_gp: set[str],
    fixed_period: set[str],
    result: dict[str, Any],
    report: Report,
    exact_limit: int,
) -> None:
    strict = world.problem.policy.mode == STRICT
    pairs = {
        g: [p for p in ps if p not in fixed_period and (g, p) not in world.forbidden]
        for g, ps in eligible.items()
        if g not in fixed_gp
    }
    pairs = {g: ps for g, ps in pairs.items() if ps}
    n_pairs = sum(len(v) for v in pairs.values())
    have = sum(1 for g in assign if g not in fixed_gp)
    from .checker import Days

    ties = strict and _has_ties(world, pairs)
    if strict and not ties:
        other = _period_proposing(world, pairs)
        name = "a stable matching found by period-proposing deferred acceptance"
    else:
        # Under ties the results without a blocking pair differ in size: only a maximum flow
        # bounds them all, and only the exact model below proves the count.
        _, other = _max_flow(pairs)
        name = "a maximum flow without department capacity"
    bound = len(other)
    if have > bound:
        report.fail(f"places {have} in the open market, more than the {bound} of {name}")
    binds = ties or bool(Days(world, set(other.values()) | fixed_period).violations())
    if not binds:
        if have != bound:
            report.fail(f"places {have} in the open market, {name} places {bound}")
        return
    if n_pairs <= exact_limit:
        best = _exact(world, pairs, fixed_period, strict)
        if best is None:
            report.notes.append("maximality: the exact model did not finish in 60 s")
        elif have != best:
            report.fail(f"places {have} in the open market; the exact model places {best}")
        return
    most = None if strict else _lp_bound(world, pairs, fixed_period)
    if most is not None:
        if have > most:
            report.fail(f"places {have} in the open market, more than its LP relaxation's {most}")
        if have >= most:
            return  # no feasible result places more
        bound, name = most, "the LP relaxation with department capacity"
    why = "GPs have ties" if ties else "capacity binds"
    report.notes.append(
        f"maximality: {why} and {n_pairs} pairs exceed --exact-limit {exact_limit}; "
        f"only the bound {have} <= {bound} ({name}) was verified"
    )
    if result.get("status") == "optimal" and result["metrics"].get("bound", have) < len(assign):
        report.fail("status optimal but metrics.bound is below the placements")
