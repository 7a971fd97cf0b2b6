"""CP-SAT's presolve in front of HiGHS (matching/mip.py, `Rows.fixings`): the variables it
fixes have that value in every solution of the model, so HiGHS keeps every solution, the start
and the bound."""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterator
from unittest import mock

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import problem_from_json, solve
from matching.mip import Rows
from tests.matching.solver_paths import all_parts_to_mip
from tests.matching.strategies import problems

ENUMERABLE = 14  # models with at most this many variables are checked point by point


def _points(rows: Rows) -> Iterator[tuple[int, ...]]:
    """Every 0/1 point that satisfies the rows (the fill variables are sums of 0/1 variables
    at most 1, so the 0/1 points are all the solutions)."""
    terms: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for r, c, a in zip(rows.rows, rows.cols, rows.coefs, strict=True):
        terms[r].append((c, a))
    bounds = list(zip(rows.row_lower, rows.row_upper, strict=True))
    for bits in itertools.product((0, 1), repeat=len(rows.lower)):
        if any(not lo <= b <= hi for b, lo, hi in zip(bits, rows.lower, rows.upper, strict=True)):
            continue
        if all(
            lo <= sum(a * bits[c] for c, a in terms[r]) <= hi for r, (lo, hi) in enumerate(bounds)
        ):
            yield bits


def test_fixings_are_forced_values_not_preferred_ones() -> None:
    rows = Rows()
    a, b, c, d, e = (rows.var() for _ in range(5))
    rows.row(-math.inf, 1, [a, b])  # a + b <= 1
    rows.row(1, math.inf, [a])  # a >= 1, so b = 0
    rows.row(1, math.inf, [c, d])  # c + d >= 1
    rows.row(0, 0, [c, d], [1.0, -1.0])  # c = d, so both are 1
    # e is in no row: the objective prefers 1, but 0 is a solution too, so it stays free
    assert rows.fixings([a, b, e], time_limit_s=10) == {a: 1, b: 0, c: 1, d: 1}


def test_an_infeasible_model_fixes_nothing() -> None:
    rows = Rows()
    a = rows.var()
    rows.row(1, math.inf, [a])
    rows.row(-math.inf, 0, [a])
    assert rows.fixings([a], time_limit_s=10) == {}


@st.composite
def _models(draw: st.DrawFn) -> tuple[Rows, list[int]]:
    rows = Rows()
    variables = [rows.var() for _ in range(draw(st.integers(1, 8)))]
    for _ in range(draw(st.integers(0, 6))):
        cols = draw(st.permutations(variables))[: draw(st.integers(1, len(variables)))]
        coefs = [float(draw(st.sampled_from((-2, -1, 1, 2)))) for _ in cols]
        low = draw(st.sampled_from((-math.inf, -1.0, 0.0, 1.0)))
        rows.row(low, draw(st.sampled_from((math.inf, 0.0, 1.0, 2.0))), cols, coefs)
    return rows, draw(st.lists(st.sampled_from(variables), unique=True))


@settings(max_examples=300, deadline=None)
@given(_models())
def test_fixings_hold_for_every_solution_of_random_models(model: tuple[Rows, list[int]]) -> None:
    rows, maximize = model
    fixed = rows.fixings(maximize, time_limit_s=10)
    for bits in _points(rows):
        assert all(bits[k] == value for k, value in fixed.items())


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_gps=6, max_periods=6))
def test_fixings_hold_for_every_solution_of_a_part(doc: dict) -> None:
    """The MIP of the parts of small random problems (when capacity makes one), solved point
    by point."""
    doc = {**doc, "policy": {**doc["policy"], "mode": "strict_priority"}}
    real = Rows.fixings

    def checked(self: Rows, maximize: list[int], time_limit_s: float) -> dict[int, int]:
        fixed = real(self, maximize, time_limit_s)
        if len(self.lower) <= ENUMERABLE:
            for bits in _points(self):
                assert all(bits[k] == value for k, value in fixed.items())
        return fixed

    with all_parts_to_mip(), mock.patch.object(Rows, "fixings", checked):
        solve(problem_from_json(doc), time_limit_s=10)
