"""Load the reference data files in ``app/data/reference`` into the database.

Idempotent: rows are matched by their natural keys (codes, municipality numbers) and
updated in place. Values that users edit later (a department's ALIS capacity, region and
trust policies) are set only when the row is created, so a reload never undoes an edit.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    Department,
    LearningGoal,
    Municipality,
    Policy,
    Region,
    Site,
    Specialty,
    Trust,
)
from app.models.reference import MODES, PRIORITY_KEYS, SELECTIONS
from app.policy import policy_conflicts, row_values

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "reference"
FILES = ("regions", "specialties", "trusts", "municipalities", "departments", "learning_goals")


class ReferenceDataError(ValueError):
    pass


def read_files(directory: Path = DATA_DIR) -> dict[str, Any]:
    data = {}
    for name in FILES:
        path = directory / f"{name}.json"
        try:
            data[name] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ReferenceDataError(f"{path}: {error}") from error
    return data


def validate_policy(policy: dict[str, Any], where: str) -> None:
    keys = policy.get("priority", [])
    unknown = [k for k in keys if k not in PRIORITY_KEYS]
    if unknown or not keys or len(set(keys)) != len(keys):
        raise ReferenceDataError(f"{where}: bad priority {keys}")
    if policy.get("mode") not in MODES or policy.get("selection") not in SELECTIONS:
        raise ReferenceDataError(f"{where}: bad mode or selection")
    conflicts = policy_conflicts(row_values(policy))
    if conflicts:
        found = ", ".join(f"{field}: {code}" for field, code in sorted(conflicts.items()))
        raise ReferenceDataError(f"{where}: rules that cannot work together ({found})")


class _Upserter:
    """Finds rows by natural key, creates or updates them, and counts what it did."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._rows: dict[tuple, dict[tuple, Any]] = {}

    def _existing(self, model, fields: tuple[str, ...]) -> dict[tuple, Any]:
        """All rows of ``model`` by natural key, read once (no query per row)."""
        if (model, fields) not in self._rows:
            rows = db.session.scalars(sa.select(model)).all()
            self._rows[(model, fields)] = {tuple(getattr(r, f) for f in fields): r for r in rows}
        return self._rows[(model, fields)]

    def upsert(self, model, key: dict[str, Any], values: dict[str, Any], create_only=None):
        fields = tuple(sorted(key))
        existing = self._existing(model, fields)
        row = existing.get(tuple(key[f] for f in fields))
        label = model.__tablename__
        if row is None:
            row = model(**key, **values, **(create_only or {}))
            db.session.add(row)
            existing[tuple(key[f] for f in fields)] = row
            self.counts[f"{label}_created"] += 1
        else:
            changed = False
            for field, value in values.items():
                if getattr(row, field) != value:
                    setattr(row, field, value)
                    changed = True
            if changed:
                self.counts[f"{label}_updated"] += 1
        return row

    def policy(self, *, region: Region | None = None, trust: Trust | None = None, spec: dict):
        owner = {"region_id": region.id} if region else {"trust_id": trust.id}
        row = db.session.scalar(sa.select(Policy).filter_by(**owner))
        if row is not None:
            return row
        self.counts["policies_created"] += 1
        row = Policy(**owner, **row_values(spec), note=spec.get("note"))
        db.session.add(row)
        return row


def load_reference_data(directory: Path = DATA_DIR) -> dict[str, int]:
    """Upsert every reference row from ``directory`` (flushes; the caller commits)."""
    data = read_files(directory)
    up = _Upserter()

    regions: dict[str, Region] = {}
    for item in data["regions"]["regions"]:
        validate_policy(item["policy"], f"region {item['code']}")
        regions[item["code"]] = up.upsert(
            Region,
            {"code": item["code"]},
            {"name": item["name"], "short_name": item.get("short_name", item["name"])},
        )
    db.session.flush()
    for item in data["regions"]["regions"]:
        up.policy(region=regions[item["code"]], spec=item["policy"])

    specialties: dict[str, Specialty] = {}
    for item in data["specialties"]["specialties"]:
        names = item["name"]
        specialties[item["code"]] = up.upsert(
            Specialty,
            {"code": item["code"]},
            {"name_nb": names["nb"], "name_nn": names["nn"], "name_en": names["en"]},
        )

    trusts: dict[str, Trust] = {}
    for item in data["trusts"]["trusts"]:
        if item["region"] not in regions:
            raise ReferenceDataError(f"trust {item['code']}: unknown region {item['region']}")
        trusts[item["code"]] = up.upsert(
            Trust,
            {"code": item["code"]},
            {
                "name": item["name"],
                "short_name": item.get("short_name", item["name"]),
                "region": regions[item["region"]],
                "kind": item.get("kind", "health_trust"),
            },
        )
    db.session.flush()
    for item in data["trusts"]["trusts"]:
        if item.get("policy"):
            validate_policy(item["policy"], f"trust {item['code']}")
            up.policy(trust=trusts[item["code"]], spec=item["policy"])

    municipalities: dict[str, Municipality] = {}
    for item in data["municipalities"]["municipalities"]:
        trust_code = item.get("catchment_trust")
        if trust_code and trust_code not in trusts:
            raise ReferenceDataError(f"municipality {item['number']}: unknown trust {trust_code}")
        municipalities[item["number"]] = up.upsert(
            Municipality,
            {"number": item["number"]},
            {
                "name": item["name"],
                "county": item["county"],
                "kind": item.get("kind", "municipality"),
                "trust": trusts[trust_code] if trust_code else None,
            },
        )
    db.session.flush()

    sites: dict[tuple[str, str], Site] = {}
    for item in data["trusts"]["trusts"]:
        trust = trusts[item["code"]]
        for site in item.get("sites", []):
            number = site.get("municipality")
            if number and number not in municipalities:
                raise ReferenceDataError(f"site {site['code']}: unknown municipality {number}")
            sites[(item["code"], site["code"])] = up.upsert(
                Site,
                {"trust_id": trust.id, "code": site["code"]},
                {
                    "name": site["name"],
                    "municipality": municipalities[number] if number else None,
                },
            )
    db.session.flush()

    for item in data["departments"]["departments"]:
        trust = trusts.get(item["trust"])
        specialty = specialties.get(item["specialty"])
        if trust is None or specialty is None:
            raise ReferenceDataError(f"department {item['name']}: unknown trust or specialty")
        site = sites.get((item["trust"], item.get("site") or ""))
        if item.get("site") and site is None:
            raise ReferenceDataError(f"department {item['name']}: unknown site {item['site']}")
        up.upsert(
            Department,
            {"trust_id": trust.id, "name": item["name"]},
            {"site": site, "specialty": specialty},
            create_only={"alis_capacity": item.get("alis_capacity", 1)},
        )
    for item in data["learning_goals"]["learning_goals"]:
        titles = item["title"]
        up.upsert(
            LearningGoal,
            {"code": item["code"]},
            {"title_nb": titles["nb"], "title_nn": titles["nn"], "title_en": titles["en"]},
        )
    db.session.flush()
    return dict(sorted(up.counts.items()))


def reference_counts() -> dict[str, int]:
    """How many rows of each reference kind the database holds."""
    return {
        model.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (
            Region,
            Trust,
            Site,
            Specialty,
            Department,
            Municipality,
            Policy,
            LearningGoal,
        )
    }
