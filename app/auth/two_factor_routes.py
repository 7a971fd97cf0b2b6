"""Two-factor pages: the login's code step, turning it on (or moving to a new app), new
recovery codes, turning it off; and the rule that sends staff whose role must use it to
set it up first."""

from __future__ import annotations

from dataclasses import dataclass

import segno
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.catalogue import describe
from app.models import User
from app.models.users import STAFF_ROLES

from . import bp, two_factor
from .decorators import role_required
from .forms import LoginCodeForm, RecoveryCodesForm, TwoFactorOffForm, TwoFactorSetupForm
from .routes import PENDING_LOGIN, _start_session, pending_login, safe_next

# The new secret while the user sets up an app, encrypted like the stored one.
SETUP_SECRET = "two_factor_setup"
# What a user who must set up two-factor authentication may still reach.
OPEN_BEFORE_ENROLMENT = {"auth.two_factor_setup", "auth.logout", "auth.set_language", "static"}


@dataclass(frozen=True)
class Status:
    """What the account page says about a user's two-factor authentication."""

    available: bool  # staff only
    enabled: bool
    required: bool
    recovery_codes_left: int


@bp.app_template_global("two_factor_status")
def two_factor_status(user: User) -> Status:
    enabled = user.two_factor_enabled
    return Status(
        available=two_factor.may_use(user),
        enabled=enabled,
        required=two_factor.required_for(user),
        recovery_codes_left=two_factor.recovery_codes_left(user) if enabled else 0,
    )


@bp.before_app_request
def enrolment_first():
    """A user whose role must use two-factor authentication sets it up before anything else."""
    endpoint = request.endpoint or ""
    if request.path.startswith("/api/") or endpoint.startswith("health."):
        return None  # no session there: the API refuses such a user a token instead
    if endpoint in OPEN_BEFORE_ENROLMENT or not current_user.is_authenticated:
        return None
    if not two_factor.must_enrol(current_user):
        return None
    flash(_("Your role must use two-factor authentication. Set it up to go on."), "info")
    return redirect(url_for("auth.two_factor_setup"))


def _address() -> str:
    return request.remote_addr or ""


def _refused(outcome: two_factor.Outcome, form, wrong_status: int) -> int | None:
    """The status of a refused code or password, with its words next to the field (or a
    flash when throttled); None when the outcome is a success."""
    if outcome.throttled:
        flash(describe("login_throttled", minutes=outcome.wait_minutes), "error")
        return 429
    if outcome.ok:
        return None
    if outcome.wrong == "password":
        form.password.errors.append(_("The current password is wrong."))
    else:
        getattr(form, outcome.wrong or "code").errors.append(describe("wrong_code"))
    return wrong_status


def _recovery_codes_left(left: int | None) -> None:
    if left is not None:
        flash(
            ngettext(
                "You used a recovery code. You have %(num)d left.",
                "You used a recovery code. You have %(num)d left.",
                left,
            )
            + (" " + _("Make new ones on your account page.") if left <= 3 else ""),
            "error" if left <= 3 else "info",
        )


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step of a login: the authenticator app's code, or a recovery code."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    next_url = safe_next(request.args.get("next"))
    held = pending_login()
    if held is None:
        session.pop(PENDING_LOGIN, None)
        flash(
            _("Log in with your email and password. The code must follow within 5 minutes."),
            "info",
        )
        return redirect(url_for("auth.login", next=next_url))
    user, remember = held
    recovery = request.args.get("recovery") == "1"
    form = LoginCodeForm()
    if recovery:
        form.code.label.text = _("Recovery code")
        form.code.description = _("One of the recovery codes you saved. Each works once.")
        form.code.render_kw = {
            "autocomplete": "off",
            "autocapitalize": "none",
            "spellcheck": "false",
        }
    status = 200
    if form.validate_on_submit():
        outcome = two_factor.complete_login(user, form.code.data, _address())
        refusal = _refused(outcome, form, 401)
        if refusal is not None:
            status = refusal
        else:
            _start_session(user, remember)
            flash(_("You are logged in."), "success")
            _recovery_codes_left(outcome.recovery_codes_left)
            return redirect(next_url or url_for("main.dashboard"))
    elif form.is_submitted():
        status = 400
    return render_template(
        "auth/login_code.html", form=form, recovery=recovery, next_url=next_url
    ), status


def _setup_secret(user: User) -> str:
    """The new secret being set up: the same one until it is confirmed."""
    secret = two_factor.unseal(session.get(SETUP_SECRET), user.id)
    if secret is None:
        secret = two_factor.new_secret()
        session[SETUP_SECRET] = two_factor.seal(secret, user.id)
    return secret


def _qr_svg(uri: str, title: str) -> str:
    """The address as a QR code, inline SVG (no script, no request), titled for screen
    readers (segno escapes the title)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=4, dark="#000", light="#fff", title=title, svgclass="qr"
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _show_recovery_codes(codes: tuple[str, ...]):
    return render_template("auth/two_factor_codes.html", codes=codes)


@bp.route("/account/two-factor", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def two_factor_setup():
    """Turn on two-factor authentication, or move it to a new authenticator app."""
    user = current_user._get_current_object()
    secret = _setup_secret(user)
    form = TwoFactorSetupForm()
    if not user.two_factor_enabled:
        del form.current_code
    status = 200
    if form.validate_on_submit():
        current = form.current_code.data if user.two_factor_enabled else ""
        outcome = two_factor.enable(
            user, secret, form.code.data, current_code=current, address=_address()
        )
        refusal = _refused(outcome, form, 422)
        if refusal is not None:
            status = refusal
        else:
            _start_session(user, remember=False)  # the other sessions have ended
            flash(_("Two-factor authentication is on. Other devices are logged out."), "success")
            return _show_recovery_codes(outcome.recovery_codes)
    elif form.is_submitted():
        status = 422
    uri = two_factor.provisioning_uri(secret, user.email)
    key = two_factor.grouped(secret)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        key=key,
        uri=uri,
        qr=_qr_svg(uri, _("QR code for your authenticator app. The key is %(key)s.", key=key)),
    ), status


@bp.route("/account/two-factor/recovery-codes", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def two_factor_recovery_codes():
    """New recovery codes (the old ones stop working), for a current code."""
    user = current_user._get_current_object()
    if not user.two_factor_enabled:
        return redirect(url_for("auth.two_factor_setup"))
    form = RecoveryCodesForm()
    status = 200
    if form.validate_on_submit():
        outcome = two_factor.renew_recovery_codes(user, form.code.data, _address())
        refusal = _refused(outcome, form, 422)
        if refusal is not None:
            status = refusal
        else:
            flash(_("You have new recovery codes. The old ones no longer work."), "success")
            return _show_recovery_codes(outcome.recovery_codes)
    elif form.is_submitted():
        status = 422
    left = two_factor.recovery_codes_left(user)
    return render_template("auth/two_factor_renew.html", form=form, left=left), status


@bp.route("/account/two-factor/off", methods=["GET", "POST"])
@role_required(*STAFF_ROLES)
def two_factor_disable():
    """Turn two-factor authentication off (not for a role that must use it)."""
    user = current_user._get_current_object()
    if not user.two_factor_enabled:
        return redirect(url_for("auth.account"))
    required = two_factor.required_for(user)
    form = TwoFactorOffForm()
    status = 200
    if form.validate_on_submit():  # a role that must use it is refused (403) in here
        outcome = two_factor.disable(user, form.password.data, form.code.data, _address())
        refusal = _refused(outcome, form, 422)
        if refusal is not None:
            status = refusal
        else:
            _start_session(user, remember=False)
            flash(_("Two-factor authentication is off. Other devices are logged out."), "success")
            return redirect(url_for("auth.account"))
    elif form.is_submitted():
        status = 422
    return render_template("auth/two_factor_off.html", form=form, required=required), status
