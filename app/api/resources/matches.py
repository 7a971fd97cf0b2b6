"""Matches: the list in the caller's scope, the coordinators' overrides (assign, cancel,
confirm, unpin, forbid: each with a reason the match rules write to the audit log), and the
offers (the trust offers, the GP accepts or declines). The rules are app.lifecycle."""

from __future__ import annotations

from typing import Any, TypeVar

import marshmallow as ma

from app import access, lifecycle
from app.coordination.policies import REASON_MAX
from app.coordination.services import forbids_query
from app.errors import NotFound
from app.lifecycle.matches import DECLINE_REASON_MAX
from app.matches.handoff import HandoffSchema, handoff_for
from app.models import GP, Forbid, Match, Period, User
from app.models.matching import MATCH_SOURCES, MATCH_STATUSES
from app.text import ID_MAX

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from ..common import ListArgsSchema, Text, list_schema, paginate
from ..error_format import ErrorSchema

blp = Blueprint(
    "api_matches",
    __name__,
    url_prefix="",
    description="Matches, coordinators' overrides, forbidden pairs and offers",
)

T = TypeVar("T")
# What the match rules (app.lifecycle) refuse, as the operations document it.
conflict = blp.alt_response(
    409,
    schema=ErrorSchema,
    description="The state of the match, its period or its GP does not allow this "
    "(e.g. not_proposed, not_offered, offer_expired, period_not_open, gp_already_placed; "
    "for a GP whose window allows a split: split_too_many_blocks, split_blocks_overlap, "
    "split_blocks_too_long)",
)
pair_not_found = blp.alt_response(
    404, schema=ErrorSchema, description="No such period or GP, or one you may not see"
)


# ---- fields and helpers for actions (matching.py uses in_range too)


class Reason(Text):
    """A required, non-blank reason for the audit log (stripped)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", True)
        kwargs.setdefault(
            "metadata", {"description": "Why (saved in the audit log with your name)"}
        )
        super().__init__(
            multiline=True,
            blank=False,
            validate=[ma.validate.Length(min=1, max=REASON_MAX)],
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ma.ValidationError("Give a reason.")
        return text


def object_id(**kwargs) -> ma.fields.Integer:
    return ma.fields.Integer(validate=ma.validate.Range(min=1, max=ID_MAX), **kwargs)


def in_range(object_id_: int, what: str) -> int:
    """A path id the database can hold, or 404 (an id that large cannot exist)."""
    if not 1 <= object_id_ <= ID_MAX:
        raise NotFound(what)
    return object_id_


# ---- scope: app.access


def load_match(match_id: int, user: User, *, lock: bool = False) -> Match:
    return access.get_match_or_404(match_id, user, lock=lock)


def load_period(period_id: int, user: User) -> Period:
    return access.get_period_or_404(period_id, user, field="period_id")


def load_gp(gp_id: int, user: User) -> GP:
    return access.get_gp_or_404(gp_id, user, field="gp_id")


# ---- schemas


class MatchSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    period_id = ma.fields.Integer(required=True)
    gp_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=ma.validate.OneOf(MATCH_STATUSES))
    source = ma.fields.String(required=True, validate=ma.validate.OneOf(MATCH_SOURCES))
    pinned = ma.fields.Boolean(
        required=True, metadata={"description": "A coordinator's assignment that runs keep"}
    )
    slot = ma.fields.Integer(
        required=True,
        metadata={
            "description": "1, or 2 for a GP's second live block (a window with "
            "split_allowed: two blocks of 3 + 3 months)"
        },
    )
    gp_rank = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "Where the period stands in the GP's own wishes (1 = first)"},
    )
    priority_position = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "The GP's place in the period's priority order (1 = first)"},
    )
    explanation = ma.fields.Dict(
        required=True,
        allow_none=True,
        metadata={
            "description": "Why the match was made: the solver's keys, or the reason; "
            "``shortlist`` on a proposal awaiting the department's choice ({candidates}) and "
            "on the department's choice ({engine_gp_id, chosen_gp_id, position, candidates})"
        },
    )
    run_id = ma.fields.Integer(required=True, allow_none=True)
    accept_by = ma.fields.Date(
        required=True, allow_none=True, metadata={"description": "Last day to answer an offer"}
    )
    created_at = ma.fields.AwareDateTime(required=True)
    updated_at = ma.fields.AwareDateTime(required=True)
    confirmed_at = ma.fields.AwareDateTime(required=True, allow_none=True)
    awaiting_choice = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "The engine's proposal on a shortlist: the department chooses "
            "(GET/POST /periods/{id}/shortlist); it is never confirmed"
        },
    )
    offered_at = ma.fields.AwareDateTime(required=True, allow_none=True)
    decided_at = ma.fields.AwareDateTime(required=True, allow_none=True)
    hired_at = ma.fields.AwareDateTime(required=True, allow_none=True)
    decline_reason = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "What the GP said when declining, if anything"},
    )


class MatchDetailSchema(MatchSchema):
    """One match; with the hand-off to HR for those who manage the trust of an accepted
    match."""

    handoff = ma.fields.Nested(
        HandoffSchema,
        metadata={
            "description": "What HR needs to draw up the contract (app.matches.handoff): only "
            "for an accepted match, and only for staff who manage the period's trust (its own "
            "staff, coordinators of its region, admins). Absent otherwise."
        },
    )

    def get_attribute(self, obj, attr, default):
        if attr == "handoff":
            data = handoff_for(obj, caller())
            return default if data is None else data
        return super().get_attribute(obj, attr, default)


class MatchFilterSchema(ListArgsSchema):
    status = ma.fields.String(validate=ma.validate.OneOf(MATCH_STATUSES))
    period = object_id(metadata={"description": "A period id"})
    gp = object_id(metadata={"description": "A GP id"})


class MatchPairSchema(ma.Schema):
    period_id = object_id(required=True)
    gp_id = object_id(required=True)
    reason = Reason()


class MatchReasonSchema(ma.Schema):
    reason = Reason()


class MatchDeclineSchema(ma.Schema):
    reason = Text(
        multiline=True,
        load_default=None,
        allow_none=True,
        validate=[ma.validate.Length(max=DECLINE_REASON_MAX)],
        metadata={
            "description": "Why the GP declines (optional): the trust and the coordinators "
            "see it, and it is saved in the audit log"
        },
    )


class MatchOfferSchema(ma.Schema):
    accept_by = ma.fields.Date(
        required=True,
        metadata={
            "description": "The last day the GP may accept: from today, before the period "
            "starts (422 otherwise)"
        },
    )


class ForbiddenPairSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    period_id = ma.fields.Integer(required=True)
    gp_id = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)
    created_at = ma.fields.AwareDateTime(required=True)


class ForbiddenPairFilterSchema(ListArgsSchema):
    period = object_id(metadata={"description": "A period id"})
    gp = object_id(metadata={"description": "A GP id"})


# ---- matches


@blp.route("/matches")
@blp.arguments(MatchFilterSchema, location="query")
@blp.response(200, list_schema(MatchSchema, "MatchList"))
@auth_required()
def list_matches(args: dict[str, Any]):
    """Matches in the caller's scope, newest first (GPs see their own)."""
    query = access.matches_in_scope(caller())
    if args.get("status"):
        query = query.where(Match.status == args["status"])
    if args.get("period"):
        query = query.where(Match.period_id == args["period"])
    if args.get("gp"):
        query = query.where(Match.gp_id == args["gp"])
    return paginate(query.order_by(Match.created_at.desc(), Match.id.desc()), args)


@blp.route("/matches/<int:match_id>")
@blp.response(200, MatchDetailSchema)
@auth_required()
def get_match(match_id: int):
    """One match (404 outside the caller's scope); an accepted one carries ``handoff``, the
    facts HR needs, for the staff who manage its trust."""
    return load_match(match_id, caller())


@blp.route("/matches", methods=["POST"])
@blp.arguments(MatchPairSchema)
@blp.response(201, MatchSchema)
@pair_not_found
@conflict
@auth_required("coordinator", "admin")
def assign(data: dict[str, Any]):
    """Assign a GP to a period by hand: a pinned match that later runs keep."""
    user = caller()
    period = load_period(data["period_id"], user)
    gp = load_gp(data["gp_id"], user)
    return lifecycle.assign(period, gp, reason=data["reason"], actor=user)


@blp.route("/matches/<int:match_id>/cancel", methods=["POST"])
@blp.arguments(MatchReasonSchema)
@blp.response(200, MatchSchema)
@conflict
@auth_required("coordinator", "admin")
def cancel(data: dict[str, Any], match_id: int):
    """Cancel a proposal or an open offer; the period is open again."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.cancel(match, reason=data["reason"], actor=user)


@blp.route("/matches/<int:match_id>/unpin", methods=["POST"])
@blp.arguments(MatchReasonSchema)
@blp.response(200, MatchSchema)
@conflict
@auth_required("coordinator", "admin")
def unpin(data: dict[str, Any], match_id: int):
    """Unpin an assignment: the next run may change it."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.unpin(match, reason=data["reason"], actor=user)


@blp.route("/matches/<int:match_id>/confirm", methods=["POST"])
@blp.response(200, MatchSchema)
@conflict
@auth_required("coordinator", "admin")
def confirm(match_id: int):
    """Confirm a proposal so that the trust makes an offer."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.confirm(match, actor=user)


@blp.route("/matches/<int:match_id>/offer", methods=["POST"])
@blp.arguments(MatchOfferSchema)
@blp.response(200, MatchSchema)
@conflict
@auth_required("trust", "coordinator", "admin")
def offer(data: dict[str, Any], match_id: int):
    """Offer the period to the GP of a confirmed proposal, to answer by ``accept_by``."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.offer(match, accept_by=data["accept_by"], actor=user)


@blp.route("/matches/<int:match_id>/accept", methods=["POST"])
@blp.response(200, MatchSchema)
@conflict
@auth_required("gp")
def accept(match_id: int):
    """The GP accepts the offer: the period is filled (409 after the deadline)."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.accept(match, actor=user)


@blp.route("/matches/<int:match_id>/decline", methods=["POST"])
@blp.arguments(MatchDeclineSchema, required=False)
@blp.response(200, MatchSchema)
@conflict
@auth_required("gp")
def decline(data: dict[str, Any], match_id: int):
    """The GP declines, optionally saying why: the period is open again and the pair is
    never proposed again."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.decline(match, actor=user, reason=(data or {}).get("reason"))


@blp.route("/matches/<int:match_id>/hired", methods=["POST"])
@blp.response(200, MatchSchema)
@conflict
@auth_required("trust", "coordinator", "admin")
def hired(match_id: int):
    """Record that the GP who accepted is hired (the trust's HR system says so)."""
    user = caller()
    match = load_match(match_id, user, lock=True)
    return lifecycle.record_hired(match, actor=user)


# ---- forbidden pairs


@blp.route("/forbids", methods=["POST"])
@blp.arguments(MatchPairSchema)
@blp.response(201, ForbiddenPairSchema)
@pair_not_found
@conflict
@auth_required("coordinator", "admin")
def create_forbid(data: dict[str, Any]):
    """Forbid a pair: the matching never proposes that GP for that period again."""
    user = caller()
    period = load_period(data["period_id"], user)
    gp = load_gp(data["gp_id"], user)
    return lifecycle.forbid(period, gp, reason=data["reason"], actor=user)


@blp.route("/forbids")
@blp.arguments(ForbiddenPairFilterSchema, location="query")
@blp.response(200, list_schema(ForbiddenPairSchema, "ForbiddenPairList"))
@auth_required("coordinator", "admin")
def list_forbids(args: dict[str, Any]):
    """The forbidden pairs of the periods in the caller's regions, newest first."""
    query = forbids_query(access.regions_in_scope(caller()))
    if args.get("period"):
        query = query.where(Forbid.period_id == args["period"])
    if args.get("gp"):
        query = query.where(Forbid.gp_id == args["gp"])
    return paginate(query, args)
