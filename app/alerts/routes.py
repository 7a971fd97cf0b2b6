"""Routes: subscriptions and message preferences, the inbox, the private calendar feed, the
manage-by-link page from emails, the outbox for administrators, the vacancies' Atom feed."""

from __future__ import annotations

from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.extensions import csrf, db
from app.i18n import current_locale
from app.links import end_manage_links, user_for_manage_token
from app.models import Period
from app.paging import page_number, page_of
from app.public.services import vacancies_query
from app.unit_of_work import attempt

from . import bp, services
from .calendar import calendar_feed
from .forms import (
    choice_groups,
    form_input,
    preferences_form,
    show_errors,
    subscription_form,
)
from .vacancy_feeds import atom_feed

PAGE_SIZE = 50
# Entries of the vacancies' Atom feed.
FEED_ENTRIES = 100


def _user():
    return current_user._get_current_object()


def _subscriptions_page(form=None, prefs=None, status=200):
    user = _user()
    subscriptions = services.subscriptions_of(user)
    return (
        render_template(
            "alerts/subscriptions.html",
            topic=services.topic_for(user),
            subscriptions=[(s, services.described(s)) for s in subscriptions],
            form=form or subscription_form(user),
            prefs=prefs or preferences_form(user),
            choice_groups=choice_groups,
        ),
        status,
    )


@bp.route("/subscriptions")
@login_required
def subscriptions():
    """The user's alerts, how their other messages reach them, and the calendar feed."""
    return _subscriptions_page()


@bp.route("/subscriptions/new", methods=["POST"])
@login_required
def subscription_new():
    """Add a subscription."""
    user = _user()
    if services.topic_for(user) is None:
        abort(403)
    form = subscription_form(user, request.form)
    if form.validate():
        try:
            with attempt():
                services.create_subscription(user, form_input(form))
        except services.SubscriptionError as error:
            show_errors(form, error.fields)
        else:
            flash(_("The subscription is saved."), "success")
            return redirect(url_for("alerts.subscriptions"), 303)
    return _subscriptions_page(form=form, status=422)


@bp.route("/subscriptions/<int:subscription_id>/delete", methods=["POST"])
@login_required
def subscription_delete(subscription_id: int):
    """Delete one of the user's subscriptions."""
    subscription = services.get_subscription(_user(), subscription_id)
    if subscription is None:
        abort(404)
    services.delete_subscription(subscription)
    flash(_("The subscription is deleted."), "success")
    return redirect(url_for("alerts.subscriptions"), 303)


@bp.route("/subscriptions/messages", methods=["POST"])
@login_required
def message_preferences():
    """How messages about the user's own matters reach them."""
    user = _user()
    prefs = preferences_form(user, request.form)
    if prefs.validate():
        services.set_message_preferences(
            user, prefs.message_channel.data, prefs.message_frequency.data
        )
        flash(_("Your choice is saved."), "success")
        return redirect(url_for("alerts.subscriptions"), 303)
    return _subscriptions_page(prefs=prefs, status=422)


@bp.route("/subscriptions/manage/<token>", methods=["GET", "POST"])
def manage(token: str):
    """From an email, without logging in: see the alerts and stop email."""
    user = user_for_manage_token(token)
    if user is None:
        abort(404)
    g.recipient_locale = user.locale
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "end_links":
            end_manage_links(user)
            flash(
                _("The links in your emails no longer work. New emails bring new links."),
                "success",
            )
            return redirect(url_for("main.index"), 303)
        if action == "stop_all":
            services.stop_all_email(user)
            flash(
                _("You get no more email from the ALIS portal. Messages stay in your inbox."),
                "success",
            )
        elif action.isdigit() and (sub := services.get_subscription(user, int(action))):
            services.delete_subscription(sub)
            flash(_("The subscription is deleted."), "success")
        else:
            abort(400)
        return redirect(url_for("alerts.manage", token=token), 303)
    subscriptions = services.subscriptions_of(user)
    return render_template(
        "alerts/manage.html",
        person=user,
        token=token,
        subscriptions=[(s, services.described(s)) for s in subscriptions],
        gets_email=services.gets_email(user),
        link_days=current_app.config["MANAGE_LINK_DAYS"],
    )


@bp.route("/subscriptions/unsubscribe/<token>", methods=["POST"])
@csrf.exempt
def one_click_unsubscribe(token: str):
    """RFC 8058 one-click unsubscribe from a mail program: no more email to this user."""
    user = user_for_manage_token(token)
    if user is None:
        abort(404)
    services.stop_all_email(user)
    return Response(_("You get no more email from the ALIS portal."), mimetype="text/plain")


@bp.route("/inbox")
@login_required
def inbox():
    """Every notification the user got, newest first."""
    user = _user()
    unread_only = request.args.get("show") == "unread"
    found = page_of(services.inbox_query(user, unread_only=unread_only), page_number(), PAGE_SIZE)
    locale = current_locale()
    return render_template(
        "alerts/inbox.html",
        items=[(entry, services.in_language(entry, locale)) for entry in found],
        page=found,
        unread_only=unread_only,
        unread=services.unread_count(user),
    )


@bp.route("/inbox/<int:notification_id>")
@login_required
def notification(notification_id: int):
    """One notification in full; opening it marks it read."""
    item = services.get_notification(_user(), notification_id)
    if item is None:
        abort(404)
    services.mark_read(item)
    return render_template(
        "alerts/notification.html",
        message=item,
        words=services.in_language(item, current_locale()),
    )


@bp.route("/inbox/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    """Mark one notification read."""
    item = services.get_notification(_user(), notification_id)
    if item is None:
        abort(404)
    services.mark_read(item)
    return redirect(url_for("alerts.inbox"), 303)


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every notification read."""
    count = services.mark_all_read(_user())
    if count:
        flash(_("All messages are marked as read."), "success")
    return redirect(url_for("alerts.inbox"), 303)


@bp.route("/calendar", methods=["GET", "POST"])
@login_required
def calendar():
    """The private calendar feed: create a new address or turn it off."""
    user = _user()
    new_url = None
    if request.method == "POST":
        action = request.form.get("action")
        if action == "create":
            token = services.create_calendar_token(user)
            new_url = url_for("alerts.calendar_feed_ics", token=token, _external=True)
        elif action == "revoke":
            services.revoke_calendar_token(user)
            flash(_("The calendar feed is turned off. Its address no longer works."), "success")
        else:
            abort(400)
        if new_url is None:
            return redirect(url_for("alerts.calendar"), 303)
    return render_template("alerts/calendar.html", person=user, new_url=new_url)


@bp.route("/calendar/<token>.ics")
def calendar_feed_ics(token: str):
    """The feed itself: read-only, for calendar programs; a revoked address answers 404."""
    user = services.user_for_calendar_token(token)
    if user is None:
        abort(404)
    response = Response(calendar_feed(user), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["Content-Disposition"] = 'inline; filename="alis.ics"'
    return response


@bp.route("/vacancies.atom")
def vacancies_atom():
    """An Atom feed of the vacancies advertised the ordinary way: the FEED_ENTRIES most
    recently advertised (a feed reader keeps what it has seen; the page lists them all)."""
    periods = db.session.scalars(
        vacancies_query()
        .order_by(None)
        .order_by(Period.advertise_after.desc(), Period.id.desc())
        .limit(FEED_ENTRIES)
    ).all()
    return Response(atom_feed(list(periods)), mimetype="application/atom+xml")
