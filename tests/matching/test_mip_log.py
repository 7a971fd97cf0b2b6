"""The MIP's log hook and the reading of it in benchmarks/strict_part_bench.py."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import matching.large
import matching.large.strict_mip
import matching.mip
import matching.solver
from matching import problem_from_json, solve
from matching.cpsat import Part, PartSolution, Settings
from matching.generator import generate
from matching.large.race import progress_row
from matching.large.strict_mip import most_placements_strict
from tests.matching.solver_paths import all_parts_to_mip

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "strict_part_bench.py"


@functools.cache
def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("strict_part_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _largest_mip_part(seed: int) -> tuple[Part, dict[int, int]]:
    """The largest part the solver hands to the MIP when every part goes there."""
    calls: list[tuple[Part, dict[int, int]]] = []
    real = matching.large.most_placements_strict

    def spy(
        part: Part, settings: Settings, start: dict[int, int] | None = None, **kw: Any
    ) -> PartSolution | None:
        calls.append((part, dict(start or {})))
        return real(part, settings, start, **kw)

    with all_parts_to_mip(), mock.patch.object(matching.large, "most_placements_strict", spy):
        solve(problem_from_json(generate(600, 240, seed=seed)), time_limit_s=20)
    assert calls
    return max(calls, key=lambda call: len(call[0].gps))


def test_the_log_hook_sees_highs_progress_and_changes_nothing() -> None:
    part, _ = _largest_mip_part(3)
    lines: list[str] = []
    # Without a start, so that HiGHS logs the solutions it finds (on this instance the core,
    # repaired for GPs owed a move within their department, is already optimal).
    logged = most_placements_strict(part, Settings(20), None, log=lines.extend)
    quiet = most_placements_strict(part, Settings(20), None)
    assert logged is not None and quiet is not None
    assert logged.assignment == quiet.assignment
    assert logged.optimal
    assert logged.assignment
    timeline = _bench().Timeline()
    timeline.read(lines)
    assert timeline.rows
    assert timeline.improvements()[-1][1] == len(logged.assignment)
    assert timeline.bound_proven_at(len(logged.assignment)) is not None
    assert timeline.bound_proven_at(len(logged.assignment) - 1) is None


def test_progress_rows_are_read_and_other_lines_skipped() -> None:
    row = progress_row
    assert row(
        " L       0       0         0   0.00%   2159.24         2158               0.06%"
        "     6313    252    138     13239    14.5s"
    ) == (14.5, 2159.24, 2158.0, "L")
    assert row(
        "         0       0         0   0.00%   2799            2147              30.37%"
        "        0      0      0         0     3.2s"
    ) == (3.2, 2799.0, 2147.0, "")
    assert row("Presolving model") is None
    assert row("26170 rows, 15719 cols, 172486 nonzeros  0s") is None


def test_another_random_seed_reaches_the_same_count() -> None:
    part, start = _largest_mip_part(3)
    first = most_placements_strict(part, Settings(20), start)
    with mock.patch.object(
        matching.mip.mathopt, "solve", wraps=matching.mip.mathopt.solve
    ) as highs:
        second = most_placements_strict(part, Settings(20), start, random_seed=7)
    assert highs.call_args.kwargs["params"].random_seed == 7
    assert first is not None and second is not None
    assert first.optimal and second.optimal
    assert len(first.assignment) == len(second.assignment)
