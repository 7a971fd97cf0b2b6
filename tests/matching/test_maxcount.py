"""The reduced count model of max_placements (matching/maxcount.py) against the checker's own
exact CP-SAT model, on generated instances where capacity binds."""

from __future__ import annotations

import json
from unittest import mock

import pytest

import matching.solver
from matching import problem_from_json, result_to_json, solve
from matching.checker import check
from matching.flow import max_flow_min_cost
from matching.generator import generate
from matching.market import build_market
from matching.mip import INF, Rows


@pytest.mark.parametrize("seed", [1, 2, 4, 5])
def test_reduced_count_model_is_exact(seed: int) -> None:
    prob = problem_from_json(generate(600, 240, seed=seed, mode="max_placements"))
    # No packing certificate: the count always comes from the reduced CP-SAT model.
    with mock.patch.object(matching.solver, "_max_bound", lambda *a: 10**9):
        result = solve(prob, time_limit_s=10)
    assert result.status == "optimal"
    assert result.metrics.bound == result.metrics.placed
    report = check(prob, json.loads(json.dumps(result_to_json(result))), exact_limit=10**6)
    assert report.failures == []
    assert report.notes == []  # the exact model ran and agreed (it runs only if capacity binds)
    market = build_market(prob)
    uncapacitated = max_flow_min_cost(market.prefs, market.rank, len(market.period_ids))
    assert sum(p >= 0 for p in uncapacitated) > result.metrics.placed  # capacity binds


def test_count_without_presolve_branches_where_the_lp_is_fractional() -> None:
    # The count model's LP was integral on every generated instance, so the max_placements
    # path runs HiGHS without presolve; where the LP is fractional HiGHS must still branch to
    # the exact count. Three pairwise conflicting variables: LP 1.5, the count 1.
    rows = Rows()
    a, b, c = rows.var(), rows.var(), rows.var()
    for pair in ([a, b], [b, c], [a, c]):
        rows.row(-INF, 1, pair)
    count = rows.solve_count("odd cycle", [a, b, c], 10.0, presolve=False)
    assert count is not None
    assert count.optimal
    assert count.bound == 1
    assert sum(v > 0.5 for v in count.values) == 1
    # From a start, the start is kept when nothing beats it.
    started = rows.solve_count("odd cycle", [a, b, c], 10.0, [0.0, 1.0, 0.0], presolve=False)
    assert started is not None and started.values == [0.0, 1.0, 0.0]
