"""Routes: the outbox for administrators (see what waits and what is parked; retry), and in
development the emails the local mail catcher caught."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app import mail
from app.auth.decorators import role_required
from app.paging import page_number

from . import bp, caught_mail
from . import outbox_admin as outbox

CAUGHT_PER_PAGE = 50
# A caught email's HTML, shown in a frame of the caught-email page: no script, nothing
# fetched, its own inline styles only, framed by this site alone.
CAUGHT_HTML_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


@bp.route("/admin/outbox")
@role_required("admin")
def outbox_page():
    """Email delivery: counts, retries, parked messages."""
    return render_template(
        "alerts/outbox.html",
        counts=outbox.outbox_counts(),
        parked=outbox.parked(page_number()),
        retrying=outbox.retrying(page_number("retrying_page")),
        catching=caught_mail.folder() is not None,
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


@bp.route("/admin/caught-mail")
@role_required("admin")
def caught_mail_list():
    """Development: every email the local mail catcher caught, newest first."""
    if caught_mail.folder() is None:
        abort(404)
    return render_template(
        "alerts/caught_mail.html",
        emails=caught_mail.caught(page_number(), CAUGHT_PER_PAGE),
        folder=caught_mail.folder(),
    )


@bp.route("/admin/caught-mail/<name>")
@role_required("admin")
def caught_mail_detail(name: str):
    """Development: one caught email, its headers, text and HTML."""
    email = caught_mail.read(name)
    if email is None:
        abort(404)
    return render_template("alerts/caught_email.html", email=email)


@bp.route("/admin/caught-mail/<name>/html")
@role_required("admin")
def caught_mail_html(name: str):
    """Development: a caught email's HTML part, for the frame on its page."""
    email = caught_mail.read(name)
    if email is None or email.html is None:
        abort(404)
    response = Response(email.html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CAUGHT_HTML_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
