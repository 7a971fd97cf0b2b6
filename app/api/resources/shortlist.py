"""The shortlist of a period under a ``shortlist`` policy (Ahus): the department reads the
ranked candidates, the engine's proposal marked, and chooses one. The rules are
app.periods.shortlist and app.lifecycle.choose, as on the period's page."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from app.lifecycle import awaits_choice
from app.matches.queries import live_match_for_period
from app.periods.shortlist import choose_candidate, shortlist

from ..auth import auth_required, caller
from ..blueprint import Blueprint
from .fields import error_docs, object_id
from .matches import MatchSchema
from .periods import STAFF, load_managed_period

blp = Blueprint(
    "api_shortlist",
    __name__,
    url_prefix="/periods",
    description="The shortlist a department chooses its candidate from (a shortlist policy)",
)


class ShortlistEntrySchema(ma.Schema):
    gp_id = ma.fields.Integer(required=True, attribute="gp.id")
    name = ma.fields.String(required=True, attribute="gp.name")
    position = ma.fields.Integer(
        required=True, metadata={"description": "Place in the priority order (1 = first)"}
    )
    engine_proposal = ma.fields.Boolean(
        required=True,
        attribute="proposed",
        metadata={"description": 'The matching engine proposes this GP ("Motorens forslag")'},
    )
    catchment = ma.fields.Boolean(
        required=True, metadata={"description": "Lives in the trust's catchment area"}
    )
    first_choice = ma.fields.Boolean(
        required=True, metadata={"description": "The period's specialty is the GP's first wish"}
    )
    months_general_practice = ma.fields.Integer(required=True)
    courses_completed = ma.fields.Integer(required=True)
    supervision_group_months = ma.fields.Integer(required=True)


class ShortlistSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ShortlistEntrySchema), required=True)
    total = ma.fields.Integer(required=True)
    awaiting_choice = ma.fields.Boolean(
        required=True,
        metadata={
            "description": "The department must choose: the engine's proposal is not "
            "confirmed, and no offer can be sent before a choice"
        },
    )


class ShortlistChoiceSchema(ma.Schema):
    gp_id = object_id(
        required=True, metadata={"description": "A GP on the period's shortlist (gp_id above)"}
    )


_errors = error_docs(
    blp,
    {
        401: "No or bad token",
        403: "Not allowed for this role or this trust",
        404: "No such period, or one you may not see",
        409: "No shortlist for this period (shortlist_solver_policy: the matching proposes "
        "one candidate; shortlist_chosen: the period has its candidate; "
        "shortlist_not_in_problem: the period is not open for matching), or the GP is not on "
        "it (not_on_shortlist)",
    },
)


@blp.route("/<int:period_id>/shortlist", methods=["GET"])
@blp.response(200, ShortlistSchema)
@_errors(401, 403, 404, 409)
@auth_required(*STAFF)
def show(period_id: int):
    """The period's ranked shortlist, the engine's proposal marked."""
    user = caller()
    period = load_managed_period(period_id, user)
    entries = shortlist(period, user)
    live = live_match_for_period(period)
    return {
        "items": entries,
        "total": len(entries),
        "awaiting_choice": live is not None and awaits_choice(live),
    }


@blp.route("/<int:period_id>/shortlist", methods=["POST"])
@blp.arguments(ShortlistChoiceSchema)
@blp.response(201, MatchSchema)
@_errors(401, 403, 404, 409)
@auth_required(*STAFF)
def choose(data: dict[str, Any], period_id: int):
    """Choose a GP from the shortlist: a confirmed match, ready for an offer. The engine's
    proposal and the choice are kept in the match's explanation (``shortlist``) and the
    audit log (match.chosen)."""
    user = caller()
    period = load_managed_period(period_id, user)
    return choose_candidate(period, data["gp_id"], actor=user)
