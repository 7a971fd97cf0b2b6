"""Issue 20 part 3, the GP's side: under a shortlist (Ahus) the engine's proposed GP is told
that they are on the shortlist and the department chooses, not that the trust will make an
offer; the GP the department chooses hears the proposal's usual words (no coordinator
assigned them). Sent by email through a real SMTP server, in nb."""

import sqlalchemy as sa

from app import mail as delivery
from app.extensions import db
from app.models import Notification
from app.periods.shortlist import choose_candidate

from . import factories
from .test_periods_shortlist import LILLESTROM, _gp, _period
from .test_shortlist_choice import _run


def _notes(gp, kind=None):
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.user_id == gp.user.id).order_by(Notification.id)
    ).all()
    return [n for n in notes if kind is None or n.kind == kind]


def _body(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_the_engines_gp_hears_of_the_shortlist_and_the_chosen_gp_of_the_proposal(ctx, mailbox):
    period = _period()
    senior = _gp("Erfaren Lege", LILLESTROM, 60, ["internal-medicine"])
    junior = _gp("Ung Lege", LILLESTROM, 40, ["internal-medicine"])
    staff = factories.make_user("trust", trust_code="ahus")
    _run()
    db.session.commit()
    # the engine proposed the senior GP, on a shortlist of two: the department chooses
    assert _notes(senior, "proposal") == []
    (told,) = _notes(senior, "shortlisted")
    assert told.subject.startswith("Du er på kortlisten til en periode ved ")
    assert "Avdelingen velger blant kandidatene på kortlisten" in told.body
    assert _notes(junior, "proposal") == [] and _notes(junior, "shortlisted") == []

    report = delivery.send_due()
    assert report.sent >= 1
    (email,) = mailbox.to(senior.user.email)
    assert email["Subject"].startswith("Du er på kortlisten til en periode ved ")
    text = _body(email)
    assert "Du er på kortlisten til" in text and "du trenger ikke gjøre noe nå" in text
    assert "Du er foreslått" not in text

    # the department chooses the junior GP: the proposal's usual words, no coordinator
    choose_candidate(period, junior.id, actor=staff)
    db.session.commit()
    (proposed,) = _notes(junior, "proposal")
    assert proposed.subject.startswith("Du er foreslått til en periode ved ")
    assert not [n for n in _notes(junior) if n.kind.startswith("override")]
    delivery.send_due()
    (email,) = mailbox.to(junior.user.email)
    text = _body(email)
    assert "Du er foreslått til" in text and "kontakter deg med et tilbud" in text
    assert "koordinator" not in text.lower()


def test_the_proposal_outside_a_shortlist_keeps_its_words(ctx, mailbox):
    """One candidate only: no shortlist, the usual proposal."""
    period = _period()
    only = _gp("Eneste Lege", LILLESTROM, 60, ["internal-medicine"])
    _run()
    db.session.commit()
    assert [n.kind for n in _notes(only) if n.kind in ("proposal", "shortlisted")] == ["proposal"]
    delivery.send_due()
    (email,) = mailbox.to(only.user.email)
    assert email["Subject"].startswith("Du er foreslått til en periode ved ")
    assert "kortliste" not in _body(email)
    assert period.status == "matched"
