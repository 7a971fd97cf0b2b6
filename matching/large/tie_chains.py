"""More placements for the fallback's answer, through the GPs' ties (matching/large/
engine_order.py gives the best result for the engine's order of ties; docs/matching.md, item 8).

Under the spec's weak preferences a GP h holding p is as happy with any empty period q of p's
tie. Moving h there frees p, which goes to the best GP who strictly prefers it, that GP's old
period to the best who strictly prefers that, and so on (a vacancy chain). Where the chain
ends with a GP who was unplaced, the result places one more and is still priority-respecting:

- q is empty and fits its department as the result stands (every period the chain vacates is
  filled again, so the departments only gain q), and no GP ahead of h at q strictly prefers q;
- each vacated period goes to its best candidate who strictly prefers it, so nobody ahead of
  its new holder wants it more;
- every GP who moved is at least as well off (h as well, the others strictly better), so none
  of their pairs starts to block, and the departments are only fuller, so every capacity
  exemption still holds; a GP who moved must not be owed a move within its new department
  (matching/giveback.py), which is checked.

A chain that does not end with an unplaced GP is undone. The search tries, for every unplaced
GP in index order and every period of its list in order, the periods of the holder's tie in
the holder's order, and repeats until a pass finds nothing or `MAX_CHAINS` chains have been
tried (a count, not the clock, so the answer is the same on every run).
"""

from __future__ import annotations

from ..giveback import owed_moves
from ..market import Market

MAX_CHAINS = 10_000  # chains tried at most: a bound, far above the 6-16 tried at 10k-20k GPs


class _Chains:
    def __init__(self, market: Market, gp_period: list[int]) -> None:
        self.market = market
        self.ids = market.period_ids
        self.gp = list(gp_period)
        self.pg = [-1] * len(self.ids)
        for g, p in enumerate(self.gp):
            if p >= 0:
                self.pg[p] = g
        self.occupancy = market.capacity.copy()
        for p in self.gp:
            if p >= 0:
                self.occupancy.add(self.ids[p])
        self.pos = [{p: k for k, p in enumerate(mine)} for mine in market.prefs]
        # Each period's candidates, highest priority first (`market.rank` is built in that order).
        self.cands = [list(rank) for rank in market.rank]
        self.tried = 0
        self.dead: set[int] = set()

    def klass(self, g: int, p: int) -> int:
        return self.market.classes[g][self.pos[g][p]]

    def wants(self, g: int, p: int) -> bool:
        """g is unplaced or strictly prefers p to its period."""
        q = self.gp[g]
        return q < 0 or self.klass(g, p) < self.klass(g, q)

    def _undo(self, gp: dict[int, int], pg: dict[int, int]) -> None:
        for g, p in gp.items():
            self.gp[g] = p
        for p, g in pg.items():
            self.pg[p] = g

    def chain(self, h: int, p: int, q: int) -> bool:
        """Move h from p to q and run p's vacancy chain; kept if it places one more GP."""
        self.tried += 1
        rank = self.market.rank[q]
        for y in self.cands[q]:
            if rank[y] >= rank[h]:
                break
            if self.wants(y, q):
                return False  # y, ahead of h at q, would block it
        old_gp: dict[int, int] = {}
        old_pg: dict[int, int] = {}

        def move(g: int, to: int) -> None:
            old_gp.setdefault(g, self.gp[g])
            old_pg.setdefault(to, self.pg[to])
            self.gp[g] = to
            self.pg[to] = g

        move(h, q)
        old_pg.setdefault(p, self.pg[p])
        self.pg[p] = -1
        vacant = p
        while True:
            taker = next((x for x in self.cands[vacant] if self.wants(x, vacant)), None)
            if taker is None:
                self._undo(old_gp, old_pg)
                return False
            left = self.gp[taker]
            move(taker, vacant)
            if left < 0:
                break
            old_pg.setdefault(left, self.pg[left])
            self.pg[left] = -1
            vacant = left
        self.occupancy.add(self.ids[q])
        if owed_moves(self.market, self.gp, sorted(old_gp)):
            self.occupancy.add(self.ids[q], -1)
            self._undo(old_gp, old_pg)
            return False
        return True

    def place(self, u: int) -> bool:
        """One chain that places one more GP, starting from a period of u's list. A chain
        from p does not depend on u, so a period whose chains all fail is not tried again
        until a chain succeeds somewhere (`dead`)."""
        market, dead = self.market, self.dead
        for p in market.prefs[u]:
            h = self.pg[p]
            if p in dead or h < 0 or market.rank[p][h] > market.rank[p][u]:
                continue  # (h behind u cannot happen in a priority-respecting result)
            mine, classes = market.prefs[h], market.classes[h]
            j = tie = classes[self.pos[h][p]]  # a class is the place of its first period
            while j < len(mine) and classes[j] == tie:
                q = mine[j]
                j += 1
                if q == p or self.pg[q] >= 0 or not self.occupancy.fits(self.ids[q]):
                    continue
                if self.tried >= MAX_CHAINS:
                    return False
                if self.chain(h, p, q):
                    dead.clear()
                    return True
            dead.add(p)
        return False


def more_placements(market: Market, gp_period: list[int]) -> list[int]:
    """A priority-respecting result (period per GP) placing at least as many GPs as
    `gp_period`, itself priority-respecting: vacancy chains through ties (see the module)."""
    chains = _Chains(market, gp_period)
    found = True
    while found and chains.tried < MAX_CHAINS:
        found = False
        for u in range(len(chains.gp)):
            if chains.gp[u] < 0 and chains.place(u):
                found = True
    return chains.gp
