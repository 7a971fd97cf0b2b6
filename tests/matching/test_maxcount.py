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
