"""Self-check of the reference data files (stdlib only).

Run: python3 app/data/reference/check.py
Exits non-zero with a list of problems if any check fails.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = ("regions", "trusts", "specialties", "departments", "municipalities")

PRIORITY_KEYS = {
    "catchment",
    "first_choice",
    "months_general_practice",
    "courses_completed",
    "supervision_group_months",
    "registered_at",
    "municipality_priority",
    "lottery",
}
MODES = {"strict_priority", "max_placements"}
SELECTIONS = {"solver", "shortlist"}
TRUST_KINDS = {"health_trust", "private_nonprofit"}
MUNICIPALITY_KINDS = {"municipality", "district"}
# The counties from 1 January 2024, by the first two digits of their municipalities' numbers.
COUNTIES = {
    "03": "Oslo",
    "11": "Rogaland",
    "15": "Møre og Romsdal",
    "18": "Nordland",
    "31": "Østfold",
    "32": "Akershus",
    "33": "Buskerud",
    "34": "Innlandet",
    "39": "Vestfold",
    "40": "Telemark",
    "42": "Agder",
    "46": "Vestland",
    "50": "Trøndelag",
    "55": "Troms",
    "56": "Finnmark",
}
MUNICIPALITIES_2024 = 357

REQUIRED_REGIONS = {"helse-vest", "helse-sor-ost", "helse-midt", "helse-nord"}
REQUIRED_TRUSTS = {
    "helse-bergen",
    "helse-stavanger",
    "helse-fonna",
    "helse-forde",
    "ahus",
    "vestre-viken",
    "unn",
}
REQUIRED_SPECIALTIES = {
    "psychiatry",
    "internal-medicine",
    "paediatrics",
    "orthopaedics",
    "ent",
    "gynaecology",
    "child-adolescent-psychiatry",
    "addiction-medicine",
    "geriatrics",
    "neurology",
    "emergency-medicine",
}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")

problems: list[str] = []


def fail(msg: str) -> None:
    problems.append(msg)


def load() -> dict:
    data = {}
    for name in FILES:
        path = HERE / f"{name}.json"
        text = path.read_text(encoding="utf-8")
        data[name] = json.loads(text)
        if text != json.dumps(data[name], ensure_ascii=False, indent=2) + "\n":
            fail(
                f"{name}.json: not in canonical form (UTF-8, 2-space indent, æøå unescaped, final newline)"
            )
    return data


def unique(values, what: str) -> None:
    for value, n in Counter(values).items():
        if n > 1:
            fail(f"duplicate {what}: {value!r} ({n}x)")


def check_sources(name: str, obj: dict, list_key: str) -> None:
    sources = obj.get("sources")
    if not isinstance(sources, dict) or not sources:
        fail(f"{name}: missing top-level sources object")
        return
    for key, desc in sources.items():
        if not isinstance(desc, str) or not desc.strip():
            fail(f"{name}: source {key} has no description")
        if key.startswith("UNV-") and not desc.startswith("unverified:"):
            fail(f"{name}: source {key} must start with 'unverified:'")
    for entry in obj.get(list_key, []):
        label = (
            entry.get("code") or entry.get("number") or f"{entry.get('trust')}/{entry.get('name')}"
        )
        refs = entry.get("sources")
        if not isinstance(refs, list) or not refs:
            fail(f"{name}: {label} has no sources")
            continue
        for ref in refs:
            if ref not in sources:
                fail(f"{name}: {label} cites unknown source {ref}")
        # a source key named in a note must be cited by the entry and exist
        texts = [entry.get("note") or ""]
        if isinstance(entry.get("policy"), dict):
            texts.append(entry["policy"].get("note") or "")
        for text in texts:
            for token in re.findall(
                r"(?<![\w-])((?:S|SEED|UNV)-[A-Za-z0-9-]+|PRODUCT|DOMAIN)(?![\w-])", text
            ):
                if token not in sources:
                    fail(f"{name}: {label} note mentions unknown source {token}")
                elif token not in refs:
                    fail(f"{name}: {label} note mentions {token} but does not cite it")


def check_policy(policy, where: str) -> None:
    if not isinstance(policy, dict):
        fail(f"{where}: policy must be an object")
        return
    prio = policy.get("priority")
    if not isinstance(prio, list) or not prio:
        fail(f"{where}: empty priority")
    else:
        if set(prio) - PRIORITY_KEYS:
            fail(f"{where}: unknown priority keys {sorted(set(prio) - PRIORITY_KEYS)}")
        if len(set(prio)) != len(prio):
            fail(f"{where}: repeated priority keys")
        if prio[-1] != "lottery":
            fail(f"{where}: priority must end with lottery")
    for field, lo, hi in (
        ("min_months_general_practice", 0, 600),
        ("fallback_months", 0, 24),
        ("shortlist_size", 1, 50),
    ):
        value = policy.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
            fail(f"{where}: {field}={value!r} not an int in [{lo}, {hi}]")
    if policy.get("mode") not in MODES:
        fail(f"{where}: bad mode {policy.get('mode')!r}")
    if policy.get("selection") not in SELECTIONS:
        fail(f"{where}: bad selection {policy.get('selection')!r}")
    if not (policy.get("note") or "").strip():
        fail(f"{where}: policy note missing")


def main() -> int:
    data = load()
    regions = data["regions"]["regions"]
    trusts = data["trusts"]["trusts"]
    specialties = data["specialties"]["specialties"]
    departments = data["departments"]["departments"]
    municipalities = data["municipalities"]["municipalities"]

    for name, key in (
        ("regions", "regions"),
        ("trusts", "trusts"),
        ("specialties", "specialties"),
        ("departments", "departments"),
        ("municipalities", "municipalities"),
    ):
        check_sources(name, data[name], key)

    # regions
    region_codes = [r["code"] for r in regions]
    unique(region_codes, "region code")
    if set(region_codes) != REQUIRED_REGIONS:
        fail(f"regions must be exactly {sorted(REQUIRED_REGIONS)}, got {sorted(region_codes)}")
    for r in regions:
        if not r.get("name") or not r.get("short_name"):
            fail(f"region {r['code']}: name/short_name missing")
        check_policy(r.get("policy"), f"region {r['code']}")
    hv = next((r for r in regions if r["code"] == "helse-vest"), None)
    if hv:
        p = hv["policy"]
        if (p["min_months_general_practice"], p["fallback_months"], p["mode"], p["selection"]) != (
            36,
            2,
            "strict_priority",
            "solver",
        ):
            fail("helse-vest policy must be 36 months, 2-month fallback, strict_priority, solver")

    # municipalities
    numbers = [m["number"] for m in municipalities]
    unique(numbers, "municipality number")
    muni = {m["number"]: m for m in municipalities}

    # trusts and sites
    trust_codes = [t["code"] for t in trusts]
    unique(trust_codes, "trust code")
    missing = REQUIRED_TRUSTS - set(trust_codes)
    if missing:
        fail(f"missing required trusts {sorted(missing)}")
    trust_by_code = {t["code"]: t for t in trusts}
    sites: set[tuple[str, str]] = set()
    for t in trusts:
        where = f"trust {t['code']}"
        if not SLUG.match(t["code"]):
            fail(f"{where}: code is not a lowercase ascii slug")
        if t.get("region") not in region_codes:
            fail(f"{where}: unknown region {t.get('region')!r}")
        if t.get("kind") not in TRUST_KINDS:
            fail(f"{where}: bad kind {t.get('kind')!r}")
        if not t.get("name") or not t.get("short_name"):
            fail(f"{where}: name/short_name missing")
        if not t.get("sites"):
            fail(f"{where}: no sites")
        unique([s["code"] for s in t.get("sites", [])], f"site code in {t['code']}")
        for s in t.get("sites", []):
            sites.add((t["code"], s["code"]))
            if not SLUG.match(s["code"]):
                fail(f"{where}: site code {s['code']!r} is not a slug")
            m = muni.get(s.get("municipality"))
            if m is None:
                fail(
                    f"{where}: site {s['code']} municipality {s.get('municipality')!r} not in municipalities.json"
                )
            elif m["kind"] != "municipality" or not re.fullmatch(r"\d{4}", m["number"]):
                fail(
                    f"{where}: site {s['code']} must lie in a 4-digit municipality, not {m['number']}"
                )
        if "policy" not in t:
            fail(f"{where}: policy key missing (use null)")
        elif t["policy"] is not None:
            check_policy(t["policy"], where)
    for code in ("ahus", "vestre-viken"):
        if code in trust_by_code and not trust_by_code[code].get("policy"):
            fail(f"trust {code}: policy override missing")
    ahus = trust_by_code.get("ahus", {}).get("policy") or {}
    if ahus and (
        ahus.get("selection") != "shortlist" or ahus.get("priority", [None])[0] != "catchment"
    ):
        fail("ahus policy must be a shortlist policy with catchment first")
    vv = trust_by_code.get("vestre-viken", {}).get("policy") or {}
    if vv and (
        vv.get("priority") != ["registered_at", "lottery"]
        or vv.get("min_months_general_practice") != 24
    ):
        fail("vestre-viken policy must be registered_at, lottery with 24 months")

    # municipalities (continued)
    for m in municipalities:
        where = f"municipality {m['number']}"
        if m.get("kind") not in MUNICIPALITY_KINDS:
            fail(f"{where}: bad kind {m.get('kind')!r}")
        elif m["kind"] == "municipality" and not re.fullmatch(r"\d{4}", m["number"]):
            fail(f"{where}: municipality numbers have 4 digits")
        elif m["kind"] == "district" and not re.fullmatch(r"0301\d{2}", m["number"]):
            fail(f"{where}: district numbers are 6 digits 0301xx")
        if not m.get("name") or not m.get("county"):
            fail(f"{where}: name/county missing")
        if m.get("catchment_trust") not in trust_by_code:
            fail(f"{where}: unknown catchment_trust {m.get('catchment_trust')!r}")
        county = COUNTIES.get(m["number"][:2])
        if county is None:
            fail(f"{where}: no county has numbers starting {m['number'][:2]}")
        elif m.get("county") != county:
            fail(f"{where}: county should be {county}")
    whole = [m for m in municipalities if m["kind"] == "municipality"]
    if len(whole) != MUNICIPALITIES_2024:
        fail(f"expected {MUNICIPALITIES_2024} municipalities (1 January 2024), got {len(whole)}")
    if {m["county"] for m in whole} != set(COUNTIES.values()):
        fail(
            f"counties without a municipality: {set(COUNTIES.values()) - {m['county'] for m in whole}}"
        )
    health_trusts = {t["code"] for t in trusts if t["kind"] == "health_trust"}
    for m in whole:
        if m["catchment_trust"] not in health_trusts:
            fail(f"municipality {m['number']}: its catchment trust must be a health trust (HF)")
    vestland = [
        m for m in municipalities if m["county"] == "Vestland" and m["kind"] == "municipality"
    ]
    rogaland = [
        m for m in municipalities if m["county"] == "Rogaland" and m["kind"] == "municipality"
    ]
    if len(vestland) != 43:
        fail(f"expected 43 Vestland municipalities, got {len(vestland)}")
    if len(rogaland) != 23:
        fail(f"expected 23 Rogaland municipalities, got {len(rogaland)}")
    hv_trusts = {
        t["code"] for t in trusts if t["region"] == "helse-vest" and t["kind"] == "health_trust"
    }
    for m in vestland + rogaland:
        if m["catchment_trust"] not in hv_trusts:
            fail(
                f"municipality {m['number']}: Vestland/Rogaland catchment must be a Helse Vest health trust"
            )
    if not any(m["catchment_trust"] == "ahus" and m["kind"] == "district" for m in municipalities):
        fail("no Oslo district in the Ahus catchment")
    for code in (
        "ahus",
        "vestre-viken",
        "unn",
        "helse-bergen",
        "helse-stavanger",
        "helse-fonna",
        "helse-forde",
    ):
        if not any(m["catchment_trust"] == code for m in municipalities):
            fail(f"trust {code} has no catchment municipality")

    # specialties
    spec_codes = [s["code"] for s in specialties]
    unique(spec_codes, "specialty code")
    if len(spec_codes) < 20:
        fail(f"expected at least 20 specialties, got {len(spec_codes)}")
    missing = REQUIRED_SPECIALTIES - set(spec_codes)
    if missing:
        fail(f"missing required specialties {sorted(missing)}")
    for s in specialties:
        if not SLUG.match(s["code"]):
            fail(f"specialty {s['code']!r} is not a slug")
        names = s.get("name") or {}
        if not all((names.get(lang) or "").strip() for lang in ("nb", "nn", "en")):
            fail(f"specialty {s['code']}: name needs nb, nn and en")

    # departments
    unique([(d["trust"], d["name"]) for d in departments], "department (trust, name)")
    per_trust = Counter(d["trust"] for d in departments)
    for d in departments:
        where = f"department {d['trust']}/{d['name']}"
        if d["trust"] not in trust_by_code:
            fail(f"{where}: unknown trust")
        if (d["trust"], d.get("site")) not in sites:
            fail(f"{where}: unknown site {d.get('site')!r}")
        if d.get("specialty") not in spec_codes:
            fail(f"{where}: unknown specialty {d.get('specialty')!r}")
        cap = d.get("alis_capacity")
        if not isinstance(cap, int) or isinstance(cap, bool) or not 1 <= cap <= 3:
            fail(f"{where}: alis_capacity {cap!r} not in 1..3")
    for t in trusts:
        n = per_trust.get(t["code"], 0)
        if t["region"] == "helse-vest" and t["kind"] == "health_trust":
            lo, hi = 6, 15
        elif t["kind"] == "private_nonprofit":
            lo, hi = 1, 4
        else:
            lo, hi = 1, 8
        if not lo <= n <= hi:
            fail(f"trust {t['code']}: {n} departments, expected {lo}-{hi}")
    for code in ("helse-bergen", "helse-stavanger"):
        if per_trust.get(code, 0) < 12:
            fail(f"trust {code}: expected about 12-15 departments")

    if problems:
        print(f"{len(problems)} problem(s):")
        for p in problems:
            print(" -", p)
        return 1
    whole = [m for m in municipalities if m["kind"] == "municipality"]
    region_of = {t["code"]: t["region"] for t in trusts}
    per_county = Counter(m["county"] for m in whole)
    per_region = Counter(region_of[m["catchment_trust"]] for m in whole)
    print(
        f"reference data OK: {len(regions)} regions, {len(trusts)} trusts, {len(sites)} sites, "
        f"{len(specialties)} specialties, {len(departments)} departments, "
        f"{len(whole)} municipalities in {len(per_county)} counties "
        f"and {len(municipalities) - len(whole)} Oslo districts"
    )
    print("  by county: " + ", ".join(f"{c} {n}" for c, n in sorted(per_county.items())))
    print(
        "  by region (catchment): " + ", ".join(f"{r} {n}" for r, n in sorted(per_region.items()))
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
