"""Problem JSON -> frozen dataclasses, with validation that names the offending field."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from .dates import parse_date, parse_datetime
from .errors import ProblemError
from .model import (
    GP,
    MODES,
    PRIORITY_KEYS,
    Availability,
    Department,
    PairRef,
    Period,
    Policy,
    Problem,
    TrustPolicy,
)

T = TypeVar("T")


def _obj(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProblemError(where, "expected an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ProblemError(where, "expected a list")
    return value


def _get(obj: Mapping[str, Any], key: str, where: str, default: Any = ...) -> Any:
    if key in obj and obj[key] is not None:
        return obj[key]
    if default is ...:
        raise ProblemError(f"{where}.{key}" if where else key, "is required")
    return default


def _str(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise ProblemError(where, f"expected a non-empty string, got {value!r}")
    return value


def _int(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(where, f"expected an integer, got {value!r}")
    if value < minimum:
        raise ProblemError(where, f"must be at least {minimum}, got {value}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(where, f"expected true or false, got {value!r}")
    return value


def _conv(fn: Callable[[str], T], value: Any, where: str) -> T:
    try:
        return fn(value)
    except (TypeError, ValueError) as exc:
        raise ProblemError(where, str(exc)) from None


def _strs(value: Any, where: str) -> tuple[str, ...]:
    items = tuple(_str(v, f"{where}[{i}]") for i, v in enumerate(_list(value, where)))
    if len(set(items)) != len(items):
        raise ProblemError(where, "lists the same value twice")
    return items


def _priority(value: Any, where: str) -> tuple[str, ...]:
    keys = _strs(value, where)
    for i, key in enumerate(keys):
        if key not in PRIORITY_KEYS:
            raise ProblemError(f"{where}[{i}]", f"unknown priority key {key!r}")
    return keys


def _policy(raw: Any) -> Policy:
    obj = _obj(raw, "policy")
    mode = _str(_get(obj, "mode", "policy"), "policy.mode")
    if mode not in MODES:
        raise ProblemError("policy.mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    shortlist = obj.get("shortlist_size")
    return Policy(
        mode=mode,
        priority=_priority(_get(obj, "priority", "policy"), "policy.priority"),
        min_months_general_practice=_int(
            _get(obj, "min_months_general_practice", "policy", 0),
            "policy.min_months_general_practice",
        ),
        lottery_seed=_str(_get(obj, "lottery_seed", "policy"), "policy.lottery_seed"),
        shortlist_size=None if shortlist is None else _int(shortlist, "policy.shortlist_size", 1),
    )


def _trust_policies(raw: Any) -> tuple[TrustPolicy, ...]:
    out = []
    for trust, value in sorted(_obj(raw, "trust_policies").items()):
        where = f"trust_policies.{trust}"
        obj = _obj(value, where)
        unknown = set(obj) - {"priority", "min_months_general_practice"}
        if unknown:
            raise ProblemError(f"{where}.{sorted(unknown)[0]}", "unknown setting")
        prio = obj.get("priority")
        mins = obj.get("min_months_general_practice")
        out.append(
            TrustPolicy(
                trust=trust,
                priority=None if prio is None else _priority(prio, f"{where}.priority"),
                min_months_general_practice=None
                if mins is None
                else _int(mins, f"{where}.min_months_general_practice"),
            )
        )
    return tuple(out)


def _department(raw: Any, where: str) -> Department:
    obj = _obj(raw, where)
    return Department(
        id=_str(_get(obj, "id", where), f"{where}.id"),
        trust=_str(_get(obj, "trust", where), f"{where}.trust"),
        capacity=_int(_get(obj, "capacity", where), f"{where}.capacity", 1),
    )


def _period(raw: Any, where: str) -> Period:
    obj = _obj(raw, where)
    start: date = _conv(parse_date, _get(obj, "start", where), f"{where}.start")
    end: date = _conv(parse_date, _get(obj, "end", where), f"{where}.end")
    if end < start:
        raise ProblemError(f"{where}.end", f"ends ({end}) before it starts ({start})")
    second, switch = None, None
    if obj.get("second_department") is not None:
        second = _str(obj["second_department"], f"{where}.second_department")
        switch = _conv(parse_date, _get(obj, "switch", where), f"{where}.switch")
        if not start < switch <= end:
            raise ProblemError(f"{where}.switch", f"{switch} is not after the start, by the end")
    return Period(
        id=_str(_get(obj, "id", where), f"{where}.id"),
        trust=_str(_get(obj, "trust", where), f"{where}.trust"),
        department=_str(_get(obj, "department", where), f"{where}.department"),
        specialty=_str(_get(obj, "specialty", where), f"{where}.specialty"),
        start=start,
        end=end,
        second_department=second,
        switch=switch,
    )


def _optional_rank(obj: Mapping[str, Any], where: str) -> int | None:
    """``municipality_priority``: absent or null (not stated), else a rank of at least 1."""
    value = obj.get("municipality_priority")
    if value is None:
        return None
    return _int(value, f"{where}.municipality_priority", 1)


def _gp(raw: Any, where: str) -> GP:
    obj = _obj(raw, where)
    aw = f"{where}.availability"
    av = _obj(_get(obj, "availability", where), aw)
    earliest: date = _conv(parse_date, _get(av, "earliest_start", aw), f"{aw}.earliest_start")
    latest: date = _conv(parse_date, _get(av, "latest_end", aw), f"{aw}.latest_end")
    if latest < earliest:
        raise ProblemError(f"{aw}.latest_end", f"ends ({latest}) before it starts ({earliest})")
    registered: datetime = _conv(
        parse_datetime, _get(obj, "registered_at", where), f"{where}.registered_at"
    )
    return GP(
        id=_str(_get(obj, "id", where), f"{where}.id"),
        home_trust=_str(_get(obj, "home_trust", where), f"{where}.home_trust"),
        months_general_practice=_int(
            _get(obj, "months_general_practice", where), f"{where}.months_general_practice"
        ),
        courses_completed=_int(_get(obj, "courses_completed", where), f"{where}.courses_completed"),
        supervision_group_months=_int(
            _get(obj, "supervision_group_months", where), f"{where}.supervision_group_months"
        ),
        registered_at=registered,
        municipality_priority=_optional_rank(obj, where),
        availability=Availability(
            earliest_start=earliest,
            latest_end=latest,
            months=_int(_get(av, "months", aw), f"{aw}.months", 1),
            specialties=_strs(_get(av, "specialties", aw), f"{aw}.specialties"),
            trusts=_strs(_get(av, "trusts", aw, []), f"{aw}.trusts"),
            accept_other_specialty=_bool(
                _get(av, "accept_other_specialty", aw, False), f"{aw}.accept_other_specialty"
            ),
            split_allowed=_bool(_get(av, "split_allowed", aw, False), f"{aw}.split_allowed"),
        ),
    )


def _unique(items: tuple[Any, ...], name: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.id in seen:
            raise ProblemError(f"{name}[{i}].id", f"duplicate id {item.id!r}")
        seen.add(item.id)


def _pairs(
    obj: Mapping[str, Any], name: str, gps: set[str], periods: set[str]
) -> tuple[PairRef, ...]:
    out = []
    seen: set[tuple[str, str]] = set()
    for i, raw in enumerate(_list(obj.get(name) or [], name)):
        where = f"{name}[{i}]"
        pair = _obj(raw, where)
        gp = _str(_get(pair, "gp", where), f"{where}.gp")
        period = _str(_get(pair, "period", where), f"{where}.period")
        if gp not in gps:
            raise ProblemError(f"{where}.gp", f"unknown GP {gp!r}")
        if period not in periods:
            raise ProblemError(f"{where}.period", f"unknown period {period!r}")
        if (gp, period) in seen:
            raise ProblemError(where, f"lists ({gp}, {period}) twice")
        seen.add((gp, period))
        out.append(PairRef(gp, period))
    return tuple(out)


def problem_from_json(data: Any) -> Problem:
    """Validate a decoded problem JSON document; raises ProblemError naming the field."""
    root = _obj(data, "problem")
    as_of_raw = root.get("as_of")
    as_of = None if as_of_raw is None else _conv(parse_date, as_of_raw, "as_of")
    departments = tuple(
        _department(d, f"departments[{i}]")
        for i, d in enumerate(_list(root.get("departments") or [], "departments"))
    )
    periods = tuple(
        _period(p, f"periods[{i}]")
        for i, p in enumerate(_list(_get(root, "periods", ""), "periods"))
    )
    gps = tuple(_gp(g, f"gps[{i}]") for i, g in enumerate(_list(_get(root, "gps", ""), "gps")))
    _unique(departments, "departments")
    _unique(periods, "periods")
    _unique(gps, "gps")
    dept_trust = {d.id: d.trust for d in departments}
    for i, p in enumerate(periods):
        if p.department in dept_trust and dept_trust[p.department] != p.trust:
            raise ProblemError(
                f"periods[{i}].trust",
                f"{p.trust!r} differs from the trust of department {p.department!r}, "
                f"{dept_trust[p.department]!r}",
            )
    gp_ids = {g.id for g in gps}
    period_ids = {p.id for p in periods}
    return Problem(
        as_of=as_of,
        policy=_policy(_get(root, "policy", "")),
        departments=departments,
        periods=periods,
        gps=gps,
        pins=_pairs(root, "pins", gp_ids, period_ids),
        forbids=_pairs(root, "forbids", gp_ids, period_ids),
        placed=_pairs(root, "placed", gp_ids, period_ids),
        trust_policies=_trust_policies(root.get("trust_policies") or {}),
    )


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ProblemError(str(path), f"cannot read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProblemError(str(path), f"not valid JSON: {exc}") from None
    return problem_from_json(data)


def _pair_json(pairs: tuple[PairRef, ...]) -> list[dict[str, str]]:
    return [{"gp": p.gp, "period": p.period} for p in pairs]


def problem_to_json(problem: Problem) -> dict[str, Any]:
    """The JSON document of `problem` (problem_from_json(problem_to_json(p)) == p)."""
    pol = problem.policy
    policy: dict[str, Any] = {
        "mode": pol.mode,
        "priority": list(pol.priority),
        "min_months_general_practice": pol.min_months_general_practice,
        "lottery_seed": pol.lottery_seed,
    }
    if pol.shortlist_size is not None:
        policy["shortlist_size"] = pol.shortlist_size
    out: dict[str, Any] = {}
    if problem.as_of is not None:
        out["as_of"] = problem.as_of.isoformat()
    out["policy"] = policy
    if problem.trust_policies:
        out["trust_policies"] = {
            t.trust: {
                k: v
                for k, v in (
                    ("priority", None if t.priority is None else list(t.priority)),
                    ("min_months_general_practice", t.min_months_general_practice),
                )
                if v is not None
            }
            for t in problem.trust_policies
        }
    out["departments"] = [
        {"id": d.id, "trust": d.trust, "capacity": d.capacity} for d in problem.departments
    ]
    out["periods"] = [
        {
            "id": p.id,
            "trust": p.trust,
            "department": p.department,
            "specialty": p.specialty,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            # written only for a combined period: other problems round-trip byte for byte
            **(
                {"second_department": p.second_department, "switch": p.switch.isoformat()}
                if p.second_department is not None and p.switch is not None
                else {}
            ),
        }
        for p in problem.periods
    ]
    out["gps"] = [
        {
            "id": g.id,
            "home_trust": g.home_trust,
            "months_general_practice": g.months_general_practice,
            "courses_completed": g.courses_completed,
            "supervision_group_months": g.supervision_group_months,
            "registered_at": g.registered_at.isoformat(),
            **(
                {"municipality_priority": g.municipality_priority}
                if g.municipality_priority is not None
                else {}
            ),
            "availability": {
                "earliest_start": g.availability.earliest_start.isoformat(),
                "latest_end": g.availability.latest_end.isoformat(),
                "months": g.availability.months,
                "specialties": list(g.availability.specialties),
                "trusts": list(g.availability.trusts),
                "accept_other_specialty": g.availability.accept_other_specialty,
                # written only when set: a problem without it round-trips byte for byte
                **({"split_allowed": True} if g.availability.split_allowed else {}),
            },
        }
        for g in problem.gps
    ]
    out["pins"] = _pair_json(problem.pins)
    out["forbids"] = _pair_json(problem.forbids)
    out["placed"] = _pair_json(problem.placed)
    return out
