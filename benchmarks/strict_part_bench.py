"""Where the time of a large strict_priority part goes: HiGHS's bound against its primal.

    .venv/bin/python benchmarks/strict_part_bench.py                  # 20k x 8k, seed 1
    .venv/bin/python benchmarks/strict_part_bench.py --gps 10000 --periods 4000 --seed 2
    .venv/bin/python benchmarks/strict_part_bench.py --random-seeds 0,1,2,3
    .venv/bin/python benchmarks/strict_part_bench.py --random-seeds 0,1,2 --no-presolve

Solves a generated strict_priority instance, keeps the largest part the solver handed to the
MIP (matching/mip.py), and solves that part again twice with HiGHS's log captured: from the
core, as the solver does, and with the best solution of that run as the start. The first run
shows when HiGHS has proven its bound and when it found each better solution; the second is
how long the part takes once a solution with the optimal count is known, which is what a
faster primal method could bring the part down to (benchmarks/matching-journal.md). With
--random-seeds it also solves the part from the core once per HiGHS random seed: how much of
the time is the luck of HiGHS's path. --no-presolve solves the part again without CP-SAT's
presolve in front of HiGHS (matching/mip.py), to compare.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matching.large.race import progress_row  # noqa: E402 - after the path


@dataclass
class Timeline:
    """What HiGHS's progress table says: (seconds, best bound, best solution) per row."""

    rows: list[tuple[float, float, float, str]] = field(default_factory=list)

    def read(self, lines: list[str]) -> None:
        for line in lines:
            row = progress_row(line)
            if row is not None:
                self.rows.append(row)

    def bound_proven_at(self, count: int) -> float | None:
        """When the bound first showed that no solution beats `count`."""
        for at, bound, _, _ in self.rows:
            if bound < count + 1 - 1e-6:
                return at
        return None

    def improvements(self) -> list[tuple[float, int, str]]:
        out: list[tuple[float, int, str]] = []
        for at, _, best, source in self.rows:
            if best != float("-inf") and (not out or best > out[-1][1]):
                out.append((at, int(best), source))
        return out


def _solve_part(
    part: Any,
    start: dict[int, int],
    limit: float,
    seed: int | None = None,
    presolve: bool = True,
    search: bool = False,
) -> tuple[Any, float, Timeline]:
    """HiGHS alone on the part (with `search`, as the solver runs it: beside the
    neighbourhood search, matching/large/race.py)."""
    from matching.cpsat import Settings
    from matching.large.strict_mip import most_placements_strict

    timeline = Timeline()
    started = time.perf_counter()
    sol = most_placements_strict(
        part,
        Settings(limit),
        start,
        log=timeline.read,
        random_seed=seed,
        presolve=presolve,
        search=search,
    )
    return sol, time.perf_counter() - started, timeline


def _seed_spread(
    part: Any, core: dict[int, int], limit: float, seeds: list[int], presolve: bool
) -> None:
    """The same part from the same core under other HiGHS random seeds: how much of its time
    is the luck of HiGHS's path."""
    for seed in seeds:
        sol, took, timeline = _solve_part(part, core, limit, seed, presolve)
        if sol is None:
            print(f"  random seed {seed}: no solution in {took:.1f} s")
            continue
        count = len(sol.assignment)
        found = next((at for at, n, _ in timeline.improvements() if n >= count), None)
        proven = timeline.bound_proven_at(count)
        status = "optimal" if sol.optimal else f"not proven (bound {sol.placements_bound})"
        print(
            f"  random seed {seed}: {count} {status} after {took:.1f} s; HiGHS clock: found"
            f" at {_seconds(found)}, bound at most {count} from {_seconds(proven)}"
        )


def _seconds(at: float | None) -> str:
    return "-" if at is None else f"{at:.1f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gps", type=int, default=20000)
    parser.add_argument("--periods", type=int, default=8000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=90.0)
    parser.add_argument(
        "--random-seeds",
        default="",
        help="also solve the part from the core with these HiGHS random seeds (e.g. 0,1,2,3)",
    )
    parser.add_argument(
        "--no-presolve", action="store_true", help="solve the part without CP-SAT's presolve"
    )
    args = parser.parse_args()
    presolve = not args.no_presolve
    sys.path.insert(0, str(ROOT))
    from matching import large, solver
    from matching.generator import generate
    from matching.large import engine_order
    from matching.parse import problem_from_json

    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"# reproduce: {Path(sys.executable).name} benchmarks/strict_part_bench.py "
        + " ".join(sys.argv[1:])
    )
    problem = problem_from_json(generate(args.gps, args.periods, seed=args.seed))
    parts: list[tuple[int, Any, dict[int, int]]] = []
    mip = large.most_placements_strict

    def keep(part: Any, settings: Any, start: dict[int, int] | None = None, **kw: Any) -> Any:
        parts.append((sum(len(part.lists[g]) for g in part.gps), part, dict(start or {})))
        return mip(part, settings, start, **kw)

    callers = (large, engine_order)  # they call it by this name
    for module in callers:
        module.most_placements_strict = keep  # type: ignore[attr-defined]
    try:
        result = solver.solve(problem, time_limit_s=args.time_limit)
    finally:
        for module in callers:
            module.most_placements_strict = mip  # type: ignore[attr-defined]
    m = result.metrics
    print(
        f"{args.gps} x {args.periods}, seed {args.seed}: {result.status}, {m.placed} placed"
        f" (bound {m.bound}) in {m.wall_time_s} s; {len(parts)} part(s) went to the MIP"
    )
    if not parts:
        return
    pairs, part, core = max(parts, key=lambda item: item[0])
    print(f"largest: {len(part.gps)} GPs, {pairs} pairs; the core places {len(core)}")
    sol, took, timeline = _solve_part(part, core, args.time_limit, None, presolve)
    if sol is None:
        print("HiGHS found no solution in the time limit")
        return
    steps = ", ".join(f"{n} at {at:.1f} s {src}".rstrip() for at, n, src in timeline.improvements())
    proven = timeline.bound_proven_at(len(sol.assignment))
    print(
        f"from the core: {len(sol.assignment)} placed, bound {sol.placements_bound},"
        f" {'optimal' if sol.optimal else 'not proven'} after {took:.1f} s (build included)"
    )
    print(f"  HiGHS clock: solutions {steps}")
    if proven is not None:
        print(f"  HiGHS clock: bound at most {len(sol.assignment)} from {proven:.1f} s")
    best, again, _ = _solve_part(part, sol.assignment, args.time_limit, None, presolve)
    if best is not None:
        print(
            f"with that solution as the start: {'optimal' if best.optimal else 'not proven'}"
            f" after {again:.1f} s (build included)"
        )
    raced, took, _ = _solve_part(part, core, args.time_limit, None, presolve, search=True)
    if raced is not None:
        print(
            f"from the core with the neighbourhood search beside HiGHS: {len(raced.assignment)}"
            f" placed, {'optimal' if raced.optimal else 'not proven'} after {took:.1f} s"
        )
    if args.random_seeds:
        print("from the core, by HiGHS random seed (build included):")
        seeds = [int(s) for s in args.random_seeds.split(",")]
        _seed_spread(part, core, args.time_limit, seeds, presolve)


if __name__ == "__main__":
    main()
