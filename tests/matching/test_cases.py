"""Hand-made cases from the sources (Ahus, Vestre Viken, Helse Vest) and the spec."""

from __future__ import annotations

import json

import pytest

from matching import (
    PassedOver,
    lottery_number,
    pair_reasons,
    problem_from_json,
    result_to_json,
    solve,
)
from matching.checker import check
from matching.generator import generate
from tests.matching.builders import gp, period, placements, problem, reasons


def run(doc: dict) -> object:
    prob = problem_from_json(doc)
    result = solve(prob, time_limit_s=10)
    report = check(prob, json.loads(json.dumps(result_to_json(result))))
    assert report.ok, report.text()
    return result


def test_catchment_first_at_ahus() -> None:
    doc = problem(
        [gp("outside", home="vestre-viken", months_gp=100, courses=9), gp("local", home="ahus")],
        [period("p1", trust="ahus")],
    )
    result = run(doc)
    assert placements(result) == {"local": "p1"}
    assert reasons(result)[("outside", "p1")] == "higher_priority_candidate_placed"
    assert result.assignments[0].priority_position == 1


def test_first_choice_beats_second_choice() -> None:
    doc = problem(
        [
            gp("second", specialties=("paediatrics", "psychiatry"), months_gp=100),
            gp("first", specialties=("psychiatry", "paediatrics"), months_gp=30),
        ],
        [period("p1", specialty="psychiatry")],
    )
    assert placements(run(doc)) == {"first": "p1"}


def test_seniority_beats_courses() -> None:
    doc = problem(
        [gp("courses", months_gp=40, courses=12), gp("senior", months_gp=60, courses=0)],
        [period("p1")],
    )
    assert placements(run(doc)) == {"senior": "p1"}


def test_registration_time_first_under_vestre_viken_policy() -> None:
    doc = problem(
        [
            gp("early", home="vestre-viken", months_gp=30, registered="2025-03-01T09:00:00+01:00"),
            gp("senior", home="vestre-viken", months_gp=90, registered="2026-03-01T09:00:00+01:00"),
        ],
        [
            period("vv", trust="vestre-viken"),
            period("a", trust="ahus", start="2027-09-01", end="2028-02-29"),
        ],
        min_months=36,
        trust_policies={
            "vestre-viken": {
                "priority": ["registered_at", "lottery"],
                "min_months_general_practice": 24,
            }
        },
    )
    result = run(doc)
    # Vestre Viken ranks by registration time and takes 24 months; Ahus keeps the global 36.
    assert placements(result) == {"early": "vv", "senior": "a"}
    assert reasons(result)[("senior", "vv")] == "higher_priority_candidate_placed"
    assert pair_reasons(problem_from_json(doc), "early", "a") == ["not_eligible"]


def test_equal_candidates_are_decided_by_the_published_lottery() -> None:
    doc = problem([gp("g1"), gp("g2"), gp("g3")], [period("p1")])
    result = run(doc)
    lottery = dict(result.lottery)
    seed = doc["policy"]["lottery_seed"]
    assert lottery == {g: lottery_number(seed, g) for g in ("g1", "g2", "g3")}
    winner = min(lottery, key=lottery.get)
    assert placements(result) == {winner: "p1"}


def test_pin_that_blocks_a_higher_priority_gp_is_reported() -> None:
    doc = problem(
        [gp("high", months_gp=90), gp("low", months_gp=30)],
        [period("p1")],
        pins=[{"gp": "low", "period": "p1"}],
    )
    result = run(doc)
    assert placements(result) == {"low": "p1"}
    assert result.assignments[0].source == "pin"
    assert reasons(result)[("high", "p1")] == "period_pinned"
    [pair] = result.blocking_pairs
    assert (pair.gp, pair.period, pair.cause, pair.holder) == ("high", "p1", "pin", "low")


def test_forbid_is_honoured() -> None:
    doc = problem(
        [gp("high", months_gp=90), gp("low", months_gp=30)],
        [period("p1")],
        forbids=[{"gp": "high", "period": "p1"}],
    )
    result = run(doc)
    assert placements(result) == {"low": "p1"}
    assert reasons(result)[("high", "p1")] == "forbidden"


def test_full_department_pushes_a_gp_to_the_next_period() -> None:
    doc = problem(
        [gp("a", months_gp=90), gp("b", months_gp=30)],
        [
            period("p1", start="2027-03-01", end="2027-08-31", department="d"),
            period("p2", start="2027-06-01", end="2027-11-30", department="d"),
            period("p3", start="2027-09-01", end="2028-02-29", department="d"),
        ],
        departments=[{"id": "d", "trust": "ahus", "capacity": 1}],
    )
    result = run(doc)
    assert placements(result) == {"a": "p1", "b": "p3"}
    assert reasons(result)[("b", "p2")] == "department_full"
    assert {(b.gp, b.period, b.cause) for b in result.blocking_pairs} == {
        ("b", "p2", "department_capacity")
    }


def test_a_gp_moving_within_its_department_gives_back_its_own_place() -> None:
    """Issue 16, section 2 (found on a generated 500-GP instance and shrunk). Department d
    has room for one: `d-jan` (Jan-Jun) and `d-apr` (Apr-Sep) overlap. `mover` prefers
    `d-jan` to `d-apr`; `senior` (ahead of `mover` at `d-jan`) wants `d-jan` once `home`,
    ahead at `local` by catchment, has taken `local`. Two results place two GPs: `senior` at
    `d-jan`, or `mover` at `d-apr`. In the second, `mover` would rather have `d-jan`, which
    is empty and fits once `mover`'s own place in d is given back: a real blocking pair,
    which the engine excused as "department full" and returned (the objective's last key
    prefers it, by period id)."""
    doc = problem(
        [
            gp(
                "home",
                home="revm",
                specialties=("paediatrics", "psychiatry"),
                months_gp=111,
                earliest="2028-06-01",
                latest="2029-06-30",
            ),
            gp(
                "senior",
                home="telemark",
                months_gp=98,
                months=3,
                earliest="2028-09-01",
                latest="2029-06-30",
            ),
            gp(
                "mover",
                home="telemark",
                months_gp=52,
                months=3,
                earliest="2028-11-01",
                latest="2029-09-30",
            ),
        ],  # fmt: skip
        [
            period("local", trust="revm", start="2028-10-01", end="2029-03-31"),
            period(
                "d-jan", trust="sorlandet", start="2029-01-01", end="2029-06-30", department="d"
            ),
            period(
                "d-apr", trust="sorlandet", start="2029-04-01", end="2029-09-30", department="d"
            ),
        ],  # fmt: skip
        departments=[{"id": "d", "trust": "sorlandet", "capacity": 1}],
    )
    result = run(doc)
    assert placements(result) == {"home": "local", "senior": "d-jan"}
    assert reasons(result)[("mover", "d-jan")] == "higher_priority_candidate_placed"
    [pair] = result.blocking_pairs
    assert (pair.gp, pair.period, pair.cause, pair.full_from) == (
        "mover",
        "d-apr",
        "department_capacity",
        "2029-04-01",
    )


def test_a_move_to_an_earlier_period_is_weighed_without_the_own_place() -> None:
    """`mover` holds `later` and would rather have `early` (same department, capacity 1),
    which is still blocked on the days that `later` does not cover: the pair is exempt, and
    named with the first day the department is full without `mover`'s own place."""
    doc = problem(
        [
            gp("mover", months_gp=30, months=3, earliest="2027-02-01"),
            gp("other", months_gp=90, months=3, earliest="2027-06-01", latest="2027-08-31"),
        ],
        [
            period("early", start="2027-02-01", end="2027-07-31", department="d"),
            period("later", start="2027-03-01", end="2027-05-31", department="d"),
            period("summer", start="2027-06-01", end="2027-08-31", department="d"),
        ],
        departments=[{"id": "d", "trust": "ahus", "capacity": 1}],
    )
    result = run(doc)
    assert placements(result) == {"mover": "later", "other": "summer"}
    [pair] = result.blocking_pairs
    assert (pair.gp, pair.period, pair.full_from) == ("mover", "early", "2027-06-01")


def test_max_placements_places_more_than_strict_when_priorities_conflict() -> None:
    gps = [
        gp("g1", months_gp=90, specialties=("psychiatry", "paediatrics")),
        gp("g2", months_gp=30, specialties=("psychiatry",)),
    ]
    periods = [period("p1", specialty="psychiatry"), period("p2", specialty="paediatrics")]
    strict = run(problem(gps, periods))
    most = run(problem(gps, periods, mode="max_placements"))
    assert placements(strict) == {"g1": "p1"}
    assert placements(most) == {"g1": "p2", "g2": "p1"}
    assert reasons(most)[("g1", "p1")] == "placements_tradeoff"
    # Issue 16, section 4: the pair given up for the count, with the candidate placed instead.
    assert most.passed_over == (PassedOver("g1", "p1", "g2"),)
    assert result_to_json(most)["passed_over"] == [{"gp": "g1", "period": "p1", "holder": "g2"}]
    assert most.blocking_pairs == () and strict.passed_over == ()


def test_max_placements_names_every_pair_it_passes_over() -> None:
    """Every pair with the reason placements_tradeoff is in `passed_over`, and nothing else."""
    for seed in (1, 2):
        doc = generate(300, 120, seed=seed, mode="max_placements")
        result = run(doc)
        tradeoffs = {
            pair for pair, reason in reasons(result).items() if reason == "placements_tradeoff"
        }
        assert {(x.gp, x.period) for x in result.passed_over} == tradeoffs
        holder = {a.period: a.gp for a in result.assignments}
        assert all(x.holder == holder.get(x.period) for x in result.passed_over)
        assert tradeoffs  # capacity and priority conflict in these instances


def test_contradictory_pins_make_the_problem_infeasible() -> None:
    doc = problem(
        [gp("g1")],
        [period("p1"), period("p2", start="2027-09-01", end="2028-02-29")],
        pins=[{"gp": "g1", "period": "p1"}, {"gp": "g1", "period": "p2"}],
    )
    result = solve(problem_from_json(doc))
    assert result.status == "infeasible"
    assert "g1" in result.infeasible_reasons[0]
    assert result.assignments == ()


def test_pin_may_ignore_wishes_but_not_dates() -> None:
    wishes = problem(
        [gp("g1", specialties=("paediatrics",))],
        [period("p1")],
        pins=[{"gp": "g1", "period": "p1"}],
    )
    result = run(wishes)
    assert placements(result) == {"g1": "p1"} and result.assignments[0].gp_rank is None
    dates = problem(
        [gp("g1", latest="2027-06-30")], [period("p1")], pins=[{"gp": "g1", "period": "p1"}]
    )
    assert solve(problem_from_json(dates)).status == "infeasible"


def test_placed_occupies_capacity_and_its_gp() -> None:
    doc = problem(
        [gp("old"), gp("new", months_gp=90)],
        [period("p1", department="d"), period("p2", department="d")],
        departments=[{"id": "d", "trust": "ahus", "capacity": 1}],
        placed=[{"gp": "old", "period": "p1"}],
    )
    result = run(doc)
    assert placements(result) == {"old": "p1"}
    assert reasons(result)[("new", "p2")] == "department_full"
    assert reasons(result)[("new", "p1")] == "period_placed"


@pytest.mark.parametrize(("seed", "any_trust", "twins"), [(4, None, 0.0), (9, 0.6, 0.3)])
def test_max_placements_moves_a_gp_up_within_its_department(
    seed: int, any_trust: float | None, twins: float
) -> None:
    """max_placements follows the give-back rule too: no GP is left in a later period of a
    department whose earlier period it prefers, unfilled and with room once its own place is
    given back (docs/matching.md, "A GP moving within its department"). The seeds are
    generated 500-GP instances where the flow leaves one or two such GPs."""
    from matching.giveback import owed_moves
    from matching.market import build_market

    doc = generate(500, 200, seed=seed, any_trust=any_trust, twins=twins, mode="max_placements")
    result = run(doc)
    market = build_market(problem_from_json(doc))
    index = {p: k for k, p in enumerate(market.period_ids)}
    held = {a.gp: index[a.period] for a in result.assignments if a.period in index}
    gp_period = [held.get(g, -1) for g in market.gp_ids]
    assert owed_moves(market, gp_period) == []
