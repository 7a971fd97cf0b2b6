"""One answer whichever path solves a part (docs/matching.md, "The objective"): deferred
acceptance alone where it is provably best, CP-SAT, or the MIP for the count give the same
result, byte for byte apart from the timing and how many parts went to a solver."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager

import pytest

from matching import dumps, problem_from_json, solve
from matching.checker import check
from matching.generator import generate
from tests.matching.solver_paths import (
    all_parts_to_cpsat,
    all_parts_to_mip,
    no_deferred_acceptance_shortcut,
)


def _text(doc: dict, *paths: Callable[[], AbstractContextManager[None]]) -> str:
    with ExitStack() as stack:
        for path in paths:
            stack.enter_context(path())
        result = json.loads(dumps(solve(problem_from_json(doc), time_limit_s=60)))
    assert result["status"] == "optimal"
    for key in ("wall_time_s", "capacity_parts"):
        result["metrics"].pop(key)
    return json.dumps(result)


@contextmanager
def _as_is() -> Iterator[None]:
    yield


CASES = [
    (300, 120, 3, None, 0.0),
    (300, 120, 5, 0.6, 0.3),
    (600, 240, 1, None, 0.0),
    (600, 240, 2, 0.6, 0.3),
    (600, 240, 4, 0.3, 0.1),
    (500, 200, 6, 0.6, 0.3),  # a GP owed a move within its department, if the rule is lost
]


@pytest.mark.parametrize(("gps", "periods", "seed", "any_trust", "twins"), CASES)
def test_every_path_gives_the_same_result(
    gps: int, periods: int, seed: int, any_trust: float | None, twins: float
) -> None:
    doc = generate(gps, periods, seed=seed, any_trust=any_trust, twins=twins)
    usual = _text(doc, _as_is)
    report = check(problem_from_json(doc), json.loads(usual))
    assert report.ok, report.text()
    assert _text(doc, no_deferred_acceptance_shortcut, all_parts_to_cpsat) == usual
    assert _text(doc, no_deferred_acceptance_shortcut, all_parts_to_mip) == usual
