"""The local search that improves the start of a large strict part's MIP (large/closures.py):
what it returns stands as the result when the MIP finds nothing, so it must be a
priority-respecting result (checked by the independent checker), never worse than the core and
never better than the optimum."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings

import matching.large
import matching.solver
from matching import Result, problem_from_json, result_to_json, solve
from matching.checker import check
from matching.generator import generate
from tests.matching.brute import Brute
from tests.matching.solver_paths import all_parts_to_mip
from tests.matching.strategies import problems


@contextmanager
def _search_result_stands(search: bool = True) -> Iterator[None]:
    """Every part with a gap goes to the MIP path, and the MIP finds nothing: the search's
    result (or, with `search` False, the core) is the part's result."""
    with ExitStack() as stack:
        stack.enter_context(all_parts_to_mip())
        stack.enter_context(
            mock.patch.object(matching.large, "most_placements_strict", lambda *a, **k: None)
        )
        if not search:
            stack.enter_context(
                mock.patch.object(matching.large, "improve", lambda part, start, deadline: start)
            )
        yield


def _solve(doc: dict, search: bool = True) -> Result:
    with _search_result_stands(search):
        return solve(problem_from_json(doc), time_limit_s=20)


def _failures(doc: dict, result: Result) -> list[str]:
    """What the checker finds wrong, maximality left out (the search need not be optimal)."""
    report = check(problem_from_json(doc), json.loads(json.dumps(result_to_json(result))), 0)
    return report.failures


@pytest.mark.parametrize(("gps", "seed"), [(600, 4), (600, 10), (600, 9), (1000, 8)])
def test_the_search_places_more_than_the_core_and_respects_priority(gps: int, seed: int) -> None:
    doc = generate(gps, gps * 2 // 5, seed=seed)
    core = _solve(doc, search=False)
    searched = _solve(doc)
    optimum = solve(problem_from_json(doc), time_limit_s=20)
    assert optimum.status == "optimal"
    assert core.metrics.placed < searched.metrics.placed <= optimum.metrics.placed
    assert _failures(doc, searched) == []
    assert searched.status == "feasible"  # nothing proved the search's count


@pytest.mark.parametrize("seed", [11, 14, 15])
def test_a_swap_never_overfills_a_department(seed: int) -> None:
    """Instances where opening a period without checking its room would overfill one."""
    doc = generate(1000, 400, seed=seed)
    assert _failures(doc, _solve(doc)) == []


def test_the_search_is_deterministic() -> None:
    doc = generate(1000, 400, seed=8)
    first, second = (result_to_json(_solve(doc)) for _ in range(2))
    for doc_ in (first, second):
        doc_["metrics"].pop("wall_time_s")
    assert first == second


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=6, max_periods=6))
def test_on_tiny_problems_the_search_lies_between_the_core_and_the_optimum(doc: dict) -> None:
    doc = {**doc, "policy": {**doc["policy"], "mode": "strict_priority"}}
    searched = _solve(doc)
    _, most = Brute(doc).best()
    if most is None:
        assert searched.status == "infeasible"
        return
    assert _solve(doc, search=False).metrics.placed <= searched.metrics.placed <= most
    assert _failures(doc, searched) == []
