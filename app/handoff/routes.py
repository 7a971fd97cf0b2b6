"""Routes: the hand-off page of a filled period, and a trust's webhook settings and log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.access import get_period_or_404
from app.auth.decorators import role_required
from app.errors import InvalidInput, MatchConflict, NotFound
from app.extensions import db
from app.i18n import current_locale
from app.matches.handoff import handoff_for
from app.matches.queries import live_match_for_period
from app.models import Trust, User
from app.unit_of_work import attempt

from . import bp, webhooks
from .forms import ButtonForm, WebhookForm

WEBHOOK_STATUS_LABELS = {
    "pending": _l("Waiting to be sent"),
    "delivered": _l("Delivered"),
    "failed": _l("Failed"),
}


@bp.app_template_filter("webhook_status_label")
def webhook_status_label(code: str) -> str:
    return str(WEBHOOK_STATUS_LABELS.get(code, code))


def _user() -> User:
    return current_user._get_current_object()


@bp.route("/periods/<int:period_id>/hr")
@role_required("trust", "coordinator", "admin")
def page(period_id: int):
    """What HR needs for the contract, once the GP has accepted (404 before)."""
    user = _user()
    period = get_period_or_404(period_id, user)
    live = live_match_for_period(period)
    data = handoff_for(live, user, current_locale()) if live is not None else None
    if data is None:
        raise NotFound("match")
    return render_template("handoff/page.html", period=period, handoff=data)


# ---- the trust's webhook: its own staff and admins


def _trust_or_404(code: str) -> Trust:
    user = _user()
    trust = db.session.scalar(sa.select(Trust).where(Trust.code == code))
    if trust is None or (user.role == "trust" and user.trust_id != trust.id):
        raise NotFound("object")
    return trust


def _settings(trust: Trust, *, form=None, secret: str | None = None, status: int = 200):
    webhook = webhooks.webhook_of(trust)
    if form is None:
        form = WebhookForm(formdata=None, url=webhook.url if webhook else "")
    context = {
        "trust": trust,
        "webhook": webhook,
        "form": form,
        "button_form": ButtonForm(formdata=None),
        "new_secret": secret,
        "deliveries": webhooks.deliveries(trust),
        "log_size": webhooks.LOG_SIZE,
    }
    return render_template("handoff/webhook.html", **context), status


@bp.route("/trusts/<code>/webhook")
@role_required("trust", "admin")
def webhook(code: str):
    """The trust's webhook: its address, its secret, and the log of what was sent."""
    return _settings(_trust_or_404(code))


@bp.route("/trusts/<code>/webhook", methods=["POST"])
@role_required("trust", "admin")
def save(code: str):
    """Save the webhook's address (the first time, a secret is made and shown once)."""
    trust = _trust_or_404(code)
    form = WebhookForm()
    if form.validate_on_submit():
        try:
            with attempt():
                secret = webhooks.save_url(trust, form.url.data or "", actor=_user())[1]
        except InvalidInput as error:
            form.url.errors = [*form.url.errors, *error.field_messages().values()]
        else:
            flash(_("The webhook is saved."), "success")
            if secret is not None:
                return _settings(trust, secret=secret)
            return redirect(url_for("handoff.webhook", code=trust.code))
    return _settings(trust, form=form, status=422)


@bp.route("/trusts/<code>/webhook/secret", methods=["POST"])
@role_required("trust", "admin")
def rotate(code: str):
    """Make a new secret (shown once); the old one stops working at once."""
    trust = _trust_or_404(code)
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("handoff.webhook", code=trust.code))
    try:
        with attempt():
            secret = webhooks.rotate_secret(trust, actor=_user())
    except MatchConflict as error:
        flash(error.message, "error")
        return redirect(url_for("handoff.webhook", code=trust.code))
    return _settings(trust, secret=secret)


@bp.route("/trusts/<code>/webhook/remove", methods=["POST"])
@role_required("trust", "admin")
def remove(code: str):
    """Remove the webhook: nothing more is sent."""
    trust = _trust_or_404(code)
    if ButtonForm().validate_on_submit():
        try:
            with attempt():
                webhooks.remove(trust, actor=_user())
        except MatchConflict as error:
            flash(error.message, "error")
        else:
            flash(_("The webhook is removed. Nothing more is sent."), "success")
    return redirect(url_for("handoff.webhook", code=trust.code))


@bp.route("/trusts/<code>/webhook/deliveries/<int:delivery_id>/resend", methods=["POST"])
@role_required("trust", "admin")
def resend(code: str, delivery_id: int):
    """Send an event again (the same event id: a receiver that has it can ignore it)."""
    trust = _trust_or_404(code)
    delivery = webhooks.get_delivery_or_none(trust, delivery_id)
    if delivery is None:
        raise NotFound("object")
    if ButtonForm().validate_on_submit():
        try:
            with attempt():
                webhooks.resend(delivery, actor=_user())
        except MatchConflict as error:
            flash(error.message, "error")
        else:
            flash(_("The event is sent again within a minute."), "success")
    return redirect(url_for("handoff.webhook", code=trust.code))
