"""The privacy page, the download of one's own data and the erase page."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from app.auth.decorators import role_required
from app.errors import BrokenRule
from app.unit_of_work import attempt

from . import bp
from .erase import check_password, erase_account
from .export import personal_data
from .forms import EraseForm
from .retention import audit_retention_years, run_retention_months


@bp.route("/personvern")
def privacy():
    """What the portal stores about people, why, for how long and who sees it."""
    return render_template(
        "privacy/privacy.html",
        run_months=run_retention_months(),
        audit_years=audit_retention_years(),
    )


@bp.route("/account/export")
@login_required
def export():
    """Download everything the portal keeps about you, as JSON."""
    body = json.dumps(personal_data(current_user), ensure_ascii=False, indent=2)
    return Response(
        body,
        mimetype="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="alis-portalen-my-data.json"',
            "Cache-Control": "no-store",
        },
    )


@bp.route("/account/erase", methods=["GET", "POST"])
@role_required("gp")
def erase():
    """Erase your account: password and the address typed again."""
    form = EraseForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        user = current_user._get_current_object()
        address = request.remote_addr or ""
        try:
            # Outside the savepoint: a wrong password counts as a failed login.
            check_password(user, form.password.data, address)
            with attempt():
                erase_account(user, form.password.data, address=address)
        except BrokenRule as error:
            form.password.errors.append(error.message)
        else:
            logout_user()
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            flash(_("Your account is erased. Thank you for using the ALIS portal."), "success")
            return redirect(url_for("main.index"))
    status = 422 if form.is_submitted() else 200
    return render_template("privacy/erase.html", form=form), status
