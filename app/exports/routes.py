"""`/exports/periods`, `/exports/placements` (with the hand-off to HR), `/exports/waiting-list`
and `/exports/runs/<id>/proposals`, each `.csv` or `.xlsx`. The rows come from the same scope
queries as the pages (app/access.py): trust staff get their trust's, a regional coordinator
their region's, a national coordinator and admins everyone's; a run outside the scope is 404."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from app import access
from app.auth.decorators import role_required
from app.coordination.overview import waiting_list
from app.dates import local_today
from app.errors import InvalidInput
from app.extensions import db
from app.i18n import current_locale
from app.labels import MATCH_STATUS_LABELS, PERIOD_STATUS_LABELS
from app.matches.handoff import handoff
from app.models import Department, Match, Period, Trust
from app.models.statuses import MatchStatus, PeriodStatus
from app.models.users import GP

from . import bp, tabular

staff = role_required("trust", "coordinator", "admin")
coordinator = role_required("coordinator", "admin")
FMT = "<any(csv, xlsx):fmt>"


def _user():
    return current_user._get_current_object()


def _today() -> str:
    return local_today().isoformat()


def _period_cells(period: Period) -> list[object]:
    department = period.department
    return [
        period.id,
        department.trust.short_name,
        department.name,
        department.specialty.name,
        period.start_date,
        period.end_date,
        period.months,
    ]


def _period_heads() -> list[str]:
    return [
        _("Period"),
        _("Trust"),
        _("Department"),
        _("Specialty"),
        _("Start"),
        _("End"),
        _("Months"),
    ]


def _with_department(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(Period.department).selectinload(Department.trust),
        selectinload(Period.department).selectinload(Department.specialty),
    )


@bp.route(f"/exports/periods.{FMT}")
@staff
def periods(fmt: str):
    """The periods of the trusts the user manages (`?status=` one of the statuses)."""
    user = _user()
    managed = access.trusts_in_scope(user).with_only_columns(Trust.id).order_by(None)
    query = (
        sa.select(Period)
        .join(Department, Period.department_id == Department.id)
        .where(Department.trust_id.in_(managed))
        .order_by(Period.start_date, Period.id)
    )
    status = request.args.get("status")
    if status:
        if status not in list(PeriodStatus):
            raise InvalidInput("unknown", field="status")
        query = query.where(Period.status == status)
    rows: list[list[object]] = [
        [*_period_heads(), _("Status"), _("Published"), _("Advertised from"), _("On call")]
    ]
    for period in db.session.scalars(_with_department(query)):
        rows.append(
            [
                *_period_cells(period),
                PERIOD_STATUS_LABELS.get(period.status, period.status),
                period.published_at,
                period.advertise_after,
                _("yes") if period.on_call else _("no"),
            ]
        )
    return tabular.download(
        [(_("Periods"), rows)], fmt, f"alis-perioder-{_today()}", _("ALIS periods")
    )


def _match_query(user, *conditions) -> sa.Select:
    return (
        access.matches_in_scope(user)
        .where(*conditions)
        .options(
            selectinload(Match.gp).selectinload(GP.municipality),
            selectinload(Match.period)
            .selectinload(Period.department)
            .selectinload(Department.trust),
            selectinload(Match.period)
            .selectinload(Period.department)
            .selectinload(Department.specialty),
        )
        .order_by(Match.id)
    )


@bp.route(f"/exports/placements.{FMT}")
@staff
def placements(fmt: str):
    """Accepted placements in the user's scope with what HR needs for the contract (the
    hand-off of app.matches.handoff, one row each)."""
    rows: list[list[object]] = [
        [
            _("GP"),
            _("HPR number"),
            _("Email"),
            _("Municipality number"),
            _("Municipality"),
            _("Period"),
            _("Trust"),
            _("Site"),
            _("Department"),
            _("Specialty"),
            _("Start"),
            _("End"),
            _("Months"),
            _("On call"),
            _("Accepted"),
            _("Hired"),
        ]
    ]
    query = _match_query(_user(), Match.status == MatchStatus.ACCEPTED).options(
        selectinload(Match.gp).selectinload(GP.user),
        selectinload(Match.period).selectinload(Period.department).selectinload(Department.site),
    )
    locale = current_locale()
    for match in db.session.scalars(query):
        data = handoff(match, locale)
        gp = data["gp"]
        rows.append(
            [
                gp["name"],
                gp["hpr_number"],
                gp["email"],
                gp["municipality"]["number"],
                gp["municipality"]["name"],
                data["period_id"],
                data["trust"]["name"],
                data["site"]["name"] if data["site"] else "",
                data["department"]["name"],
                data["specialty"]["name"],
                data["start_date"],
                data["end_date"],
                data["months"],
                _("yes") if data["on_call"] else _("no"),
                data["accepted_at"],
                data["hired_at"],
            ]
        )
    return tabular.download(
        [(_("Placements"), rows)], fmt, f"alis-plasseringer-{_today()}", _("ALIS placements")
    )


@bp.route(f"/exports/waiting-list.{FMT}")
@coordinator
def waiting(fmt: str):
    """The region's waiting list in the policy's order, as on the coordinator's page."""
    region = access.choose_region(_user(), request.args.get("region"))
    rows: list[list[object]] = [
        [
            _("Place"),
            _("GP"),
            _("Municipality"),
            _("Months in general practice"),
            _("Courses"),
            _("Supervision group months"),
            _("Available from"),
            _("Available until"),
            _("Months wanted"),
            _("Meets the minimum"),
            _("Match"),
        ]
    ]
    for entry in waiting_list(region, local_today()):
        gp, window = entry.gp, entry.window
        rows.append(
            [
                entry.position,
                gp.name,
                gp.municipality.name,
                gp.months_general_practice,
                gp.courses_completed,
                gp.supervision_group_months,
                window.earliest_start,
                window.latest_end,
                window.months,
                _("yes") if entry.eligible else _("no"),
                MATCH_STATUS_LABELS.get(entry.match.status, "") if entry.match else "",
            ]
        )
    return tabular.download(
        [(_("Waiting list"), rows)],
        fmt,
        f"alis-venteliste-{region.code}-{_today()}",
        _("ALIS waiting list: %(region)s", region=region.name),
    )


@bp.route(f"/exports/runs/<int:run_id>/proposals.{FMT}")
@coordinator
def run_proposals(run_id: int, fmt: str):
    """The proposals a run made, in the user's regions, with what became of them."""
    user = _user()
    run = access.get_run_or_404(run_id, user)
    rows: list[list[object]] = [
        [_("GP"), *_period_heads(), _("GP's rank"), _("Priority position"), _("Status")]
    ]
    for match in db.session.scalars(_match_query(user, Match.run_id == run.id)):
        rows.append(
            [
                match.gp.name,
                *_period_cells(match.period),
                match.gp_rank,
                match.priority_position,
                MATCH_STATUS_LABELS.get(match.status, match.status),
            ]
        )
    day: date = run.as_of
    return tabular.download(
        [(_("Proposals"), rows)],
        fmt,
        f"alis-forslag-kjoring-{run.id}-{day.isoformat()}",
        _("ALIS run %(id)d: proposals", id=run.id),
    )
