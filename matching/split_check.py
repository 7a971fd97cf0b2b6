"""The checker for problems with split GPs (docs/matching.md, "Split placements").

Independent of matching/split.py like the rest of the checker: eligibility, preference,
priority come from checker.World; capacity is counted day by day per part of a period
(PartDays: a combined period's parts in their own departments); what a split GP would
take, which pair blocks and which is exempt are recomputed here from the definitions;
maximality is verified against a maximum flow bound, and on small problems against an
exhaustive search of every result.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from ortools.graph.python import max_flow

from .checker import Report, World, gives_back
from .model import STRICT, Problem

# The exhaustive search runs where the results to try stay below this many.
SEARCH_LIMIT = 200_000


class PartDays:
    """Department occupancy day by day, each part of a period in its own department (a
    combined period counts its first part in one department, its second in another)."""

    def __init__(self, problem: Problem, filled: set[str]) -> None:
        self.cap = {d.id: d.capacity for d in problem.departments}
        self.parts: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for p in problem.periods:
            for dept, first, last in p.parts():
                if dept in self.cap:
                    self.parts[dept].append((p.id, first.toordinal(), last.toordinal()))
        self.filled = filled

    def load(self, dept: str, day: int, without: str | None = None) -> int:
        return sum(
            1
            for pid, a, z in self.parts[dept]
            if pid in self.filled and pid != without and a <= day <= z
        )

    def violations(self) -> list[str]:
        out = []
        for dept, parts in sorted(self.parts.items()):
            for day in sorted({a for pid, a, _ in parts if pid in self.filled}):
                if self.load(dept, day) > self.cap[dept]:
                    out.append(f"department {dept} over capacity on day {day}")
                    break
        return out

    def blocked(self, p: Any, own: Any = None) -> bool:
        """Adding p would exceed a department's capacity on a day of its part there; a GP
        of one block gives back `own` as the checker's rule says (gives_back)."""
        without = own.id if own is not None and gives_back(own, p) else None
        for dept, first, last in p.parts():
            if dept not in self.cap:
                continue
            lo, hi = first.toordinal(), last.toordinal()
            days = {lo} | {d for _, a, z in self.parts[dept] for d in (a, z + 1) if lo <= d <= hi}
            if any(self.load(dept, d, without) + 1 > self.cap[dept] for d in days):
                return True
        return False


class SplitWorld:
    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        self.world = World(problem)
        self.gps = problem.gp_by_id
        self.pers = problem.period_by_id
        self.fixed: dict[tuple[str, str], str] = {}
        for x in problem.placed:
            self.fixed[(x.gp, x.period)] = "placed"
        for x in problem.pins:
            self.fixed.setdefault((x.gp, x.period), "pin")
        self.eligible: dict[str, list[str]] = {}
        for g in problem.gps:
            idx = np.nonzero(self.world.eligible_mask(g))[0]
            self.eligible[g.id] = [self.world.periods[i].id for i in idx]

    def months(self, pid: str) -> int:
        return int(self.world.covered[self.world.pidx[pid]])

    def most(self, gid: str) -> int:
        return 2 if self.gps[gid].availability.split_allowed else 1

    def clash(self, gid: str, a: str, b: str) -> bool:
        """g cannot hold both: one block only, overlapping days, or too many months."""
        g = self.gps[gid]
        if not g.availability.split_allowed:
            return True
        pa, pb = self.pers[a], self.pers[b]
        overlap = not (pa.end < pb.start or pb.end < pa.start)
        return overlap or self.months(a) + self.months(b) > g.availability.months

    def would_take(self, gid: str, pid: str, held: list[str]) -> tuple[bool, list[str]]:
        """g, holding `held`, would take p: room for it, or a strictly worse block whose
        dropping makes room (the blocks it would drop)."""
        if len(held) < self.most(gid) and not any(self.clash(gid, q, pid) for q in held):
            return True, []
        g = self.gps[gid]
        mine = self.world.pref(g, self.pers[pid])
        drops = []
        for h in held:
            if mine < self.world.pref(g, self.pers[h]) and not any(
                self.clash(gid, o, pid) for o in held if o != h
            ):
                drops.append(h)
        return bool(drops), drops

    def cause(
        self, gid: str, pid: str, held: list[str], drops: list[str], h: str | None, days: PartDays
    ) -> str | None:
        """Why the blocking pair (g, p) is exempt, or None."""
        g = self.gps[gid]
        if held and not g.availability.split_allowed and (gid, held[0]) in self.fixed:
            return self.fixed[(gid, held[0])]
        if drops and all((gid, d) in self.fixed for d in drops):
            return self.fixed[(gid, drops[0])]
        if h is not None and (h, pid) in self.fixed:
            return self.fixed[(h, pid)]
        own = None
        if held and not g.availability.split_allowed:
            own = self.pers[held[0]]
        if h is None and days.blocked(self.pers[pid], own):
            return "department_capacity"
        return None

    def unexempt_blocking(self, by_gp: dict[str, list[str]], holder: dict[str, str]) -> bool:
        days = PartDays(self.problem, set(holder))
        for gid, plist in self.eligible.items():
            held = by_gp.get(gid, [])
            for pid in plist:
                if pid in held or (gid, pid) in self.world.forbidden:
                    continue
                wanted, drops = self.would_take(gid, pid, held)
                h = holder.get(pid)
                if not wanted or (h is not None and self.ahead(h, gid, pid)):
                    continue
                if self.cause(gid, pid, held, drops, h, days) is None:
                    return True
        return False

    def ahead(self, a: str, b: str, pid: str) -> bool:
        p = self.pers[pid]
        return bool(self.world.prio(self.gps[a], p) < self.world.prio(self.gps[b], p))

    def takers(self, pid: str) -> list[str]:
        fixed = [g for (g, p) in self.fixed if p == pid]
        if fixed:
            return fixed
        return [
            g.id
            for g in self.problem.gps
            if pid in self.eligible[g.id]
            and (g.id, pid) not in self.world.forbidden
            and sum(1 for (x, _) in self.fixed if x == g.id) < self.most(g.id)
        ]


def check_split(problem: Problem, result: dict[str, Any], exact_limit: int = 20000) -> Report:
    """Verify `result` against a problem with split GPs (properties 1, 2, 3 and 5)."""
    report = Report()
    sw = SplitWorld(problem)
    world = sw.world
    for gid, value in result.get("lottery", {}).items():
        if gid in world.lottery and value != world.lottery[gid]:
            report.fail(f"lottery of {gid} is {value}, expected {world.lottery[gid]}")
    if result.get("status") == "infeasible":
        report.notes.append(
            "result says infeasible: " + "; ".join(result.get("infeasible_reasons", []))
        )
        return report
    by_gp: dict[str, list[str]] = defaultdict(list)
    holder: dict[str, str] = {}
    for a in result["assignments"]:
        g, p = a["gp"], a["period"]
        if g not in sw.gps or p not in sw.pers:
            report.fail(f"assignment ({g}, {p}) names an unknown GP or period")
            continue
        if p in holder:
            report.fail(f"period {p} has two GPs")
        by_gp[g].append(p)
        holder[p] = g
    _feasible(sw, by_gp, holder, report)
    days = PartDays(problem, set(holder))
    reasons: dict[tuple[str, str], str] = {}
    for block in ("unplaced_gps", "placed_gp_reasons"):
        for entry in result.get(block, []):
            for r in entry["reasons"]:
                reasons[(entry["gp"], r["period"])] = r["reason"]
    named = {(b["gp"], b["period"]): b["cause"] for b in result.get("blocking_pairs", [])}
    passed = {(x["gp"], x["period"]): x.get("holder") for x in result.get("passed_over", [])}
    strict = problem.policy.mode == STRICT
    seen: set[tuple[str, str]] = set()
    passed_seen: set[tuple[str, str]] = set()
    for gid, plist in sw.eligible.items():
        held = by_gp.get(gid, [])
        for pid in plist:
            if pid in held:
                continue
            code = reasons.get((gid, pid))
            if (gid, pid) in world.forbidden:
                if code != "forbidden":
                    report.fail(f"forbidden pair ({gid}, {pid}) has reason {code!r}")
                continue
            if code is None:
                report.fail(f"eligible pair ({gid}, {pid}) has no reason")
            wanted, drops = sw.would_take(gid, pid, held)
            h = holder.get(pid)
            lower = h is None or sw.ahead(gid, h, pid)
            own = sw.pers[held[0]] if held and not sw.gps[gid].availability.split_allowed else None
            if code == "placed_elsewhere_preferred" and wanted:
                report.fail(f"({gid}, {pid}): placed_elsewhere_preferred but {gid} would take it")
            if code == "higher_priority_candidate_placed" and lower:
                report.fail(f"({gid}, {pid}): higher_priority_candidate_placed but it is not")
            if code == "department_full" and (h is not None or not days.blocked(sw.pers[pid], own)):
                report.fail(f"({gid}, {pid}): department_full but the department has room")
            if code == "placements_tradeoff":
                if strict or not (wanted and lower):
                    report.fail(f"({gid}, {pid}): placements_tradeoff but {gid} is not passed over")
                elif passed.get((gid, pid), "-") != h:
                    report.fail(f"({gid}, {pid}) is passed over but not named with holder {h}")
                passed_seen.add((gid, pid))
            if not (wanted and lower) or not strict:
                continue
            cause = sw.cause(gid, pid, held, drops, h, days)
            if cause is None:
                report.fail(
                    f"blocking pair ({gid}, {pid}) is not caused by a pin, placement or capacity"
                )
            elif named.get((gid, pid)) != cause:
                report.fail(f"blocking pair ({gid}, {pid}) caused by {cause} is not named as such")
            seen.add((gid, pid))
    for pair in named:
        if pair not in seen:
            report.fail(f"named blocking pair {pair} is not a blocking pair")
    for pair in passed:
        if pair not in passed_seen:
            report.fail(f"named passed-over pair {pair} has not the reason placements_tradeoff")
    if result["metrics"]["placed"] != len(holder):
        report.fail("metrics.placed differs from the number of assignments")
    _maximal(sw, by_gp, holder, result, report, strict)
    return report


def _feasible(
    sw: SplitWorld, by_gp: dict[str, list[str]], holder: dict[str, str], report: Report
) -> None:
    world = sw.world
    for (g, p), _source in sorted(sw.fixed.items()):
        if holder.get(p) != g:
            report.fail(f"pin/placement ({g}, {p}) is missing")
    for gid, held in by_gp.items():
        if len(held) > sw.most(gid):
            report.fail(f"GP {gid} has {len(held)} periods")
        for i, a in enumerate(held):
            for b in held[i + 1 :]:
                if sw.clash(gid, a, b):
                    report.fail(f"GP {gid}'s blocks {a} and {b} overlap or exceed the months")
        gp = sw.gps[gid]
        for p in held:
            if (gid, p) in world.forbidden:
                report.fail(f"forbidden pair ({gid}, {p}) is assigned")
            if sw.fixed.get((gid, p)) == "placed":
                continue
            k = world.pidx[p]
            full = world.eligible_mask(gp)[k]
            dates = world.eligible_mask(gp, ignore_preferences=True)[k]
            if not dates or (not full and (gid, p) not in sw.fixed):
                report.fail(f"({gid}, {p}) is not an eligible pair")
    for v in PartDays(sw.problem, set(holder)).violations():
        report.fail(v)


def _maximal(
    sw: SplitWorld,
    by_gp: dict[str, list[str]],
    holder: dict[str, str],
    result: dict[str, Any],
    report: Report,
    strict: bool,
) -> None:
    """Property 3: no result (priority-respecting in strict mode) places more GPs, or as many
    GPs in more blocks. Checked where the result claims `optimal`."""
    if result.get("status") != "optimal":
        return
    mine = (len(by_gp), len(holder))
    bound = _gp_bound(sw)
    if mine[0] > bound:
        report.fail(f"{mine[0]} GPs placed, more than the bound {bound}")
    periods = sorted(sw.pers)
    takers = {p: sw.takers(p) for p in periods}
    size = 1
    for p in periods:
        size *= len(takers[p]) + (0 if any(q == p for (_, q) in sw.fixed) else 1)
        if size > SEARCH_LIMIT:
            report.notes.append(
                f"maximality: only the bound is verified ({mine[0]} GPs placed, bound {bound})"
            )
            return
    best = _search(sw, periods, takers, strict)
    if best is None:
        report.fail("the search found no feasible result, the result claims one")
    elif best != mine:
        report.fail(f"(GPs placed, blocks) is {mine}, the search finds {best}")


def _gp_bound(sw: SplitWorld) -> int:
    """GPs placed in any feasible result, at most: a maximum flow, one period per GP."""
    flow = max_flow.SimpleMaxFlow()
    gps = {g.id: i + 2 for i, g in enumerate(sw.problem.gps)}
    base = len(gps) + 2
    pers = {p: base + i for i, p in enumerate(sorted(sw.pers))}
    for node in gps.values():
        flow.add_arc_with_capacity(0, node, 1)
    for p, node in pers.items():
        flow.add_arc_with_capacity(node, 1, 1)
        for gid in sw.takers(p):
            flow.add_arc_with_capacity(gps[gid], node, 1)
    flow.solve(0, 1)
    return int(flow.optimal_flow())


def _search(
    sw: SplitWorld, periods: list[str], takers: dict[str, list[str]], strict: bool
) -> tuple[int, int] | None:
    """The best (GPs placed, blocks) of every feasible (strict: priority-respecting) result."""
    fixed_periods = {p for (_, p) in sw.fixed}
    best: tuple[int, int] | None = None
    by_gp: dict[str, list[str]] = defaultdict(list)
    holder: dict[str, str] = {}

    def leaf() -> None:
        nonlocal best
        if PartDays(sw.problem, set(holder)).violations():
            return
        if strict and sw.unexempt_blocking(by_gp, holder):
            return
        value = (sum(1 for v in by_gp.values() if v), len(holder))
        if best is None or value > best:
            best = value

    def step(i: int) -> None:
        if i == len(periods):
            leaf()
            return
        p = periods[i]
        if p not in fixed_periods:
            step(i + 1)
        for g in takers[p]:
            held = by_gp[g]
            if len(held) >= sw.most(g) or any(sw.clash(g, q, p) for q in held):
                continue
            held.append(p)
            holder[p] = g
            step(i + 1)
            held.pop()
            del holder[p]

    step(0)
    return best
