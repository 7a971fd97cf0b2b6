"""Routes: the outbox for administrators (see what waits and what is parked; retry)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app import mail
from app.auth.decorators import role_required

from . import bp
from . import outbox_admin as outbox


@bp.route("/admin/outbox")
@role_required("admin")
def outbox_page():
    """Email delivery: counts, retries, parked messages."""
    return render_template(
        "alerts/outbox.html",
        counts=outbox.outbox_counts(),
        parked=outbox.parked(),
        retrying=outbox.retrying(),
    )


@bp.route("/admin/outbox/<any(notification,digest):kind>/<int:row_id>/retry", methods=["POST"])
@role_required("admin")
def outbox_retry(kind: str, row_id: int):
    """Send one parked email again."""
    row = outbox.get_row(kind, row_id)
    if row is None or row.email_status != "parked":
        abort(404)
    mail.retry(row)
    flash(_("The email is queued again."), "success")
    return redirect(url_for("alerts.outbox_page"), 303)


@bp.route("/admin/outbox/retry-parked", methods=["POST"])
@role_required("admin")
def outbox_retry_all():
    """Send every parked email again."""
    count = outbox.retry_all_parked()
    flash(_("%(num)d emails are queued again.", num=count), "success")
    return redirect(url_for("alerts.outbox_page"), 303)
