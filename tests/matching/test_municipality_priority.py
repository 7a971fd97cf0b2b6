"""The municipality_priority key: the municipality's own rank of its GPs, lower first, and a
GP without a stated rank after every GP with one (docs/matching.md)."""

from __future__ import annotations

import json

import pytest

from matching import (
    ProblemError,
    problem_from_json,
    problem_to_json,
    rank_candidates,
    result_to_json,
)
from matching.checker import check
from matching.priority import PriorityRules
from tests.matching.builders import gp, period, placements, problem

from .test_cases import run

ORDER = ["municipality_priority", "months_general_practice", "lottery"]


def ranked(gid: str, rank: int | None, **kwargs) -> dict:
    entry = gp(gid, **kwargs)
    if rank is not None:
        entry["municipality_priority"] = rank
    return entry


def test_lower_rank_first_even_against_more_months() -> None:
    doc = problem(
        [ranked("senior", 2, months_gp=100), ranked("chosen", 1, months_gp=30)],
        [period("p1")],
        priority=ORDER,
    )
    assert placements(run(doc)) == {"chosen": "p1"}


def test_unknown_comes_after_every_known_rank() -> None:
    doc = problem(
        [ranked("unstated", None, months_gp=200), ranked("ninth", 9, months_gp=30)],
        [period("p1")],
        priority=ORDER,
    )
    assert placements(run(doc)) == {"ninth": "p1"}
    prob = problem_from_json(doc)
    order = [c.gp for c in rank_candidates(prob, "p1")]
    assert order == ["ninth", "unstated"]


def test_equal_ranks_fall_through_to_the_next_key() -> None:
    doc = problem(
        [ranked("a", 1, months_gp=30), ranked("b", 1, months_gp=60), ranked("c", None)],
        [period("p1"), period("p2", start="2027-09-01", end="2028-02-29")],
        priority=ORDER,
    )
    prob = problem_from_json(doc)
    rules = PriorityRules(prob)
    p1 = prob.period_by_id["p1"]
    keys = sorted(prob.gps, key=lambda g: rules.key(g, p1))
    assert [g.id for g in keys] == ["b", "a", "c"]


def test_a_region_without_the_key_ignores_the_rank() -> None:
    doc = problem(
        [ranked("chosen", 1, months_gp=30), ranked("senior", 5, months_gp=100)],
        [period("p1")],
        priority=["months_general_practice", "lottery"],
    )
    assert placements(run(doc)) == {"senior": "p1"}


def test_a_trust_policy_may_use_the_key() -> None:
    doc = problem(
        [
            ranked("senior", 3, months_gp=100, home="unn", trusts=("unn",)),
            ranked("chosen", 1, months_gp=30, home="unn", trusts=("unn",)),
        ],
        [period("p1", trust="unn")],
        priority=["months_general_practice", "lottery"],
        trust_policies={"unn": {"priority": ["municipality_priority", "lottery"]}},
    )
    assert placements(run(doc)) == {"chosen": "p1"}


def test_the_checker_sees_a_result_that_ignores_the_rank() -> None:
    doc = problem(
        [ranked("senior", 2, months_gp=100), ranked("chosen", 1, months_gp=30)],
        [period("p1")],
        priority=ORDER,
    )
    prob = problem_from_json(doc)
    good = json.loads(json.dumps(result_to_json(run(doc))))
    wrong = json.loads(
        json.dumps(good)
        .replace('"chosen"', '"@"')
        .replace('"senior"', '"chosen"')
        .replace('"@"', '"senior"')
    )
    assert check(prob, good).ok
    report = check(prob, wrong)
    assert not report.ok and "blocking pair (chosen, p1)" in report.text()


def test_round_trip_and_validation() -> None:
    doc = problem([ranked("a", 4), ranked("b", None)], [period("p1")], priority=ORDER)
    prob = problem_from_json(doc)
    assert prob.gp_by_id["a"].municipality_priority == 4
    assert prob.gp_by_id["b"].municipality_priority is None
    out = problem_to_json(prob)
    by_id = {g["id"]: g for g in out["gps"]}
    assert by_id["a"]["municipality_priority"] == 4
    assert "municipality_priority" not in by_id["b"]  # absent: byte-identical older problems
    for bad in (0, -1, "1", True, 1.5):
        doc["gps"][0]["municipality_priority"] = bad
        with pytest.raises(ProblemError):
            problem_from_json(doc)
