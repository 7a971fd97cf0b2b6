"""The possible pairs under ties (matching/ties.py), the narrowing of strict_priority parts
(matching/narrow.py) and the MIP that proves the count of large parts (matching/mip.py),
against brute force and the checker's exact model."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings

import matching.large
import matching.large.engine_order
import matching.solver
from matching import problem_from_json, result_to_json, solve
from matching.checker import check
from matching.deferred import deferred_acceptance
from matching.generator import generate
from matching.market import build_market
from matching.narrow import narrow
from matching.ties import possible_pairs
from tests.matching.brute import Brute
from tests.matching.solver_paths import all_parts_to_mip
from tests.matching.strategies import problems


def _strict(doc: dict) -> dict:
    return {**doc, "policy": {**doc["policy"], "mode": "strict_priority"}}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=6, max_periods=6))
def test_every_priority_respecting_result_lies_within_the_cut_lists(doc: dict) -> None:
    """Whatever result brute force finds (under ties): its pairs are possible pairs
    (matching/ties.py), a GP placed in every result by their rules is placed, a fixed GP
    holds its period, every other GP a period of its cut list (or none, unless the cuts say
    it is placed)."""
    doc = _strict(doc)
    market = build_market(problem_from_json(doc))
    if market.infeasible:
        return
    possible = possible_pairs(market)
    lists = possible.lists(market)
    whole = matching.solver._possible_part(market, possible, lists)
    bound = {p for p, pid in enumerate(market.period_ids) if pid in market.capacity.span}
    narrowed = narrow(whole, bound)
    ids = market.period_ids
    cut = {g: {ids[p] for p in sub.lists[g]} for sub in narrowed.parts for g in sub.gps}
    placed = {g for sub in narrowed.parts for g in sub.placed}
    assert set(cut).isdisjoint(narrowed.fixed)
    assert set(cut) | set(narrowed.fixed) == set(whole.gps)
    results = Brute(doc).priority_respecting()
    assert results, "a priority-respecting result always exists"
    for match in results:
        for g, gid in enumerate(market.gp_ids):
            held = match.get(gid)
            assert held is None or held in {ids[p] for p in lists[g]}
            if possible.placed[g] or g in placed:
                assert held is not None
            if g in narrowed.fixed:
                assert held == ids[narrowed.fixed[g]]
            elif g in cut:
                assert held is None or held in cut[g]
            else:
                assert held is None  # no possible pair


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=8, max_periods=8))
def test_band_and_pair_arrays_follow_their_definitions(doc: dict) -> None:
    """The band of the engine's total order (matching/large/engine_order.py), computed on the
    market's pair arrays, is each GP's list from its M0 period down, where it is at least as
    high as the M0 holder; the arrays are prefs and rank."""
    market = build_market(problem_from_json(_strict(doc)))
    if market.infeasible:
        return
    a = market.arrays
    assert a is not None
    pairs = [
        (g, p, k, market.rank[p][g])
        for g, mine in enumerate(market.prefs)
        for k, p in enumerate(mine)
    ]
    assert (
        list(zip(a.g.tolist(), a.p.tolist(), a.k.tolist(), a.prio.tolist(), strict=True)) == pairs
    )
    # The cost step exceeds any matching's total priority rank.
    assert a.span > min(a.n_gp, a.n_periods) * max((r for *_, r in pairs), default=0)
    m0 = deferred_acceptance(market.prefs, market.rank, market.period_ids)
    band = matching.large.engine_order._band(market, m0)
    for g, mine in enumerate(market.prefs):
        q = m0.gp_period[g]
        if q < 0:
            assert band[g] == []
            continue
        expected = []
        for p in mine[mine.index(q) :]:
            h = m0.period_gp[p]
            if h < 0 or market.rank[p][g] <= market.rank[p][h]:
                expected.append(p)
        assert band[g] == expected


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=6, max_periods=6))
def test_mip_path_agrees_with_brute_force(doc: dict) -> None:
    doc = _strict(doc)
    with all_parts_to_mip():
        result = solve(problem_from_json(doc), time_limit_s=10)
    _, most_stable = Brute(doc).best()
    if most_stable is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert result.metrics.placed == most_stable


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_mip_count_is_exact_where_capacity_binds(seed: int) -> None:
    prob = problem_from_json(generate(600, 240, seed=seed))
    with (
        all_parts_to_mip(),
        mock.patch.object(
            matching.large, "most_placements_strict", wraps=matching.large.most_placements_strict
        ) as mip,
    ):
        result = solve(prob, time_limit_s=20)
    assert mip.called  # capacity binds: the MIP ran
    assert result.status == "optimal"
    assert result.metrics.bound == result.metrics.placed
    report = check(prob, json.loads(json.dumps(result_to_json(result))), exact_limit=10**6)
    assert report.failures == []
    assert report.notes == []  # the checker's own exact model ran and agreed
