"""The audit log in words: each event's object named (the GP, the period, the rules of a
trust), each stored key with its label, ids as the names of what they point at, codes as
their labels, and a change as its old and new value side by side.

The objects a page refers to are loaded once per page (``References.load``), not per event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.labels import (
    AUDIT_ACTIONS,
    AVAILABILITY_STATUS_LABELS,
    INTAKE_LABELS,
    MATCH_STATUS_LABELS,
    MODE_LABELS,
    PERIOD_SOURCE_LABELS,
    PERIOD_STATUS_LABELS,
    PRIORITY_LABELS,
    ROLE_LABELS,
    SCHEME_LABELS,
)
from app.models import (
    GP,
    AuditEvent,
    Availability,
    Department,
    Forbid,
    Match,
    Municipality,
    Period,
    Policy,
    Region,
    Specialty,
    Trust,
    User,
)

from .words import CONFIRMATIONS

# Keys that name a GP: the department's choice from a shortlist beside the engine's.
GP_KEYS = ("gp_id", "engine_gp_id", "chosen_gp_id")
# What each stored key means. A key without a label is shown as it is stored.
FIELD_LABELS = {
    "period_id": _l("Period"),
    "gp_id": _l("GP"),
    "engine_gp_id": _l("The engine's proposal"),
    "chosen_gp_id": _l("The department's choice"),
    "position": _l("Place on the shortlist"),
    "candidates": _l("Candidates on the shortlist"),
    "run_id": _l("Matching run"),
    "trust_id": _l("Trust"),
    "region_id": _l("Region"),
    "region": _l("Region"),
    "department_id": _l("Department"),
    "municipality_id": _l("Municipality"),
    "accept_by": _l("Answer by"),
    "as_of": _l("Situation on"),
    "alis_capacity": _l("ALIS capacity"),
    "status": _l("Status"),
    "role": _l("Role"),
    "email": _l("Email"),
    "tokens_revoked": _l("API tokens ended"),
    "token_id": _l("API token"),
    "left": _l("Recovery codes left"),
    "new_app": _l("New authenticator app"),
    "name": _l("Name"),
    "hpr_number": _l("HPR number"),
    "specialisation_started": _l("Specialisation started"),
    "months_general_practice": _l("Months of general practice"),
    "courses_completed": _l("Courses completed"),
    "supervision_group_months": _l("Months in a supervision group"),
    "scheme": _l("Training scheme"),
    "start_date": _l("Start"),
    "end_date": _l("End"),
    "source": _l("Reason the time is available"),
    "description": _l("Description"),
    "on_call": _l("On-call duty"),
    "contact_name": _l("Contact"),
    "contact_email": _l("Contact's email"),
    "earliest_start": _l("Earliest start"),
    "latest_end": _l("Latest end"),
    "months": _l("Months wanted"),
    "specialties": _l("Specialties wished"),
    "trusts": _l("Trusts wished"),
    "accept_other_specialty": _l("Accepts another specialty"),
    "priority": _l("Priority order"),
    "min_months_general_practice": _l("Minimum months of general practice"),
    "fallback_months": _l("Months before ordinary advertising"),
    "mode": _l("Mode"),
    "selection": _l("Who chooses the candidate"),
    "shortlist_size": _l("Candidates on a shortlist"),
    "confirmation": _l("Confirmation of proposals"),
    "offer_days": _l("Days to answer an offer"),
    "endorsement_required": _l("Only endorsed windows are matched"),
    "verified_progress_only": _l("Rank by verified progress measures only"),
    "intake": _l("Intake"),
    "apply_by": _l("Application deadline"),
    "match_on": _l("Matching date"),
    "answer_by": _l("Answer date"),
    "rounds_matched": _l("Application rounds matched"),
    "municipality_priority": _l("The municipality's priority"),
    "municipalities": _l("Municipalities"),
    "endorsed_at": _l("Endorsed"),
    "endorsed_by_id": _l("Endorsed by"),
    "new_proposals": _l("New proposals"),
    "dropped_proposals": _l("Proposals dropped"),
    "expired": _l("Offers expired"),
    "advertised": _l("Periods advertised the ordinary way"),
    "advertised_periods": _l("Periods advertised"),
    "expired_matches": _l("Expired offers"),
    "learning_goals": _l("Learning goals offered"),
    "reached": _l("Learning goals reached"),
    "side": _l("Confirmed by"),
    "respondent": _l("Answered by"),
}
SELECTIONS = {"solver": _l("The matching proposes"), "shortlist": _l("The department chooses")}
DATE_KEYS = {
    "apply_by",
    "match_on",
    "answer_by",
    "accept_by",
    "as_of",
    "start_date",
    "end_date",
    "earliest_start",
    "latest_end",
    "specialisation_started",
}
# Who confirms learning goals or answers the evaluation of a placement.
PLACEMENT_SIDES = {
    "gp": _l("The GP"),
    "department": _l("The department"),
    "municipality": _l("The municipality"),
}
CODE_LABELS = {
    "side": PLACEMENT_SIDES,
    "respondent": PLACEMENT_SIDES,
    "source": PERIOD_SOURCE_LABELS,
    "scheme": SCHEME_LABELS,
    "mode": MODE_LABELS,
    "role": ROLE_LABELS,
    "confirmation": CONFIRMATIONS,
    "selection": SELECTIONS,
    "intake": INTAKE_LABELS,
}
STATUS_LABELS = {
    "availability": AVAILABILITY_STATUS_LABELS,
    "period": PERIOD_STATUS_LABELS,
    "match": MATCH_STATUS_LABELS,
}
# Keys that are not worth a line: the id of the run is the event's object already.
HIDDEN_KEYS = {"run_id", "advertised_periods", "expired_matches"}  # counts say enough


def action_text(code: str) -> str:
    """The action in words (an unknown code as it is)."""
    value = AUDIT_ACTIONS.get(code)
    return str(value) if value is not None else code


@dataclass
class Detail:
    label: str
    old: str | None  # None: not a change
    new: str
    changed: bool


@dataclass
class EventWords:
    event: AuditEvent
    action: str
    subject: str  # the object in words
    link: str | None  # the object's page, if it has one
    details: list[Detail]


@dataclass
class References:
    """The objects the events of one page point at, loaded in a few queries."""

    periods: dict[int, Period] = field(default_factory=dict)
    gps: dict[int, GP] = field(default_factory=dict)
    matches: dict[int, Match] = field(default_factory=dict)
    forbids: dict[int, Forbid] = field(default_factory=dict)
    trusts: dict[int, Trust] = field(default_factory=dict)
    regions: dict[int, Region] = field(default_factory=dict)
    departments: dict[int, Department] = field(default_factory=dict)
    municipalities: dict[int, Municipality] = field(default_factory=dict)
    policies: dict[int, Policy] = field(default_factory=dict)
    windows: dict[int, Availability] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    specialty_codes: dict[str, Specialty] = field(default_factory=dict)
    trust_codes: dict[str, Trust] = field(default_factory=dict)
    region_codes: dict[str, Region] = field(default_factory=dict)

    @classmethod
    def load(cls, events: Iterable[AuditEvent]) -> References:
        ids: dict[str, set[int]] = {}
        codes: dict[str, set[str]] = {"specialties": set(), "trusts": set(), "region": set()}

        def want(kind: str, value: Any) -> None:
            if isinstance(value, int) and not isinstance(value, bool):
                ids.setdefault(kind, set()).add(value)

        for event in events:
            if event.object_id is not None:
                want(event.object_type, event.object_id)
            for key, value in (event.data or {}).items():
                values = value if isinstance(value, list) else [value]
                for v in values:
                    if key in GP_KEYS:
                        want("gp", v)
                    elif key.endswith("_id"):
                        want(key[:-3], v)
                    elif key == "advertised_periods":
                        want("period", v)
                    elif key in ("specialties", "trusts"):
                        codes[key] |= {c for c in (v if isinstance(v, list) else [v]) if c}
                    elif key == "region" and isinstance(v, str):
                        codes["region"].add(v)
        refs = cls()
        refs.matches = _by_id(
            Match,
            ids.get("match"),
            selectinload(Match.gp),
            selectinload(Match.period).selectinload(Period.department),
        )
        refs.forbids = _by_id(
            Forbid,
            ids.get("forbid"),
            selectinload(Forbid.gp),
            selectinload(Forbid.period).selectinload(Period.department),
        )
        refs.windows = _by_id(Availability, ids.get("availability"), selectinload(Availability.gp))
        period_ids = set(ids.get("period", set()))
        refs.periods = _by_id(
            Period,
            period_ids,
            selectinload(Period.department).selectinload(Department.trust),
        )
        refs.gps = _by_id(GP, ids.get("gp"))
        refs.policies = _by_id(Policy, ids.get("policy"))
        for policy in refs.policies.values():  # named after their trust or region
            want("trust", policy.trust_id)
            want("region", policy.region_id)
        refs.trusts = _by_id(Trust, ids.get("trust"))
        refs.regions = _by_id(Region, ids.get("region"))
        refs.departments = _by_id(Department, ids.get("department"), selectinload(Department.trust))
        refs.municipalities = _by_id(Municipality, ids.get("municipality"))
        refs.users = _by_id(User, ids.get("user"), selectinload(User.gp))
        if codes["specialties"]:
            refs.specialty_codes = {
                s.code: s
                for s in db.session.scalars(
                    sa.select(Specialty).where(Specialty.code.in_(codes["specialties"]))
                )
            }
        trust_codes = codes["trusts"]
        if trust_codes:
            refs.trust_codes = {
                t.code: t
                for t in db.session.scalars(sa.select(Trust).where(Trust.code.in_(trust_codes)))
            }
        if codes["region"]:
            refs.region_codes = {
                r.code: r
                for r in db.session.scalars(
                    sa.select(Region).where(Region.code.in_(codes["region"]))
                )
            }
        return refs


def _by_id(model, wanted: set[int] | None, *options) -> dict:
    if not wanted:
        return {}
    rows = db.session.scalars(sa.select(model).options(*options).where(model.id.in_(wanted)))
    return {row.id: row for row in rows}


def _period_text(period: Period | None) -> str:
    if period is None:
        return _("a period that no longer exists")
    return _(
        "%(department)s, %(trust)s, %(start)s–%(end)s",
        department=period.department.name,
        trust=period.department.trust.short_name,
        start=format_date(period.start_date, "short"),
        end=format_date(period.end_date, "short"),
    )


def _gp_text(gp: GP | None) -> str:
    return gp.name if gp is not None else _("a GP who no longer exists")


def subject(event: AuditEvent, refs: References) -> tuple[str, str | None]:
    """The event's object in words, and its page (None: it has none, or it is gone)."""
    kind, oid = event.object_type, event.object_id
    if oid is None:
        return _("The portal"), None
    if kind == "period":
        period = refs.periods.get(oid)
        link = url_for("periods.detail", period_id=oid) if period else None
        return _("Period: %(period)s", period=_period_text(period)), link
    if kind == "match":
        match = refs.matches.get(oid)
        if match is None:
            return _("A match that no longer exists"), None
        return _(
            "Match: %(gp)s for %(period)s",
            gp=_gp_text(match.gp),
            period=_period_text(match.period),
        ), url_for("periods.detail", period_id=match.period_id)
    if kind == "forbid":
        forbid = refs.forbids.get(oid)
        if forbid is None:
            return _("A forbidden pair that no longer exists"), None
        return _(
            "Forbidden pair: %(gp)s and %(period)s",
            gp=_gp_text(forbid.gp),
            period=_period_text(forbid.period),
        ), None
    if kind == "gp":
        gp = refs.gps.get(oid)
        return _("GP: %(gp)s", gp=_gp_text(gp)), url_for(
            "main.gp_detail", gp_id=oid
        ) if gp else None
    if kind == "availability":
        window = refs.windows.get(oid)
        if window is None:
            return _("An availability window that no longer exists"), None
        return _("Availability of %(gp)s", gp=_gp_text(window.gp)), url_for(
            "main.gp_detail", gp_id=window.gp_id
        )
    if kind == "policy":
        policy = refs.policies.get(oid)
        if policy is None:
            return _("Trust rules that were removed"), None
        owner_row = (
            refs.trusts.get(policy.trust_id)
            if policy.trust_id
            else refs.regions.get(policy.region_id or 0)
        )
        owner = owner_row.name if owner_row else "—"
        return _("Rules of %(owner)s", owner=owner), url_for("coordination.policies")
    if kind == "department":
        department = refs.departments.get(oid)
        if department is None:
            return _("A department that no longer exists"), None
        return _(
            "Department: %(department)s, %(trust)s",
            department=department.name,
            trust=department.trust.short_name,
        ), url_for("main.department_detail", department_id=oid)
    if kind == "matching_run":
        return _("Matching run %(n)d", n=oid), url_for("coordination.run_detail", run_id=oid)
    if kind == "user":
        user = refs.users.get(oid)
        return _("Account: %(who)s", who=user.display_name if user else oid), None
    return f"{kind} {oid}", None


def value_text(key: str, value: Any, refs: References, object_type: str) -> str:
    """One stored value as people read it."""
    if key == "region" and object_type == "matching_run" and value is None:
        return _("All regions")
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key == "priority" and isinstance(value, list):
        return ", ".join(str(PRIORITY_LABELS.get(k, k)) for k in value)
    if key == "specialties" and isinstance(value, list):
        return ", ".join(
            refs.specialty_codes[c].name if c in refs.specialty_codes else str(c) for c in value
        )
    if key == "trusts" and isinstance(value, list):
        return ", ".join(
            refs.trust_codes[c].short_name if c in refs.trust_codes else str(c) for c in value
        )
    if key == "advertised_periods" and isinstance(value, list):
        return "; ".join(_period_text(refs.periods.get(v)) for v in value)
    if key == "expired_matches" and isinstance(value, list):
        return str(len(value))
    if isinstance(value, list):
        return ", ".join(value_text(key, v, refs, object_type) for v in value)
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return format_date(date.fromisoformat(value[:10]))
        except ValueError:
            return value
    if key == "status":
        labels = STATUS_LABELS.get(object_type, {})
        return str(labels.get(value, value))
    if key in CODE_LABELS:
        return str(CODE_LABELS[key].get(value, value))
    if key == "region" and isinstance(value, str):
        region = refs.region_codes.get(value)
        return region.name if region else value
    if key in GP_KEYS and key != "gp_id":
        return _gp_text(refs.gps.get(value)) if value is not None else _("nobody")
    lookups = {
        "period_id": lambda v: _period_text(refs.periods.get(v)),
        "gp_id": lambda v: _gp_text(refs.gps.get(v)),
        "trust_id": lambda v: refs.trusts[v].name if v in refs.trusts else str(v),
        "region_id": lambda v: refs.regions[v].name if v in refs.regions else str(v),
        "department_id": lambda v: refs.departments[v].name if v in refs.departments else str(v),
        "municipality_id": lambda v: (
            refs.municipalities[v].name if v in refs.municipalities else str(v)
        ),
    }
    if key in lookups:
        return lookups[key](value)
    if isinstance(value, int | float):
        return str(value)
    return str(value)


CHANGE_ACTIONS = {
    "policy.updated",
    "period.updated",
    "availability.updated",
    "availability.paused",
    "availability.active",
    "availability.withdrawn",
    "gp.registered",
    "gp.profile_updated",
    "gp.municipality_priority_changed",
    "user.municipalities_changed",
    "department.capacity_changed",
    "period.learning_goals_changed",
}


def details(event: AuditEvent, refs: References) -> list[Detail]:
    """The event's data, one line per key: a change as old → new."""
    out = []
    kind = event.object_type
    for key, value in sorted((event.data or {}).items(), key=lambda kv: _order(kv[0])):
        if key in HIDDEN_KEYS:
            continue
        label = str(FIELD_LABELS.get(key, key))
        pair = event.action in CHANGE_ACTIONS and isinstance(value, list) and len(value) == 2
        if key in ("priority", "specialties", "trusts") and pair:
            # a list-valued field changes as [old list, new list]
            pair = all(isinstance(v, list) or v is None for v in value)
        if pair:
            old, new = (value_text(key, v, refs, kind) for v in value)
            out.append(Detail(label, old, new, old != new))
        else:
            out.append(Detail(label, None, value_text(key, value, refs, kind), False))
    return out


def _order(key: str) -> tuple[int, str]:
    keys = list(FIELD_LABELS)
    return (keys.index(key) if key in keys else len(keys), key)


def describe_events(events: list[AuditEvent]) -> list[EventWords]:
    """The events of one page in words (their references loaded in a few queries)."""
    refs = References.load(events)
    out = []
    for event in events:
        text, link = subject(event, refs)
        out.append(EventWords(event, action_text(event.action), text, link, details(event, refs)))
    return out
