"""Property tests on random tiny problems: the checker passes, and brute force agrees."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings

from matching import problem_from_json, result_to_json, solve
from matching.checker import check
from tests.matching.brute import Brute
from tests.matching.strategies import problems

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(problems(max_gps=8, max_periods=8))
def test_checker_accepts_every_result(doc: dict) -> None:
    problem = problem_from_json(doc)
    result = solve(problem, time_limit_s=10)
    report = check(problem, json.loads(json.dumps(result_to_json(result))), exact_limit=200)
    assert report.ok, report.text()


@FAST
@given(problems(max_gps=6, max_periods=6))
def test_agrees_with_brute_force(doc: dict) -> None:
    result = solve(problem_from_json(doc), time_limit_s=10)
    most, most_stable = Brute(doc).best()
    if most is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    if doc["policy"]["mode"] == "max_placements":
        assert result.metrics.placed == most
    else:
        assert most_stable is not None, "a priority-respecting result always exists"
        assert result.metrics.placed == most_stable


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=6, max_periods=6))
def test_cp_sat_paths_agree_with_brute_force(doc: dict) -> None:
    """Force CP-SAT for every part (no packing certificate, strict parts of any size)."""
    from unittest import mock

    import matching.solver

    with (
        mock.patch.object(matching.solver, "CPSAT_PAIRS", 10**9),
        mock.patch.object(matching.solver, "_strict_bound", lambda *a: 10**9),
        mock.patch.object(matching.solver, "_max_bound", lambda *a: 10**9),
    ):
        result = solve(problem_from_json(doc), time_limit_s=10)
    most, most_stable = Brute(doc).best()
    if most is None:
        assert result.status == "infeasible"
        return
    expected = most if doc["policy"]["mode"] == "max_placements" else most_stable
    assert result.status == "optimal"
    assert result.metrics.placed == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=6, max_periods=6, crowded=True))
def test_gps_moving_within_a_department_agree_with_brute_force(doc: dict) -> None:
    """Issue 16, section 2: one department per trust and specialty with room for one or two,
    so GPs often hold one of a department's periods and want another. Every path (as is,
    CP-SAT for every part, the MIP for the count) returns a result the checker accepts (no
    GP is owed a move within its department) and places as many as brute force finds under
    the same rule."""
    from contextlib import ExitStack

    from tests.matching.solver_paths import (
        all_parts_to_cpsat,
        all_parts_to_mip,
        no_deferred_acceptance_shortcut,
    )

    doc = {**doc, "policy": {**doc["policy"], "mode": "strict_priority"}}
    problem = problem_from_json(doc)
    _, most_stable = Brute(doc).best()
    paths = [(), (no_deferred_acceptance_shortcut, all_parts_to_cpsat)]
    paths.append((no_deferred_acceptance_shortcut, all_parts_to_mip))
    for path in paths:
        with ExitStack() as stack:
            for forced in path:
                stack.enter_context(forced())
            result = solve(problem, time_limit_s=10)
        if most_stable is None:
            assert result.status == "infeasible"
            continue
        report = check(problem, json.loads(json.dumps(result_to_json(result))), exact_limit=200)
        assert report.ok, report.text()
        assert result.status == "optimal"
        assert result.metrics.placed == most_stable
