"""Vacancy chains through the GPs' ties (matching/large/tie_chains.py): on the fallback for
markets with too many possible pairs (matching/large/engine_order.py) they place GPs that the
engine's order of ties leaves out. Every result must stay priority-respecting (the
independent checker), never place fewer than the engine's order, never more than the
maximum."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from unittest import mock

import pytest

import matching.solver
from matching import Result, problem_from_json, result_to_json, solve
from matching.checker import check
from matching.generator import generate
from tests.matching.builders import gp, period, placements, problem


@contextmanager
def _fallback(chains: bool = True) -> Iterator[None]:
    """Every market goes to the engine's order (as if it had too many possible pairs)."""
    with mock.patch.object(matching.solver, "EXACT_PAIRS", -1):
        if chains:
            yield
        else:
            with mock.patch.object(matching.solver, "more_placements", lambda m, gp: gp):
                yield


def _solve(doc: dict, fallback: bool = True, chains: bool = True) -> Result:
    prob = problem_from_json(doc)
    if not fallback:
        return solve(prob, time_limit_s=20)
    with _fallback(chains):
        return solve(prob, time_limit_s=20)


def _failures(doc: dict, result: Result) -> list[str]:
    """What the checker finds wrong, maximality left out (the fallback is not maximal)."""
    report = check(problem_from_json(doc), json.loads(json.dumps(result_to_json(result))), 0)
    return report.failures


def test_a_gp_moves_within_its_tie_to_make_room() -> None:
    """The issue's example: `a` (any trust) likes `p1` and `p2` equally (same start); the
    engine's order (earlier end) gives `a` `p2`, and `b`, behind `a` there, can take only
    `p2`. The chain moves `a` to the empty `p1`, and `p2` goes to `b`."""
    doc = problem(
        [
            gp("a", home="ahus", months_gp=90, latest="2028-06-30"),
            gp("b", home="vestre-viken", months_gp=30, trusts=("vestre-viken",)),
        ],
        [
            period("p1", trust="ahus", start="2027-03-01", end="2028-02-29"),
            period("p2", trust="vestre-viken", start="2027-03-01", end="2027-08-31"),
        ],
        priority=["months_general_practice", "lottery"],
    )
    assert placements(_solve(doc, chains=False)) == {"a": "p2"}
    result = _solve(doc)
    assert placements(result) == {"a": "p1", "b": "p2"}
    assert result.status == "optimal"  # it meets the bound
    assert _failures(doc, result) == []


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_chains_keep_priority_and_never_lose_placements(seed: int) -> None:
    """Generated markets with many ties (60 % any-trust GPs, 30 % of periods posted twice):
    on the fallback the chains' result passes the checker and places at least as many as the
    engine's order alone and at most the maximum (the exact path's proven count)."""
    doc = generate(600, 240, seed=seed, any_trust=0.6, twins=0.3)
    alone = _solve(doc, chains=False)
    chained = _solve(doc)
    best = _solve(doc, fallback=False)
    assert best.status == "optimal"
    assert _failures(doc, chained) == []
    assert alone.metrics.placed <= chained.metrics.placed <= best.metrics.placed
