"""Routes: trust staff publish and manage periods, offers and adverts."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app import lifecycle
from app.access import get_period_or_404
from app.alerts.forms import choice_groups
from app.auth.decorators import role_required
from app.catalogue import describe, describe_field
from app.errors import InvalidInput, MatchConflict
from app.forms import choices
from app.i18n import current_locale
from app.learning.services import (
    all_goals,
    default_goal_codes,
    placement_ended,
    set_period_goals,
)
from app.matches.queries import live_match_for_period
from app.models import Period
from app.models.statuses import OPEN_FOR_MATCHING, MatchStatus, PeriodStatus
from app.paging import page_number
from app.policy import effective_policy
from app.unit_of_work import attempt

from . import bp
from .advert import advert_text, vacancy_url
from .forms import (
    ActionForm,
    ChooseForm,
    NewPeriodForm,
    OfferForm,
    PeriodFieldsForm,
    PeriodFilterForm,
    WithdrawForm,
)
from .queries import (
    PeriodFilters,
    departments_in_scope,
    live_matches,
    match_history,
    period_events,
    periods_for,
    specialties_in_scope,
)
from .services import PeriodError, PeriodInput, days_until_fallback, default_accept_by
from .shortlist import (
    ShortlistUnavailable,
    choice_of,
    choose_candidate,
    shortlist,
    uses_shortlist,
)

STAFF = ("trust", "coordinator", "admin")
# Offer conflicts about the date, shown next to the field; the others are about the state.


def _user():
    return current_user._get_current_object()


def _int_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@bp.route("/periods")
@role_required(*STAFF)
def index():
    """The periods of the user's trust (or region) at a glance, filterable."""
    user = _user()
    form = PeriodFilterForm(request.args)
    departments = departments_in_scope(user)
    several_trusts = len({d.trust_id for d in departments}) > 1
    form.department.choices = choices(
        [("", _("All"))]
        + [
            (str(d.id), f"{d.name} ({d.trust.short_name})" if several_trusts else d.name)
            for d in departments
        ]
    )
    specialties = sorted(specialties_in_scope(user), key=lambda s: s.name)
    form.specialty.choices = choices([("", _("All"))] + [(str(s.id), s.name) for s in specialties])
    form.validate()
    filters = PeriodFilters(
        status=None if form.status.errors else (form.status.data or None),
        department_id=None if form.department.errors else _int_or_none(form.department.data),
        specialty_id=None if form.specialty.errors else _int_or_none(form.specialty.data),
        start_from=None if form.start_from.errors else form.start_from.data,
        start_to=None if form.start_to.errors else form.start_to.data,
    )
    periods = periods_for(user, filters, page_number())
    return render_template(
        "periods/index.html",
        form=form,
        periods=periods,
        matches=live_matches(periods),
        fallback={p.id: days_until_fallback(p) for p in periods},
        several_trusts=several_trusts,
        filters={k: v for k, v in request.args.items() if k != "page" and v},
    )


def _fill_input(form: PeriodFieldsForm, department_id: int) -> PeriodInput:
    second = getattr(form, "second_department_id", None)  # on the publish form only
    switch = getattr(form, "switch_date", None)
    return PeriodInput(
        second_department_id=(second.data or None) if second is not None else None,
        switch_date=switch.data if switch is not None else None,
        department_id=department_id,
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        source=form.source.data,
        description=(form.description.data or "").strip(),
        on_call=form.on_call.data,
        contact_name=(form.contact_name.data or "").strip() or None,
        contact_email=(form.contact_email.data or "").strip().lower() or None,
    )


def _goal_choices(form: PeriodFieldsForm, period: Period | None = None) -> None:
    """The learning goals to tick: the reference list; ticked: the period's, or for a new
    period every goal (app.learning.services.default_goal_codes)."""
    locale = current_locale()
    form.learning_goals.choices = choices(
        (g.code, f"{g.code} {g.title_in(locale)}") for g in all_goals()
    )
    if not form.is_submitted():
        form.learning_goals.data = (
            [g.code for g in period.learning_goals] if period is not None else default_goal_codes()
        )


def _show_errors(form, error: PeriodError) -> None:
    for name, code in error.fields.items():
        form[name].errors = [*form[name].errors, describe_field(name, code)]


@bp.route("/periods/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    """Publish a period, or split a long leave into consecutive periods in one step."""
    user = _user()
    departments = departments_in_scope(user, active_only=True)
    form = NewPeriodForm()
    if not form.is_submitted() and user.role == "trust":
        form.contact_email.data = user.email
    if len({d.trust_id for d in departments}) > 1:
        form.department_id.choices = [
            choice
            for d in departments
            for choice in choices([(d.id, d.name)], optgroup=d.trust.name)
        ]
    else:
        form.department_id.choices = choices([(d.id, d.name) for d in departments])
    _goal_choices(form)
    form.second_department_id.choices = [
        *choices([(0, _("None: one department"))]),
        *form.department_id.choices,
    ]
    if form.validate_on_submit():
        try:
            with attempt():
                created = lifecycle.publish_periods(
                    _fill_input(form, form.department_id.data),
                    split_months=form.split_months.data,
                    actor=user,
                )
                for period in created:
                    set_period_goals(period, form.learning_goals.data or [], actor=user)
        except PeriodError as error:
            _show_errors(form, error)
        else:
            flash(
                ngettext(
                    "The period is published.", "%(num)d periods are published.", len(created)
                ),
                "success",
            )
            return redirect(url_for("periods.index"))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "periods/new.html", form=form, goal_groups=choice_groups(form.learning_goals)
    ), status


def _detail(period: Period, *, offer_form=None, withdraw_form=None, status: int = 200):
    """Render a period's page with the forms that fit its state."""
    user = _user()
    live = live_match_for_period(period)
    if (
        offer_form is None
        and live is not None
        and live.status == MatchStatus.PROPOSED
        and live.confirmed_at
    ):
        offer_form = OfferForm(formdata=None, accept_by=default_accept_by(period))
    entries, unavailable = None, None
    if uses_shortlist(period):
        try:
            entries = shortlist(period, user)
        except ShortlistUnavailable as error:
            unavailable = error.message
    matches = match_history(period)
    context = {
        "period": period,
        "months": period.months,
        "days_to_fallback": days_until_fallback(period),
        "live": live,
        "matches": matches,
        "history": period_events(period, matches),
        "policy": effective_policy(period.department.trust),
        "shortlist": entries,
        "shortlist_unavailable": unavailable,
        "choice": choice_of(live),
        "offer_form": offer_form,
        "withdraw_form": withdraw_form or WithdrawForm(formdata=None),
        "action_form": ActionForm(formdata=None),
        "can_withdraw": period.status in OPEN_FOR_MATCHING,
        # The department confirms the goals reached once the placement has ended.
        "placement_id": (
            live.id if live is not None and user.role == "trust" and placement_ended(live) else None
        ),
    }
    return render_template("periods/detail.html", **context), status


@bp.route("/periods/<int:period_id>")
@role_required(*STAFF)
def detail(period_id: int):
    """Everything about a period: its match, shortlist, offer, history."""
    return _detail(get_period_or_404(period_id, _user()))


@bp.route("/periods/<int:period_id>/choose", methods=["POST"])
@role_required(*STAFF)
def choose(period_id: int):
    """Choose a candidate from the shortlist: a confirmed match, ready for an offer."""
    period = get_period_or_404(period_id, _user())
    form = ChooseForm()
    if not form.validate_on_submit() or _int_or_none(form.gp_id.data) is None:
        flash(_("Choose a candidate from the shortlist."), "error")
        return redirect(url_for("periods.detail", period_id=period.id))
    try:
        with attempt():
            match = choose_candidate(period, int(form.gp_id.data), actor=_user())
    except ShortlistUnavailable as error:
        flash(error.message, "error")
    except MatchConflict as error:
        flash(error.message, "error")
    else:
        flash(_("%(name)s is chosen. Send the offer below.", name=match.gp.name), "success")
    return redirect(url_for("periods.detail", period_id=period.id))


@bp.route("/periods/<int:period_id>/offer", methods=["POST"])
@role_required(*STAFF)
def offer(period_id: int):
    """Offer the period to its confirmed candidate with an acceptance deadline."""
    period = get_period_or_404(period_id, _user())
    form = OfferForm()
    if form.validate_on_submit():
        try:
            with attempt():
                lifecycle.offer_period(period, accept_by=form.accept_by.data, actor=_user())
        except InvalidInput as error:  # the deadline: next to its field
            form.accept_by.errors = [*form.accept_by.errors, error.message]
        except MatchConflict as error:
            flash(error.message, "error")
            return redirect(url_for("periods.detail", period_id=period.id))
        else:
            flash(_("The offer is sent."), "success")
            return redirect(url_for("periods.detail", period_id=period.id))
    return _detail(period, offer_form=form, status=422)


@bp.route("/periods/<int:period_id>/hired", methods=["POST"])
@role_required(*STAFF)
def hired(period_id: int):
    """Record that the GP who accepted the period is hired."""
    period = get_period_or_404(period_id, _user())
    if ActionForm().validate_on_submit():
        try:
            with attempt():
                lifecycle.record_period_hired(period, actor=_user())
        except MatchConflict as error:
            flash(error.message, "error")
        else:
            flash(_("The hiring is recorded."), "success")
    return redirect(url_for("periods.detail", period_id=period.id))


@bp.route("/periods/<int:period_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(period_id: int):
    """Change an open period's dates, source, on-call, description and contact."""
    period = get_period_or_404(period_id, _user())
    if period.status != PeriodStatus.OPEN:
        flash(describe("period_not_open"), "error")
        return redirect(url_for("periods.detail", period_id=period.id))
    form = PeriodFieldsForm(obj=period)
    _goal_choices(form, period)
    if form.validate_on_submit():
        try:
            with attempt():
                changes = lifecycle.update_period(
                    period, _fill_input(form, period.department_id), actor=_user()
                )
                if set_period_goals(period, form.learning_goals.data or [], actor=_user()):
                    changes = changes or {"learning_goals": []}
        except PeriodError as error:
            _show_errors(form, error)
        else:
            flash(_("The period is saved.") if changes else _("Nothing was changed."), "success")
            return redirect(url_for("periods.detail", period_id=period.id))
    status = 422 if form.is_submitted() else 200
    return render_template(
        "periods/edit.html",
        form=form,
        period=period,
        goal_groups=choice_groups(form.learning_goals),
    ), status


@bp.route("/periods/<int:period_id>/withdraw", methods=["POST"])
@role_required(*STAFF)
def withdraw(period_id: int):
    """Withdraw a period that is not filled; a live proposal or offer is cancelled."""
    period = get_period_or_404(period_id, _user())
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            with attempt():
                lifecycle.withdraw_period(period, reason=form.reason.data, actor=_user())
        except PeriodError as error:
            _show_errors(form, error)
        except MatchConflict as error:
            flash(error.message, "error")
            return redirect(url_for("periods.detail", period_id=period.id))
        else:
            flash(_("The period is withdrawn."), "success")
            return redirect(url_for("periods.detail", period_id=period.id))
    return _detail(period, withdraw_form=form, status=422)


@bp.route("/periods/<int:period_id>/advert")
@role_required(*STAFF)
def advert(period_id: int):
    """The advert text in Norwegian, ready to paste into the trust's recruitment system."""
    period = get_period_or_404(period_id, _user())
    if period.status != PeriodStatus.ADVERTISED:
        flash(_("Only a period advertised the ordinary way has an advert."), "error")
        return redirect(url_for("periods.detail", period_id=period.id))
    return render_template(
        "periods/advert.html", period=period, text=advert_text(period), url=vacancy_url(period)
    )
