"""Routes: coordinators' overrides (assign, forbid, confirm, cancel, unpin), each with a
reason that the match rules write to the audit log."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from app import access, lifecycle, paging
from app.dates import local_today
from app.errors import MatchConflict
from app.unit_of_work import attempt

from . import bp, fit, services, words
from .forms import ConfirmForm, PairForm, ReasonForm
from .routes import coordinator, current
from .views import gp_choices, period_choices, preselect


def _back_to_overview(period):
    return redirect(url_for(".overview", region=period.department.trust.region.code))


@bp.route("/matches/<int:match_id>/<any(confirm,cancel,unpin):action>", methods=["GET", "POST"])
@coordinator
def match_action(match_id: int, action: str):
    """Confirm a proposal, or cancel or unpin a match with a reason."""
    user = current()
    match = access.get_match_or_404(match_id, user)
    form = ConfirmForm() if action == "confirm" else ReasonForm()
    status, error = 200, None
    if form.validate_on_submit():
        try:
            with attempt():
                if action == "confirm":
                    lifecycle.confirm(match, actor=user)
                elif action == "cancel":
                    lifecycle.cancel(match, reason=form.reason.data.strip(), actor=user)
                else:
                    lifecycle.unpin(match, reason=form.reason.data.strip(), actor=user)
        except MatchConflict as conflict:
            error = words.conflict(conflict.code)[1]
            status = 409
        else:
            flash(
                {
                    "confirm": _("The proposal is confirmed; the trust is asked to make an offer."),
                    "cancel": _("The match is cancelled."),
                    "unpin": _("The assignment is unpinned; the next run may change it."),
                }[action],
                "success",
            )
            return _back_to_overview(match.period)
    elif form.is_submitted():
        status = 422
    return (
        render_template(
            "coordination/match_action.html", match=match, action=action, form=form, error=error
        ),
        status,
    )


def _pair_page(kind: str):
    """The assign and forbid pages: a period, a GP and a reason."""
    user = current()
    regions = access.regions_in_scope(user)
    form = PairForm()
    if kind == "assign":
        periods = services.assignable_periods(regions, local_today())
        gps = services.assignable_gps(regions)
    else:
        periods = services.forbiddable_periods(regions)
        gps = services.gps_of(regions)
    form.period_id.choices = period_choices(periods)
    form.gp_id.choices = gp_choices(gps)
    if request.method == "GET":
        preselect(form, user)
    status = 200
    if form.validate_on_submit():
        period = access.get_period_or_404(form.period_id.data, user)
        gp = access.get_gp_or_404(form.gp_id.data, user)
        reason = form.reason.data.strip()
        try:
            with attempt():
                if kind == "assign":
                    lifecycle.assign(period, gp, reason=reason, actor=user)
                else:
                    lifecycle.forbid(period, gp, reason=reason, actor=user)
        except MatchConflict as conflict:
            field, message = words.conflict(conflict.code)
            form[field].errors.append(message)
            status = 409
        else:
            flash(
                _("%(gp)s is assigned to the period. Later runs keep it.", gp=gp.name)
                if kind == "assign"
                else _("%(gp)s will never be proposed for this period.", gp=gp.name),
                "success",
            )
            return _back_to_overview(period)
    elif form.is_submitted():
        status = 422
    forbids = services.forbids_page(regions, paging.page_number()) if kind == "forbid" else None
    chosen = next((p for p in periods if p.id == form.period_id.data), None)
    judged = fit.verdicts(chosen, gps, local_today()) if kind == "assign" and chosen else []
    return (
        render_template(
            f"coordination/{kind}.html",
            form=form,
            forbids=forbids,
            periods=periods,
            gps=gps,
            chosen=chosen,
            fitting=[v for v in judged if v.position is not None],
            unfit=[v for v in judged if v.position is None],
        ),
        status,
    )


@bp.route("/assign", methods=["GET", "POST"])
@coordinator
def assign():
    """Assign a GP to a period by hand (pinned: later runs keep it)."""
    return _pair_page("assign")


@bp.route("/forbids", methods=["GET", "POST"])
@coordinator
def forbid():
    """Forbid a pair: the matching never proposes that GP for that period."""
    return _pair_page("forbid")
