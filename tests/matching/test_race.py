"""A large strict part's count with the neighbourhood search beside HiGHS (matching/large/race.py):
the exact count, and an answer that does not depend on which of the two finishes first."""

from __future__ import annotations

import json
import random
from unittest import mock

import pytest

import matching.large
import matching.large.strict_mip
import matching.mip
from matching import problem_from_json, result_to_json, solve
from matching.checker import check
from matching.generator import generate
from matching.large.race import _State
from matching.mip import Count
from tests.matching.solver_paths import all_parts_to_mip


def _strict(doc: dict) -> dict:
    return {**doc, "policy": {**doc["policy"], "mode": "strict_priority"}}


@pytest.mark.parametrize("seed", [1, 2])
def test_search_beside_highs_gives_the_exact_count(seed: int) -> None:
    # The largest part here has 306 (seed 1) and 232 (seed 2) pairs: it races.
    prob = problem_from_json(_strict(generate(2000, 800, seed=seed)))
    with all_parts_to_mip(), mock.patch.object(matching.large.strict_mip, "SEARCH_PAIRS", 200):
        raced = solve(prob, time_limit_s=30)
        again = solve(prob, time_limit_s=30)
    with all_parts_to_mip(), mock.patch.object(matching.large.strict_mip, "SEARCH_PAIRS", 10**9):
        plain = solve(prob, time_limit_s=30)
    assert raced.status == "optimal"
    assert raced.metrics.placed == plain.metrics.placed
    doc = json.loads(json.dumps(result_to_json(raced)))
    report = check(prob, doc, exact_limit=10**6)
    assert report.failures == []
    assert report.notes == []  # the checker's exact model agrees on the count
    second = json.loads(json.dumps(result_to_json(again)))
    doc["metrics"].pop("wall_time_s")
    second["metrics"].pop("wall_time_s")
    assert doc == second


def _answer(messages: list[tuple[str, tuple]]) -> Count | None:
    """What the parent answers after taking the messages in this order, stopping where it
    would stop."""
    state = _State(None, [1.0, 0.0, 0.0], 1)
    for _, message in messages:
        if state.settled():
            break
        state.take(message)
    return state.answer()


def _values(count: int) -> list[float]:
    return [1.0] * count + [0.0] * (5 - count)


@pytest.mark.parametrize(
    "highs_trajectory, search_trajectory",
    [
        # The search reaches the optimum 4; HiGHS proves it, and finds it itself later.
        (
            [("log", ([], 4.6)), ("log", ([], 4.2)), ("done", (Count(_values(4)[::-1], 4, True),))],
            [("found", (_values(3), 3)), ("found", (_values(4), 4)), ("end", ())],
        ),
        # The search stops one short: HiGHS's answer, whenever the search ends.
        (
            [("log", ([], 4.5)), ("done", (Count(_values(4)[::-1], 4, True),))],
            [("found", (_values(2), 2)), ("found", (_values(3), 3)), ("end", ())],
        ),
        # The search reaches the optimum only after HiGHS has finished: still the search's.
        (
            [("done", (Count(_values(4)[::-1], 4, True),))],
            [("found", (_values(3), 3)), ("found", (_values(4), 4)), ("end", ())],
        ),
    ],
)
def test_the_answer_does_not_depend_on_which_finishes_first(
    highs_trajectory: list, search_trajectory: list
) -> None:
    highs = [("highs", (name, *args)) for name, args in highs_trajectory]
    search = [("search", (name, *args)) for name, args in search_trajectory]
    answers = set()
    rng = random.Random(0)
    for _ in range(200):  # random interleavings that keep each child's own order
        a, b, merged = list(highs), list(search), []
        while a or b:
            side = a if (a and (not b or rng.random() < 0.5)) else b
            merged.append(side.pop(0))
        answer = _answer(merged)
        assert answer is not None and answer.optimal
        answers.add((tuple(answer.values), answer.bound))
    assert len(answers) == 1
    # Both orders at the extremes: every HiGHS message first, and every search message first.
    for merged in (highs + search, search + highs):
        answer = _answer(merged)
        assert answer is not None
        assert (tuple(answer.values), answer.bound) in answers


def test_without_child_processes_highs_counts_alone() -> None:
    # Where no process can be started, HiGHS solves the part in the solving process.
    prob = problem_from_json(_strict(generate(2000, 800, seed=1)))
    with (
        all_parts_to_mip(),
        mock.patch.object(matching.large.strict_mip, "SEARCH_PAIRS", 200),
        mock.patch("matching.large.race.subprocess.Popen", side_effect=OSError("no fork here")),
    ):
        alone = solve(prob, time_limit_s=30)
    with all_parts_to_mip(), mock.patch.object(matching.large.strict_mip, "SEARCH_PAIRS", 10**9):
        plain = solve(prob, time_limit_s=30)
    assert alone.status == "optimal"
    assert result_to_json(alone)["assignments"] == result_to_json(plain)["assignments"]
