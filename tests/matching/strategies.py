"""Hypothesis strategies: tiny, dense problems where capacity, pins and ties all matter (GPs
with an empty trust list are indifferent between trusts; twin periods share department and
dates)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from tests.matching.builders import PRIORITY

TRUSTS = ("ahus", "vestre-viken")
SPECS = ("psychiatry", "paediatrics")
MONTHS = (
    "2027-01-01",
    "2027-02-01",
    "2027-03-01",
    "2027-04-01",
    "2027-05-01",
    "2027-06-01",
    "2027-07-01",
)
ENDS = {
    3: (
        "2027-03-31",
        "2027-04-30",
        "2027-05-31",
        "2027-06-30",
        "2027-07-31",
        "2027-08-31",
        "2027-09-30",
    ),
    6: (
        "2027-06-30",
        "2027-07-31",
        "2027-08-31",
        "2027-09-30",
        "2027-10-31",
        "2027-11-30",
        "2027-12-31",
    ),
}


@st.composite
def problems(
    draw: st.DrawFn,
    max_gps: int = 6,
    max_periods: int = 6,
    fixed: bool = True,
    crowded: bool = False,
) -> dict[str, Any]:
    """Random tiny problems. `crowded`: one department per trust and specialty, as in the
    app, each listed with room for one or two, so that GPs often hold one period of a
    department and want another (docs/matching.md, the capacity exemption)."""
    n_p = draw(st.integers(1, max_periods))
    n_g = draw(st.integers(1, max_gps))
    twins = draw(st.integers(0, min(2, n_p - 1)))
    periods = []
    for i in range(n_p - twins):
        trust = draw(st.sampled_from(TRUSTS))
        start = draw(st.integers(0, 6))
        length = draw(st.sampled_from((3, 6)))
        periods.append(
            {
                "id": f"p{i}",
                "trust": trust,
                "department": f"{trust}-{draw(st.integers(0, 1))}",
                "specialty": draw(st.sampled_from(SPECS)),
                "start": MONTHS[start],
                "end": ENDS[length][start],
            }
        )
    # A period posted twice: the same department and dates under another id (a tie for every
    # GP; docs/matching.md, "Ties").
    for _ in range(twins):
        i = draw(st.integers(0, n_p - twins - 1))
        periods.append({**periods[i], "id": f"p{len(periods)}"})
    gps = []
    for i in range(n_g):
        specs = draw(st.permutations(SPECS))[: draw(st.integers(1, 2))]
        trusts = draw(st.sampled_from(((), ("ahus",), ("vestre-viken",), TRUSTS, TRUSTS[::-1])))
        gps.append(
            {
                "id": f"g{i}",
                "home_trust": draw(st.sampled_from(TRUSTS)),
                "months_general_practice": draw(st.sampled_from((20, 30, 40))),
                "courses_completed": draw(st.integers(0, 1)),
                "supervision_group_months": 0,
                "registered_at": f"2026-0{draw(st.integers(1, 3))}-01T10:00:00+01:00",
                "availability": {
                    "earliest_start": MONTHS[draw(st.integers(0, 3))],
                    "latest_end": draw(st.sampled_from(("2027-09-30", "2027-12-31"))),
                    "months": draw(st.sampled_from((3, 6))),
                    "specialties": list(specs),
                    "trusts": list(trusts),
                    "accept_other_specialty": draw(st.booleans()),
                },
            }
        )
    departments = [
        {"id": f"{t}-{k}", "trust": t, "capacity": draw(st.integers(1, 2))}
        for t in TRUSTS
        for k in (0, 1)
        if crowded or draw(st.booleans())
    ]
    if crowded:
        for p in periods:
            p["department"] = f"{p['trust']}-{SPECS.index(p['specialty'])}"
    pairs = st.tuples(
        st.sampled_from([g["id"] for g in gps]), st.sampled_from([p["id"] for p in periods])
    )
    extra: dict[str, Any] = {}
    if fixed:
        for name in ("pins", "forbids", "placed"):
            chosen = draw(st.lists(pairs, max_size=1 if name != "forbids" else 2, unique=True))
            if name != "forbids" and draw(st.integers(0, 2)):
                chosen = []  # keep most problems feasible
            extra[name] = [{"gp": g, "period": p} for g, p in chosen]
    priority = draw(
        st.sampled_from(
            (PRIORITY, ["registered_at", "lottery"], ["months_general_practice", "catchment"])
        )
    )
    policy = {
        "mode": draw(st.sampled_from(("strict_priority", "max_placements"))),
        "priority": priority,
        "min_months_general_practice": 24,
        "lottery_seed": f"seed-{draw(st.integers(0, 9))}",
    }
    doc = {
        "as_of": "2027-01-01",
        "policy": policy,
        "departments": departments,
        "periods": periods,
        "gps": gps,
        **extra,
    }
    if draw(st.booleans()):
        doc["trust_policies"] = {
            "vestre-viken": {
                "priority": ["registered_at", "lottery"],
                "min_months_general_practice": 36,
            }
        }
    return doc
