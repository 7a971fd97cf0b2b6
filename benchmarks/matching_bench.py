"""Benchmark of the matching engine against a first-come-first-served baseline and the public
`matching` package (HospitalResident, resident-optimal), which runs in its own virtual
environment because its name clashes with ours.

    .venv/bin/python benchmarks/matching_bench.py            # all sizes, both modes
    .venv/bin/python benchmarks/matching_bench.py --quick    # 2k x 800 only
    .venv/bin/python benchmarks/matching_bench.py --ties     # GPs with ties (strict mode)
    .venv/bin/python benchmarks/matching_bench.py --split    # 2k x 800 with 2 % split GPs

Every solver runs in a fresh subprocess so that its peak memory (ru_maxrss) is its own.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PEER_VENV = HERE / ".peer-venv"
PEER_PACKAGE = "matching==1.4.3"
SIZES = [(2000, 800), (10000, 4000), (20000, 8000)]
# Problems with split GPs (3 + 3 months) take the split model (matching/split_solve.py):
# (GPs, periods, split share, combined share, seeds).
SPLIT_CASES = [(2000, 800, 0.02, 0.0, (1, 2, 3)), (2000, 800, 0.02, 0.02, (1,))]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- child processes ------------------------------------------------------------------------


def _engine(problem: str, time_limit: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from matching import dumps, load_problem, solve

    started = time.perf_counter()
    # A process of its own, like `python -m matching solve`: pause the collector as it does
    # (the library leaves it alone, matching/cli.py).
    gc.disable()
    result = solve(load_problem(problem), time_limit_s=time_limit)
    text = dumps(result)
    (Path(problem).with_suffix(".result.json")).write_text(text)
    return {
        "status": result.status,
        "placed": result.metrics.placed,
        "objective": result.metrics.objective,
        "bound": result.metrics.bound,
        "solve_s": result.metrics.wall_time_s,
        "process_s": round(time.perf_counter() - started, 3),
        "peak_mib": round(_peak_mib()),
        # A large strict part runs HiGHS and the neighbourhood search in two child processes
        # at once (matching/large/race.py): the largest of them, counted twice, bounds their share.
        "children_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
        "capacity_parts": result.metrics.capacity_parts,
    }


def _engine_total_order(problem: str, time_limit: float) -> dict[str, Any]:
    """The engine with the fallback forced: the best result for its own tie-break taken as
    the GPs' order (what it returned before ties were solved; matching/large/engine_order.py),
    without the vacancy chains through ties that the fallback now adds (tie_chains.py)."""
    sys.path.insert(0, str(ROOT))
    from unittest import mock

    import matching.solver
    from matching import load_problem, solve

    with (
        mock.patch.object(matching.solver, "EXACT_PAIRS", -1),
        mock.patch.object(matching.solver, "more_placements", lambda market, gp_period: gp_period),
    ):
        result = solve(load_problem(problem), time_limit_s=time_limit)
    return {
        "status": result.status,
        "placed": result.metrics.placed,
        "bound": result.metrics.bound,
        "solve_s": result.metrics.wall_time_s,
        "peak_mib": round(_peak_mib()),
    }


def _fcfs(problem: str) -> dict[str, Any]:
    """Registration order picks greedily: each GP takes its best period still free and fitting."""
    sys.path.insert(0, str(ROOT))
    from matching import load_problem
    from matching.market import build_market

    market = build_market(load_problem(problem))
    started = time.perf_counter()
    occupancy = market.capacity.copy()
    taken: set[str] = set()
    placed = 0
    for g in sorted(market.problem.gps, key=lambda g: (g.registered_at, g.id)):
        for pid in market.eligible[g.id]:
            if pid not in taken and occupancy.fits(pid):
                taken.add(pid)
                occupancy.add(pid)
                placed += 1
                break
    return {
        "status": "heuristic",
        "placed": placed,
        "solve_s": round(time.perf_counter() - started, 3),
        "peak_mib": round(_peak_mib()),
    }


def _peer(lists: str) -> dict[str, Any]:
    import threading

    from matching.games import HospitalResident  # the PyPI package, in its own venv

    data = json.loads(Path(lists).read_text())
    done: dict[str, Any] = {}

    def run() -> None:
        started = time.perf_counter()
        game = HospitalResident.create_from_dictionaries(
            data["residents"], data["hospitals"], dict.fromkeys(data["hospitals"], 1)
        )
        done["matching"] = game.solve(optimal="resident")
        done["elapsed"] = time.perf_counter() - started

    # Its algorithm recurses once per proposal: give it the stack it needs.
    sys.setrecursionlimit(10_000_000)
    threading.stack_size(1 << 30)
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    matching, elapsed = done["matching"], done["elapsed"]
    pairs = sorted((str(r), str(h)) for h, rs in matching.items() for r in rs)
    return {
        "status": "stable",
        "placed": len(pairs),
        "solve_s": round(elapsed, 3),
        "peak_mib": round(_peak_mib()),
        "pairs": pairs,
    }


# --- parent ---------------------------------------------------------------------------------


def _child(python: str, *args: str, timeout: float = 3600) -> dict[str, Any]:
    started = time.perf_counter()
    run = subprocess.run(
        [python, str(Path(__file__).resolve()), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=HERE,
    )
    if run.returncode != 0:
        return {"status": "error", "error": run.stderr.strip().splitlines()[-1:]}
    out = json.loads(run.stdout)
    out["process_s"] = round(time.perf_counter() - started, 3)
    return out


def _peer_python() -> str:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", PEER_PACKAGE],
            check=True,
            stderr=subprocess.DEVNULL,
        )
    return str(python)


def _peer_lists(problem_path: Path) -> tuple[Path, set[tuple[str, str]]]:
    """The same preferences as our engine sees them, for the peer (stable, no capacity)."""
    sys.path.insert(0, str(ROOT))
    from matching import load_problem
    from matching.market import build_market

    market = build_market(load_problem(problem_path))
    residents = {g: ps for g, ps in market.eligible.items() if ps}
    hospitals = {p: gs for p, gs in market.candidates.items() if gs}
    path = problem_path.with_suffix(".peer.json")
    path.write_text(json.dumps({"residents": residents, "hospitals": hospitals}))
    ours = json.loads(problem_path.with_suffix(".result.json").read_text())
    return path, {(a["gp"], a["period"]) for a in ours["assignments"]}


def _row(name: str, out: dict[str, Any]) -> str:
    solve = out.get("solve_s", "-")
    # The bound is on the objective: placements, or GPs placed where a split GP holds two.
    count = out.get("objective", out.get("placed"))
    extra = f" bound {out['bound']}" if "bound" in out and out["bound"] != count else ""
    if out["status"] == "error":
        return f"  {name:<34} ERROR {out.get('error')}"
    children = out.get("children_mib", 0)
    peak = f"{out['peak_mib']:>6} MiB" + (f" + 2 x {children}" if children else "")
    return (
        f"  {name:<34} solve {solve:>8}s  process {out['process_s']:>8}s  "
        f"peak {peak}  {out['status']:<9} placed {out['placed']}{extra}"
    )


TIE_CASES = [  # (GPs, periods, any-trust share, twin share, seeds); None: the generator's 10 %
    (2000, 800, None, 0.0, (1, 2, 3)),
    (2000, 800, 0.0, 0.0, (1, 2, 3)),
    (600, 240, 0.6, 0.3, (1, 2, 3, 4, 5)),
    (2000, 800, 0.6, 0.3, (1, 2, 3)),
]


def _ties(time_limit: float) -> dict[str, Any]:
    """Strict mode on generated markets with ties: the time to a proven maximum, and what the
    engine's own tie-break taken as the GPs' order places (the answer before ties were
    solved), each solve in its own process."""
    from matching.generator import generate

    report: dict[str, Any] = {}
    for n, m, any_trust, twins, seeds in TIE_CASES:
        share = "10 % (default)" if any_trust is None else f"{any_trust:.0%}"
        print(f"\n{n}x{m}, any-trust GPs {share}, twin periods {twins:.0%}", flush=True)
        for seed in seeds:
            name = f"{n}x{m}-ties-{any_trust}-{twins}-{seed}"
            path = OUT / f"{name}.json"
            doc = generate(n, m, seed=seed, any_trust=any_trust, twins=twins)
            path.write_text(json.dumps(doc))
            ours = _child(sys.executable, "_engine", str(path), str(time_limit))
            old = _child(sys.executable, "_total_order", str(path), str(time_limit))
            print(
                _row(f"seed {seed}", ours) + f"  (engine's tie-break as order: {old['placed']})",
                flush=True,
            )
            report[name] = {"engine": ours, "total_order": old}
    return report


def _split(time_limit: float) -> dict[str, Any]:
    """Both modes on generated markets with split GPs (and combined periods), each solve in
    its own process, next to the same problem without them (the general path)."""
    from matching.generator import generate

    report: dict[str, Any] = {}
    for n, m, split, combined, seeds in SPLIT_CASES:
        for mode in ("strict_priority", "max_placements"):
            print(
                f"\n{n}x{m} {mode}, split GPs {split:.0%}, combined periods {combined:.0%}",
                flush=True,
            )
            for seed in seeds:
                name = f"{n}x{m}-{mode}-split-{split}-{combined}-{seed}"
                path = OUT / f"{name}.json"
                doc = generate(n, m, seed=seed, mode=mode, split=split, combined=combined)
                path.write_text(json.dumps(doc))
                plain = OUT / f"{n}x{m}-{mode}-{seed}.json"
                plain.write_text(json.dumps(generate(n, m, seed=seed, mode=mode)))
                ours = _child(sys.executable, "_engine", str(path), str(time_limit))
                without = _child(sys.executable, "_engine", str(plain), str(time_limit))
                gps = f" ({ours.get('objective')} GPs)" if "objective" in ours else ""
                print(
                    _row(f"seed {seed}", ours) + f"{gps}  without split: {without['solve_s']} s",
                    flush=True,
                )
                report[name] = {"engine": ours, "without_split": without}
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="only 2k x 800")
    parser.add_argument("--ties", action="store_true", help="strict mode on markets with ties")
    parser.add_argument("--split", action="store_true", help="2k x 800 with split GPs")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--no-peer", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from matching.generator import generate

    OUT.mkdir(exist_ok=True)
    print(f"# {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(
        f"# reproduce: {Path(sys.executable).name} benchmarks/matching_bench.py "
        + " ".join(sys.argv[1:])
    )
    if args.ties:
        (OUT / "ties.json").write_text(json.dumps(_ties(args.time_limit), indent=1))
        return
    if args.split:
        (OUT / "split.json").write_text(json.dumps(_split(args.time_limit), indent=1))
        return
    report: dict[str, Any] = {}
    sizes = SIZES[:1] if args.quick else SIZES
    cases = [(n, m, mode, True) for n, m in sizes for mode in ("strict_priority", "max_placements")]
    if not args.quick:
        cases.append((10000, 4000, "strict_priority", False))
    for n, m, mode, capacity in cases:
        label = f"{n}x{m} {mode}" + ("" if capacity else " without department capacity")
        path = OUT / f"{n}x{m}-{mode}{'' if capacity else '-nocap'}.json"
        path.write_text(json.dumps(generate(n, m, seed=1, mode=mode, capacity=capacity)))
        print(f"\n{label}", flush=True)
        rows = {"engine": _child(sys.executable, "_engine", str(path), str(args.time_limit))}
        print(_row("engine (matching.solve)", rows["engine"]), flush=True)
        if mode == "strict_priority":
            rows["fcfs"] = _child(sys.executable, "_fcfs", str(path))
            print(_row("first come, first served", rows["fcfs"]), flush=True)
        if not capacity and not args.no_peer and rows["engine"]["status"] != "error":
            lists, ours = _peer_lists(path)
            rows["peer"] = _child(_peer_python(), "_peer", str(lists))
            theirs = set(map(tuple, rows["peer"].pop("pairs", [])))
            rows["peer"]["same_matching"] = theirs == ours
            print(_row(f"PyPI {PEER_PACKAGE} (HR, resident)", rows["peer"]), flush=True)
            if "solve_s" in rows["peer"]:
                speedup = rows["peer"]["solve_s"] / max(rows["engine"]["solve_s"], 1e-9)
                rows["peer"]["speedup"] = round(speedup, 1)
                print(
                    f"  speed-up {speedup:.1f}x (solve), same matching: "
                    f"{rows['peer']['same_matching']}",
                    flush=True,
                )
        report[label] = rows
    (OUT / "results.json").write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        kind = sys.argv[1]
        if kind == "_engine":
            print(json.dumps(_engine(sys.argv[2], float(sys.argv[3]))))
        elif kind == "_total_order":
            print(json.dumps(_engine_total_order(sys.argv[2], float(sys.argv[3]))))
        elif kind == "_fcfs":
            print(json.dumps(_fcfs(sys.argv[2])))
        else:
            print(json.dumps(_peer(sys.argv[2])))
    else:
        main()
