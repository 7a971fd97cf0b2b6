"""The rules for editing matching policies (a region's, or a trust's override of it),
shared by the coordinators' pages and the API. Every change is audited with its reason."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

from app import audit
from app.dates import local_today
from app.errors import InvalidInput
from app.extensions import db
from app.models import ApplicationRound, Policy, Region, Trust, User
from app.models.reference import CONFIRMATIONS, INTAKES, MODES, PRIORITY_KEYS, SELECTIONS
from app.policy import RULE_FIELDS, policy_conflicts, region_policy

RANGES = {
    "min_months_general_practice": (0, 120),
    "fallback_months": (1, 12),
    "shortlist_size": (1, 50),
    "offer_days": (1, 90),
}
CHOICES = {
    "mode": MODES,
    "selection": SELECTIONS,
    "confirmation": CONFIRMATIONS,
    "intake": INTAKES,
}
FLAGS = ("endorsement_required", "verified_progress_only")  # yes or no
REGION_RULES = FLAGS  # a trust's override keeps its region's value
FIELDS = RULE_FIELDS  # the rules a policy row holds
REASON_MAX = 1000


class PolicyError(InvalidInput):
    """Invalid policy input. ``fields`` maps each field to a machine code: required,
    out_of_range, unknown, empty, duplicate, lottery_not_last, region_rule (a trust's
    override cannot change a rule of the region), shortlist_too_small and
    shortlist_max_placements (app.policy.policy_conflicts), no_rounds (intake in rounds
    without a round ahead), and for a round: in_the_past, before_deadline,
    not_after_matching, overlaps, matched, last_round; ``duplicate_positions``
    names the repeated positions of the priority order (1-based)."""

    def __init__(self, fields: dict[str, str], duplicate_positions: tuple[int, ...] = ()):
        super().__init__("invalid_input", fields=fields)
        self.duplicate_positions = duplicate_positions


def _check_priority(value: Any) -> tuple[str | None, tuple[int, ...]]:
    if not isinstance(value, list | tuple) or not all(isinstance(k, str) for k in value):
        return "unknown", ()
    if not value:
        return "empty", ()
    if any(k not in PRIORITY_KEYS for k in value):
        return "unknown", ()
    repeated = tuple(i for i, k in enumerate(value, 1) if k in value[: i - 1])
    if repeated:
        return "duplicate", repeated
    if "lottery" in value and value[-1] != "lottery":
        return "lottery_not_last", ()
    return None, ()


def validate_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes, checked; raises PolicyError with a code per wrong field."""
    errors: dict[str, str] = {}
    repeated: tuple[int, ...] = ()
    for name in changes:
        if name not in FIELDS:
            errors[name] = "unknown"
    if "priority" in changes:
        code, repeated = _check_priority(changes["priority"])
        if code:
            errors["priority"] = code
    for name, (low, high) in RANGES.items():
        if name in changes:
            value = changes[name]
            if value is None:
                errors[name] = "required"
            elif isinstance(value, bool) or not isinstance(value, int):
                errors[name] = "unknown"
            elif not low <= value <= high:
                errors[name] = "out_of_range"
    for name, allowed in CHOICES.items():
        if name in changes and changes[name] not in allowed:
            errors[name] = "unknown"
    for name in FLAGS:
        if name in changes and not isinstance(changes[name], bool):
            errors[name] = "unknown"
    if errors:
        raise PolicyError(errors, repeated)
    return {k: list(v) if k == "priority" else v for k, v in changes.items()}


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise PolicyError({"reason": "required"})
    if len(text) > REASON_MAX:
        raise PolicyError({"reason": "too_long"})
    return text


def update_policy(
    policy: Policy, changes: dict[str, Any], reason: str, actor: User | None
) -> dict[str, list]:
    """Apply ``changes`` (field → new value) to ``policy`` and audit them as
    ``policy.updated`` with {field: [old, new]}; returns that dict (empty: nothing changed,
    nothing recorded). Raises PolicyError (all fields checked, reason required)."""
    try:
        changes = validate_changes(changes)
        field_errors: dict[str, str] = {}
        repeated: tuple[int, ...] = ()
    except PolicyError as error:
        field_errors, repeated = dict(error.fields), error.duplicate_positions
    # a rule of the region: a trust's override may only repeat its value
    for rule in REGION_RULES if policy.trust_id else ():
        region_rule = changes.pop(rule, None)
        if region_rule is not None and region_rule != getattr(policy, rule):
            field_errors[rule] = "region_rule"
    # rules that cannot work together (app.policy.policy_conflicts), as they would be saved
    merged = {**snapshot(policy), **{k: v for k, v in changes.items() if k not in field_errors}}
    for name, code in policy_conflicts(merged).items():
        field_errors.setdefault(name, code)
    if (
        changes.get("intake") == "rounds"
        and policy.intake != "rounds"
        and not _rounds_ahead(policy, local_today())
    ):
        field_errors["intake"] = "no_rounds"
    try:
        reason = _reason(reason)
    except PolicyError as error:
        field_errors.update(error.fields)
    if field_errors:
        raise PolicyError(field_errors, repeated)
    diff = {}
    for name, new in changes.items():
        old = getattr(policy, name)
        old = list(old) if name == "priority" else old
        if old != new:
            diff[name] = [old, new]
            setattr(policy, name, new)
    if diff:
        db.session.flush()
        audit.record(
            "policy.updated", policy, object_type="policy", actor=actor, reason=reason, data=diff
        )
    return diff


def snapshot(policy: Policy) -> dict[str, Any]:
    return {
        name: list(getattr(policy, name)) if name == "priority" else getattr(policy, name)
        for name in FIELDS
    }


def create_override(trust: Trust, *, reason: str, actor: User | None) -> Policy:
    """Give ``trust`` its own policy, a copy of its region's (audited as policy.created)."""
    reason = _reason(reason)
    if trust.own_policy is not None or db.session.scalar(
        sa.select(Policy.id).where(Policy.trust_id == trust.id)
    ):
        raise PolicyError({"trust_id": "exists"})
    source = region_policy(trust.region)
    values = source.values()
    policy = Policy(trust_id=trust.id, **values)
    # the rounds still ahead come along (the override starts as its region's rules)
    ahead = (
        sa.select(ApplicationRound)
        .where(
            ApplicationRound.policy_id == source.policy_id,
            ApplicationRound.matched_run_id.is_(None),
            ApplicationRound.match_on >= local_today(),
        )
        .order_by(ApplicationRound.apply_by)
    )
    for found in db.session.scalars(ahead) if source.policy_id is not None else []:
        policy.rounds.append(
            ApplicationRound(
                apply_by=found.apply_by, match_on=found.match_on, answer_by=found.answer_by
            )
        )
    db.session.add(policy)
    db.session.flush()
    audit.record(
        "policy.created",
        policy,
        object_type="policy",
        actor=actor,
        reason=reason,
        data={
            "trust_id": trust.id,
            "region_id": trust.region_id,
            "copied_from": source.policy_id,
            **values,
        },
    )
    db.session.expire(trust, ["own_policy"])
    return policy


def remove_override(policy: Policy, *, reason: str, actor: User | None) -> Trust:
    """Delete a trust's own policy, so that its region's applies again (audited as
    policy.removed with the removed values)."""
    if policy.trust_id is None:
        raise PolicyError({"policy": "region_policy"})
    reason = _reason(reason)
    trust = policy.trust
    audit.record(
        "policy.removed",
        policy,
        object_type="policy",
        actor=actor,
        reason=reason,
        data={"trust_id": trust.id, "region_id": trust.region_id, **snapshot(policy)},
    )
    db.session.delete(policy)
    db.session.flush()
    db.session.expire(trust, ["own_policy"])
    return trust


def policies_in_scope(regions: list[Region]) -> list[tuple[Region, Policy | None, list[Policy]]]:
    """For each region: its policy and its trusts' overrides (by trust name)."""
    out = []
    for region in regions:
        overrides = list(
            db.session.scalars(
                sa.select(Policy)
                .join(Trust, Policy.trust_id == Trust.id)
                .where(Trust.region_id == region.id)
                .order_by(Trust.name)
            )
        )
        out.append((region, region.policy, overrides))  # the rows, to edit them
    return out


def policy_region_id(policy: Policy) -> int:
    return policy.region_id if policy.region_id is not None else policy.trust.region_id


def _rounds_ahead(policy: Policy, today: date, *, but: ApplicationRound | None = None) -> list:
    return [r for r in policy.rounds if r is not but and not r.matched and r.match_on >= today]


def _round_data(found: ApplicationRound) -> dict[str, str]:
    return {
        "apply_by": found.apply_by.isoformat(),
        "match_on": found.match_on.isoformat(),
        "answer_by": found.answer_by.isoformat(),
    }


def add_round(
    policy: Policy,
    *,
    apply_by: date | None,
    match_on: date | None,
    answer_by: date | None,
    reason: str | None,
    actor: User | None,
    today: date | None = None,
) -> ApplicationRound:
    """Add an application round to ``policy`` (flushes; audited as policy.round_added).
    Raises PolicyError: every date required; the deadline not past; the matching on or after
    the deadline; the answer date after the matching; no overlap with the policy's other
    rounds (one round's deadline to its matching)."""
    today = today or local_today()
    errors: dict[str, str] = {}
    for name, value in (("apply_by", apply_by), ("match_on", match_on), ("answer_by", answer_by)):
        if value is None:
            errors[name] = "required"
    if apply_by is not None and apply_by < today:
        errors["apply_by"] = "in_the_past"
    if apply_by is not None and match_on is not None and match_on < apply_by:
        errors["match_on"] = "before_deadline"
    if match_on is not None and answer_by is not None and answer_by <= match_on:
        errors["answer_by"] = "not_after_matching"
    if (
        apply_by is not None
        and match_on is not None
        and not errors
        and any(r.apply_by <= match_on and apply_by <= r.match_on for r in policy.rounds)
    ):
        errors["apply_by"] = "overlaps"
    try:
        reason = _reason(reason)
    except PolicyError as error:
        errors.update(error.fields)
    if errors:
        raise PolicyError(errors)
    assert apply_by is not None and match_on is not None and answer_by is not None
    found = ApplicationRound(apply_by=apply_by, match_on=match_on, answer_by=answer_by)
    policy.rounds.append(found)
    db.session.flush()
    audit.record(
        "policy.round_added",
        policy,
        object_type="policy",
        actor=actor,
        reason=reason,
        data=_round_data(found),
    )
    return found


def remove_round(
    found: ApplicationRound, *, reason: str | None, actor: User | None, today: date | None = None
) -> Policy:
    """Remove a round nobody matched (audited as policy.round_removed). Refused for a
    matched round, and for the last round ahead while the intake is in rounds."""
    today = today or local_today()
    policy = db.session.get_one(Policy, found.policy_id)
    if found.matched:
        raise PolicyError({"round": "matched"})
    if (
        policy.intake == "rounds"
        and found.match_on >= today
        and not _rounds_ahead(policy, today, but=found)
    ):
        raise PolicyError({"round": "last_round"})
    reason = _reason(reason)
    data = _round_data(found)
    policy.rounds.remove(found)
    db.session.flush()
    audit.record(
        "policy.round_removed", policy, object_type="policy", actor=actor, reason=reason, data=data
    )
    return policy
