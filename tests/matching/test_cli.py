"""python -m matching generate | solve | check, end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest

from matching import cli
from matching.generator import REGIONS, SPECIALTIES, generate

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "matching", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("mode", ["strict_priority", "max_placements"])
def test_generate_solve_check(tmp_path: Path, mode: str) -> None:
    problem, result = tmp_path / "problem.json", tmp_path / "result.json"
    gen = run("generate", "--gps", "120", "--periods", "50", "--seed", "3", "--mode", mode)
    assert gen.returncode == 0
    problem.write_text(gen.stdout)
    doc = json.loads(gen.stdout)
    assert len(doc["gps"]) == 120 and len(doc["periods"]) == 50
    solved = run("solve", str(problem), "--time-limit", "10", "-o", str(result))
    assert solved.returncode == 0, solved.stderr
    assert json.loads(result.read_text())["status"] == "optimal"
    checked = run("check", str(problem), str(result))
    assert checked.returncode == 0, checked.stdout
    assert "OK" in checked.stdout


def test_check_fails_on_a_tampered_result(tmp_path: Path) -> None:
    problem, result = tmp_path / "problem.json", tmp_path / "result.json"
    problem.write_text(run("generate", "--gps", "60", "--periods", "30", "--seed", "5").stdout)
    doc = json.loads(run("solve", str(problem)).stdout)
    doc["assignments"] = doc["assignments"][1:]  # drop a placement: blocking pair, no reason
    result.write_text(json.dumps(doc))
    checked = run("check", str(problem), str(result))
    assert checked.returncode == 1
    assert "FAIL" in checked.stdout


def test_generator_is_norway_shaped_and_reproducible() -> None:
    doc = generate(500, 200, seed=9)
    assert doc == generate(500, 200, seed=9)
    trusts = {t for _, ts in REGIONS.values() for t in ts}
    assert len(REGIONS) == 4 and 25 <= len(trusts) <= 35 and len(SPECIALTIES) == 25
    for g in doc["gps"]:
        av = g["availability"]
        assert 1 <= len(av["specialties"]) <= 4
        assert not av["trusts"] or av["trusts"][0] == g["home_trust"]
    assert {d["capacity"] for d in doc["departments"]} <= {1, 2, 3}
    counts: dict[str, int] = {}
    for p in doc["periods"]:
        counts[p["specialty"]] = counts.get(p["specialty"], 0) + 1
    assert counts.get("psychiatry", 0) > counts.get("occupational-medicine", 0)


def test_solve_keeps_c_level_output_off_the_result(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # HiGHS writes some diagnostics straight to file descriptor 1; the result JSON on
    # standard output must stay alone there.
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(generate(60, 30, seed=2)))
    real = cli.solve

    def noisy(*args: object, **kwargs: object) -> object:
        os.write(1, b"HighsMipSolverData::something tmpSolver.run();\n")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(cli, "solve", noisy):
        assert cli.main(["solve", str(problem), "--time-limit", "5"]) == 0
    out, err = capfd.readouterr()
    assert json.loads(out)["status"] == "optimal"
    assert "tmpSolver" in err


def test_the_command_line_pauses_the_collector_while_it_solves(tmp_path: Path) -> None:
    """The pause that the library no longer makes (issue 16, section 5) is the CLI's, and
    it gives the collector back as it found it."""
    import gc

    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(generate(60, 30, seed=2)))
    real = cli.solve
    during: list[bool] = []

    def watched(*args: object, **kwargs: object) -> object:
        during.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    with mock.patch.object(cli, "solve", watched):
        assert cli.main(["solve", str(problem), "-o", str(tmp_path / "r.json")]) == 0
    assert during == [False] and gc.isenabled()
