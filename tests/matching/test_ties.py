"""GPs indifferent between periods (the spec's preference has ties): strict_priority returns
the largest result without a (non-exempt) blocking pair, and among those the one the
objective prefers (docs/matching.md, "Ties" and "The objective")."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import problem_from_json, result_to_json, solve
from matching.checker import check
from matching.deferred import deferred_acceptance
from matching.generator import generate
from matching.market import build_market
from matching.ties import possible_pairs
from tests.matching.brute import Brute
from tests.matching.builders import gp, period, placements, problem, reasons
from tests.matching.solver_paths import (
    all_parts_to_cpsat,
    all_parts_to_mip,
    no_deferred_acceptance_shortcut,
)
from tests.matching.strategies import problems

SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _strict(doc: dict) -> dict:
    return {**doc, "policy": {**doc["policy"], "mode": "strict_priority"}}


def _issue_example() -> dict:
    """A (any trust) likes P1 (12 months) and P2 (6 months, same start) equally; B, behind A
    at P2, can take only P2. The engine's old tie-break (earlier end) gave A P2 and left B
    out; A -> P1, B -> P2 blocks nothing and places both."""
    return problem(
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


def _checked(doc: dict) -> object:
    prob = problem_from_json(doc)
    result = solve(prob, time_limit_s=10)
    report = check(prob, json.loads(json.dumps(result_to_json(result))))
    assert report.ok, report.text()
    return result


def test_a_gp_indifferent_between_two_periods_leaves_one_to_another() -> None:
    result = _checked(_issue_example())
    assert placements(result) == {"a": "p1", "b": "p2"}
    # a likes p2 as much as p1: a tied pair is not blocking, and says so.
    assert reasons(result)[("a", "p2")] == "placed_elsewhere_preferred"
    assert result.blocking_pairs == ()


def test_the_checker_finds_the_old_answer_not_maximal() -> None:
    doc = _issue_example()
    prob = problem_from_json(doc)
    result = json.loads(json.dumps(result_to_json(solve(prob))))
    old = copy.deepcopy(result)
    old["assignments"] = [
        {"gp": "a", "period": "p2", "gp_rank": 1, "priority_position": 1, "source": "match"}
    ]
    old["unplaced_gps"] = [
        {"gp": "b", "reasons": [{"period": "p2", "reason": "higher_priority_candidate_placed"}]}
    ]
    old["placed_gp_reasons"] = [
        {"gp": "a", "reasons": [{"period": "p1", "reason": "placed_elsewhere_preferred"}]}
    ]
    old["unfilled_periods"] = ["p1"]
    old["metrics"]["placed"] = old["metrics"]["objective"] = old["metrics"]["bound"] = 1
    failures = check(prob, old).failures
    assert failures == ["places 1 in the open market; the exact model places 2"]


def test_a_pair_blocks_only_where_the_gp_strictly_prefers() -> None:
    """Twins: the same department and dates. Whoever takes which, nobody blocks; the higher
    priority GP gets the first in id order (key 5; numbers in numeric order)."""
    doc = problem(
        [gp("low", months_gp=30), gp("high", months_gp=90)],
        [period("10"), period("2")],
        priority=["months_general_practice", "lottery"],
    )
    result = _checked(doc)
    assert placements(result) == {"high": "2", "low": "10"}
    # Each likes the other's as much as its own: placed elsewhere, at least as good.
    assert reasons(result)[("high", "10")] == "placed_elsewhere_preferred"
    assert reasons(result)[("low", "2")] == "placed_elsewhere_preferred"


@SLOW
@given(problems(max_gps=6, max_periods=6))
def test_the_result_is_the_objective_s_best(doc: dict) -> None:
    """On tiny problems with ties, capacity, pins and forbids: exactly the result that brute
    force finds best by the objective, written from its definition (tests/matching/brute.py)."""
    doc = _strict(doc)
    result = solve(problem_from_json(doc), time_limit_s=10)
    best = Brute(doc).best_result()
    if best is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    assert placements(result) == best


Path = Callable[[], AbstractContextManager[None]]


@pytest.mark.parametrize(
    "paths",
    [
        (no_deferred_acceptance_shortcut, all_parts_to_cpsat),
        (no_deferred_acceptance_shortcut, all_parts_to_mip),
    ],
    ids=["cp-sat", "mip"],
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=problems(max_gps=6, max_periods=6))
def test_every_path_gives_the_objective_s_best(paths: tuple[Path, ...], doc: dict) -> None:
    doc = _strict(doc)
    with ExitStack() as stack:
        for path in paths:
            stack.enter_context(path())
        result = solve(problem_from_json(doc), time_limit_s=10)
    best = Brute(doc).best_result()
    if best is None:
        assert result.status == "infeasible"
        return
    assert placements(result) == best


@SLOW
@given(problems(max_gps=8, max_periods=8, fixed=False))
def test_without_ties_or_capacity_the_result_is_the_gp_optimal_stable_matching(doc: dict) -> None:
    doc = {**_strict(doc), "departments": []}
    for g in doc["gps"]:  # a trust list and one specialty: no two periods tie for anyone
        g["availability"].update(trusts=[g["home_trust"]], accept_other_specialty=False)
        g["availability"]["specialties"] = g["availability"]["specialties"][:1]
    brute = Brute(doc)
    for gid in brute.gps:
        keys = [brute.pref(gid, p) for p in brute.periods if brute.eligible(gid, p)]
        if len(set(keys)) < len(keys):
            return  # two periods with the same start: a tie after all
    market = build_market(problem_from_json(doc))
    m0 = deferred_acceptance(market.prefs, market.rank, market.period_ids)
    expected = {
        market.gp_ids[g]: market.period_ids[p] for g, p in enumerate(m0.gp_period) if p >= 0
    }
    assert placements(solve(problem_from_json(doc))) == expected


@pytest.mark.parametrize("seed", [1, 2])
def test_generated_markets_with_ties_pass_the_checker_s_exact_model(seed: int) -> None:
    prob = problem_from_json(generate(300, 120, seed=seed, any_trust=0.6, twins=0.3))
    result = solve(prob, time_limit_s=30)
    assert result.status == "optimal"
    report = check(prob, json.loads(json.dumps(result_to_json(result))), exact_limit=10**6)
    assert report.failures == []
    assert report.notes == []  # the checker's own exact model ran and agreed


def test_the_generator_s_options_default_to_the_old_documents() -> None:
    assert generate(200, 80, seed=3) == generate(200, 80, seed=3, any_trust=0.1, twins=0.0)
    doc = generate(200, 80, seed=3, any_trust=0.6, twins=0.3)
    assert sum(not g["availability"]["trusts"] for g in doc["gps"]) > 100
    slots = [(p["department"], p["start"], p["end"], p["specialty"]) for p in doc["periods"]]
    assert len(slots) - len(set(slots)) >= 12  # 24 periods in twin pairs: 12 repeats or more


def test_maximising_placements_under_ties_is_not_strategy_proof() -> None:
    """docs/matching.md, "Strategy-proofness": h likes p and r equally; x can take only r.
    Truthful g (p, then q) gets q: h keeps p and x gets r, three placed. If g drops q from its
    list, the largest result places two, and the objective then gives g its first choice p.
    (Without ties and binding capacity the result is GP-proposing deferred acceptance, where
    no such lie helps.)"""

    def market(specialties: tuple[str, ...]) -> dict:
        return problem(
            [
                gp("g", months_gp=60, specialties=specialties, trusts=("ahus",)),
                gp("h", months_gp=90, months=3),
                gp("x", months_gp=30, trusts=("vestre-viken",), months=3),
            ],
            [
                period("p", trust="ahus", end="2027-08-31"),
                period("q", trust="ahus", specialty="paediatrics", end="2027-08-31"),
                period("r", trust="vestre-viken", end="2027-05-31"),
            ],
            priority=["months_general_practice", "lottery"],
        )

    truthful = _checked(market(("psychiatry", "paediatrics")))
    assert placements(truthful) == {"g": "q", "h": "p", "x": "r"}
    truncated = _checked(market(("psychiatry",)))
    assert placements(truncated) == {"g": "p", "h": "r"}


def test_when_the_solvers_find_nothing_the_core_stands_unproven() -> None:
    """Where the time limit stops every stage, a part keeps deferred acceptance with the
    engine's order and capacity refusals (the core): `feasible`, with the bound."""
    from unittest import mock

    from ortools.sat.python import cp_model

    import matching.exact
    import matching.solver

    doc = generate(600, 240, seed=1, any_trust=0.6, twins=0.3)
    prob = problem_from_json(doc)
    market = build_market(prob)
    assert market.arrays is not None
    m0 = matching.solver.possible_pairs(market).m0
    core = matching.solver._strict_core(market, m0, matching.solver._over(market, m0))

    def nothing(*args: object, **kw: object) -> tuple[None, cp_model.CpSolver, int]:
        return None, cp_model.CpSolver(), cp_model.UNKNOWN

    with mock.patch.object(matching.exact._Stages, "run", nothing):
        result = solve(prob, time_limit_s=10)
    assert result.status == "feasible"
    assert result.metrics.placed == sum(p >= 0 for p in core.gp_period)
    assert result.metrics.bound > result.metrics.placed
    report = check(prob, json.loads(json.dumps(result_to_json(result))), exact_limit=0)
    assert report.failures == []


def test_identical_periods_refuse_as_one() -> None:
    """`d1` and `d2` are the same period posted by two departments (same trust, specialty
    and dates). `first` and `second`, ahead of `late`, want only these two; each takes one.
    One at a time neither refusal of `late` was known to hold (each holder could move to the
    other copy); as a group of two held by two GPs who must each hold one, both do
    (deferred.gp_optimal_refusals): `late` can only get `other`."""
    doc = _strict(
        problem(
            [
                gp("first", months_gp=90, latest="2027-12-31"),
                gp("second", months_gp=80, latest="2027-12-31"),
                gp("late", months_gp=30, specialties=("psychiatry", "ent")),
            ],
            [
                period("d1", department="ahus-a"),
                period("d2", department="ahus-b"),
                period("other", specialty="ent"),
            ],
            priority=["months_general_practice", "lottery"],
        )
    )
    market = build_market(problem_from_json(doc))
    lists = possible_pairs(market).lists(market)
    late = market.gp_ids.index("late")
    assert [market.period_ids[p] for p in lists[late]] == ["other"]
    assert placements(_checked(doc)) == {"first": "d1", "second": "d2", "late": "other"}


@st.composite
def _copied(draw: st.DrawFn) -> dict:
    """Tiny problems in which periods are posted again by the same or another department of
    their trust: groups of identical periods."""
    doc = draw(problems(max_gps=6, max_periods=3, crowded=draw(st.booleans())))
    periods = list(doc["periods"])
    for per in doc["periods"]:
        depts = [d["id"] for d in doc["departments"] if d["trust"] == per["trust"]]
        for _ in range(draw(st.integers(0, 2))):
            dept = draw(st.sampled_from([per["department"], *depts]))
            periods.append({**per, "id": f"p{len(periods)}", "department": dept})
    return _strict({**doc, "periods": periods})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_copied())
def test_every_result_lies_within_the_possible_pairs_with_identical_periods(doc: dict) -> None:
    """Rule 1 with groups of identical periods (matching/ties.py): every priority-respecting
    result brute force finds holds possible pairs only, and places every GP the rules say is
    placed in every result."""
    market = build_market(problem_from_json(doc))
    if market.infeasible:
        return
    possible = possible_pairs(market)
    lists = possible.lists(market)
    ids = market.period_ids
    for match in Brute(doc).priority_respecting():
        for g, gid in enumerate(market.gp_ids):
            held = match.get(gid)
            assert held is None or held in {ids[p] for p in lists[g]}
            if possible.placed[g]:
                assert held is not None
