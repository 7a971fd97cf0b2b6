"""The result as frozen dataclasses, and its JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, NamedTuple

# Reasons for an eligible pair that is not in the result (the spec's codes, then ours).
HIGHER_PRIORITY = "higher_priority_candidate_placed"
DEPARTMENT_FULL = "department_full"
ELSEWHERE_PREFERRED = "placed_elsewhere_preferred"
GP_PINNED = "gp_pinned"  # the GP is pinned to a period it likes less
GP_PLACED = "gp_placed"  # the GP already has an accepted placement
PERIOD_PINNED = "period_pinned"  # a pin gives the period to a GP of lower priority
PERIOD_PLACED = "period_placed"  # an accepted placement holds the period
PLACEMENTS_TRADEOFF = "placements_tradeoff"  # max_placements: giving it would place fewer GPs
UNEXPLAINED = "unexplained"  # never expected; `check` fails on it

# Causes of an exempt blocking pair (strict_priority).
CAUSE_PIN = "pin"
CAUSE_PLACED = "placed"
CAUSE_CAPACITY = "department_capacity"


def natural_key(text: str) -> tuple[int, int, str]:
    """Sort "2" before "17" when ids are numbers, and plain text after them."""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


@dataclass(frozen=True)
class Assignment:
    gp: str
    period: str
    gp_rank: int | None  # None: a pin outside the GP's wishes
    priority_position: int
    source: str  # "match", "pin" or "placed"


class Reason(NamedTuple):
    """Immutable like the dataclasses here; a named tuple because a 20k x 8k result has about
    a million of them (a frozen dataclass takes three times as long to create)."""

    period: str
    reason: str


@dataclass(frozen=True)
class GPReasons:
    gp: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class BlockingPair:
    gp: str
    period: str
    cause: str
    holder: str | None = None  # the GP holding the period, if any
    department: str | None = None
    full_from: str | None = None  # first day the department is full, for department_capacity


@dataclass(frozen=True)
class PassedOver:
    """max_placements: a GP passed over for a period so that more GPs could be placed (the
    pair's reason is `placements_tradeoff`): the GP prefers the period to what it has and
    has higher priority there than `holder`, the candidate placed instead (None: the period
    stays empty, with room)."""

    gp: str
    period: str
    holder: str | None = None


@dataclass(frozen=True)
class Metrics:
    placed: int
    wall_time_s: float
    objective: int  # placements (the primary objective)
    bound: int  # proven upper bound on placements
    eligible_pairs: int = 0
    capacity_parts: int = 0  # parts solved with CP-SAT or HiGHS
    capacity_refusals: int = 0


@dataclass(frozen=True)
class Result:
    status: str
    mode: str
    assignments: tuple[Assignment, ...]
    unplaced_gps: tuple[GPReasons, ...]
    unfilled_periods: tuple[str, ...]
    metrics: Metrics
    lottery: tuple[tuple[str, float], ...]
    placed_gp_reasons: tuple[GPReasons, ...] = ()
    blocking_pairs: tuple[BlockingPair, ...] = ()
    infeasible_reasons: tuple[str, ...] = ()
    passed_over: tuple[PassedOver, ...] = ()


def _reasons_json(items: tuple[GPReasons, ...]) -> list[dict[str, Any]]:
    return [
        {"gp": r.gp, "reasons": [{"period": x.period, "reason": x.reason} for x in r.reasons]}
        for r in items
    ]


def _blocking_json(b: BlockingPair) -> dict[str, Any]:
    out: dict[str, Any] = {"gp": b.gp, "period": b.period, "cause": b.cause}
    for key in ("holder", "department", "full_from"):
        if getattr(b, key) is not None:
            out[key] = getattr(b, key)
    return out


def result_to_json(result: Result) -> dict[str, Any]:
    """The JSON document of a result (key order and list order are part of determinism)."""
    m = result.metrics
    return {
        "status": result.status,
        "mode": result.mode,
        "assignments": [
            {
                "gp": a.gp,
                "period": a.period,
                "gp_rank": a.gp_rank,
                "priority_position": a.priority_position,
                "source": a.source,
            }
            for a in result.assignments
        ],
        "unplaced_gps": _reasons_json(result.unplaced_gps),
        "unfilled_periods": list(result.unfilled_periods),
        "metrics": {
            "placed": m.placed,
            "wall_time_s": m.wall_time_s,
            "objective": m.objective,
            "bound": m.bound,
            "eligible_pairs": m.eligible_pairs,
            "capacity_parts": m.capacity_parts,
            "capacity_refusals": m.capacity_refusals,
        },
        "lottery": dict(result.lottery),
        "placed_gp_reasons": _reasons_json(result.placed_gp_reasons),
        "blocking_pairs": [_blocking_json(b) for b in result.blocking_pairs],
        "infeasible_reasons": list(result.infeasible_reasons),
        "passed_over": [_passed_json(x) for x in result.passed_over],
    }


def _passed_json(x: PassedOver) -> dict[str, Any]:
    out = {"gp": x.gp, "period": x.period}
    if x.holder is not None:
        out["holder"] = x.holder
    return out


def _reasons(items: list[dict[str, Any]]) -> tuple[GPReasons, ...]:
    return tuple(
        GPReasons(r["gp"], tuple(Reason(x["period"], x["reason"]) for x in r["reasons"]))
        for r in items
    )


def result_from_json(data: dict[str, Any]) -> Result:
    """Inverse of result_to_json."""
    m = data["metrics"]
    return Result(
        status=data["status"],
        mode=data.get("mode", ""),
        assignments=tuple(
            Assignment(a["gp"], a["period"], a.get("gp_rank"), a["priority_position"], a["source"])
            for a in data["assignments"]
        ),
        unplaced_gps=_reasons(data.get("unplaced_gps", [])),
        unfilled_periods=tuple(data.get("unfilled_periods", [])),
        metrics=Metrics(
            placed=m["placed"],
            wall_time_s=m["wall_time_s"],
            objective=m["objective"],
            bound=m["bound"],
            eligible_pairs=m.get("eligible_pairs", 0),
            capacity_parts=m.get("capacity_parts", 0),
            capacity_refusals=m.get("capacity_refusals", 0),
        ),
        lottery=tuple((k, float(v)) for k, v in data.get("lottery", {}).items()),
        placed_gp_reasons=_reasons(data.get("placed_gp_reasons", [])),
        blocking_pairs=tuple(
            BlockingPair(
                b["gp"],
                b["period"],
                b["cause"],
                b.get("holder"),
                b.get("department"),
                b.get("full_from"),
            )
            for b in data.get("blocking_pairs", [])
        ),
        infeasible_reasons=tuple(data.get("infeasible_reasons", [])),
        passed_over=tuple(
            PassedOver(x["gp"], x["period"], x.get("holder")) for x in data.get("passed_over", [])
        ),
    )


def dumps(result: Result) -> str:
    """Serialise a result as the CLI prints it."""
    return json.dumps(result_to_json(result), separators=(",", ":"), ensure_ascii=False) + "\n"
