"""Norway-shaped random problems: 4 regions, ~30 trusts, ~25 specialties with skewed popularity."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any

from .dates import add_months
from .model import PRIORITY_KEYS

REGIONS: dict[str, tuple[float, tuple[str, ...]]] = {
    "helse-sor-ost": (
        0.55,
        (
            "ahus",
            "oslo-universitetssykehus",
            "vestre-viken",
            "innlandet",
            "ostfold",
            "sorlandet",
            "telemark",
            "vestfold",
            "lovisenberg",
            "diakonhjemmet",
            "sunnaas",
            "betanien",
            "martina-hansen",
            "modum-bad",
            "revmatismesykehuset",
        ),
    ),
    "helse-vest": (
        0.20,
        ("helse-bergen", "helse-stavanger", "helse-fonna", "helse-forde", "haraldsplass"),
    ),
    "helse-midt-norge": (0.13, ("st-olavs", "more-og-romsdal", "nord-trondelag")),
    "helse-nord": (
        0.12,
        (
            "unn",
            "nordlandssykehuset",
            "helgelandssykehuset",
            "finnmarkssykehuset",
            "vesteralen",
            "lofoten",
            "narvik",
        ),
    ),
}
SPECIALTIES = (
    "psychiatry",
    "internal-medicine",
    "paediatrics",
    "gynaecology",
    "emergency-medicine",
    "geriatrics",
    "orthopaedics",
    "child-psychiatry",
    "ent",
    "general-surgery",
    "neurology",
    "dermatology",
    "ophthalmology",
    "rehabilitation",
    "addiction-medicine",
    "oncology",
    "cardiology",
    "pulmonology",
    "rheumatology",
    "infectious-diseases",
    "radiology",
    "anaesthesiology",
    "urology",
    "palliative-care",
    "occupational-medicine",
)
# The default order: every key except municipality_priority (the generator states none).
PRIORITY = [k for k in PRIORITY_KEYS if k != "municipality_priority"]


def _weights(n: int, skew: float) -> list[float]:
    return [1.0 / (i + 1) ** skew for i in range(n)]


def _sample(rng: random.Random, items: tuple[str, ...], weights: list[float], k: int) -> list[str]:
    """k distinct items, drawn by weight (the first is the most likely)."""
    pool, w, out = list(items), list(weights), []
    for _ in range(min(k, len(pool))):
        i = rng.choices(range(len(pool)), weights=w)[0]
        out.append(pool.pop(i))
        w.pop(i)
    return out


def _post_twice(periods: list[dict[str, Any]], share: float, rng: random.Random) -> None:
    """Make round(share * n / 2) pairs of periods twins: the second of each pair becomes a copy
    of the first under its own id (its own department, if it had one to itself, stays listed
    and unused). A separate random stream, so the rest of the document does not change."""
    pairs = round(share * len(periods) / 2)
    chosen = rng.sample(range(len(periods)), 2 * pairs)
    for i, j in zip(chosen[::2], chosen[1::2], strict=True):
        periods[j] = {**periods[i], "id": periods[j]["id"]}


def _split_gps(gps: list[dict[str, Any]], share: float, rng: random.Random) -> None:
    """Let round(share * len(gps)) of the GPs asking 6 months or more hold two blocks."""
    asking = [g for g in gps if g["availability"]["months"] >= 6]
    for g in rng.sample(asking, min(len(asking), round(share * len(gps)))):
        g["availability"]["split_allowed"] = True


def _combine(
    periods: list[dict[str, Any]],
    depts: dict[str, dict[str, Any]],
    share: float,
    rng: random.Random,
) -> None:
    """Make round(share * len(periods)) periods of 6 months or more combined periods: from the
    first day of their middle month on, in another department of the same trust."""
    by_trust: dict[str, list[str]] = {}
    for d in sorted(depts):
        by_trust.setdefault(depts[d]["trust"], []).append(d)
    fit = [
        p
        for p in periods
        if len(by_trust[p["trust"]]) > 1
        and date.fromisoformat(p["end"])
        >= add_months(date.fromisoformat(p["start"]), 6) - timedelta(days=1)
    ]
    for p in rng.sample(fit, min(len(fit), round(share * len(periods)))):
        start, end = date.fromisoformat(p["start"]), date.fromisoformat(p["end"])
        months = 0
        while add_months(start, months + 1) <= end + timedelta(days=1):
            months += 1
        p["second_department"] = rng.choice(
            [d for d in by_trust[p["trust"]] if d != p["department"]]
        )
        p["switch"] = add_months(start, months // 2).isoformat()


def generate(
    gps: int,
    periods: int,
    seed: int,
    mode: str = "strict_priority",
    capacity: bool = True,
    horizon_months: int = 36,
    any_trust: float | None = None,
    twins: float = 0.0,
    split: float = 0.0,
    combined: float = 0.0,
) -> dict[str, Any]:
    """A problem JSON document; the same arguments always give the same document.

    `any_trust`: the share of GPs with an empty trust list (indifferent between trusts; 10 %
    when None, as before the option existed: the same draws, so the same documents).
    `twins`: the share of periods that have a twin, a second posting of the same department
    with the same dates (they come in pairs: period j is made a copy of period i). Both are
    sources of ties in GP preference (docs/matching.md); the defaults give the documents of
    earlier versions for every seed.
    `split`: the share of GPs (of all; chosen among those asking 6 months or more) whose
    window says `split_allowed` (docs/matching.md, "Split placements"); `combined`: the share
    of periods (chosen among those of 6 months or more in a trust with a second department)
    made combined periods over two departments, switching half-way. Both draw from streams of
    their own, so 0 (the default) gives the documents of earlier versions.
    """
    rng = random.Random(seed)
    as_of = date(2027, 1, 15)
    first = date(2027, 2, 1)
    trusts = [(r, t) for r, (_, ts) in REGIONS.items() for t in ts]
    trust_w = [
        REGIONS[r][0] / len(REGIONS[r][1]) * (3.0 if i == 0 else 1.0)
        for r, (_, ts) in REGIONS.items()
        for i, _t in enumerate(ts)
    ]
    spec_w = _weights(len(SPECIALTIES), 1.0)
    sites = max(1, round(periods / 1000))
    depts: dict[str, dict[str, Any]] = {}
    out_periods = []
    for i in range(periods):
        region, trust = rng.choices(trusts, weights=trust_w)[0]
        spec = rng.choices(SPECIALTIES, weights=_weights(len(SPECIALTIES), 0.6))[0]
        dept = f"{trust}/{spec}/{rng.randrange(sites)}"
        if dept not in depts:
            depts[dept] = {"id": dept, "trust": trust, "capacity": rng.choice((1, 2, 2, 3))}
        length = rng.choices((3, 6, 9, 12), weights=(1, 6, 1, 2))[0]
        start = add_months(first, rng.randrange(horizon_months - length + 1))
        end = add_months(start, length) - timedelta(days=1)
        out_periods.append(
            {
                "id": f"p{i + 1}",
                "trust": trust,
                "department": dept,
                "specialty": spec,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
        )
    if twins:
        _post_twice(out_periods, twins, random.Random(f"{seed}/twins"))
    share_any = 0.1 if any_trust is None else any_trust
    out_gps = []
    region_names = list(REGIONS)
    for i in range(gps):
        region = rng.choices(region_names, weights=[REGIONS[r][0] for r in region_names])[0]
        local = REGIONS[region][1]
        home = rng.choices(local, weights=[3.0 if j == 0 else 1.0 for j in range(len(local))])[0]
        window = rng.randint(6, 18)
        earliest = add_months(first, rng.randrange(horizon_months - window + 1))
        latest = add_months(earliest, window) - timedelta(days=1)
        months = min(window, rng.choices((3, 6, 12), weights=(2, 7, 1))[0])
        wishes = _sample(rng, SPECIALTIES, spec_w, rng.randint(1, 4))
        others = [t for t in local if t != home]
        extra = rng.sample(others, min(len(others), rng.randint(0, 2)))
        registered = datetime(2025, 1, 1, 8, tzinfo=timezone(timedelta(hours=1))) + timedelta(
            minutes=rng.randrange(2 * 365 * 24 * 60)
        )
        out_gps.append(
            {
                "id": f"g{i + 1}",
                "home_trust": home,
                "months_general_practice": rng.randint(12, 120),
                "courses_completed": rng.randint(0, 12),
                "supervision_group_months": rng.randint(0, 24),
                "registered_at": registered.isoformat(),
                "availability": {
                    "earliest_start": earliest.isoformat(),
                    "latest_end": latest.isoformat(),
                    "months": months,
                    "specialties": wishes,
                    "trusts": [] if rng.random() < share_any else [home, *extra],
                    "accept_other_specialty": rng.random() < 0.15,
                },
            }
        )
    if split:
        _split_gps(out_gps, split, random.Random(f"{seed}/split"))
    if combined:
        _combine(out_periods, depts, combined, random.Random(f"{seed}/combined"))
    return {
        "as_of": as_of.isoformat(),
        "policy": {
            "mode": mode,
            "priority": PRIORITY,
            "min_months_general_practice": 24,
            "lottery_seed": f"{as_of.isoformat()}/seed-{seed}",
        },
        "trust_policies": {"vestre-viken": {"priority": ["registered_at", "lottery"]}},
        "departments": sorted(depts.values(), key=lambda d: d["id"]) if capacity else [],
        "periods": out_periods,
        "gps": out_gps,
        "pins": [],
        "forbids": [],
        "placed": [],
    }
