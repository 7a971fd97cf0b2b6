"""The rules for editing matching policies (a region's, or a trust's override of it),
shared by the coordinators' pages and the API. Every change is audited with its reason."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from app import audit
from app.errors import InvalidInput
from app.extensions import db
from app.models import Policy, Region, Trust, User
from app.models.reference import CONFIRMATIONS, MODES, PRIORITY_KEYS, SELECTIONS
from app.policy import RULE_FIELDS, policy_conflicts, region_policy

RANGES = {
    "min_months_general_practice": (0, 120),
    "fallback_months": (1, 12),
    "shortlist_size": (1, 50),
    "offer_days": (1, 90),
}
CHOICES = {"mode": MODES, "selection": SELECTIONS, "confirmation": CONFIRMATIONS}
FLAGS = ("endorsement_required", "verified_progress_only")  # yes or no
REGION_RULES = FLAGS  # a trust's override keeps its region's value
FIELDS = RULE_FIELDS  # the rules a policy row holds
REASON_MAX = 1000


class PolicyError(InvalidInput):
    """Invalid policy input. ``fields`` maps each field to a machine code: required,
    out_of_range, unknown, empty, duplicate, lottery_not_last, region_rule (a trust's
    override cannot change a rule of the region), shortlist_too_small and
    shortlist_max_placements (app.policy.policy_conflicts); ``duplicate_positions``
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
