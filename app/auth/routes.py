"""Registration, login, logout and the account page."""

from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from app.catalogue import describe
from app.extensions import db
from app.models import Municipality, User
from app.models.types import utcnow
from app.unit_of_work import attempt

from . import bp
from .forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    GPRegistrationForm,
    LanguageForm,
    LoginForm,
    ResetPasswordForm,
)
from .passwords import verify_password
from .recovery import (
    RESET,
    request_password_reset,
    reset_password,
    send_verification,
    valid_link,
    verify_email,
)
from .services import (
    AccountError,
    GPRegistration,
    active_tokens,
    authenticate,
    change_password,
    end_all_sessions,
    password_reset_wait_minutes,
    record_password_reset_request,
    record_registration_attempt,
    register_gp,
    registration_wait_minutes,
    revoke_token,
)
from .two_factor import PENDING_LOGIN_SECONDS


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _start_session(user, remember: bool) -> None:
    # A fresh session on login: nothing from before authentication carries over.
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    login_user(user, remember=remember)


# A login whose password was right and that waits for a two-factor code: the user, their
# session nonce (a logout everywhere or a new password ends the wait too), and when.
PENDING_LOGIN = "login_pending"


def _hold_login(user: User, remember: bool) -> None:
    session[PENDING_LOGIN] = {
        "user": user.id,
        "nonce": user.session_nonce,
        "at": int(utcnow().timestamp()),
        "remember": bool(remember),
    }


def pending_login() -> tuple[User, bool] | None:
    """The user whose login waits for a code, and "keep me logged in"; None if there is
    none or it has expired."""
    held = session.get(PENDING_LOGIN)
    if not isinstance(held, dict) or not isinstance(held.get("user"), int):
        return None
    if not isinstance(held.get("at"), int):
        return None
    if not 0 <= utcnow().timestamp() - held["at"] <= PENDING_LOGIN_SECONDS:
        return None
    user = db.session.get(User, held["user"])
    if user is None or not user.active or user.session_nonce != held.get("nonce"):
        return None
    if not user.two_factor_enabled:
        return None
    return user, bool(held.get("remember"))


def municipality_choices() -> list[SelectChoice]:
    """A "Choose…" prompt, then the municipalities grouped by county."""
    rows = db.session.execute(
        sa.select(
            Municipality.id, Municipality.name, Municipality.number, Municipality.county
        ).order_by(Municipality.county, Municipality.name)
    ).all()
    return [SelectChoice(0, _("Choose…"))] + [
        SelectChoice(r.id, f"{r.name} ({r.number})", optgroup=r.county) for r in rows
    ]


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        result = authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if result.throttled:
            flash(
                _(
                    "Too many failed attempts. Try again in %(minutes)d minutes.",
                    minutes=result.wait_minutes,
                ),
                "error",
            )
            status = 429
        elif result.user is None:
            form.password.errors.append(_("Wrong email or password."))
            status = 401
        elif result.code_needed:
            _hold_login(result.user, form.remember.data)
            return redirect(url_for("auth.login_code", next=safe_next(request.args.get("next"))))
        else:
            _start_session(result.user, form.remember.data)
            flash(_("You are logged in."), "success")
            return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    elif form.is_submitted():
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out, ending this user's sessions on every device."""
    end_all_sessions(current_user)
    logout_user()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    flash(_("You are logged out."), "success")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Self-registration for GPs in specialist training."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = GPRegistrationForm()
    form.municipality_id.choices = municipality_choices()
    address = request.remote_addr or ""
    wait = registration_wait_minutes(address) if form.is_submitted() else 0
    if wait:  # throttled per address, as the API's registration
        flash(describe("registration_throttled", minutes=wait), "error")
        return render_template("auth/register.html", form=form), 429
    if form.validate_on_submit():
        record_registration_attempt(address)  # counts even if the registration is refused
        data = GPRegistration(
            email=form.email.data,
            password=form.password.data,
            name=form.name.data,
            hpr_number=form.hpr_number.data,
            municipality_id=form.municipality_id.data,
            specialisation_started=form.specialisation_started.data,
            months_general_practice=form.months_general_practice.data,
            courses_completed=form.courses_completed.data,
            supervision_group_months=form.supervision_group_months.data,
            scheme=form.scheme.data,
            locale=session.get("locale") or current_app.config["BABEL_DEFAULT_LOCALE"],
        )
        try:
            with attempt():
                gp = register_gp(data)
                send_verification(gp.user)
        except AccountError as error:
            getattr(form, error.field).errors.append(error.message)
        else:
            _start_session(gp.user, remember=False)
            flash(
                _(
                    "Welcome! Your profile is registered. We have sent you an email with a "
                    "link that confirms your address."
                ),
                "success",
            )
            return redirect(url_for("main.dashboard"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/register.html", form=form), status


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    """The account: its address, password and API tokens."""
    form = ChangePasswordForm(prefix="pw")
    form.account_email = current_user.email
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append(_("The current password is wrong."))
        else:
            user = current_user._get_current_object()
            change_password(user, form.password.data)
            _start_session(user, remember=False)
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("auth.account"))
    status = 422 if form.is_submitted() else 200
    tokens = active_tokens(current_user)
    return render_template("auth/account.html", form=form, tokens=tokens), status


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_api_token(token_id: int):
    """End one of the user's API tokens (an integration that holds it stops working)."""
    revoke_token(current_user._get_current_object(), token_id)
    flash(_("The API token is revoked."), "success")
    return redirect(url_for("auth.account") + "#tokens-title")


@bp.route("/account/verification", methods=["POST"])
@login_required
def resend_verification():
    """Send the link that confirms the account's address again."""
    user = current_user._get_current_object()
    if user.email_verified_at is not None:
        flash(_("Your email address is already confirmed."), "info")
    elif send_verification(user):
        flash(_("We have sent a new link to %(email)s.", email=user.email), "success")
    else:
        flash(
            _("We have sent several links in the last hour. Wait a while and look again."), "error"
        )
    return redirect(url_for("auth.account"))


@bp.route("/email/verify/<token>")
def verify_email_link(token: str):
    """The link in the confirmation email: the address is confirmed (no login needed)."""
    verified = verify_email(token)
    if verified is None:
        return render_template("auth/link_expired.html", kind="verification"), 404
    if verified.already:
        flash(_("Your email address is already confirmed."), "info")
    else:
        flash(_("Thank you! Your email address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(url_for("auth.account"))
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a link to choose a new password; the answer does not tell whether the
    address has an account."""
    form = ForgotPasswordForm()
    address = request.remote_addr or ""
    if form.validate_on_submit():
        wait = password_reset_wait_minutes(address)
        if wait:
            form.email.errors.append(describe("password_reset_throttled", minutes=wait))
            return render_template("auth/forgot_password.html", form=form), 429
        record_password_reset_request(address)
        request_password_reset(form.email.data)
        flash(
            _(
                "If an account uses %(email)s, we have sent a link to it. The link works for "
                "%(minutes)d minutes. Look in the spam folder too.",
                email=form.email.data,
                minutes=current_app.config["PASSWORD_RESET_MINUTES"],
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/forgot_password.html", form=form), status


RESET_KEY = "password_reset_link"


@bp.route("/password/reset/<token>")
def reset_password_link(token: str):
    """The link in the reset email. The secret moves from the address into the session, so
    that it stays out of the browser's history and of any later Referer."""
    if valid_link(token, RESET) is None:
        return render_template("auth/link_expired.html", kind="reset"), 404
    session[RESET_KEY] = token
    return redirect(url_for("auth.reset_password_form"))


@bp.route("/password/reset", methods=["GET", "POST"])
def reset_password_form():
    """Choose the new password. It logs the account out everywhere; then log in with it."""
    token = valid_link(session.get(RESET_KEY) or "", RESET)
    if token is None:
        session.pop(RESET_KEY, None)
        return render_template("auth/link_expired.html", kind="reset"), 404
    form = ResetPasswordForm()
    form.account_email = token.user.email
    if form.validate_on_submit():
        reset_password(token, form.password.data)
        if current_user.is_authenticated:
            logout_user()
        session.pop(RESET_KEY, None)
        flash(
            _(
                "Your new password is saved, and the account is logged out everywhere. Log in "
                "with the new password."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/reset_password.html", form=form, email=token.user.email), status


@bp.route("/language", methods=["POST"])
def set_language():
    """Choose the interface language (remembered for logged-in users)."""
    form = LanguageForm(prefix="lang")
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))
