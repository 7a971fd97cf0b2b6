"""Engine time with and without the municipality_priority key (2k x 800, generated).

Each GP gets a rank 1..20 (a fifth none), and the key goes first in the policy's order.
Run: .venv/bin/python benchmarks/municipality_priority_bench.py (journal:
benchmarks/municipality-priority-journal.md)"""

import json
import random
import statistics
import time

from matching import problem_from_json, result_to_json, solve
from matching.checker import check
from matching.generator import generate

for mode in ("strict_priority", "max_placements"):
    base = generate(gps=2000, periods=800, seed=1, mode=mode)
    ranked = json.loads(json.dumps(base))
    rng = random.Random(7)
    for g in ranked["gps"]:
        if rng.random() < 0.8:
            g["municipality_priority"] = rng.randint(1, 20)
    ranked["policy"]["priority"] = ["municipality_priority", *ranked["policy"]["priority"]]
    for name, doc in (("without", base), ("with", ranked)):
        times, placed = [], None
        for _ in range(3):
            prob = problem_from_json(doc)
            t = time.perf_counter()
            result = solve(prob, time_limit_s=20)
            times.append(time.perf_counter() - t)
            placed = result.metrics.placed
        report = check(prob, json.loads(json.dumps(result_to_json(result))))
        print(
            f"{mode:16} {name:8} median {statistics.median(times):.2f} s "
            f"(runs {', '.join(f'{x:.2f}' for x in times)}), placed {placed}, "
            f"status {result.status}, checker {'ok' if report.ok else 'FAIL'}"
        )
