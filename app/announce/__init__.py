"""Who hears what: the app's one entry point for notifying people.

Each function takes models, chooses the recipients (the GP's user, the trust's staff, the
coordinators, the subscribers whose subscription fits), turns the models into
notifications' plain data and queues the message notifications words, in the caller's
transaction. Email delivery is ``app.mail``.
"""

from .core import notify
from .events import (
    advertised_to_trust,
    gp_withdrew,
    match_to_municipality,
    municipality_users,
    offer_answered,
    offer_to_gp,
    override_to_people,
    progress_changed,
    proposal_to_gp,
    proposal_to_trust,
    run_finished,
    shortlist_to_trust,
    trust_staff,
)
from .reminders import offer_reminder, remind_offers, remind_rounds
from .subscriptions import (
    availability_alert,
    availability_fits,
    availability_registered,
    period_alert,
    period_fits,
    period_published,
    trust_specialty_ids,
)
from .surveys import survey_invitations, survey_reminders

__all__ = [
    "advertised_to_trust",
    "availability_alert",
    "availability_fits",
    "availability_registered",
    "gp_withdrew",
    "match_to_municipality",
    "municipality_users",
    "notify",
    "offer_answered",
    "offer_reminder",
    "offer_to_gp",
    "override_to_people",
    "period_alert",
    "period_fits",
    "period_published",
    "progress_changed",
    "proposal_to_gp",
    "proposal_to_trust",
    "shortlist_to_trust",
    "remind_offers",
    "remind_rounds",
    "run_finished",
    "survey_invitations",
    "survey_reminders",
    "trust_specialty_ids",
    "trust_staff",
]
