"""The municipality user's pages: endorse a window, withdraw the endorsement, state the
priority of a GP. The start page itself is /dashboard (app/main/dashboards.py)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access
from app.auth.decorators import role_required
from app.errors import BrokenRule, NotFound
from app.unit_of_work import attempt

from . import bp, services
from .forms import ActionForm, PriorityForm


def _user():
    return current_user._get_current_object()


def _back(gp_id: int):
    return redirect(url_for("main.dashboard") + f"#gp-{gp_id}")


@bp.route("/municipality/windows/<int:availability_id>/endorse", methods=["POST"])
@role_required("municipality")
def endorse(availability_id: int):
    """Endorse one of the municipality's GPs' windows."""
    window = access.get_window_or_404(availability_id, _user())
    if ActionForm().validate_on_submit():
        try:
            with attempt():
                services.endorse(window, actor=_user())
        except BrokenRule as error:
            flash(error.message, "error")
        else:
            flash(_("You endorsed the window of %(name)s.", name=window.gp.name), "success")
    return _back(window.gp_id)


@bp.route("/municipality/windows/<int:availability_id>/withdraw", methods=["POST"])
@role_required("municipality")
def withdraw(availability_id: int):
    """Withdraw the endorsement while no match rests on it."""
    window = access.get_window_or_404(availability_id, _user())
    if ActionForm().validate_on_submit():
        try:
            with attempt():
                services.withdraw_endorsement(window, actor=_user())
        except BrokenRule as error:
            flash(error.message, "error")
        else:
            flash(
                _("You withdrew the endorsement of %(name)s's window.", name=window.gp.name),
                "success",
            )
    return _back(window.gp_id)


@bp.route("/municipality/gps/<int:gp_id>/priority", methods=["POST"])
@role_required("municipality")
def priority(gp_id: int):
    """State (or clear) the municipality's priority of one of its GPs."""
    user = _user()
    gp = access.get_gp_or_404(gp_id, user)
    if not access.speaks_for_gp(user, gp):
        raise NotFound("gp")
    form = PriorityForm(prefix=f"gp{gp.id}")
    if form.validate_on_submit():
        try:
            with attempt():
                changed = services.set_priority(gp, form.municipality_priority.data, actor=user)
        except BrokenRule as error:
            form.municipality_priority.errors = [error.message]
        else:
            if changed:
                flash(_("The priority of %(name)s is saved.", name=gp.name), "success")
            else:
                flash(_("Nothing was changed."), "success")
            return _back(gp.id)
    from app.main.dashboards import dashboard_context

    context = dashboard_context(user)
    context["priority_forms"][gp.id] = form
    return render_template("main/dashboard_municipality.html", **context), 422
