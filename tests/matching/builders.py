"""Small problem documents for tests, written the way the spec shows them."""

from __future__ import annotations

from typing import Any

PRIORITY = [
    "catchment",
    "first_choice",
    "months_general_practice",
    "courses_completed",
    "supervision_group_months",
    "registered_at",
    "lottery",
]


def gp(
    gid: str,
    home: str = "ahus",
    specialties: tuple[str, ...] = ("psychiatry",),
    trusts: tuple[str, ...] = (),
    months_gp: int = 40,
    courses: int = 0,
    supervision: int = 0,
    registered: str = "2026-01-01T10:00:00+01:00",
    earliest: str = "2027-01-01",
    latest: str = "2028-12-31",
    months: int = 6,
    other: bool = False,
) -> dict[str, Any]:
    return {
        "id": gid,
        "home_trust": home,
        "months_general_practice": months_gp,
        "courses_completed": courses,
        "supervision_group_months": supervision,
        "registered_at": registered,
        "availability": {
            "earliest_start": earliest,
            "latest_end": latest,
            "months": months,
            "specialties": list(specialties),
            "trusts": list(trusts),
            "accept_other_specialty": other,
        },
    }


def period(
    pid: str,
    trust: str = "ahus",
    specialty: str = "psychiatry",
    start: str = "2027-03-01",
    end: str = "2027-08-31",
    department: str | None = None,
) -> dict[str, Any]:
    return {
        "id": pid,
        "trust": trust,
        "department": department or f"{trust}-{specialty}",
        "specialty": specialty,
        "start": start,
        "end": end,
    }


def problem(
    gps: list[dict[str, Any]],
    periods: list[dict[str, Any]],
    mode: str = "strict_priority",
    priority: list[str] | None = None,
    departments: list[dict[str, Any]] | None = None,
    min_months: int = 24,
    **extra: Any,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "as_of": "2027-01-15",
        "policy": {
            "mode": mode,
            "priority": priority or PRIORITY,
            "min_months_general_practice": min_months,
            "lottery_seed": "2027-01-15/test",
        },
        "departments": departments or [],
        "periods": periods,
        "gps": gps,
    }
    doc.update(extra)
    return doc


def placements(result: Any) -> dict[str, str]:
    return {a.gp: a.period for a in result.assignments}


def reasons(result: Any) -> dict[tuple[str, str], str]:
    out = {}
    for entry in (*result.unplaced_gps, *result.placed_gp_reasons):
        for r in entry.reasons:
            out[(entry.gp, r.period)] = r.reason
    return out
