"""Solving a split problem (matching/split.py's model) and explaining its result."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from ortools.sat.python import cp_model

from .eligibility import FORBIDDEN
from .model import STRICT, Problem
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
    Metrics,
    PassedOver,
    Reason,
    Result,
    natural_key,
)
from .split import MATCH, PIN, Facts, _Model, gives_back, wants

_CAUSE = {PIN: CAUSE_PIN, "placed": CAUSE_PLACED}
_GP_REASON = {PIN: GP_PINNED, "placed": GP_PLACED}
_PERIOD_REASON = {PIN: PERIOD_PINNED, "placed": PERIOD_PLACED}


def solve_split(problem: Problem, time_limit_s: float, staged: bool = True) -> Result:
    """The result of a problem with split GPs: the largest priority-respecting result in
    strict mode (the largest feasible one in max_placements) by GPs placed, then blocks, then
    GP preference; ``optimal`` when CP-SAT proves it. The three keys are solved one after
    the other (``staged``, the engine's way); ``staged=False`` solves them at once by weights,
    as the first version did (kept for the tests that compare the two)."""
    started = time.perf_counter()
    facts = Facts.build(problem)
    lottery = tuple(sorted(facts.rules.lottery.items(), key=lambda i: natural_key(i[0])))
    n_pairs = sum(len(v) + len(facts.forbidden_eligible[k]) for k, v in facts.eligible.items())
    mode = problem.policy.mode

    def failed(reasons: list[str]) -> Result:
        metrics = Metrics(0, round(time.perf_counter() - started, 3), 0, 0, n_pairs)
        return Result(
            "infeasible", mode, (), (), (), metrics, lottery, infeasible_reasons=tuple(reasons)
        )

    if facts.infeasible:
        return failed(facts.infeasible)
    model = _Model(facts, problem.policy.mode == STRICT)
    rank = {
        (g.id, p): facts.rank(g.id, p) or len(facts.eligible[g.id]) + 1
        for g in problem.gps
        for p in model.cands[g.id]
    }
    found = (_staged if staged else _weighted)(model, rank, started, time_limit_s)
    if found is None:
        return failed(["no result found within the time limit"])
    if not found.feasible:
        return failed(["pins and placements cannot all hold with department capacity"])
    held: dict[str, list[str]] = defaultdict(list)
    for gid, pid in found.pairs:
        held[gid].append(pid)
    explained = Explanation(facts, held).explain()
    gps_placed = len(held)
    optimal = found.optimal
    bound = found.bound
    assignments = explained.assignments
    metrics = Metrics(
        placed=len(assignments),
        wall_time_s=round(time.perf_counter() - started, 3),
        objective=gps_placed,
        bound=gps_placed if optimal else max(bound, gps_placed),
        eligible_pairs=n_pairs,
    )
    return Result(
        status="optimal" if optimal else "feasible",
        mode=mode,
        assignments=tuple(assignments),
        unplaced_gps=tuple(explained.unplaced),
        unfilled_periods=tuple(
            sorted((p.id for p in problem.periods if p.id not in explained.holder), key=natural_key)
        ),
        metrics=metrics,
        lottery=lottery,
        placed_gp_reasons=tuple(explained.placed),
        blocking_pairs=tuple(explained.blocking),
        passed_over=tuple(explained.passed),
    )


@dataclass
class _Found:
    """What CP-SAT found: the pairs held, whether all keys are proven, a bound on GPs placed
    (None: no solution within the time limit)."""

    pairs: list[tuple[str, str]]
    optimal: bool
    bound: int
    feasible: bool = True


def _placed_vars(model: _Model) -> list[cp_model.IntVar]:
    """A literal per GP with a candidate that may be true only where it holds a period."""
    out = []
    for g in model.facts.problem.gps:
        mine = [model.x[(g.id, p)] for p in model.cands[g.id]]
        if mine:
            y = model.m.new_bool_var(f"y_{g.id}")
            model.m.add(y <= sum(mine))
            out.append(y)
    return out


def _solver(time_limit_s: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(time_limit_s, 0.1)
    solver.parameters.num_workers = 1  # deterministic for the same model
    return solver


def _pairs(model: _Model, solver: cp_model.CpSolver) -> list[tuple[str, str]]:
    return [pair for pair, var in model.x.items() if solver.value(var)]


def _staged(
    model: _Model, rank: dict[tuple[str, str], int], started: float, time_limit_s: float
) -> _Found | None:
    """The objective in two solves: the most GPs placed; then, with that many, the most
    blocks and the least total rank (by weights, as ``_weighted`` weighs all three). The
    second starts from the first's solution (a hint) and gets what is left of the time limit.
    The same optimum as ``_weighted``, found far faster: the weighted objective's bound on
    GPs placed moved one GP at a time, and proving it took 30 s to over 100 s at 2k x 800
    where these two take a few seconds (docs/matching.md, "Split placements")."""
    m, x = model.m, model.x
    placed = _placed_vars(model)
    w_blocks = (max(rank.values(), default=1) + 1) * max(len(x), 1) + 1
    keys = [
        sum(placed),
        w_blocks * sum(x.values()) - sum(rank[pair] * var for pair, var in x.items()),
    ]
    pairs: list[tuple[str, str]] | None = None
    bound = len(placed)
    for i, expr in enumerate(keys):
        left = time_limit_s - (time.perf_counter() - started)
        if i and left <= 0:
            return _Found(pairs or [], False, bound)
        m.maximize(expr)
        solver = _solver(left)
        # The LP of every constraint: it bounds the count in max_placements at once, where
        # the default (level 1) left 672 against a bound of 866 after 120 s at 2k x 800.
        solver.parameters.linearization_level = 2
        status = solver.solve(m)
        if status == cp_model.INFEASIBLE and pairs is None:
            return _Found([], False, 0, feasible=False)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            return None if pairs is None else _Found(pairs, False, bound)
        pairs = _pairs(model, solver)
        value = round(solver.objective_value)
        if i == 0:
            bound = min(bound, int(solver.best_objective_bound + 1e-6))
        if status != cp_model.OPTIMAL:
            return _Found(pairs, False, bound)
        m.add(expr >= value)
        m.clear_hints()  # type: ignore[no-untyped-call]
        chosen = set(pairs)
        for pair, var in x.items():
            m.add_hint(var, pair in chosen)
    return _Found(pairs or [], True, bound)


def _weighted(
    model: _Model, rank: dict[tuple[str, str], int], started: float, time_limit_s: float
) -> _Found | None:
    """The three keys at once by weights: GPs placed, then blocks, then least total rank."""
    m, x = model.m, model.x
    total = max(len(x), 1)
    w_blocks = (max(rank.values(), default=1) + 1) * total + 1
    w_gps = w_blocks * (total + 1)
    placed = _placed_vars(model)
    m.maximize(
        w_gps * sum(placed)
        + w_blocks * sum(x.values())
        - sum(rank[pair] * var for pair, var in x.items())
    )
    solver = _solver(time_limit_s)
    status = solver.solve(m)
    if status == cp_model.INFEASIBLE:
        return _Found([], False, 0, feasible=False)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    bound = min(len(placed), int((solver.best_objective_bound + w_blocks) // w_gps))
    return _Found(_pairs(model, solver), status == cp_model.OPTIMAL, bound)


class Explanation:
    """Reasons for every eligible pair not in the result, by the definitions of
    docs/matching.md, "Split placements"."""

    def __init__(self, facts: Facts, held: dict[str, list[str]]) -> None:
        self.facts = facts
        problem = facts.problem
        self.held = {g: sorted(ps, key=lambda p: facts.period(p).start) for g, ps in held.items()}
        self.holder = {p: g for g, ps in held.items() for p in ps}
        self.source = {(g, p): facts.fixed.get((g, p), MATCH) for g, ps in held.items() for p in ps}
        self.cap = {d.id: d.capacity for d in problem.departments}
        self.members: dict[str, list[str]] = defaultdict(list)
        for p in problem.periods:
            for dept, _first, _last in p.parts():
                if dept in self.cap:
                    self.members[dept].append(p.id)
        self.candidates: dict[str, list[str]] = defaultdict(list)
        for gp in problem.gps:
            for pid in facts.eligible[gp.id]:
                self.candidates[pid].append(gp.id)
        self.assignments: list[Assignment] = []
        self.unplaced: list[GPReasons] = []
        self.placed: list[GPReasons] = []
        self.blocking: list[BlockingPair] = []
        self.passed: list[PassedOver] = []

    def position(self, gp: str, pid: str) -> int:
        facts, gps = self.facts, self.facts.problem.gp_by_id
        p = facts.period(pid)
        mine = facts.rules.key(gps[gp], p)
        return 1 + sum(facts.rules.key(gps[c], p) < mine for c in self.candidates[pid])

    def full_from(self, pid: str, without: str | None) -> str | None:
        """The first day of pid on which a department of its parts is full with what the
        result holds (``without`` given back), or None when pid fits."""
        facts = self.facts
        found = []
        for dept, first, last in facts.period(pid).parts():
            if dept not in self.cap:
                continue
            filled = [
                (a.toordinal(), z.toordinal())
                for q in self.members[dept]
                if q in self.holder and q != without and q != pid
                for d, a, z in facts.period(q).parts()
                if d == dept
            ]
            lo, hi = first.toordinal(), last.toordinal()
            days = {lo} | {d for a, z in filled for d in (a, z + 1) if lo <= d <= hi}
            for day in sorted(days):
                if sum(a <= day <= z for a, z in filled) + 1 > self.cap[dept]:
                    found.append(day)
                    break
        return date.fromordinal(min(found)).isoformat() if found else None

    def explain(self) -> Explanation:
        facts = self.facts
        problem = facts.problem
        strict = problem.policy.mode == STRICT
        for g in sorted(problem.gps, key=lambda g: natural_key(g.id)):
            mine = self.held.get(g.id, [])
            for pid in mine:
                self.assignments.append(
                    Assignment(
                        g.id,
                        pid,
                        facts.rank(g.id, pid),
                        self.position(g.id, pid),
                        self.source[(g.id, pid)],
                    )
                )
            reasons = []
            for pid in facts.eligible[g.id]:
                if pid in mine:
                    continue
                reason, blocking = self.reason(g.id, pid, mine, strict)
                reasons.append(Reason(pid, reason))
                if blocking is not None:
                    self.blocking.append(blocking)
                if reason == PLACEMENTS_TRADEOFF:
                    self.passed.append(PassedOver(g.id, pid, self.holder.get(pid)))
            reasons += [Reason(p, FORBIDDEN) for p in facts.forbidden_eligible[g.id]]
            if not mine:
                self.unplaced.append(GPReasons(g.id, tuple(reasons)))
            elif reasons:
                self.placed.append(GPReasons(g.id, tuple(reasons)))
        return self

    def reason(
        self, gid: str, pid: str, mine: list[str], strict: bool
    ) -> tuple[str, BlockingPair | None]:
        facts = self.facts
        gps = facts.problem.gp_by_id
        g, p = gps[gid], facts.period(pid)
        wanted, drops = wants(facts, g, pid, mine)
        if not wanted:
            return ELSEWHERE_PREFERRED, None
        h = self.holder.get(pid)
        if h is not None and facts.ahead(gps[h], g, p):
            return HIGHER_PRIORITY, None
        # A blocking pair unless exempt (strict) or given up for the count (max_placements).
        dept = p.department
        if mine and (
            (not g.availability.split_allowed and (gid, mine[0]) in facts.fixed)
            or (drops and all((gid, d) in facts.fixed for d in drops))
        ):
            fixed = facts.fixed[(gid, drops[0] if drops else mine[0])]
            return _GP_REASON[fixed], self._pair(strict, gid, pid, _CAUSE[fixed], h)
        if h is not None and (h, pid) in facts.fixed:
            fixed = facts.fixed[(h, pid)]
            return _PERIOD_REASON[fixed], self._pair(strict, gid, pid, _CAUSE[fixed], h)
        if h is None:
            without = None
            if not g.availability.split_allowed and mine and gives_back(facts.period(mine[0]), p):
                without = mine[0]
            day = self.full_from(pid, without)
            if day is not None:
                pair = BlockingPair(gid, pid, CAUSE_CAPACITY, None, dept, day) if strict else None
                return DEPARTMENT_FULL, pair
        return (UNEXPLAINED, None) if strict else (PLACEMENTS_TRADEOFF, None)

    @staticmethod
    def _pair(strict: bool, gid: str, pid: str, cause: str, h: str | None) -> BlockingPair | None:
        return BlockingPair(gid, pid, cause, h) if strict else None
