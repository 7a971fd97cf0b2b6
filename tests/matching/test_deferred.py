"""The vectorised GP-optimal stable matching (matching/deferred.py, `gp_optimal`) is the
sequential deferred acceptance without capacity: same matching, whatever the proposal order."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings

from matching import problem_from_json
from matching.deferred import deferred_acceptance, gp_optimal
from matching.generator import generate
from matching.market import build_market
from tests.matching.strategies import problems


def _same_as_sequential(doc: dict) -> None:
    market = build_market(problem_from_json(doc))
    if market.infeasible:
        return
    assert market.arrays is not None
    fast = gp_optimal(market.arrays)
    slow = deferred_acceptance(market.prefs, market.rank, market.period_ids)
    assert fast.gp_period == slow.gp_period
    assert fast.period_gp == slow.period_gp
    assert fast.capacity_refusals == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=12, max_periods=10))
def test_rounds_give_the_sequential_matching(doc: dict) -> None:
    _same_as_sequential(doc)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rounds_give_the_sequential_matching_on_generated_markets(seed: int) -> None:
    # Thousands of GPs: long rejection chains and many rounds.
    _same_as_sequential(generate(3000, 1200, seed=seed))
