"""Mixed-integer models written as plain lists (`Rows`), and HiGHS's count on them.

`Rows` holds the strict part model of matching/exact.py (`build`: full sums, a fill
variable per period that capacity can touch, and one capacity row and full-flag per maximal
set of periods running at the same time in a department, `segments`: a segment whose periods
are a subset of another's, with at least as much room, can only be full when that one is) and
the max_placements count model (matching/maxcount.py). It turns them into CP-SAT's model,
CP-SAT's fixings and HiGHS's count; the count of a large strict part lives with the rest of
the machinery for 10x-national markets (matching/large/).
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from ortools.math_opt import model_pb2
from ortools.math_opt.python import mathopt
from ortools.math_opt.solvers import highs_pb2
from ortools.sat.python import cp_model

from .cpsat import Part

INF = math.inf


@dataclass(frozen=True)
class Count:
    """HiGHS's answer for a count model: every variable's value in the best solution found,
    the proven upper bound on the count (None if HiGHS proved none), and whether it is proven
    optimal."""

    values: list[float]
    bound: int | None
    optimal: bool


class Rows:
    """A MIP written as plain lists (variables and rows by index) and handed to MathOpt as one
    model proto: adding 170,000 coefficients one call at a time through MathOpt's model took
    about 1 s at 20k x 8k, this takes 0.3 s for the same model."""

    def __init__(self) -> None:
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.integer: list[bool] = []
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.coefs: list[float] = []

    def var(self, integer: bool = True) -> int:
        """A new variable in [0, 1]."""
        self.lower.append(0.0)
        self.upper.append(1.0)
        self.integer.append(integer)
        return len(self.lower) - 1

    def row(self, lo: float, hi: float, cols: list[int], coefs: list[float] | None = None) -> None:
        """lo <= sum(coefs * cols) <= hi (coefficients 1 unless given)."""
        self.rows.extend([len(self.row_lower)] * len(cols))
        self.row_lower.append(lo)
        self.row_upper.append(hi)
        self.cols.extend(cols)
        self.coefs.extend([1.0] * len(cols) if coefs is None else coefs)

    def restricted(self, fixed: dict[int, float] | None = None, relaxed: bool = False) -> Rows:
        """The same rows with the variables `fixed` fixed to their values, and with every
        variable continuous if `relaxed` (the row lists are shared, not copied)."""
        out = Rows()
        out.lower, out.upper = list(self.lower), list(self.upper)
        for k, value in (fixed or {}).items():
            out.lower[k] = out.upper[k] = value
        out.integer = [False] * len(self.integer) if relaxed else self.integer
        out.row_lower, out.row_upper = self.row_lower, self.row_upper
        out.rows, out.cols, out.coefs = self.rows, self.cols, self.coefs
        return out

    def model(self, name: str, maximize: list[int]) -> mathopt.Model:
        """The model maximising the sum of the variables `maximize`."""
        return mathopt.Model.from_model_proto(self.proto(name, maximize))

    def proto(self, name: str, maximize: list[int]) -> model_pb2.ModelProto:
        """The model maximising the sum of the variables `maximize`, as MathOpt's proto."""
        proto = model_pb2.ModelProto(name=name)
        proto.variables.ids.extend(range(len(self.lower)))
        proto.variables.lower_bounds.extend(self.lower)
        proto.variables.upper_bounds.extend(self.upper)
        proto.variables.integers.extend(self.integer)
        proto.objective.maximize = True
        proto.objective.linear_coefficients.ids.extend(maximize)
        proto.objective.linear_coefficients.values.extend([1.0] * len(maximize))
        proto.linear_constraints.ids.extend(range(len(self.row_lower)))
        proto.linear_constraints.lower_bounds.extend(self.row_lower)
        proto.linear_constraints.upper_bounds.extend(self.row_upper)
        rows = np.asarray(self.rows, dtype=np.int64)
        cols = np.asarray(self.cols, dtype=np.int64)
        order = np.lexsort((cols, rows))  # the proto wants the matrix sorted by row, column
        matrix = proto.linear_constraint_matrix
        matrix.row_ids.extend(rows[order].tolist())
        matrix.column_ids.extend(cols[order].tolist())
        matrix.coefficients.extend(np.asarray(self.coefs)[order].tolist())
        return proto

    def relaxation(
        self, maximize: list[int], solver: mathopt.SolverType, left_s: float
    ) -> list[float] | None:
        """An optimal vertex of the LP relaxation (every variable's value), by `solver`
        (HiGHS's or GLOP's simplex: two solvers, usually two different vertices); None if it
        is not solved within `left_s` seconds."""
        model = self.restricted(relaxed=True).model("relaxation", maximize)
        params = mathopt.SolveParameters(
            time_limit=timedelta(seconds=max(left_s, 0.1)), enable_output=False
        )
        result = mathopt.solve(model, solver, params=params)
        if result.termination.reason != mathopt.TerminationReason.OPTIMAL:
            return None
        return list(result.variable_values([model.get_variable(k) for k in range(len(self.lower))]))

    def solve_count(
        self,
        name: str,
        maximize: list[int],
        left_s: float,
        start: list[float] | None = None,
        log: Callable[[Sequence[str]], None] | None = None,
        random_seed: int | None = None,
        presolve: bool = True,
        node_limit: int | None = None,
    ) -> Count | None:
        """Maximise the count with HiGHS within `left_s` seconds (building included) from the
        solution `start` (a value per variable), if given; None if HiGHS found no solution.
        `presolve` False skips HiGHS's presolve (for models whose LP is solved faster than
        presolved); `node_limit` stops the search after that many nodes (deterministic)."""
        started = time.perf_counter()
        model = self.model(name, maximize)
        left = left_s - (time.perf_counter() - started)
        return count_model(model, left, start, log, random_seed, presolve, node_limit)

    def as_cp_model(self) -> cp_model.CpModel:
        """These rows as a CP-SAT model (every variable 0/1, every coefficient integral),
        written as its proto in one pass."""
        model = cp_model.CpModel()
        proto = model.proto
        for lo, hi in zip(self.lower, self.upper, strict=True):
            proto.variables.add().domain.extend([int(lo), int(hi)])
        rows = np.asarray(self.rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        cols = np.asarray(self.cols, dtype=np.int64)[order].tolist()
        coefs = np.rint(np.asarray(self.coefs)[order]).astype(np.int64).tolist()
        bounds = np.searchsorted(rows[order], np.arange(len(self.row_lower) + 1)).tolist()
        for r, (lo, hi) in enumerate(zip(self.row_lower, self.row_upper, strict=True)):
            a, b = bounds[r], bounds[r + 1]
            reach = sum(abs(c) for c in coefs[a:b])  # no row sum lies outside +-reach
            linear = proto.constraints.add().linear
            linear.vars.extend(cols[a:b])
            linear.coeffs.extend(coefs[a:b])
            low = -reach if lo == -INF else max(-reach, math.ceil(lo))
            linear.domain.extend([low, reach if hi == INF else min(reach, math.floor(hi))])
        return model

    def fixings(self, maximize: list[int], time_limit_s: float) -> dict[int, int]:
        """Variables that CP-SAT's presolve fixes, as {variable: value}: the same value in
        every feasible solution.

        Every variable here is 0/1 and every coefficient an integer, so the same rows are a
        CP-SAT model. Its presolve runs without the reductions that drop feasible solutions
        (dominance), so the fixings hold for every solution, the start included.
        """
        model = self.as_cp_model()
        proto = model.proto
        proto.objective.vars.extend(maximize)
        proto.objective.coeffs.extend([-1] * len(maximize))  # CP-SAT minimises
        solver = cp_model.CpSolver()
        params = solver.parameters
        params.stop_after_presolve = True
        params.fill_tightened_domains_in_response = True
        params.keep_all_feasible_solutions_in_presolve = True
        params.num_workers = 1
        params.max_time_in_seconds = time_limit_s
        if solver.solve(model) == cp_model.INFEASIBLE:  # never a part's model: the core solves it
            return {}
        return {
            k: var.domain[0]
            for k, var in enumerate(solver.response_proto.tightened_variables)
            if len(var.domain) == 2 and var.domain[0] == var.domain[1]
        }


def count_model(
    model: mathopt.Model,
    left_s: float,
    start: list[float] | None = None,
    log: Callable[[Sequence[str]], None] | None = None,
    random_seed: int | None = None,
    presolve: bool = True,
    node_limit: int | None = None,
    log_interval_s: float | None = None,
) -> Count | None:
    """HiGHS on a count model (variables numbered 0..n-1): see `Rows.solve_count`.
    `log_interval_s` makes HiGHS write its progress row at least that often."""
    # HiGHS overruns its limit (it checks the clock between presolve and cut rounds): by
    # 0.1-0.2 s on the 20k x 8k part on a fast night, by up to about a second on slower ones.
    options = highs_pb2.HighsOptionsProto()
    if node_limit is not None:
        options.int_options["mip_max_nodes"] = node_limit
    if log_interval_s is not None:
        options.double_options["mip_min_logging_interval"] = log_interval_s
    params = mathopt.SolveParameters(
        time_limit=timedelta(seconds=max(0.95 * left_s - 0.3, 0.5)),
        # The objective is a count: stop only when the bound meets it (the default relative
        # gap would accept a count a few short of the optimum on large models).
        relative_gap_tolerance=0.0,
        enable_output=False,  # HiGHS would print on standard output, where results go
        random_seed=random_seed,
        presolve=None if presolve else mathopt.Emphasis.OFF,
        highs=options,
    )
    variables = list(model.variables())
    hints = None
    if start is not None:
        hint = mathopt.SolutionHint(variable_values=dict(zip(variables, start, strict=True)))
        hints = mathopt.ModelSolveParameters(solution_hints=[hint])
    result = mathopt.solve(
        model, mathopt.SolverType.HIGHS, params=params, model_params=hints, msg_cb=log
    )
    if not result.has_primal_feasible_solution():
        return None
    # For a maximisation the dual bound is the upper bound on the count.
    upper = result.termination.objective_bounds.dual_bound
    return Count(
        list(result.variable_values(variables)),
        int(math.floor(upper + 1e-6)) if math.isfinite(upper) else None,
        result.termination.reason == mathopt.TerminationReason.OPTIMAL,
    )


def segments(part: Part, periods: list[int]) -> list[tuple[frozenset[int], int, list[int]]]:
    """(periods running, room, segments) of each department segment that can bind and is
    not dominated by another segment of the same department."""
    ids = part.period_ids
    by_dept: dict[int, dict[tuple[frozenset[int], int], list[int]]] = defaultdict(dict)
    for d, s, ps, room in part.capacity.binding((p, ids[p]) for p in periods):
        by_dept[d].setdefault((frozenset(ps), room), []).append(s)
    out = []
    for d in sorted(by_dept):
        items = by_dept[d]
        for (running, room), segs in items.items():
            dominated = any(
                other_room <= room and running <= other and (other, other_room) != (running, room)
                for other, other_room in items
            )
            if not dominated:
                out.append((running, room, [d, *segs]))
    return out
