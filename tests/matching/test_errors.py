"""Bad problem files get a clear error naming the field, never a traceback."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matching import ProblemError, problem_from_json
from tests.matching.builders import gp, period, problem

ROOT = Path(__file__).resolve().parents[2]
GOOD = problem([gp("g1"), gp("g2")], [period("p1"), period("p2")])


def broken(change: str) -> dict:
    doc = copy.deepcopy(GOOD)
    if change == "pin_unknown_period":
        doc["pins"] = [{"gp": "g1", "period": "p9"}]
    elif change == "end_before_start":
        doc["periods"][1]["end"] = "2027-01-31"
    elif change == "duplicate_gp":
        doc["gps"][1]["id"] = "g1"
    elif change == "duplicate_period":
        doc["periods"][1]["id"] = "p1"
    elif change == "bad_mode":
        doc["policy"]["mode"] = "fastest"
    elif change == "bad_priority_key":
        doc["policy"]["priority"] = ["catchment", "height"]
    elif change == "bad_date":
        doc["gps"][0]["availability"]["earliest_start"] = "2027-13-01"
    elif change == "missing_field":
        del doc["gps"][1]["home_trust"]
    elif change == "window_reversed":
        doc["gps"][0]["availability"]["latest_end"] = "2026-01-01"
    elif change == "forbid_unknown_gp":
        doc["forbids"] = [{"gp": "nobody", "period": "p1"}]
    elif change == "negative_months":
        doc["gps"][0]["months_general_practice"] = -1
    elif change == "trust_policy_key":
        doc["trust_policies"] = {"ahus": {"priority": ["lottery"], "speed": 1}}
    return doc


CASES = {
    "pin_unknown_period": "pins[0].period",
    "end_before_start": "periods[1].end",
    "duplicate_gp": "gps[1].id",
    "duplicate_period": "periods[1].id",
    "bad_mode": "policy.mode",
    "bad_priority_key": "policy.priority[1]",
    "bad_date": "gps[0].availability.earliest_start",
    "missing_field": "gps[1].home_trust",
    "window_reversed": "gps[0].availability.latest_end",
    "forbid_unknown_gp": "forbids[0].gp",
    "negative_months": "gps[0].months_general_practice",
    "trust_policy_key": "trust_policies.ahus.speed",
}


@pytest.mark.parametrize(("change", "field"), sorted(CASES.items()))
def test_error_names_the_field(change: str, field: str) -> None:
    with pytest.raises(ProblemError) as info:
        problem_from_json(broken(change))
    assert info.value.field == field


@pytest.mark.parametrize("change", ["pin_unknown_period", "end_before_start", "duplicate_gp"])
def test_cli_reports_without_traceback(tmp_path: Path, change: str) -> None:
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(broken(change)))
    out = subprocess.run(
        [sys.executable, "-m", "matching", "solve", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: {CASES[change]}:")
    assert "Traceback" not in out.stderr and out.stdout == ""


def test_cli_reports_invalid_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "problem.json"
    path.write_text("{not json")
    for target in (path, tmp_path / "missing.json"):
        out = subprocess.run(
            [sys.executable, "-m", "matching", "solve", str(target)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert out.returncode == 2 and "Traceback" not in out.stderr
        assert str(target) in out.stderr
