"""What only markets ten times Norway's size need (20k GPs x 8k periods; README "Matching at
10x national scale"): the national path (deferred acceptance, the possible pairs, narrowing,
CP-SAT in matching/exact.py) reads without it.

Calls for the two situations the solver meets only there:

- `solve_large_part`: a strict part without ties too large for CP-SAT (more than
  `solver.CPSAT_PAIRS` pairs): its count by the MIP (strict_mip.py, HiGHS), started from the
  core improved by a local search over which capacity periods stay closed (closures.py), with
  a neighbourhood search racing HiGHS on the largest parts (race.py); keys 2-5 of the
  objective by CP-SAT (matching/exact.py).
- `total_order`: a market with more possible pairs than `solver.EXACT_PAIRS`, solved for the
  engine's own order of ties (engine_order.py), with the same MIP for its large parts; then
  `more_placements` places more through the GPs' ties (tie_chains.py).
"""

from __future__ import annotations

import time

from ..cpsat import Part, PartSolution, Settings
from ..exact import Model, build, solve_part
from .closures import improve
from .engine_order import total_order
from .strict_mip import LOCAL_SEARCH_SHARE, MIP_BUILD_S_PER_PAIR, most_placements_strict
from .tie_chains import more_placements

__all__ = ["more_placements", "solve_large_part", "total_order"]


def solve_large_part(part: Part, hint: dict[int, int], budget: Settings) -> PartSolution:
    """The best result of a large strict part without ties (matching/exact.py's stages, the
    count by the MIP). `hint` is the core's assignment; it stands if nothing better is found
    in time, or if building the MIP alone would take half the budget."""
    if sum(len(part.lists[g]) for g in part.gps) * MIP_BUILD_S_PER_PAIR > 0.5 * budget.time_limit_s:
        return PartSolution(hint, False, part.most or len(part.gps))
    started = time.perf_counter()
    model = build(part)
    better = improve(part, hint, started + LOCAL_SEARCH_SHARE * budget.time_limit_s)
    if better is not hint and model.satisfies(better):
        hint = better
    left = Settings(max(budget.time_limit_s - (time.perf_counter() - started), 0.5))

    def count(
        part: Part, budget: Settings, start: dict[int, int], model: Model
    ) -> PartSolution | None:
        return most_placements_strict(part, budget, start, model=model)

    return solve_part(part, hint, left, count, model)
