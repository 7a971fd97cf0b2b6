"""Routes: The GP's own pages: availability windows, proposals and offers, why not."""

from __future__ import annotations

from functools import wraps

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app import access, lifecycle, lottery, rounds
from app.access import get_match_or_404
from app.auth.decorators import role_required
from app.dates import local_today
from app.errors import MatchConflict
from app.extensions import db
from app.matches.blocks import months_left
from app.models import Region
from app.models.statuses import MatchStatus
from app.municipalities.services import waits_for_endorsement
from app.unit_of_work import attempt

from . import bp, services
from .explanations import GROUPS, why_not
from .forms import AnswerForm, form_input, show_errors, window_form
from .texts import (
    OUTCOME_LABELS,
    STATUS_MESSAGES,
)


def gp_page(view):
    """GPs only, and only once they have a profile (the view gets it as ``gp``)."""

    @role_required("gp")
    @wraps(view)
    def wrapped(*args, **kwargs):
        gp = current_user.gp
        if gp is None:
            flash(_("Complete your profile first."), "error")
            return redirect(url_for("main.profile"))
        return view(gp, *args, **kwargs)

    return wrapped


def _home_region_id(gp) -> int | None:
    return gp.home_trust.region_id if gp.home_trust else None


def _sought_region(gp, window) -> Region | None:
    """The region the window seeks service in (app.access.seeking_region_id)."""
    if window is None:
        return None
    region_id = access.seeking_region_id(gp, window)
    return db.session.get(Region, region_id) if region_id is not None else None


def _actor():
    return current_user._get_current_object()


@bp.route("/availability")
@gp_page
def availability(gp):
    """The GP's current window with its wishes, and past windows."""
    window = services.current_window(gp)
    return render_template(
        "gps/availability.html",
        gp=gp,
        window=window,
        waits_for_endorsement=waits_for_endorsement(window),
        window_rounds=rounds.window_rounds(window, _sought_region(gp, window)),
        past=services.past_windows(gp),
        live=services.live_match(gp),
    )


def _form_page(gp, form, window, status):
    return render_template("gps/availability_form.html", gp=gp, form=form, window=window), status


@bp.route("/availability/new", methods=["GET", "POST"])
@gp_page
def availability_new(gp):
    """Register a window: dates, months and ranked wishes."""
    existing = services.current_window(gp)
    if existing is not None:
        return render_template("gps/availability_exists.html", window=existing), 409
    form = window_form(months=services.default_months(gp), home_region_id=_home_region_id(gp))
    if form.validate_on_submit():
        try:
            with attempt():
                lifecycle.create_availability(gp, form_input(form), actor=_actor())
        except services.AvailabilityError as error:
            show_errors(form, error.field_messages())
        except services.AvailabilityConflict as error:
            flash(error.message, "error")
            return redirect(url_for("gp.availability"))
        else:
            flash(_("Your availability is registered. The matching runs every night."), "success")
            return redirect(url_for("gp.availability"))
    elif form.is_submitted():
        show_errors(form, services.validate_availability(form_input(form)).messages())
    return _form_page(gp, form, None, 422 if form.is_submitted() else 200)


@bp.route("/availability/<int:availability_id>/edit", methods=["GET", "POST"])
@gp_page
def availability_edit(gp, availability_id: int):
    """Change the current window and its wishes."""
    window = services.get_window_or_404(availability_id, gp)
    try:
        lifecycle.check_editable(window)
    except services.AvailabilityConflict as error:
        flash(error.message, "error")
        return redirect(url_for("gp.availability"))
    form = window_form(
        window, months=services.default_months(gp), home_region_id=_home_region_id(gp)
    )
    if form.validate_on_submit():
        try:
            with attempt():
                changes = lifecycle.update_availability(window, form_input(form), actor=_actor())
        except services.AvailabilityError as error:
            show_errors(form, error.field_messages())
        else:
            flash(
                _("Your availability is saved.") if changes else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for("gp.availability"))
    elif form.is_submitted():
        show_errors(
            form, services.validate_availability(form_input(form), current=window).messages()
        )
    return _form_page(gp, form, window, 422 if form.is_submitted() else 200)


@bp.route("/availability/<int:availability_id>/status", methods=["POST"])
@gp_page
def availability_status(gp, availability_id: int):
    """Pause, resume or withdraw the window (a live proposal is cancelled)."""
    window = services.get_window_or_404(availability_id, gp)
    action = request.form.get("action", "")
    try:
        with attempt():
            lifecycle.set_availability_status(window, action, actor=_actor())
    except services.AvailabilityConflict as error:
        flash(error.message, "error")
        return redirect(url_for("gp.availability"), 303)
    flash(str(STATUS_MESSAGES[action]), "success")
    return redirect(url_for("gp.availability"), 303)


def _matches_page(gp, status=200):
    window = services.current_window(gp)
    lives = services.live_matches(gp)
    wishes = services.wishes_window(gp, lives[0] if lives else None)
    blocks = [{"live": m, "ranks": services.wish_ranks(wishes, m.period)} for m in lives]
    left = months_left(window, [m.period for m in lives]) if window and lives else 0
    return render_template(
        "gps/matches.html",
        gp=gp,
        blocks=blocks,
        months_left=left,
        window=window,
        wishes=wishes,
        history=services.match_history(gp),
        today=local_today(),
    ), status


@bp.route("/my/matches")
@gp_page
def matches(gp):
    """The GP's proposal, offer or placement, and their history."""
    return _matches_page(gp)


# The states in which each answer is possible (app.lifecycle refuses the rest).
ANSWERABLE = {
    "accept": (MatchStatus.OFFERED,),
    "decline": (MatchStatus.PROPOSED, MatchStatus.OFFERED),
}


def _answer_page(gp, match, answer: str, form: AnswerForm, status: int = 200):
    return render_template(
        "gps/match_answer.html",
        gp=gp,
        match=match,
        answer=answer,
        answerable=match.status in ANSWERABLE[answer],
        form=form,
        today=local_today(),
    ), status


@bp.route("/my/matches/<int:match_id>/<any(accept,decline):answer>", methods=["GET", "POST"])
@gp_page
def match_answer(gp, match_id: int, answer: str):
    """Accept or decline an offer (or decline a proposal): a page that asks to confirm, and
    for a decline an optional reason that the trust and the coordinators see."""
    match = get_match_or_404(match_id, current_user)
    form = AnswerForm()
    if request.method == "GET":
        # Answered already (or not an offer yet): the page says so, with no form.
        status = 200 if match.status in ANSWERABLE[answer] else 409
        return _answer_page(gp, match, answer, form, status)
    if not form.validate_on_submit():
        return _answer_page(gp, match, answer, form, 422)
    reason = form.reason.data if answer == "decline" else None
    try:
        with attempt():
            lifecycle.answer_match(match, answer, actor=_actor(), reason=reason)
    except MatchConflict as error:
        flash(error.message, "error")
        return _matches_page(gp, 409)
    if answer == "accept":
        flash(_("You have accepted the period. The trust will contact you."), "success")
    else:
        flash(_("You have declined. You keep your place for other periods."), "success")
    return redirect(url_for("gp.matches"), 303)


@bp.route("/my/why-not")
@gp_page
def explanations(gp):
    """For each period the GP could have wanted: the outcome and the reason."""
    found = why_not(gp)
    grouped = {group: [e for e in found.items if e.group == group] for group in GROUPS}
    region = found.region
    return render_template(
        "gps/explanations.html",
        gp=gp,
        grouped=grouped,
        total=len(found.items),
        window=found.window,
        region=region,
        run=found.run,
        lottery_number=lottery.number(region, gp.id, local_today()) if region else None,
        season=lottery.season_of(local_today()),
    )


@bp.app_template_filter("outcome_label")
def outcome_label(code: str) -> str:
    return str(OUTCOME_LABELS.get(code, code))
