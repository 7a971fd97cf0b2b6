"""Brute-force oracle for tiny problems: enumerate every matching (test code only).

Written from the spec's definitions alone, without the engine's or the checker's helpers.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _plus_months(day: date, months: int) -> date:
    y, m = divmod(day.month - 1 + months, 12)
    year, month = day.year + y, m + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Brute:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.gps = {g["id"]: g for g in doc["gps"]}
        self.periods = {p["id"]: p for p in doc["periods"]}
        self.cap = {d["id"]: d["capacity"] for d in doc.get("departments", [])}
        self.forbid = {(f["gp"], f["period"]) for f in doc.get("forbids", [])}
        self.pins = [(x["gp"], x["period"]) for x in doc.get("pins", [])]
        self.placed = [(x["gp"], x["period"]) for x in doc.get("placed", [])]
        self.policies = doc.get("trust_policies", {})

    def _policy(self, trust: str, key: str) -> Any:
        return self.policies.get(trust, {}).get(key, self.doc["policy"][key])

    def dates_ok(self, g: dict, p: dict) -> bool:
        av = g["availability"]
        return (
            _d(av["earliest_start"]) <= _d(p["start"])
            and _d(p["end"]) <= _d(av["latest_end"])
            and _d(p["end"]) + timedelta(days=1) >= _plus_months(_d(p["start"]), av["months"])
        )

    def eligible(self, gid: str, pid: str, wishes: bool = True) -> bool:
        g, p = self.gps[gid], self.periods[pid]
        av = g["availability"]
        if not self.dates_ok(g, p):
            return False
        if g["months_general_practice"] < self._policy(p["trust"], "min_months_general_practice"):
            return False
        if wishes and p["specialty"] not in av["specialties"] and not av["accept_other_specialty"]:
            return False
        if wishes and av["trusts"] and p["trust"] not in av["trusts"]:
            return False
        return (gid, pid) not in self.forbid

    def pref(self, gid: str, pid: str) -> tuple:
        """The spec's GP preference (smaller is better); equal keys are a tie."""
        av, p = self.gps[gid]["availability"], self.periods[pid]
        s = av["specialties"].index(p["specialty"]) if p["specialty"] in av["specialties"] else 99
        t = av["trusts"].index(p["trust"]) if p["trust"] in av["trusts"] else 99
        return (s, t, p["start"])

    def order(self, gid: str, pid: str) -> tuple:
        """The engine's documented order within a tie: earlier end, department, id (numbers
        numerically)."""
        p = self.periods[pid]
        number = (0, int(pid), "") if pid.isdigit() else (1, 0, pid)
        return (*self.pref(gid, pid), p["end"], p["department"], number)

    def prio(self, gid: str, pid: str) -> tuple:
        g, p = self.gps[gid], self.periods[pid]
        seed = self.doc["policy"]["lottery_seed"].encode()
        lot = int.from_bytes(hmac.new(seed, gid.encode(), hashlib.sha256).digest()[:8], "big") >> 11
        out: list[Any] = []
        for key in self._policy(p["trust"], "priority"):
            if key == "catchment":
                out.append(0 if g["home_trust"] == p["trust"] else 1)
            elif key == "first_choice":
                wish = g["availability"]["specialties"]
                out.append(0 if wish and wish[0] == p["specialty"] else 1)
            elif key == "registered_at":
                out.append(datetime.fromisoformat(g["registered_at"]).timestamp())
            elif key == "lottery":
                out.append(lot)
            else:
                out.append(-g[key])
        return (*out, lot, gid)

    def capacity_ok(self, filled: set[str]) -> bool:
        for pid in filled:
            p = self.periods[pid]
            if p["department"] not in self.cap:
                continue
            load = sum(
                1
                for q in filled
                if self.periods[q]["department"] == p["department"]
                and self.periods[q]["start"] <= p["start"] <= self.periods[q]["end"]
            )
            if load > self.cap[p["department"]]:
                return False
        return True

    def fixed_ok(self) -> bool:
        fixed = self.pins + self.placed
        if len({g for g, _ in fixed}) < len(fixed) or len({p for _, p in fixed}) < len(fixed):
            return False
        for g, p in fixed:
            if (g, p) in self.forbid:
                return False
        for g, p in self.pins:
            gp = self.gps[g]
            if not self.dates_ok(gp, self.periods[p]):
                return False
            if gp["months_general_practice"] < self._policy(
                self.periods[p]["trust"], "min_months_general_practice"
            ):
                return False
        return True

    def respects_priority(self, match: dict[str, str]) -> bool:
        fixed_gp = {g for g, _ in self.pins + self.placed}
        fixed_p = {p for _, p in self.pins + self.placed}
        holder = {p: g for g, p in match.items()}
        for gid in self.gps:
            for pid in self.periods:
                if match.get(gid) == pid or not self.eligible(gid, pid):
                    continue
                mine = match.get(gid)
                if mine is not None and self.pref(gid, mine) <= self.pref(gid, pid):
                    continue  # a pair blocks only where the GP strictly prefers the period
                h = holder.get(pid)
                if h is not None and self.prio(h, pid) < self.prio(gid, pid):
                    continue
                if gid in fixed_gp or (h is not None and pid in fixed_p):
                    continue
                if h is None and not self.capacity_ok(
                    self._without(set(holder), mine, pid) | {pid}
                ):
                    continue
                return False
        return True

    def _without(self, filled: set[str], mine: str | None, pid: str) -> set[str]:
        """The filled periods once g, holding `mine`, asks for `pid`: its own period is given
        back if it is in pid's department and pid comes first by start, end and id."""
        if mine is None:
            return filled
        own, p = self.periods[mine], self.periods[pid]
        later = (own["start"], own["end"], mine) > (p["start"], p["end"], pid)
        return filled - {mine} if own["department"] == p["department"] and later else filled

    def feasible(self) -> Iterator[dict[str, str]]:
        """Every feasible result (pins and placements in, capacity held), as gp -> period;
        nothing if the pins and placements alone are contradictory."""
        if not self.fixed_ok():
            return
        fixed = dict(self.pins + self.placed)
        if not self.capacity_ok(set(fixed.values())):
            return
        free = [g for g in sorted(self.gps) if g not in fixed]
        options = {
            g: [p for p in sorted(self.periods) if p not in fixed.values() and self.eligible(g, p)]
            for g in free
        }

        def walk(i: int, match: dict[str, str], used: set[str]) -> Iterator[dict[str, str]]:
            if i == len(free):
                if self.capacity_ok(used):
                    yield match
                return
            g = free[i]
            yield from walk(i + 1, match, used)
            for p in options[g]:
                if p not in used:
                    match[g] = p
                    used.add(p)
                    yield from walk(i + 1, match, used)
                    del match[g]
                    used.discard(p)

        yield from walk(0, dict(fixed), set(fixed.values()))

    def priority_respecting(self) -> list[dict[str, str]]:
        return [dict(m) for m in self.feasible() if self.respects_priority(m)]

    def best(self) -> tuple[int | None, int | None]:
        """(most placements of any feasible result, of any priority-respecting result)."""
        most, most_stable = -1, -1
        for match in self.feasible():
            most = max(most, len(match))
            if len(match) > most_stable and self.respects_priority(match):
                most_stable = len(match)
        return (most if most >= 0 else None), (most_stable if most_stable >= 0 else None)

    def objective(self, match: dict[str, str]) -> tuple:
        """docs/matching.md's objective of a strict_priority result, smaller is better, from
        the definitions alone: placements, then the GPs' classes (how many of their open
        periods they strictly prefer), their places in the engine's order, the priority
        ranks, then the holders of the periods in id order (empty last)."""
        fixed = dict(self.pins + self.placed)
        taken = set(fixed.values())
        open_match = {g: p for g, p in match.items() if g not in fixed}
        classes = places = ranks = 0
        for g, p in open_match.items():
            mine = [q for q in self.periods if q not in taken and self.eligible(g, q)]
            classes += sum(self.pref(g, q) < self.pref(g, p) for q in mine)
            places += sum(self.order(g, q) < self.order(g, p) for q in mine)
            ranks += self.rank(g, p)
        holder = {p: g for g, p in open_match.items()}
        numeric = sorted(self.periods, key=lambda q: (0, int(q), "") if q.isdigit() else (1, 0, q))
        empty = len(self.gps) + 1
        periods = [self.rank(holder[q], q) if q in holder else empty for q in numeric]
        return (-len(open_match), classes, places, ranks, periods)

    def rank(self, gid: str, pid: str) -> int:
        """How many eligible GPs are ahead of gid for pid."""
        return sum(
            self.prio(h, pid) < self.prio(gid, pid)
            for h in self.gps
            if h != gid and self.eligible(h, pid)
        )

    def best_result(self) -> dict[str, str] | None:
        """The priority-respecting result the objective prefers (None if there is none)."""
        results = self.priority_respecting()
        return min(results, key=self.objective) if results else None
