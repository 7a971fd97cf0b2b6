"""Brute force for tiny problems with split GPs (docs/matching.md, "Split placements"):
every result enumerated, from the definitions alone (test code only)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from tests.matching.brute import Brute, _d, _plus_months

Match = dict[str, list[str]]  # gp -> the periods it holds


class SplitBrute(Brute):
    def covered(self, pid: str) -> int:
        p = self.periods[pid]
        after = _d(p["end"]) + timedelta(days=1)
        m = 0
        while _plus_months(_d(p["start"]), m + 1) <= after:
            m += 1
        return m

    def parts(self, pid: str) -> list[tuple[str, str, str]]:
        """(department, first day, last day) of each part: a combined period's second part
        is in its second department from its switch date."""
        p = self.periods[pid]
        if not p.get("second_department"):
            return [(p["department"], p["start"], p["end"])]
        before = (_d(p["switch"]) - timedelta(days=1)).isoformat()
        return [
            (p["department"], p["start"], before),
            (p["second_department"], p["switch"], p["end"]),
        ]

    def capacity_ok(self, filled: set[str]) -> bool:
        parts = [part for q in filled for part in self.parts(q)]
        for dept, start, _end in parts:
            if dept not in self.cap:
                continue
            load = sum(1 for d, a, z in parts if d == dept and a <= start <= z)
            if load > self.cap[dept]:
                return False
        return True

    def split(self, gid: str) -> bool:
        return bool(self.gps[gid]["availability"].get("split_allowed"))

    def dates_ok(self, g: dict, p: dict) -> bool:
        av = g["availability"]
        if not av.get("split_allowed"):
            return super().dates_ok(g, p)
        inside = _d(av["earliest_start"]) <= _d(p["start"]) and _d(p["end"]) <= _d(av["latest_end"])
        return inside and 3 <= self.covered(p["id"]) <= av["months"]

    def clash(self, gid: str, a: str, b: str) -> bool:
        if not self.split(gid):
            return True
        pa, pb = self.periods[a], self.periods[b]
        overlap = not (pa["end"] < pb["start"] or pb["end"] < pa["start"])
        total = self.covered(a) + self.covered(b)
        return overlap or total > self.gps[gid]["availability"]["months"]

    def room(self, gid: str, held: list[str], pid: str) -> bool:
        most = 2 if self.split(gid) else 1
        return len(held) < most and not any(self.clash(gid, q, pid) for q in held)

    def would_take(self, gid: str, pid: str, held: list[str]) -> tuple[bool, list[str]]:
        if self.room(gid, held, pid):
            return True, []
        drops = [
            h
            for h in held
            if self.pref(gid, pid) < self.pref(gid, h)
            and self.room(gid, [o for o in held if o != h], pid)
        ]
        return bool(drops), drops

    def split_feasible(self) -> Iterator[Match]:
        fixed = self.pins + self.placed
        if len({p for _, p in fixed}) < len(fixed) or any(f in self.forbid for f in fixed):
            return
        for g, p in self.pins:
            gp = self.gps[g]
            trust = self.periods[p]["trust"]
            if not self.dates_ok(gp, self.periods[p]) or gp[
                "months_general_practice"
            ] < self._policy(trust, "min_months_general_practice"):
                return
        owner = dict((p, g) for g, p in fixed)
        periods = sorted(self.periods)
        match: Match = {g: [] for g in self.gps}

        def walk(i: int) -> Iterator[Match]:
            if i == len(periods):
                filled = {p for ps in match.values() for p in ps}
                if self.capacity_ok(filled):
                    yield {g: list(ps) for g, ps in match.items() if ps}
                return
            p = periods[i]
            if p in owner:
                options = [owner[p]]
            else:
                yield from walk(i + 1)
                options = [g for g in sorted(self.gps) if self.eligible(g, p)]
            for g in options:
                if not self.room(g, match[g], p):
                    continue
                if (
                    p not in owner
                    and any(g == x and q != p for x, q in fixed)
                    and not self.split(g)
                ):
                    continue
                match[g].append(p)
                yield from walk(i + 1)
                match[g].pop()

        yield from walk(0)

    def split_respects(self, match: Match) -> bool:
        fixed = set(self.pins + self.placed)
        holder = {p: g for g, ps in match.items() for p in ps}
        filled = set(holder)
        for gid in self.gps:
            held = match.get(gid, [])
            for pid in self.periods:
                if pid in held or not self.eligible(gid, pid):
                    continue
                wanted, drops = self.would_take(gid, pid, held)
                h = holder.get(pid)
                if not wanted or (h is not None and self.prio(h, pid) < self.prio(gid, pid)):
                    continue
                if held and not self.split(gid) and (gid, held[0]) in fixed:
                    continue
                if drops and all((gid, d) in fixed for d in drops):
                    continue
                if h is not None and (h, pid) in fixed:
                    continue
                mine = held[0] if held and not self.split(gid) else None
                if h is None and not self.capacity_ok(self._without(filled, mine, pid) | {pid}):
                    continue
                return False
        return True

    def split_best(self) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
        """The most (GPs placed, blocks) of any feasible result, of any priority-respecting one."""
        most: tuple[int, int] | None = None
        stable: tuple[int, int] | None = None
        for match in self.split_feasible():
            value = (len(match), sum(len(v) for v in match.values()))
            most = value if most is None or value > most else most
            if (stable is None or value > stable) and self.split_respects(match):
                stable = value
        return most, stable
