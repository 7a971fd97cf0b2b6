"""The functions the app calls besides solve(), and the JSON round trips."""

from __future__ import annotations

import json

from matching import (
    dumps,
    eligibility,
    pair_reasons,
    problem_from_json,
    problem_to_json,
    rank_candidates,
    result_from_json,
    result_to_json,
    solve,
)
from matching.generator import generate
from tests.matching.builders import gp, period, problem


def test_problem_json_round_trip() -> None:
    doc = generate(50, 20, seed=2)
    doc["pins"] = [{"gp": "g1", "period": "p1"}]
    doc["policy"]["shortlist_size"] = 15
    prob = problem_from_json(doc)
    assert problem_from_json(json.loads(json.dumps(problem_to_json(prob)))) == prob


def test_result_json_round_trip() -> None:
    prob = problem_from_json(generate(80, 30, seed=4))
    result = solve(prob)
    again = result_from_json(json.loads(dumps(result)))
    assert again == result
    assert result_to_json(again) == result_to_json(result)


def test_rank_candidates_orders_by_policy_with_key_values() -> None:
    doc = problem(
        [
            gp("17", home="vestre-viken", months_gp=90),
            gp("2", home="ahus", months_gp=30),
            gp("5", home="ahus", months_gp=60),
            gp("9", specialties=("paediatrics",)),
        ],
        [period("p1", trust="ahus")],
    )
    ranked = rank_candidates(problem_from_json(doc), "p1")
    assert [c.gp for c in ranked] == ["5", "2", "17"]
    assert [c.position for c in ranked] == [1, 2, 3]
    keys = dict(ranked[0].keys)
    assert keys["catchment"] is True and keys["months_general_practice"] == 60
    assert 0 <= ranked[0].lottery < 1


def test_pair_reasons_lists_every_failure() -> None:
    doc = problem(
        [
            gp(
                "g1",
                specialties=("paediatrics",),
                trusts=("vestre-viken",),
                months_gp=10,
                latest="2027-05-31",
            )
        ],
        [period("p1", trust="ahus")],
        forbids=[{"gp": "g1", "period": "p1"}],
    )
    assert pair_reasons(problem_from_json(doc), "g1", "p1") == [
        "outside_window",
        "specialty_not_wished",
        "trust_not_wished",
        "not_eligible",
        "forbidden",
    ]
    short = problem([gp("g1", months=12)], [period("p1")])
    assert pair_reasons(problem_from_json(short), "g1", "p1") == ["too_short"]


def test_eligibility_is_in_preference_order() -> None:
    doc = problem(
        [gp("g1", specialties=("paediatrics", "psychiatry"), trusts=("ahus", "vestre-viken"))],
        [
            period("late", start="2027-09-01", end="2028-02-29"),
            period("early"),
            period("vv", trust="vestre-viken"),
            period("ped", specialty="paediatrics"),
        ],
    )
    assert eligibility(problem_from_json(doc)) == {"g1": ["ped", "early", "late", "vv"]}


def test_solve_leaves_the_garbage_collector_alone() -> None:
    """Issue 16, section 5: a web request that solves must not switch the collector off for
    the whole server. `solve` neither disables nor enables it, before, during or after."""
    import gc
    from unittest import mock

    import matching.solver

    prob = problem_from_json(generate(300, 120, seed=1))
    during: list[bool] = []
    explainer = matching.solver.Explainer

    def watch(*args: object) -> object:
        during.append(gc.isenabled())
        return explainer(*args)

    for enabled in (True, False):
        (gc.enable if enabled else gc.disable)()
        try:
            with (
                mock.patch.object(gc, "disable", side_effect=AssertionError("gc.disable")),
                mock.patch.object(gc, "enable", side_effect=AssertionError("gc.enable")),
                mock.patch.object(matching.solver, "Explainer", watch),
            ):
                solve(prob, time_limit_s=10)
            assert gc.isenabled() is enabled
        finally:
            gc.enable()
    assert during == [True, False]
