"""Routes: `/statistics` (public, anonymised: counts below 5 hidden, no municipalities),
`/coordination/statistics` (a coordinator's region, or the country for a national one),
its CSV and Excel downloads, and `/coordination/evaluation` (the printable report)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, render_template, request
from flask_babel import format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.auth.decorators import role_required
from app.dates import local_today
from app.extensions import db
from app.models import Region
from app.text import bounded_int

from . import bp
from .exports import count_labels, download
from .services import COUNTS, MAX_MONTHS, Figures, Span, figures, shown, survey_results

coordinator = role_required("coordinator", "admin")
SPANS = (6, 12, 24)  # the spans offered as links; any 1-60 is accepted
NATIONAL = "norge"  # the `region` argument that asks for the whole country


def _span() -> Span:
    months = bounded_int(request.args.get("months"), 12, low=1, high=MAX_MONTHS)
    return Span.ending(local_today(), months)


def _context(fig: Figures, public: bool, **extra: object) -> dict[str, object]:
    return {
        "fig": fig,
        "public": public,
        "counts": COUNTS,
        "labels": count_labels(),
        "shown": lambda n: shown(n, public),
        "spans": SPANS,
        "national": NATIONAL,
        "format_percent": format_percent,
        "format_decimal": format_decimal,
        "today": local_today(),
        **extra,
    }


@bp.route("/statistics")
@bp.route("/statistics/<code>")
def public(code: str | None = None):
    """The anonymised figures of the country or of one region, for anyone."""
    region = None
    if code is not None:
        region = db.session.scalar(sa.select(Region).where(Region.code == code))
        if region is None:
            abort(404)
    fig = figures(region, _span(), local_today())
    regions = list(db.session.scalars(sa.select(Region).order_by(Region.name)))
    return render_template("statistics/public.html", **_context(fig, True, regions=regions))


def _chosen() -> tuple[Region | None, list[Region]]:
    """The region a coordinator asked for (None: the country, for a national coordinator);
    outside their scope: 404."""
    user = current_user._get_current_object()
    regions = access.regions_in_scope(user)
    code = request.args.get("region")
    if access.is_national(user) and (code is None or code == NATIONAL):
        return None, regions
    return access.choose_region(user, code), regions


@bp.route("/coordination/statistics")
@coordinator
def coordination():
    region, regions = _chosen()
    span = _span()
    fig = figures(region, span, local_today())
    surveys = survey_results(region, span)
    return render_template(
        "statistics/coordination.html", **_context(fig, False, regions=regions, surveys=surveys)
    )


@bp.route("/coordination/evaluation")
@coordinator
def evaluation():
    """The evaluation report: the same figures for a chosen span, laid out for print."""
    region, _regions = _chosen()
    span = _span()
    fig = figures(region, span, local_today())
    surveys = survey_results(region, span)
    return render_template("statistics/evaluation.html", **_context(fig, False, surveys=surveys))


@bp.route("/coordination/statistics.<any(csv, xlsx):fmt>")
@coordinator
def coordination_download(fmt: str):
    region, _regions = _chosen()
    fig = figures(region, _span(), local_today())
    where = fig.region.code if fig.region is not None else NATIONAL
    filename = f"alis-statistikk-{where}-{fig.span.first:%Y-%m}-{fig.span.months}m"
    title = _("ALIS statistics: %(where)s", where=fig.region.name if fig.region else _("Norway"))
    return download(fig, fmt, filename, title)
