"""The best result of a strict_priority part, by the objective of matching/objective.py.

One model of the part (matching/mip.py's `Rows`: a variable per possible pair, rows for
capacity, its exemption and stability under the spec's weak preferences) is solved in
stages, each with the earlier keys fixed at their optimum:

1. the count: CP-SAT (one worker), or HiGHS for large parts (`count`, given by the caller:
   the MIP and the neighbourhood search of matching/mip.py and race.py);
2. keys 2-4 weighed into one cost (objective.costs), by CP-SAT from stage 1's solution;
3. key 5, with keys 1-4 fixed: a CP-SAT search that decides the periods in key 5's order,
   each first with its best candidate, finds the best result first.

Every stage is exact when it finishes; a time limit leaves the best found (never fewer
placements than the hint, which is deferred acceptance with the engine's tie-break and
capacity refusals), and the part is then not proven (`optimal` False).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from .cpsat import Part, PartSolution, Settings
from .giveback import moves
from .mip import INF, Rows, segments
from .objective import canonical, costs, keys, period_order

Pair = tuple[int, int]
SMALL_PAIRS = 1000  # parts this small solve stages 1 and 2 in one weighed solve
# The count of a large part (stage 1) by HiGHS: (part, budget, start, model) -> its solution,
# or None if it found nothing (mip.most_placements_strict).
CountSolver = Callable[[Part, Settings, dict[int, int], "Model"], PartSolution | None]


@dataclass
class Model:
    """The part's model: `rows`, the variable of each pair `x`, and the full/fill variables
    that the start values need."""

    part: Part
    rows: Rows
    x: dict[Pair, int]
    fill: dict[int, int]
    full_when: dict[int, tuple[list[int], int]]
    exempt: dict[int, tuple[int, list[int]]]  # period -> (variable, full flags it needs)
    # give-back exemptions (matching/giveback.py): (variable, period, full flags it needs)
    given_back: list[tuple[int, int, list[int]]]

    def values(self, assignment: dict[int, int]) -> list[float]:
        """Every variable's value for an assignment (GP -> period) of the part."""
        held = {p: g for g, p in assignment.items()}
        values = [0.0] * len(self.rows.lower)
        for (g, p), k in self.x.items():
            values[k] = float(assignment.get(g) == p)
        for p, k in self.fill.items():
            values[k] = float(p in held)
        for flag, (members, room) in self.full_when.items():
            values[flag] = float(sum(p in held for p in members) >= room)
        for p, (z, flags) in self.exempt.items():
            values[z] = float(p not in held and any(values[f] for f in flags))
        for w, p, flags in self.given_back:
            values[w] = float(p not in held and any(values[f] for f in flags))
        return values

    def satisfies(self, assignment: dict[int, int]) -> bool:
        """Whether the assignment meets every row (a result of the part)."""
        if any((g, p) not in self.x for g, p in assignment.items()):
            return False
        values = self.values(assignment)
        r = self.rows
        sums = [0.0] * len(r.row_lower)
        for row, col, coef in zip(r.rows, r.cols, r.coefs, strict=True):
            sums[row] += coef * values[col]
        return all(
            lo - 1e-9 <= v <= hi + 1e-9
            for v, lo, hi in zip(sums, r.row_lower, r.row_upper, strict=True)
        )


def build(part: Part) -> Model:
    """The part's model under the spec's weak preferences.

    Stability of a possible pair (g, p): x[g,p], or g holds another period it likes at least
    as much (same class or better), or p holds a GP ahead of g, or p is empty while its
    department is full on one of its days (exempt). Rows for the pairs that are not possible
    are implied by these (matching/ties.py). A GP holding a later period of a department it
    prefers an earlier one of gives its own place back (`_give_back_rows`). GPs in
    `part.placed` are placed. Twins
    (objective.twin_groups) are filled first in id order, by priority: that keeps only the
    result key 5 prefers among those that differ only there.
    """
    mip = Rows()
    cap, ids = part.capacity, part.period_ids
    x: dict[Pair, int] = {}
    klass: dict[Pair, int] = {}
    for g in part.gps:
        where = {p: k for k, p in enumerate(part.prefs[g])}
        for p in part.lists[g]:
            x[(g, p)] = mip.var()
            klass[(g, p)] = part.tie(g, where[p])
    cands: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for g, p in x:
        cands[p].append((part.rank[p][g], g))
    for lst in cands.values():
        lst.sort()
    for g in part.gps:
        mip.row(1 if g in part.placed else -INF, 1, [x[(g, p)] for p in part.lists[g]])
    for p in sorted(cands):
        mip.row(-INF, 1, [x[(g, p)] for _, g in cands[p]])
    fill: dict[int, int] = {}

    def filled(p: int) -> int:
        if p not in fill:
            fill[p] = mip.var(integer=False)
            takers = [x[(g, p)] for _, g in cands.get(p, [])]
            mip.row(0, 0, [fill[p], *takers], [-1.0] + [1.0] * len(takers))
        return fill[p]

    flag_of: dict[tuple[int, int], int] = {}
    full_when: dict[int, tuple[list[int], int]] = {}
    periods = sorted(set(cands) | part.keep)
    for running, room, (d, *segs) in segments(part, periods):
        members = sorted(running)
        mip.row(-INF, room, [filled(p) for p in members])
        if room > 0:
            flag = mip.var()
            mip.row(
                0, INF, [*(filled(p) for p in members), flag],
                [1.0] * len(members) + [-float(room)],
            )  # fmt: skip
            full_when[flag] = (members, room)
            for s in segs:
                flag_of[(d, s)] = flag
    exempt: dict[int, tuple[int, list[int]]] = {}
    closed: set[int] = set()
    for p in periods:
        span = cap.span.get(ids[p])
        if span is None:
            continue
        d, lo, hi = span
        if not cap.fits(ids[p]):
            closed.add(p)  # pins and placements leave no room: never filled, always exempt
            continue
        flags = sorted({flag_of[(d, s)] for s in range(lo, hi) if (d, s) in flag_of})
        if flags:
            z = mip.var()
            mip.row(-INF, 0, [z, *flags], [1.0] + [-1.0] * len(flags))
            if p in cands:
                mip.row(-INF, 1, [z, filled(p)])
            exempt[p] = (z, flags)
    for p in sorted(part.keep):
        if p in closed:
            continue
        cols = [exempt[p][0]] if p in exempt else []
        mip.row(1, INF, cols + [x[(g, p)] for _, g in cands.get(p, [])])
    for (g, p), var in x.items():
        if p in closed:
            continue
        mine = klass[(g, p)]
        cols = [var]
        cols += [x[(g, q)] for q in part.lists[g] if q != p and klass[(g, q)] <= mine]
        for _, h in cands[p]:
            if h == g:
                break
            cols.append(x[(h, p)])
        if p in exempt:
            cols.append(exempt[p][0])
        mip.row(1, INF, cols)
    given_back = _give_back_rows(part, mip, x, cands, filled, full_when, set(periods))
    _twin_rows(part, mip, x, cands, filled)
    return Model(part, mip, x, fill, full_when, exempt, given_back)


def _give_back_rows(
    part: Part,
    mip: Rows,
    x: dict[Pair, int],
    cands: dict[int, list[tuple[int, int]]],
    filled: Callable[[int], int],
    full_when: dict[int, tuple[list[int], int]],
    periods: set[int],
) -> list[tuple[int, int, list[int]]]:
    """A GP g holding q that strictly prefers p, an earlier period of q's department
    (`Capacity.gives_back`), frees q's place when it asks for p: p must then be held by a GP
    ahead of g, or be empty with the department full on a segment of p that q does not
    cover (docs/matching.md, "A GP moving within its department"). One row per such triple,
    where it can matter: p and q share a segment that the other periods of the model can
    fill (else giving q back never frees room p lacks) and p is not held outside the part.
    p need not be a possible pair of g: the row is the pair's stability with q given back.
    Returns the exemption variables, for `Model.values`."""
    cap, ids = part.capacity, part.period_ids
    cover = cap.cover((p, ids[p]) for p in sorted(periods))
    flags: dict[tuple[int, int], int | None] = {}  # (dept, segment) -> its full-flag

    def flag(d: int, s: int) -> int | None:
        """A variable that is 1 only if segment s is full (None: it can never be)."""
        if (d, s) not in flags:
            running = cover.get((d, s), [])
            room = cap.room(d, s)
            f = None
            if len(running) >= room:
                f = mip.var()
                mip.row(
                    0, INF, [*(filled(r) for r in running), f],
                    [1.0] * len(running) + [-float(room)],
                )  # fmt: skip
                full_when[f] = (running, room)
            flags[(d, s)] = f
        return flags[(d, s)]

    out: list[tuple[int, int, list[int]]] = []

    def exemption(p: int, q: int) -> int | None:
        """A variable that is 1 only if p is empty and full on a segment q does not cover
        (None: p is full there by pins and placements alone)."""
        d, plo, phi = cap.span[ids[p]]
        _, qlo, qhi = cap.span[ids[q]]
        outside = [s for s in range(plo, phi) if not qlo <= s < qhi]
        if any(cap.room(d, s) <= 0 for s in outside):
            return None
        fs = sorted({f for s in outside if (f := flag(d, s)) is not None})
        w = mip.var()
        mip.row(-INF, 0, [w, *fs], [1.0] + [-1.0] * len(fs))
        if p in periods:
            mip.row(-INF, 1, [w, filled(p)])
        out.append((w, p, fs))
        return w

    exempt: dict[tuple[int, int], int | None] = {}  # (p, q) -> exemption(p, q)
    for g, p, q in moves(part):  # only where giving q back can free room p lacks
        if (p, q) not in exempt:
            exempt[(p, q)] = exemption(p, q)
        w = exempt[(p, q)]
        if w is None:
            continue  # full on a day q does not cover whoever holds what: exempt
        rank = part.rank[p][g]
        ahead = [x[(h, p)] for r, h in cands.get(p, []) if r < rank]
        mip.row(0, INF, [*ahead, w, x[(g, q)]], [1.0] * (len(ahead) + 1) + [-1.0])
    return out


def _twin_rows(
    part: Part,
    mip: Rows,
    x: dict[Pair, int],
    cands: dict[int, list[tuple[int, int]]],
    filled: Callable[[int], int],
) -> None:
    """Twins in id order: a later one is filled only if the one before is, and then by a GP
    of lower priority."""
    if not part.twin:
        return
    groups: dict[int, list[int]] = defaultdict(list)
    for p in period_order(part):
        if p in cands and part.twin[p] >= 0:
            groups[part.twin[p]].append(p)
    for members in groups.values():
        top = 1 + max(r for p in members for r, _ in cands[p])
        for a, b in zip(members, members[1:], strict=False):
            mip.row(-INF, 0, [filled(b), filled(a)], [1.0, -1.0])
            cols = [x[(g, a)] for _, g in cands[a]] + [x[(g, b)] for _, g in cands[b]]
            coefs = [float(r) for r, _ in cands[a]] + [-float(r) for r, _ in cands[b]]
            mip.row(-INF, float(top), [*cols, filled(b)], [*coefs, float(top)])


def _cp(model: Model) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    """The model's rows as a CP-SAT model, with its variables."""
    cp = model.rows.as_cp_model()
    variables = [cp.get_int_var_from_proto_index(k) for k in range(len(model.rows.lower))]
    return cp, variables


class _Stages:
    """CP-SAT on the model, one stage after another, each on a fresh copy of the rows (one
    worker, seed 0: deterministic)."""

    def __init__(self, model: Model, deadline: float) -> None:
        self.model = model
        self.rows, _ = _cp(model)
        self.deadline = deadline
        self.proven = True

    def copy(self) -> tuple[cp_model.CpModel, Callable[[dict[Pair, int]], cp_model.LinearExpr]]:
        """A copy of the rows, and the weighted sum of pair variables in it."""
        cp = self.rows.clone()
        x = self.model.x

        def total(weights: dict[Pair, int]) -> cp_model.LinearExpr:
            return cp_model.LinearExpr.weighted_sum(
                [cp.get_int_var_from_proto_index(x[pair]) for pair in weights],
                list(weights.values()),
            )

        return cp, total

    def run(
        self, cp: cp_model.CpModel, hint: dict[int, int], share: float, first: bool = False
    ) -> tuple[dict[int, int] | None, cp_model.CpSolver, cp_model.CpSolverStatus]:
        """Solve `cp` from `hint` with `share` of the time left: the assignment found (None if
        none), the solver and its status. With `first`, the first solution of the model's
        decision strategy is taken, with a presolve that keeps every solution."""
        if hint:
            for k, value in enumerate(self.model.values(hint)):
                cp.add_hint(cp.get_int_var_from_proto_index(k), round(value))
        left = max(0.05, share * (self.deadline - time.perf_counter()))
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = 1
        params.random_seed = 0
        params.max_time_in_seconds = left
        # The deterministic limit normally stops a search before the wall limit, so that an
        # unproven result is reproducible too (matching/cpsat.py).
        params.max_deterministic_time = max(0.05, left / 6)
        params.linearization_level = 2  # the LP bound is what proves the count
        if first:
            params.search_branching = cp_model.FIXED_SEARCH
            params.keep_all_feasible_solutions_in_presolve = True
            params.symmetry_level = 0
        status = solver.solve(cp)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None, solver, status
        values = solver.response_proto.solution
        found = {g: p for (g, p), k in self.model.x.items() if values[k] > 0}
        return found, solver, status

    def count(self, hint: dict[int, int]) -> tuple[dict[int, int], int]:
        """Stage 1: the most placements, and the proven bound."""
        cp, total = self.copy()
        self.cut(cp, total)
        cp.maximize(total(dict.fromkeys(self.model.x, 1)))
        found, solver, status = self.run(cp, hint, 0.5)
        if found is None:
            self.proven = False
            return hint, len(self.model.part.gps)
        if status != cp_model.OPTIMAL:
            self.proven = False
            return found, max(len(found), math.floor(solver.best_objective_bound + 1e-6))
        return found, len(found)

    def cut(
        self, cp: cp_model.CpModel, total: Callable[[dict[Pair, int]], cp_model.LinearExpr]
    ) -> None:
        """The part's proven bound on the count (packing), as a constraint."""
        if self.model.part.most is not None:
            cp.add(total(dict.fromkeys(self.model.x, 1)) <= self.model.part.most)

    def both(self, hint: dict[int, int]) -> tuple[dict[int, int], int]:
        """Stages 1 and 2 in one solve, for small parts: the count weighed above keys 2-4."""
        weigh = costs(self.model.part).pair
        top = 1 + sum(sorted(weigh.values())[-len(self.model.part.gps) :])
        cp, total = self.copy()
        self.cut(cp, total)
        cp.minimize(total({pair: w - top for pair, w in weigh.items()}))
        found, solver, status = self.run(cp, hint, 0.6)
        if found is None:
            self.proven = False
            return hint, len(self.model.part.gps)
        if status != cp_model.OPTIMAL:
            self.proven = False
            # each placement adds at most max - top < 0: that bounds the count
            bound = math.floor(-solver.best_objective_bound / (top - max(weigh.values())))
            return found, max(len(found), bound)
        return found, len(found)

    def preference(self, best: dict[int, int]) -> dict[int, int]:
        """Stage 2: keys 2-4 with the count fixed at that of `best`."""
        cp, total = self.copy()
        cp.add(total(dict.fromkeys(self.model.x, 1)) == len(best))
        cp.minimize(total(costs(self.model.part).pair))
        found, _, status = self.run(cp, best, 0.6)
        if status != cp_model.OPTIMAL:
            self.proven = False
        return best if found is None else found

    def settle(self, best: dict[int, int]) -> dict[int, int]:
        """Stage 3: key 5 among the results with the keys 1-4 of `best` (optimal): a search
        that decides the periods in key 5's order, each first with its best candidate,
        finds the best such result first. Keys 2-4 are fixed one by one (small coefficients
        propagate better than their weighed sum), CP-SAT's presolve keeps every solution and
        its symmetry detection is off, so that the first solution is the best one."""
        part, x = self.model.part, self.model.x
        cp, total = self.copy()
        for key in keys(part):
            cp.add(total(key) == sum(key[(g, p)] for g, p in best.items()))
        cp.add(total(dict.fromkeys(x, 1)) == len(best))
        cands: dict[int, list[int]] = defaultdict(list)
        for g, p in x:
            cands[p].append(g)
        order = [
            cp.get_bool_var_from_proto_index(x[(g, p)])
            for p in period_order(part)
            for g in sorted(cands.get(p, ()), key=part.rank[p].__getitem__)
        ]
        cp.add_decision_strategy(order, cp_model.CHOOSE_FIRST, cp_model.SELECT_MAX_VALUE)
        found, _, _ = self.run(cp, {}, 1.0, first=True)
        if found is None:
            self.proven = False
            return best
        return found


def solve_part(
    part: Part,
    hint: dict[int, int],
    settings: Settings,
    count: CountSolver | None = None,
    model: Model | None = None,
) -> PartSolution:
    """The best result of the part by the objective (matching/objective.py). `hint` is
    normally a result of the part (deferred acceptance with the engine's tie-break, capacity
    refusals and the repair for GPs owed a move, matching/solver.py); it stands, with the
    bound, if the solvers find nothing better in time. Where the repair fell short it is no
    result, and the solvers start from nothing. `count`, if given, computes the count
    (stage 1) instead of CP-SAT."""
    deadline = time.perf_counter() + settings.time_limit_s
    if model is None:
        model = build(part)
    start = canonical(part, hint)
    if not model.satisfies(start):  # the core's repair fell short (matching/solver.py)
        start = {}
    stages = _Stages(model, deadline)
    small = len(model.x) <= SMALL_PAIRS
    if count is None:
        best, bound = stages.both(start) if small else stages.count(start)
        if len(best) < len(start):  # pragma: no cover - CP-SAT starts from the hint
            best = start
    else:
        found = count(part, Settings(0.6 * settings.time_limit_s), start, model)
        best, bound = start, part.most or len(part.gps)
        if found is not None:
            bound = found.placements_bound
            if len(found.assignment) > len(start):
                best = canonical(part, found.assignment)
        stages.proven = bound <= len(best)
    if part.most is not None:
        bound = min(bound, part.most)
    if count is not None or not small:
        best = stages.preference(best)
    if stages.proven:
        best = stages.settle(best)
    return PartSolution(best, stages.proven and bound <= len(best), max(bound, len(best)))
