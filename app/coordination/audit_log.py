"""Reading the audit log: what a user may see, and the filters (object, person, action).
The pages and the API's GET /api/v1/audit share this query."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import aliased, selectinload

from app.access import gp_ids_in_regions, is_national, period_ids_in_regions
from app.errors import InvalidInput
from app.extensions import db
from app.models import (
    GP,
    AuditEvent,
    Availability,
    Department,
    Forbid,
    Match,
    Period,
    Policy,
    Trust,
    User,
)
from app.paging import Page, page_of
from app.text import ID_MAX

PER_PAGE = 50
# The type people write in the filter, and the type app.audit stores (the model's name).
OBJECT_TYPES: dict[str, tuple[str, ...]] = {
    "period": ("period",),
    "match": ("match",),
    "gp": ("gp",),
    "forbid": ("forbid",),
    "policy": ("policy",),
    "run": ("matching_run",),
    "department": ("department",),
    "availability": ("availability",),
    "user": ("user",),
}
STORED_TO_WRITTEN = {stored: written for written, names in OBJECT_TYPES.items() for stored in names}
_OBJECT_RE = re.compile(r"^\s*([a-z_]+)\s*:\s*(\d{1,12})\s*$", re.IGNORECASE)
# The filter as written exactly (what parse_object_ref reads, without the spaces, capitals
# and other digits a person may type on the page): the API's document states this.
OBJECT_REF_PATTERN = rf"^({'|'.join(OBJECT_TYPES)}):[0-9]{{1,12}}$"


class ObjectRefError(InvalidInput):
    """An object filter that is not ``type:id`` with a known type."""

    def __init__(self, text: str):
        super().__init__("bad_object_ref", field="object")
        self.text = text


def parse_object_ref(text: str) -> tuple[str, int]:
    """'period:12' → ('period', 12); raises ObjectRefError."""
    found = _OBJECT_RE.match(text or "")
    if not found or found.group(1).lower() not in OBJECT_TYPES:
        raise ObjectRefError(text)
    return found.group(1).lower(), int(found.group(2))


def object_ref(event: AuditEvent) -> str:
    """The event's object as people write it in the filter, e.g. match:3."""
    kind = STORED_TO_WRITTEN.get(event.object_type, event.object_type)
    return f"{kind}:{event.object_id}" if event.object_id is not None else kind


def _is(kind: str) -> sa.ColumnElement[bool]:
    return AuditEvent.object_type.in_(OBJECT_TYPES[kind])


def _policies_once_in(region_id: int) -> sa.Select:
    marked = aliased(AuditEvent)
    return sa.select(marked.object_id).where(
        marked.object_type.in_(OBJECT_TYPES["policy"]),
        marked.action.in_(("policy.created", "policy.removed")),
        marked.data["region_id"].as_integer() == region_id,
    )


def _region_condition(region_id: int) -> sa.ColumnElement[bool]:
    """Events about objects in one region, and matching runs (national objects)."""
    regions = [region_id]
    periods = period_ids_in_regions(regions)
    gps = sa.select(gp_ids_in_regions(regions).subquery().c[0])
    trusts = sa.select(Trust.id).where(Trust.region_id == region_id)
    return sa.or_(
        _is("run"),
        sa.and_(_is("period"), AuditEvent.object_id.in_(periods)),
        sa.and_(
            _is("match"),
            AuditEvent.object_id.in_(sa.select(Match.id).where(Match.period_id.in_(periods))),
        ),
        sa.and_(
            _is("forbid"),
            AuditEvent.object_id.in_(sa.select(Forbid.id).where(Forbid.period_id.in_(periods))),
        ),
        sa.and_(_is("gp"), AuditEvent.object_id.in_(gps)),
        sa.and_(
            _is("availability"),
            AuditEvent.object_id.in_(sa.select(Availability.id).where(Availability.gp_id.in_(gps))),
        ),
        sa.and_(
            _is("department"),
            AuditEvent.object_id.in_(
                sa.select(Department.id).where(Department.trust_id.in_(trusts))
            ),
        ),
        sa.and_(
            _is("policy"),
            sa.or_(
                AuditEvent.object_id.in_(
                    sa.select(Policy.id).where(
                        sa.or_(Policy.region_id == region_id, Policy.trust_id.in_(trusts))
                    )
                ),
                # a removed override lives on in its events, which name the region
                AuditEvent.object_id.in_(_policies_once_in(region_id)),
            ),
        ),
    )


def _trust_condition(trust_id: int) -> sa.ColumnElement[bool]:
    """Events about a trust's periods and their matches (what its staff may see)."""
    periods = (
        sa.select(Period.id)
        .join(Department, Period.department_id == Department.id)
        .where(Department.trust_id == trust_id)
    )
    return sa.or_(
        sa.and_(_is("period"), AuditEvent.object_id.in_(periods)),
        sa.and_(
            _is("match"),
            AuditEvent.object_id.in_(sa.select(Match.id).where(Match.period_id.in_(periods))),
        ),
    )


def _related(object_type: str, object_id: int) -> list[sa.ColumnElement[bool]]:
    """Events about the objects that belong to a period or a GP."""
    if object_type == "period":
        owner_match, owner_forbid = Match.period_id, Forbid.period_id
    elif object_type == "gp":
        owner_match, owner_forbid = Match.gp_id, Forbid.gp_id
    else:
        return []
    found = [
        sa.and_(
            _is("match"),
            AuditEvent.object_id.in_(sa.select(Match.id).where(owner_match == object_id)),
        ),
        sa.and_(
            _is("forbid"),
            AuditEvent.object_id.in_(sa.select(Forbid.id).where(owner_forbid == object_id)),
        ),
    ]
    if object_type == "gp":
        windows = sa.select(Availability.id).where(Availability.gp_id == object_id)
        found.append(sa.and_(_is("availability"), AuditEvent.object_id.in_(windows)))
    return found


def audit_query(
    user: User,
    *,
    object_type: str | None = None,
    object_id: int | None = None,
    person: str | None = None,
    action: str | None = None,
    related: bool = False,
) -> sa.Select:
    """The events ``user`` may see, newest first, filtered by object (type and id as
    written, e.g. 'match', 3), by person (actor email or name contains) and action.
    Admins and national coordinators see all; a regional coordinator their region's
    objects and the runs; trust staff their trust's periods and matches; GPs nothing.
    With ``related``, a period's filter also finds the events of its matches and forbidden
    pairs (the offers, answers and hiring), and a GP's those of their matches, forbidden
    pairs and availability windows."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if user.role == "trust" and user.trust_id is not None:
        query = query.where(_trust_condition(user.trust_id))
    elif not is_national(user):
        if user.role != "coordinator" or user.region_id is None:
            return query.where(sa.false())
        query = query.where(_region_condition(user.region_id))
    if object_type and object_id is not None and object_id > ID_MAX:
        # No object has an id beyond the database's integers (PostgreSQL would refuse to
        # compare with one).
        query = query.where(sa.false())
    elif object_type and object_id is not None:
        itself = sa.and_(_is(object_type), AuditEvent.object_id == object_id)
        around = _related(object_type, object_id) if related else []
        query = query.where(sa.or_(itself, *around))
    elif object_type:
        query = query.where(_is(object_type))
    if person and person.strip():
        text = person.strip().lower()
        actors = (
            sa.select(User.id)
            .outerjoin(GP, GP.user_id == User.id)
            .where(
                sa.or_(
                    User.email.contains(text, autoescape=True),
                    sa.func.lower(GP.name).contains(text, autoescape=True),
                )
            )
        )
        query = query.where(AuditEvent.actor_id.in_(actors))
    if action:
        query = query.where(AuditEvent.action == action)
    return query


def actions_in(query: sa.Select) -> list[str]:
    """The distinct actions among the events of ``query``."""
    sub = query.order_by(None).subquery()
    return list(db.session.scalars(sa.select(sub.c.action).distinct().order_by(sub.c.action)))


def audit_page(query: sa.Select, page: int, per_page: int = PER_PAGE) -> Page[AuditEvent]:
    """One page (1-based) of the events of ``query``, with who did each."""
    return page_of(
        query, page, per_page, options=[selectinload(AuditEvent.actor).selectinload(User.gp)]
    )
