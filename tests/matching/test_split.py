"""Split placements (3 + 3 months): the engine, the checker and brute force agree
(docs/matching.md, "Split placements")."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import (
    eligibility,
    pair_reasons,
    problem_from_json,
    problem_to_json,
    result_to_json,
    solve,
)
from matching.checker import check
from tests.matching.brute_split import SplitBrute
from tests.matching.builders import gp, period, problem
from tests.matching.strategies import ENDS, MONTHS, problems

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def split_gp(gid: str, **kw: Any) -> dict[str, Any]:
    doc = gp(gid, **kw)
    doc["availability"]["split_allowed"] = True
    return doc


def solved(doc: dict[str, Any]) -> dict[str, Any]:
    prob = problem_from_json(doc)
    out = json.loads(json.dumps(result_to_json(solve(prob))))
    report = check(prob, out)
    assert report.ok, report.text()
    return out


def held(result: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for a in result["assignments"]:
        out.setdefault(a["gp"], []).append(a["period"])
    return out


def three_plus_three() -> dict[str, Any]:
    return problem(
        [split_gp("g1", registered="2026-01-01T10:00:00+01:00")],
        [
            period("p1", start="2027-03-01", end="2027-05-31"),
            period("p2", start="2027-06-01", end="2027-08-31"),
            period("p3", start="2027-04-01", end="2027-06-30"),
        ],
    )


def test_a_split_gp_takes_two_blocks_that_do_not_overlap() -> None:
    result = solved(three_plus_three())
    assert held(result) == {"g1": ["p1", "p2"]}
    assert result["status"] == "optimal"
    assert result["metrics"]["placed"] == 2 and result["metrics"]["objective"] == 1


def test_without_split_the_same_gp_takes_one_six_month_period_only() -> None:
    doc = three_plus_three()
    doc["gps"][0]["availability"].pop("split_allowed")
    doc["periods"].append(period("p4", start="2027-03-01", end="2027-08-31"))
    assert held(solved(doc)) == {"g1": ["p4"]}


def test_the_months_add_up_to_at_most_the_window() -> None:
    doc = three_plus_three()
    doc["gps"][0]["availability"]["months"] = 5  # 3 + 3 > 5: one block only
    result = solved(doc)
    assert held(result) == {"g1": ["p1"]}
    reasons = {r["period"]: r["reason"] for r in result["placed_gp_reasons"][0]["reasons"]}
    assert reasons["p2"] == "placed_elsewhere_preferred"


def test_a_block_longer_than_the_months_is_too_long() -> None:
    doc = three_plus_three()
    doc["gps"][0]["availability"]["months"] = 3
    doc["periods"].append(period("p4", start="2027-03-01", end="2027-08-31"))
    prob = problem_from_json(doc)
    assert pair_reasons(prob, "g1", "p4") == ["too_long"]
    assert "p4" not in eligibility(prob)["g1"]


def test_the_problem_field_round_trips_and_defaults_to_false() -> None:
    doc = three_plus_three()
    assert problem_to_json(problem_from_json(doc))["gps"][0]["availability"]["split_allowed"]
    doc["gps"][0]["availability"].pop("split_allowed")
    assert "split_allowed" not in problem_to_json(problem_from_json(doc))["gps"][0]["availability"]


def test_a_higher_priority_gp_takes_a_block_from_a_split_gp() -> None:
    doc = three_plus_three()
    doc["gps"].append(gp("g2", months=3, registered="2025-01-01T10:00:00+01:00"))
    doc["policy"]["priority"] = ["registered_at", "lottery"]
    result = solved(doc)
    # g2 (registered first) gets the earliest block; g1 takes the next (April), and June
    # overlaps it: g1 prefers April, so it keeps one block
    assert held(result) == {"g1": ["p3"], "g2": ["p1"]}


def test_the_checker_refuses_overlapping_blocks_and_a_third_block() -> None:
    doc = three_plus_three()
    prob = problem_from_json(doc)
    good = solved(doc)
    bad = copy.deepcopy(good)
    bad["assignments"].append({**bad["assignments"][0], "period": "p3"})
    failures = check(prob, bad).failures
    assert any("3 periods" in f for f in failures)
    assert any("overlap" in f for f in failures)


def test_the_checker_finds_a_blocking_split_gp() -> None:
    doc = three_plus_three()
    prob = problem_from_json(doc)
    bad = copy.deepcopy(solved(doc))
    bad["assignments"] = [a for a in bad["assignments"] if a["period"] != "p2"]
    bad["metrics"]["placed"] = 1
    bad["placed_gp_reasons"][0]["reasons"].append(
        {"period": "p2", "reason": "placed_elsewhere_preferred"}
    )
    failures = check(prob, bad).failures
    assert any("would take it" in f for f in failures)
    assert any("not caused by" in f for f in failures)


@st.composite
def split_problems(draw: st.DrawFn) -> dict[str, Any]:
    """Tiny problems (at most 5 GPs and 5 periods) in which some GPs allow a split, and some
    6-month periods run over two departments (3 months in each)."""
    doc = draw(problems(max_gps=5, max_periods=5))
    for p in doc["periods"]:  # mostly blocks of 3 months, so that GPs can hold two
        if draw(st.integers(0, 2)):
            p["end"] = ENDS[3][MONTHS.index(p["start"])]
    for p in doc["periods"]:  # some run over two departments of their trust
        if p["end"] == ENDS[6][MONTHS.index(p["start"])] and not draw(st.integers(0, 3)):
            first = int(p["department"][-1])
            p["second_department"] = f"{p['trust']}-{1 - first}"
            p["switch"] = f"2027-{int(p['start'][5:7]) + 3:02d}-01"  # the fourth month
    for i, g in enumerate(doc["gps"]):
        if i == 0 or draw(st.booleans()):
            g["availability"]["split_allowed"] = True
            g["availability"]["months"] = draw(st.sampled_from((3, 6, 6, 9)))
    return doc


@FAST
@given(split_problems())
def test_the_checker_accepts_every_split_result(doc: dict) -> None:
    prob = problem_from_json(doc)
    result = json.loads(json.dumps(result_to_json(solve(prob, time_limit_s=10))))
    report = check(prob, result)
    assert report.ok, report.text()


@FAST
@given(split_problems())
def test_split_results_are_as_large_as_brute_force_finds(doc: dict) -> None:
    result = solve(problem_from_json(doc), time_limit_s=10)
    most, most_stable = SplitBrute(doc).split_best()
    if most is None:
        assert result.status == "infeasible"
        return
    assert result.status == "optimal"
    found = (len({a.gp for a in result.assignments}), len(result.assignments))
    if doc["policy"]["mode"] == "max_placements":
        assert found == most
    else:
        assert most_stable is not None, "a priority-respecting result exists"
        assert found == most_stable


def test_split_results_are_deterministic() -> None:
    doc = three_plus_three()
    doc["gps"] += [gp(f"g{i}", months=3) for i in range(2, 6)]
    first = result_to_json(solve(problem_from_json(doc)))
    second = result_to_json(solve(problem_from_json(json.loads(json.dumps(doc)))))
    for r in (first, second):
        r["metrics"].pop("wall_time_s")
    assert first == second


def test_a_split_gp_with_two_pinned_blocks_takes_no_third() -> None:
    doc = three_plus_three()
    doc["periods"].append(period("p0", start="2027-01-01", end="2027-03-31"))
    doc["gps"][0]["availability"]["earliest_start"] = "2027-01-01"
    doc["pins"] = [{"gp": "g1", "period": "p1"}, {"gp": "g1", "period": "p2"}]
    result = solved(doc)  # p0 comes first in g1's order, but the pins leave no room
    assert held(result) == {"g1": ["p1", "p2"]}


def test_a_combined_period_counts_each_half_in_its_department() -> None:
    # p1 runs March-May in d1 and June-August in d2; d2 has room for one, and p2 takes
    # d2 in June-August: g2 (behind g1 everywhere) cannot have p2 while g1 has p1.
    combined = period("p1", start="2027-03-01", end="2027-08-31", department="d1")
    combined |= {"second_department": "d2", "switch": "2027-06-01"}
    doc = problem(
        [
            gp("g1", registered="2025-01-01T10:00:00+01:00"),
            gp("g2", months=3, registered="2026-01-01T10:00:00+01:00"),
        ],
        [combined, period("p2", start="2027-06-01", end="2027-08-31", department="d2")],
        priority=["registered_at", "lottery"],
        departments=[
            {"id": "d1", "trust": "ahus", "capacity": 1},
            {"id": "d2", "trust": "ahus", "capacity": 1},
        ],
    )
    result = solved(doc)
    assert held(result) == {"g1": ["p1"]}
    assert result["blocking_pairs"] == [
        {
            "gp": "g2",
            "period": "p2",
            "cause": "department_capacity",
            "department": "d2",
            "full_from": "2027-06-01",
        }
    ]
    assert problem_to_json(problem_from_json(doc))["periods"][0]["switch"] == "2027-06-01"
