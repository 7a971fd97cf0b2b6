"""Messages worded in the language of whoever reads them: the inbox in the viewer's current
language (from the stored key and parameters), an email in the recipient's at the moment it
is sent, the API in the caller's; a message without a key is shown as it was stored."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import render_template_string
from flask_babel import force_locale

from app import lifecycle
from app import mail as delivery
from app.announce import notify
from app.dates import local_today
from app.extensions import db
from app.models import Notification

from . import factories
from .apiutil import Api


def _offer(locale: str = "nb"):
    """An offer to a GP whose language is ``locale``: one notification (and email) queued."""
    gp = factories.make_gp()
    gp.user.locale = locale
    factories.make_window(gp, specialties=[factories.department().specialty.code])
    period = factories.make_period()
    staff = factories.make_user("trust", trust_code="helse-bergen")
    match = factories.make_proposal(period, gp)
    deadline = local_today() + timedelta(days=10)
    lifecycle.offer(match, accept_by=deadline, actor=staff)
    db.session.commit()
    message = db.session.scalar(
        sa.select(Notification).where(
            Notification.user_id == gp.user.id, Notification.kind == "offer"
        )
    )
    return gp, message, deadline


def _long(day: date, locale: str) -> str:
    with force_locale(locale):
        return render_template_string("{{ day|format_date('long') }}", day=day)


def test_the_inbox_words_each_message_in_the_viewers_current_language(ctx, browser):
    gp, message, deadline = _offer("nb")
    assert message.subject.startswith("Tilbud: ")  # stored as worded for the recipient then
    gp.user.locale = "en"
    db.session.commit()
    browser.login(gp.user.email)

    html = browser.get("/inbox").get_data(as_text=True)
    assert "Offer: " in html and "Tilbud: " not in html
    html = browser.get(f"/inbox/{message.id}").get_data(as_text=True)
    assert f"Answer by {_long(deadline, 'en')}." in html

    # the language chosen in the menu counts, for the same stored message
    browser.submit("/language", {"lang-locale": "nn", "next": "/inbox"}, page="/inbox")
    html = browser.get(f"/inbox/{message.id}").get_data(as_text=True)
    assert "Tilbod: " in html and _long(deadline, "nn") in html
    db.session.refresh(message)
    assert message.subject.startswith("Tilbud: ")  # the stored words stay as they were


def test_a_message_stored_without_its_key_is_shown_as_stored(ctx, browser):
    gp = factories.make_gp()
    gp.user.locale = "en"
    old = notify(gp.user, "test", subject="Gammel melding", body="Lagret før nøklene")
    db.session.commit()
    assert old.message_key is None
    browser.login(gp.user.email)
    html = browser.get(f"/inbox/{old.id}").get_data(as_text=True)
    assert "Gammel melding" in html and "Lagret før nøklene" in html


def test_unknown_keys_and_broken_parameters_fall_back_to_the_stored_words(ctx, browser):
    gp, message, _deadline = _offer("nb")
    message.message_params = {"department": "only this"}
    db.session.commit()
    gp.user.locale = "en"
    db.session.commit()
    browser.login(gp.user.email)
    response = browser.get(f"/inbox/{message.id}")
    assert response.status_code == 200
    assert "Tilbud: " in response.get_data(as_text=True)


def test_an_email_is_worded_in_the_recipients_language_when_it_is_sent(ctx, mailbox):
    gp, _message, deadline = _offer("nb")
    gp.user.locale = "en"  # changed their language before the email left
    db.session.commit()
    delivery.send_due()
    [email] = mailbox.to(gp.user.email)
    assert email["Subject"].startswith("Offer: ")
    assert email["Content-Language"] == "en"
    assert f"Answer by {_long(deadline, 'en')}." in email.get_body(("plain",)).get_content()


def test_the_api_words_the_inbox_in_the_callers_language(ctx, client):
    gp, _message, _deadline = _offer("nb")
    api = Api.login(client, gp.user.email)
    [item] = api.get("/me/notifications").get_json()["items"]
    assert item["subject"].startswith("Tilbud: ")
    english = api.get("/me/notifications", headers={"Accept-Language": "en"}).get_json()
    assert english["items"][0]["subject"].startswith("Offer: ")
