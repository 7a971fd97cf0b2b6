"""The same problem gives the same bytes, apart from the timing in metrics."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching import dumps, problem_from_json, solve
from matching.generator import generate

ROOT = Path(__file__).resolve().parents[2]


def without_time(text: str) -> str:
    doc = json.loads(text)
    doc["metrics"].pop("wall_time_s")
    return json.dumps(doc)


@pytest.mark.parametrize("mode", ["strict_priority", "max_placements"])
def test_same_bytes_in_process(mode: str) -> None:
    doc = generate(300, 120, seed=7, mode=mode)
    texts = {without_time(dumps(solve(problem_from_json(doc), time_limit_s=20))) for _ in range(3)}
    assert len(texts) == 1


def test_same_bytes_across_processes_and_input_order(tmp_path: Path) -> None:
    doc = generate(300, 120, seed=11)
    shuffled = dict(
        doc,
        gps=doc["gps"][::-1],
        periods=doc["periods"][::-1],
        departments=doc["departments"][::-1],
    )
    outputs = []
    for i, variant in enumerate((doc, doc, shuffled)):
        path = tmp_path / f"p{i}.json"
        path.write_text(json.dumps(variant))
        run = subprocess.run(
            [sys.executable, "-m", "matching", "solve", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(without_time(run.stdout))
    assert outputs[0] == outputs[1] == outputs[2]


MIP_SOLVE = """
import sys
from unittest import mock
import matching.solver
from matching import dumps, load_problem, solve
with mock.patch.object(matching.solver, "CPSAT_PAIRS", -1), mock.patch.object(
    matching.solver, "_strict_bound", lambda *a: 10**9
):
    print(dumps(solve(load_problem(sys.argv[1]), time_limit_s=30)))
"""


def test_mip_path_same_bytes_across_processes_and_input_order(tmp_path: Path) -> None:
    """Large strict parts go to HiGHS: deterministic too (forced here on a small instance)."""
    doc = generate(600, 240, seed=2)
    shuffled = dict(doc, gps=doc["gps"][::-1], periods=doc["periods"][::-1])
    outputs = []
    for i, variant in enumerate((doc, doc, shuffled)):
        path = tmp_path / f"p{i}.json"
        path.write_text(json.dumps(variant))
        run = subprocess.run(
            [sys.executable, "-c", MIP_SOLVE, str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(without_time(run.stdout))
    assert json.loads(outputs[0])["metrics"]["capacity_parts"] > 0
    assert outputs[0] == outputs[1] == outputs[2]
