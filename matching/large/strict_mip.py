"""The count of a large strict_priority part by HiGHS (through OR-Tools' MathOpt).

Without ties the stability rows of a one-to-one market describe the stable matching
polytope, whose LP relaxation is integral; department capacity and its exemption are the
only source of fractionality, so branch and cut proves the count where CP-SAT's search does
not (docs/matching.md). The model is the part's (matching/exact.py, `build`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from ..cpsat import Part, PartSolution, Settings
from ..exact import Model, build
from .race import count_with_search

PRESOLVE_SHARE = 0.25  # of the part's budget, at most, for CP-SAT's presolve
# Parts this large run the neighbourhood search beside HiGHS (race.py); smaller ones take
# HiGHS less time than the search and the child process would.
SEARCH_PAIRS = 5000
MIP_BUILD_S_PER_PAIR = 25e-6  # building a part's MIP (model proto and hint), measured here
LOCAL_SEARCH_SHARE = 0.2  # of a large part's budget, at most, for the better start


def most_placements_strict(
    part: Part,
    settings: Settings,
    start: dict[int, int] | None = None,
    log: Callable[[Sequence[str]], None] | None = None,
    random_seed: int | None = None,
    presolve: bool = True,
    search: bool | None = None,
    model: Model | None = None,
) -> PartSolution | None:
    """The most placements of the part whose blocking pairs are all capacity-exempt: HiGHS on
    the part's model (matching/exact.py's `build`, or `model` if given).

    `start` (GP -> period, a priority-respecting assignment such as the core) is handed to
    HiGHS as its first solution, so a time-limited run returns at least that. Returns None if
    the solver found no solution in time (the caller keeps its own). `log`, if given, receives
    HiGHS's log lines as they come (benchmarks/strict_part_bench.py reads them);
    `random_seed` is HiGHS's (its default if None), for measuring how its path varies.

    With `presolve` (the default) the variables CP-SAT's presolve finds fixed in every
    solution are fixed before HiGHS sees the model: HiGHS's own presolve then goes further,
    and the hardest generated parts take 12-25 s instead of a minute (docs/matching.md).

    With `search` (the default for parts of at least `SEARCH_PAIRS` pairs with a start)
    HiGHS runs in a child process beside a neighbourhood search that usually finds the
    optimal count long before HiGHS does (matching/large/race.py); the answer is the same on every
    run either way.
    """
    started = time.perf_counter()
    if search is None:
        search = start is not None and sum(len(part.lists[g]) for g in part.gps) >= SEARCH_PAIRS
    if model is None:
        model = build(part)
    mip, x = model.rows, model.x
    objective = list(x.values())
    if presolve:  # fixings hold for every solution: the model keeps its solutions and bound
        left = settings.time_limit_s - (time.perf_counter() - started)
        for k, value in mip.fixings(objective, PRESOLVE_SHARE * left).items():
            mip.lower[k] = mip.upper[k] = float(value)
    values = model.values(start) if start else None
    left = settings.time_limit_s - (time.perf_counter() - started)
    if search and values is not None:
        count = count_with_search(mip, objective, left, values, log, random_seed)
    else:
        count = mip.solve_count("strict part", objective, left, values, log, random_seed)
    if count is None:
        return None
    best = {g: p for (g, p), k in x.items() if count.values[k] > 0.5}
    bound = len(part.gps) if count.bound is None else max(count.bound, len(best))
    return PartSolution(best, count.optimal and bound == len(best), bound)
