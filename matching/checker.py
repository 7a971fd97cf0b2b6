"""An independent checker of results (spec properties 1, 2, 3 and 5).

Deliberately shares no decision code with the solver: eligibility, preference, priority, the
lottery, capacity and stability are recomputed here from the problem, in a different way
(numpy over all periods per GP, day-by-day capacity, period-proposing deferred acceptance,
max flow, and a plain CP-SAT model of its own). Only the data classes and the JSON parser
are shared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np

from .model import STRICT, Problem
from .parse import load_problem

EXEMPT_CAUSES = {"pin", "placed", "department_capacity"}


@dataclass
class Report:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def fail(self, message: str) -> None:
        if len(self.failures) < 200:
            self.failures.append(message)

    def text(self) -> str:
        lines = [f"FAIL {m}" for m in self.failures] + [f"note {m}" for m in self.notes]
        lines.append(
            "OK: all checks passed" if self.ok else f"{len(self.failures)} check(s) failed"
        )
        return "\n".join(lines)


def _months_between(start: Any, after_end: Any) -> int:
    """Whole calendar months m with start + m months <= after_end (day clamped to month end)."""
    import calendar

    m = 0
    while True:
        y, mo = divmod(start.month - 1 + m + 1, 12)
        year, month = start.year + y, mo + 1
        day = min(start.day, calendar.monthrange(year, month)[1])
        if (year, month, day) > (after_end.year, after_end.month, after_end.day):
            return m
        m += 1


class World:
    """The problem seen by the checker: arrays over periods, and its own rules."""

    def __init__(self, problem: Problem) -> None:
        from datetime import timedelta

        self.problem = problem
        self.periods = list(problem.periods)
        self.pidx = {p.id: i for i, p in enumerate(self.periods)}
        self.start = np.array([p.start.toordinal() for p in self.periods])
        self.end = np.array([p.end.toordinal() for p in self.periods])
        self.covered = np.array(
            [_months_between(p.start, p.end + timedelta(days=1)) for p in self.periods]
        )
        self.trust = np.array([p.trust for p in self.periods], dtype=object)
        self.spec = np.array([p.specialty for p in self.periods], dtype=object)
        overrides = {t.trust: t for t in problem.trust_policies}
        self.min_months = np.array(
            [
                overrides[p.trust].min_months_general_practice
                if p.trust in overrides
                and overrides[p.trust].min_months_general_practice is not None
                else problem.policy.min_months_general_practice
                for p in self.periods
            ]
        )
        self.order_of: dict[str, tuple[str, ...]] = {
            p.trust: cast("tuple[str, ...]", overrides[p.trust].priority)
            if p.trust in overrides and overrides[p.trust].priority is not None
            else problem.policy.priority
            for p in self.periods
        }
        seed = problem.policy.lottery_seed.encode()
        self.lottery = {}
        for g in problem.gps:
            digest = hmac.new(seed, g.id.encode(), hashlib.sha256).digest()
            self.lottery[g.id] = int.from_bytes(digest[:8], "big") // 2048 / 2.0**53
        self.forbidden = {(f.gp, f.period) for f in problem.forbids}

    def eligible_mask(self, g: Any, ignore_preferences: bool = False) -> np.ndarray:
        av = g.availability
        ok: np.ndarray = (self.start >= av.earliest_start.toordinal()) & (
            self.end <= av.latest_end.toordinal()
        )
        if av.split_allowed:  # a block of 3 months up to the total
            ok &= (self.covered >= min(3, av.months)) & (self.covered <= av.months)
        else:
            ok &= self.covered >= av.months
        ok &= g.months_general_practice >= self.min_months
        if not ignore_preferences:
            if not av.accept_other_specialty:
                ok &= np.isin(self.spec, list(av.specialties))
            if av.trusts:
                ok &= np.isin(self.trust, list(av.trusts))
        return ok

    def pref(self, g: Any, p: Any) -> tuple[int, int, int]:
        """Smaller is preferred: specialty order, trust order, start (the spec's order; equal
        keys are a tie, and a pair blocks only where the GP strictly prefers the period)."""
        av = g.availability
        s = (
            av.specialties.index(p.specialty)
            if p.specialty in av.specialties
            else len(av.specialties)
        )
        t = av.trusts.index(p.trust) if p.trust in av.trusts else len(av.trusts)
        return (s, t, p.start.toordinal())

    def prio(self, g: Any, p: Any) -> tuple[Any, ...]:
        """Smaller is higher priority; the lottery always ends the key (docs/matching.md)."""
        out: list[Any] = []
        for key in self.order_of[p.trust]:
            if key == "catchment":
                out.append(g.home_trust != p.trust)
            elif key == "first_choice":
                av = g.availability
                out.append(not (av.specialties and av.specialties[0] == p.specialty))
            elif key == "registered_at":
                out.append(g.registered_at.timestamp())
            elif key == "municipality_priority":
                # recomputed here, not imported: unknown (None) after every stated rank
                rank = g.municipality_priority
                out.append((rank is None, rank or 0))
            elif key == "lottery":
                out.append(self.lottery[g.id])
            else:
                out.append(-getattr(g, key))
        out.append(self.lottery[g.id])
        out.append(g.id)
        return tuple(out)


class Days:
    """Department occupancy counted day by day (only days on which some period starts)."""

    def __init__(self, world: World, filled: set[str]) -> None:
        self.world = world
        self.cap = {d.id: d.capacity for d in world.problem.departments}
        self.members: dict[str, list[Any]] = defaultdict(list)
        for p in world.periods:
            if p.department in self.cap:
                self.members[p.department].append(p)
        self.filled = filled

    def load(
        self, dept: str, day: int, extra: str | None = None, without: str | None = None
    ) -> int:
        return sum(
            1
            for q in self.members[dept]
            if (q.id in self.filled or q.id == extra)
            and q.id != without
            and q.start.toordinal() <= day <= q.end.toordinal()
        )

    def days(self, p: Any) -> list[int]:
        """Every day of p on which the load can change (a period of the department starts, or
        the day after one ends), and p's first day: the load is constant in between."""
        first, last = p.start.toordinal(), p.end.toordinal()
        marks = {first}
        for q in self.members[p.department]:
            for day in (q.start.toordinal(), q.end.toordinal() + 1):
                if first <= day <= last:
                    marks.add(day)
        return sorted(marks)

    def violations(self) -> list[str]:
        out = []
        for dept, periods in sorted(self.members.items()):
            for day in sorted({q.start.toordinal() for q in periods if q.id in self.filled}):
                if self.load(dept, day) > self.cap[dept]:
                    out.append(f"department {dept} over capacity on day {day}")
                    break
        return out

    def blocked(self, p: Any, own: Any = None) -> bool:
        """Adding p to the filled periods would exceed its department's capacity on some day.
        `own` is the GP's own period: it is given back when it is in p's department and
        starts after p (by start, end, id), the rule of docs/matching.md."""
        if p.department not in self.cap:
            return False
        without = own.id if own is not None and gives_back(own, p) else None
        cap = self.cap[p.department]
        return any(self.load(p.department, d, p.id, without) > cap for d in self.days(p))


def gives_back(own: Any, p: Any) -> bool:
    """A GP holding `own` and asking for p frees its place when both are in one department
    and p comes first by start, end and id (docs/matching.md, capacity exemption)."""
    return bool(
        own.department == p.department and (own.start, own.end, own.id) > (p.start, p.end, p.id)
    )


def check(problem: Problem, result: dict[str, Any], exact_limit: int = 20000) -> Report:
    """Verify `result` (a decoded result JSON) against `problem`."""
    from .checker_bounds import check_maximal

    if any(g.availability.split_allowed for g in problem.gps) or any(
        p.second_department is not None for p in problem.periods
    ):  # two blocks, or a period over two departments (docs/matching.md)
        from .split_check import check_split

        return check_split(problem, result, exact_limit)
    report = Report()
    world = World(problem)
    gps = problem.gp_by_id
    pers = problem.period_by_id
    status = result.get("status")
    for gid, value in result.get("lottery", {}).items():
        if gid in world.lottery and value != world.lottery[gid]:
            report.fail(f"lottery of {gid} is {value}, expected {world.lottery[gid]}")
    if status == "infeasible":
        report.notes.append(
            "result says infeasible: " + "; ".join(result.get("infeasible_reasons", []))
        )
        return report
    assign: dict[str, str] = {}
    holder: dict[str, str] = {}
    source: dict[str, str] = {}
    for a in result["assignments"]:
        g, p = a["gp"], a["period"]
        if g not in gps or p not in pers:
            report.fail(f"assignment ({g}, {p}) names an unknown GP or period")
            continue
        if g in assign:
            report.fail(f"GP {g} has two periods")
        if p in holder:
            report.fail(f"period {p} has two GPs")
        assign[g], holder[p], source[g] = p, g, a["source"]
    # Property 1: feasibility.
    pins = {(x.gp, x.period) for x in problem.pins}
    placed = {(x.gp, x.period) for x in problem.placed}
    for g, p in sorted(pins | placed):
        if assign.get(g) != p:
            report.fail(f"pin/placement ({g}, {p}) is missing")
    for g, p in assign.items():
        if (g, p) in world.forbidden:
            report.fail(f"forbidden pair ({g}, {p}) is assigned")
        if (g, p) in placed:
            continue
        full = world.eligible_mask(gps[g])[world.pidx[p]]
        dates = world.eligible_mask(gps[g], ignore_preferences=True)[world.pidx[p]]
        if not dates or (not full and (g, p) not in pins):
            report.fail(f"({g}, {p}) is not an eligible pair")
    days = Days(world, set(holder))
    for v in days.violations():
        report.fail(v)
    fixed_gp = {g for g, _ in pins | placed}
    fixed_period = {p for _, p in pins | placed}
    # Eligible pairs (forbids aside), per GP, by brute force over all periods.
    eligible: dict[str, list[str]] = {}
    for g in problem.gps:
        idx = np.nonzero(world.eligible_mask(g))[0]
        eligible[g.id] = [world.periods[i].id for i in idx]
    reasons: dict[tuple[str, str], str] = {}
    for block in ("unplaced_gps", "placed_gp_reasons"):
        for entry in result.get(block, []):
            for r in entry["reasons"]:
                reasons[(entry["gp"], r["period"])] = r["reason"]
    named = {(b["gp"], b["period"]): b["cause"] for b in result.get("blocking_pairs", [])}
    strict = problem.policy.mode == STRICT
    blocking_seen = set()
    passed = {(x["gp"], x["period"]): x.get("holder") for x in result.get("passed_over", [])}
    passed_seen = set()
    for gid, plist in eligible.items():
        g = gps[gid]
        mine = assign.get(gid)
        for pid in plist:
            if pid == mine:
                continue
            p = pers[pid]
            code = reasons.get((gid, pid))
            if (gid, pid) in world.forbidden:
                if code != "forbidden":
                    report.fail(f"forbidden pair ({gid}, {pid}) has reason {code!r}")
                continue
            if code is None:
                report.fail(f"eligible pair ({gid}, {pid}) has no reason")
            h = holder.get(pid)
            prefers = mine is None or world.pref(g, p) < world.pref(g, pers[mine])
            lower = h is None or world.prio(gps[h], p) > world.prio(g, p)
            if code == "placed_elsewhere_preferred" and prefers:
                report.fail(f"({gid}, {pid}): placed_elsewhere_preferred but {gid} prefers {pid}")
            if code == "higher_priority_candidate_placed" and lower:
                report.fail(f"({gid}, {pid}): higher_priority_candidate_placed but it is not")
            own = pers[mine] if mine is not None else None
            if code == "department_full" and (h is not None or not days.blocked(p, own)):
                report.fail(f"({gid}, {pid}): department_full but the department has room")
            if code == "placements_tradeoff":
                # max_placements: g passed over for p; the result names the pair and holder
                if not (prefers and lower) or strict:
                    report.fail(f"({gid}, {pid}): placements_tradeoff but {gid} is not passed over")
                elif (gid, pid) not in passed or passed[(gid, pid)] != h:
                    report.fail(f"({gid}, {pid}) is passed over but not named with holder {h}")
                passed_seen.add((gid, pid))
            if not (prefers and lower) or not strict:
                continue
            # Property 2: a blocking pair; it must be exempt and named.
            cause = None
            if gid in fixed_gp:
                cause = source.get(gid, "pin")
            elif h is not None and pid in fixed_period:
                cause = source.get(h, "pin")
            elif h is None and days.blocked(p, own):
                cause = "department_capacity"
            if cause is None:
                report.fail(
                    f"blocking pair ({gid}, {pid}) is not caused by a pin, placement or capacity"
                )
            elif named.get((gid, pid)) != cause:
                report.fail(f"blocking pair ({gid}, {pid}) caused by {cause} is not named as such")
            blocking_seen.add((gid, pid))
    for pair in named:
        if pair not in blocking_seen:
            report.fail(f"named blocking pair {pair} is not a blocking pair")
    for pair in passed:
        if pair not in passed_seen:
            report.fail(f"named passed-over pair {pair} has not the reason placements_tradeoff")
    if result["metrics"]["placed"] != len(assign):
        report.fail("metrics.placed differs from the number of assignments")
    check_maximal(world, eligible, assign, fixed_gp, fixed_period, result, report, exact_limit)
    return report


def check_files(
    problem_path: str | Path, result_path: str | Path, exact_limit: int = 20000
) -> Report:
    problem = load_problem(problem_path)
    result = json.loads(Path(result_path).read_text(encoding="utf-8"))
    return check(problem, result, exact_limit)
