"""The checker catches broken results (it must not just agree with the solver)."""

from __future__ import annotations

import copy
import json

import pytest

from matching import problem_from_json, rank_candidates, result_to_json, solve
from matching.checker import check
from matching.generator import generate
from tests.matching.builders import gp, period, problem


@pytest.fixture(scope="module")
def solved() -> tuple[object, dict]:
    prob = problem_from_json(generate(200, 80, seed=5))
    return prob, json.loads(json.dumps(result_to_json(solve(prob))))


def failures(prob: object, doc: dict) -> list[str]:
    return check(prob, doc).failures  # type: ignore[arg-type]


def test_untouched_result_passes(solved: tuple[object, dict]) -> None:
    prob, doc = solved
    assert failures(prob, doc) == []


def test_wrong_lottery_is_caught(solved: tuple[object, dict]) -> None:
    prob, doc = solved
    bad = copy.deepcopy(doc)
    first = next(iter(bad["lottery"]))
    bad["lottery"][first] = 0.5
    assert any("lottery" in f for f in failures(prob, bad))


def test_wrong_reason_is_caught(solved: tuple[object, dict]) -> None:
    prob, doc = solved
    bad = copy.deepcopy(doc)
    entry = next(e for e in bad["placed_gp_reasons"] if e["reasons"])
    entry["reasons"][0]["reason"] = "department_full"
    assert failures(prob, bad)


def test_capacity_overflow_and_double_booking_are_caught() -> None:
    doc = problem(
        [gp("a"), gp("b")],
        [period("p1", department="d"), period("p2", department="d")],
        departments=[{"id": "d", "trust": "ahus", "capacity": 1}],
    )
    prob = problem_from_json(doc)
    result = json.loads(json.dumps(result_to_json(solve(prob))))
    both = copy.deepcopy(result)
    both["assignments"] = [
        {"gp": "a", "period": "p1", "gp_rank": 1, "priority_position": 1, "source": "match"},
        {"gp": "b", "period": "p2", "gp_rank": 1, "priority_position": 1, "source": "match"},
    ]
    both["metrics"]["placed"] = 2
    assert any("over capacity" in f for f in failures(prob, both))
    twice = copy.deepcopy(result)
    twice["assignments"] = [dict(twice["assignments"][0], gp=g) for g in ("a", "b")]
    assert any("two GPs" in f for f in failures(prob, twice))


def test_fewer_placements_than_possible_is_caught() -> None:
    doc = problem([gp("a"), gp("b")], [period("p1"), period("p2", specialty="paediatrics")])
    doc["gps"][1]["availability"]["specialties"] = ["paediatrics"]
    prob = problem_from_json(doc)
    result = json.loads(json.dumps(result_to_json(solve(prob))))
    assert result["metrics"]["placed"] == 2
    dropped = copy.deepcopy(result)
    gone = dropped["assignments"].pop()
    dropped["metrics"]["placed"] = 1
    dropped["unplaced_gps"].append(
        {"gp": gone["gp"], "reasons": [{"period": gone["period"], "reason": "department_full"}]}
    )
    assert failures(prob, dropped)


def test_priority_positions_match_rank_candidates(solved: tuple[object, dict]) -> None:
    prob, doc = solved
    for a in doc["assignments"]:
        if a["source"] == "match":
            ranked = [c.gp for c in rank_candidates(prob, a["period"])]  # type: ignore[arg-type]
            assert ranked.index(a["gp"]) + 1 == a["priority_position"]


def test_max_placements_maximality_beyond_the_exact_limit_uses_the_lp_bound() -> None:
    # Capacity binds here (tests/matching/test_maxcount.py); with the exact model switched
    # off, the checker's own LP relaxation (GLOP) proves the count or says how far it is.
    prob = problem_from_json(generate(600, 240, seed=1, mode="max_placements"))
    result = json.loads(json.dumps(result_to_json(solve(prob))))
    assert result["status"] == "optimal"
    report = check(prob, result, exact_limit=0)
    assert report.failures == []
    assert report.notes == []  # verified, not only bounded
    dropped = copy.deepcopy(result)
    gone = next(a for a in dropped["assignments"] if a["source"] == "match")
    dropped["assignments"].remove(gone)
    dropped["metrics"]["placed"] -= 1
    placed = dropped["metrics"]["placed"]
    report = check(prob, dropped, exact_limit=0)
    assert any(
        f"only the bound {placed} <= {placed + 1} (the LP relaxation" in note
        for note in report.notes
    )
