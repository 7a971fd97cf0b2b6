"""Split placements (Vestre Viken's 3 + 3): problems in which some GP may hold two blocks.

A GP whose window says ``split_allowed`` may hold up to two periods that do not overlap and
whose months (``months_covered``) add up to at most the window's ``months``; every other GP
holds at most one. The definitions (which pair blocks, which is exempt, what is maximal) are
in docs/matching.md, "Split placements". Problems without such a GP never come here
(``solver.solve``), so the national path is unchanged.

The whole problem is one CP-SAT model over its eligible pairs: feasibility, capacity per
department segment, in strict mode one row per pair that must not block, and the objective
GPs placed, then blocks, then GP preference (solved in two steps, split_solve.py). The rows
share their literals (a period's candidates ahead, a GP's periods liked at least as much, a
period empty with its segment full) so that the model stays linear in the eligible pairs at
national size.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from .eligibility import DATE_CODES, FORBIDDEN, NOT_ELIGIBLE, TIE_KEY, Eligibility
from .model import GP, Period, Problem
from .priority import PriorityKey, PriorityRules

MATCH, PIN, PLACED = "match", "pin", "placed"


def has_split(problem: Problem) -> bool:
    """Whether any GP of the problem may hold two blocks, or a period runs over two
    departments: this model handles both, the general path neither."""
    return any(g.availability.split_allowed for g in problem.gps) or any(
        p.second_department is not None for p in problem.periods
    )


@dataclass
class Facts:
    """What the model and the explanations share: eligible lists, fixed pairs, conflicts."""

    problem: Problem
    el: Eligibility
    rules: PriorityRules
    eligible: dict[str, list[str]]  # gp -> eligible periods, best first (forbids left out)
    forbidden_eligible: dict[str, list[str]]  # gp -> eligible periods that are forbidden
    fixed: dict[tuple[str, str], str]  # (gp, period) -> PIN | PLACED
    infeasible: list[str]
    _ranks: dict[str, dict[str, int]] = field(default_factory=dict)
    _prefs: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    _keys: dict[tuple[str, str], PriorityKey] = field(default_factory=dict)

    @classmethod
    def build(cls, problem: Problem) -> Facts:
        el = Eligibility(problem)
        eligible: dict[str, list[str]] = {}
        forbidden: dict[str, list[str]] = {}
        for g in problem.gps:
            found = [p.id for p in el.eligible_periods(g)]
            eligible[g.id] = [p for p in found if (g.id, p) not in el.forbidden]
            forbidden[g.id] = [p for p in found if (g.id, p) in el.forbidden]
        fixed: dict[tuple[str, str], str] = {}
        infeasible: list[str] = []
        for source, pairs in ((PLACED, problem.placed), (PIN, problem.pins)):
            for pair in pairs:
                codes = el.failures(problem.gp_by_id[pair.gp], problem.period_by_id[pair.period])
                if FORBIDDEN in codes:
                    infeasible.append(f"{source} ({pair.gp}, {pair.period}) is forbidden")
                elif source == PIN and set(codes) & {*DATE_CODES, NOT_ELIGIBLE}:
                    infeasible.append(f"pin ({pair.gp}, {pair.period}) is not eligible: {codes}")
                if (pair.gp, pair.period) in fixed:
                    infeasible.append(f"({pair.gp}, {pair.period}) is pinned or placed twice")
                fixed.setdefault((pair.gp, pair.period), source)
        facts = cls(problem, el, PriorityRules(problem), eligible, forbidden, fixed, infeasible)
        facts._check_fixed()
        return facts

    def _check_fixed(self) -> None:
        by_gp: dict[str, list[str]] = defaultdict(list)
        by_period: dict[str, list[str]] = defaultdict(list)
        for g, p in self.fixed:
            by_gp[g].append(p)
            by_period[p].append(g)
        for p, holders in sorted(by_period.items()):
            if len(holders) > 1:
                self.infeasible.append(f"period {p} is pinned or placed to {sorted(holders)}")
        for g, held in sorted(by_gp.items()):
            gp = self.problem.gp_by_id[g]
            if len(held) > self.capacity(gp):
                self.infeasible.append(f"GP {g} is pinned or placed to {sorted(held)}")
            elif len(held) == 2 and self.conflict(gp, held[0], held[1]):
                self.infeasible.append(f"GP {g}'s blocks {sorted(held)} overlap or are too long")

    def rank(self, gid: str, pid: str) -> int | None:
        """The period's place in the GP's eligible list (1 = most wanted), None outside it."""
        ranks = self._ranks.get(gid)
        if ranks is None:
            ranks = self._ranks[gid] = {p: i for i, p in enumerate(self.eligible[gid], 1)}
        return ranks.get(pid)

    def capacity(self, gp: GP) -> int:
        return 2 if gp.availability.split_allowed else 1

    def period(self, pid: str) -> Period:
        return self.problem.period_by_id[pid]

    def months(self, pid: str) -> int:
        return int(self.el.covered[pid])

    def conflict(self, gp: GP, a: str, b: str) -> bool:
        """Whether ``gp`` cannot hold both a and b: one block only, overlapping dates, or
        more months together than the window's total."""
        if not gp.availability.split_allowed:
            return True
        pa, pb = self.period(a), self.period(b)
        if pa.start <= pb.end and pb.start <= pa.end:
            return True
        return self.months(a) + self.months(b) > gp.availability.months

    def pref(self, gp: GP, pid: str) -> tuple[int, int, int]:
        """The spec's preference (equal: a tie; smaller: preferred); computed once a pair."""
        found = self._prefs.get((gp.id, pid))
        if found is None:
            key = self.el.preference_key(gp, self.period(pid))[:TIE_KEY]
            found = self._prefs[(gp.id, pid)] = key  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def candidates(self, gp: GP) -> list[str]:
        """The periods ``gp`` may end with: its fixed ones, and the eligible ones where
        it has room (a GP of one block that is pinned or placed takes no other)."""
        own = [p for (g, p) in self.fixed if g == gp.id]
        if len(own) >= self.capacity(gp):
            return own
        return own + [p for p in self.eligible[gp.id] if p not in own]

    def ahead(self, g: GP, other: GP, p: Period) -> bool:
        return self.key(g, p) < self.key(other, p)

    def key(self, g: GP, p: Period) -> PriorityKey:
        """g's priority key for p (PriorityRules.key), computed once a pair."""
        found = self._keys.get((g.id, p.id))
        if found is None:
            found = self._keys[(g.id, p.id)] = self.rules.key(g, p)
        return found


def wants(facts: Facts, gp: GP, pid: str, held: list[str]) -> tuple[bool, list[str]]:
    """Whether ``gp``, holding ``held``, would take ``pid`` (docs/matching.md): it has room
    (fewer blocks than it may hold, none in conflict with pid), or it strictly prefers pid to
    one of its blocks h and dropping h makes room. Returns (wants, the blocks it would drop;
    empty when it has room)."""
    if pid in held:
        return False, []
    clash = [q for q in held if facts.conflict(gp, q, pid)]
    if len(held) < facts.capacity(gp) and not clash:
        return True, []
    mine = facts.pref(gp, pid)
    drops = [
        h
        for h in held
        if mine < facts.pref(gp, h) and not any(facts.conflict(gp, o, pid) for o in held if o != h)
    ]
    return bool(drops), drops


class _Model:
    """The CP-SAT model of a split problem."""

    def __init__(self, facts: Facts, strict: bool) -> None:
        self.facts = facts
        self.m = cp_model.CpModel()
        problem = facts.problem
        self.x: dict[tuple[str, str], cp_model.IntVar] = {}
        self.empty: dict[str, cp_model.IntVar] = {}
        self.two: dict[str, cp_model.IntVar] = {}
        self.gp_departments: dict[str, dict[str, list[str]]] = {}
        self.ahead_chain: dict[str, tuple[list[PriorityKey], list[cp_model.IntVar]]] = {}
        self.pref_chain: dict[str, dict[tuple[int, int, int], cp_model.IntVar]] = {}
        self.shared: dict[tuple[str, int, str], cp_model.IntVar] = {}
        self.by_period: dict[str, list[str]] = defaultdict(list)
        self.cands: dict[str, list[str]] = {}
        for g in problem.gps:
            self.cands[g.id] = facts.candidates(g)
            for p in self.cands[g.id]:
                self.x[(g.id, p)] = self.m.new_bool_var(f"x_{g.id}_{p}")
                self.by_period[p].append(g.id)
        for pair in facts.fixed:
            self.m.add(self.x[pair] == 1)
        for pid, holders in self.by_period.items():
            self.m.add_at_most_one(self.x[(g, pid)] for g in holders)
        self._gp_rows()
        self._capacity_rows()
        if strict:
            self._stability_rows()

    def _gp_rows(self) -> None:
        facts = self.facts
        for g in facts.problem.gps:
            mine = self.cands[g.id]
            self.m.add(sum(self.x[(g.id, p)] for p in mine) <= facts.capacity(g))
            if g.availability.split_allowed:
                for i, a in enumerate(mine):
                    for b in mine[i + 1 :]:
                        if facts.conflict(g, a, b):
                            self.m.add_bool_or(
                                [self.x[(g.id, a)].negated(), self.x[(g.id, b)].negated()]
                            )

    def _capacity_rows(self) -> None:
        """Department capacity on every segment between the department's period bounds."""
        facts = self.facts
        problem = facts.problem
        cap = {d.id: d.capacity for d in problem.departments}
        # (period id, first day, last day) of every part in each listed department
        members: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for p in problem.periods:
            for dept, first, last in p.parts():
                if dept in cap and p.id in self.by_period:
                    members[dept].append((p.id, first.toordinal(), last.toordinal()))
        self.segments: dict[str, list[tuple[str, int, int]]] = {}
        self.full: dict[tuple[str, int], cp_model.IntVar] = {}
        for dept, parts in members.items():
            marks = sorted({a for _, a, _ in parts} | {z + 1 for _, _, z in parts})
            for a, b in zip(marks, marks[1:], strict=False):
                covering = [pid for pid, first, last in parts if first <= a and b - 1 <= last]
                if not covering:
                    continue
                load = sum(self.x[(g, pid)] for pid in covering for g in self.by_period[pid])
                self.m.add(load <= cap[dept])
                full = self.m.new_bool_var(f"full_{dept}_{a}")
                self.m.add(load >= cap[dept]).only_enforce_if(full)
                self.full[(dept, a)] = full
                for pid in covering:
                    self.segments.setdefault(pid, []).append((dept, a, b))

    def _stability_rows(self) -> None:
        facts = self.facts
        problem = facts.problem
        fixed_period = {p: g for (g, p) in facts.fixed}
        fixed_gp = {g for (g, _) in facts.fixed}
        for g in problem.gps:
            split = g.availability.split_allowed
            if not split and g.id in fixed_gp:
                continue  # a GP of one block that cannot move: exempt (pin or placement)
            mine = self.cands[g.id]
            for pid in facts.eligible[g.id]:
                if pid in fixed_period or (g.id, pid) not in self.x:
                    # held by a pin or placement (or g's own), or g's pinned or placed
                    # blocks leave it no room: exempt
                    continue
                p = facts.period(pid)
                terms = [self.x[(g.id, pid)]]
                terms += self._held_ahead(g, p)
                terms.append(self._not_wanted(g, pid, mine, fixed_gp))
                terms += self._capacity_terms(g, pid, mine)
                self.m.add_bool_or(terms)

    def _held_ahead(self, g: GP, p: Period) -> list[cp_model.IntVar]:
        """A literal that may be true only where a GP ahead of g for p holds p (none when no
        candidate is ahead). Chained down p's candidates in priority order: the literal of
        the i-th implies the (i-1)-th's or the i-th's own x, so each row gets one literal
        instead of one per candidate ahead (the same rows on x, in linear size)."""
        chain = self.ahead_chain.get(p.id)
        if chain is None:
            facts = self.facts
            gps = facts.problem.gp_by_id
            order = sorted(self.by_period[p.id], key=lambda h: facts.key(gps[h], p))
            keys = [facts.key(gps[h], p) for h in order]
            lits: list[cp_model.IntVar] = []
            for h in order:
                a = self.m.new_bool_var(f"ahead_{p.id}_{h}")
                self.m.add_bool_or([*lits[-1:], self.x[(h, p.id)]]).only_enforce_if(a)
                lits.append(a)
            chain = self.ahead_chain[p.id] = (keys, lits)
        keys, lits = chain
        before = bisect_left(keys, self.facts.key(g, p))  # keys differ for any two GPs
        return [lits[before - 1]] if before else []

    def _not_wanted(self, g: GP, pid: str, mine: list[str], fixed_gp: set[str]) -> cp_model.IntVar:
        """A literal that may be true only where g does not want pid (``wants``)."""
        facts = self.facts
        x = self.x
        if not g.availability.split_allowed:
            return self._at_least(g, pid, mine)
        # Shared literals keep this linear in g's list (the first version listed, for every
        # block h, every other clashing block: cubic, 140 s of building at 6k x 2400 for one
        # split GP with 861 eligible periods). The same rows on x: where x[g,pid] holds the
        # row is met whatever nw says, elsewhere "two of mine" is "two of the others".
        nw = self.m.new_bool_var(f"nw_{g.id}_{pid}")
        others = [q for q in mine if q != pid]
        clashing = {q for q in others if facts.conflict(g, q, pid)}
        clash = [x[(g.id, q)] for q in others if q in clashing]
        one = []  # a literal: g holds a block that clashes with pid
        if clash:
            one = [self.m.new_bool_var(f"clash_{g.id}_{pid}")]
            self.m.add_bool_or(clash).only_enforce_if(one[0])
        self.m.add_bool_or([self._two(g, mine), *one]).only_enforce_if(nw)  # no room
        both: cp_model.IntVar | None = None  # g holds two blocks that clash with pid
        for h in others:
            if (g.id, h) in facts.fixed or not facts.pref(g, pid) < facts.pref(g, h):
                continue  # dropping a pinned or placed block is exempt; a better one, no swap
            # no swap via h: g does not hold h, or holds another block that clashes with pid
            if h in clashing:
                if both is None:
                    both = self.m.new_bool_var(f"clash2_{g.id}_{pid}")
                    self.m.add(sum(clash) >= 2).only_enforce_if(both)
                rest = [both]
            else:
                rest = one
            self.m.add_bool_or([x[(g.id, h)].negated(), *rest]).only_enforce_if(nw)
        return nw

    def _two(self, g: GP, mine: list[str]) -> cp_model.IntVar:
        """A literal that may be true only where g holds two blocks (one a GP)."""
        found = self.two.get(g.id)
        if found is None:
            found = self.two[g.id] = self.m.new_bool_var(f"two_{g.id}")
            self.m.add(sum(self.x[(g.id, q)] for q in mine) >= 2).only_enforce_if(found)
        return found

    def _at_least(self, g: GP, pid: str, mine: list[str]) -> cp_model.IntVar:
        """For a GP of one block: a literal that may be true only where g holds a period it
        likes at least as much as pid (pid itself included: its row is then met anyway).
        Chained down g's candidates by preference, one literal per preference class, each
        implying the class before's or one of its own: linear where a clause per pair was
        quadratic in g's list, with the same rows on x."""
        chain = self.pref_chain.get(g.id)
        if chain is None:
            facts = self.facts
            classes: dict[tuple[int, int, int], list[str]] = defaultdict(list)
            for q in mine:
                classes[facts.pref(g, q)].append(q)
            lits: dict[tuple[int, int, int], cp_model.IntVar] = {}
            last: list[cp_model.IntVar] = []
            for key in sorted(classes):
                c = self.m.new_bool_var(f"atleast_{g.id}_{len(lits)}")
                held = [self.x[(g.id, q)] for q in classes[key]]
                self.m.add_bool_or([*last, *held]).only_enforce_if(c)
                lits[key] = c
                last = [c]
            chain = self.pref_chain[g.id] = lits
        return chain[self.facts.pref(g, pid)]

    def _capacity_terms(self, g: GP, pid: str, mine: list[str]) -> list[cp_model.IntVar]:
        """Literals that may be true only where pid is empty and its department full on one
        of its segments (a GP of one block gives its own later period of the department
        back, docs/matching.md). The literal "pid empty and the segment full" is one per
        period and segment, shared by every GP's row (the same rows as a literal of each
        pair's own with the same implications, built once); a GP of one block that would give
        a period of its own back gets its own literal that also says it does not hold it."""
        facts = self.facts
        p = facts.period(pid)
        out = []
        # gives_back needs p's first department: only g's candidates there
        same = [] if g.availability.split_allowed else self._by_department(g, mine)[p.department]
        for dept, a, b in self.segments.get(pid, []):
            shared = self._empty_and_full(pid, dept, a)
            back = []
            if same:
                for q in same:
                    pq = facts.period(q)
                    if (
                        q != pid
                        and gives_back(pq, p)
                        and any(
                            d == dept and x.toordinal() <= a and b - 1 <= z.toordinal()
                            for d, x, z in pq.parts()
                        )
                    ):
                        back.append(self.x[(g.id, q)])
            if not back:
                out.append(shared)
                continue
            f = self.m.new_bool_var(f"cap_{g.id}_{pid}_{a}")
            self.m.add_implication(f, shared)
            for held in back:
                self.m.add_implication(f, held.negated())
            out.append(f)
        return out

    def _by_department(self, g: GP, mine: list[str]) -> dict[str, list[str]]:
        """g's candidates by their (first) department, built once a GP."""
        found = self.gp_departments.get(g.id)
        if found is None:
            found = self.gp_departments[g.id] = defaultdict(list)
            for q in mine:
                found[self.facts.period(q).department].append(q)
        return found

    def _empty_and_full(self, pid: str, dept: str, a: int) -> cp_model.IntVar:
        """A literal that may be true only where pid is empty and (dept, a) full."""
        found = self.shared.get((pid, a, dept))
        if found is None:
            empty = self.empty.get(pid)
            if empty is None:
                empty = self.empty[pid] = self.m.new_bool_var(f"empty_{pid}")
                for h in self.by_period[pid]:
                    self.m.add_implication(empty, self.x[(h, pid)].negated())
            found = self.shared[(pid, a, dept)] = self.m.new_bool_var(f"cap_{pid}_{dept}_{a}")
            self.m.add_implication(found, self.full[(dept, a)])
            self.m.add_implication(found, empty)
        return found


def gives_back(own: Period, p: Period) -> bool:
    """A GP of one block holding ``own`` frees it when asking for p of the same department
    that comes first (start, end, id): docs/matching.md, "A GP moving within its department"."""
    return own.department == p.department and (own.start, own.end, own.id) > (
        p.start,
        p.end,
        p.id,
    )
