"""The words of each notification, in the recipient's language.

Each function words one message for one recipient (``locale``) from plain facts and the link
the app chose, and returns it; the app decides who hears it and queues it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from .data import AvailabilityFacts, MatchFacts, Message, PeriodFacts


def _period_words(period: PeriodFacts) -> dict:
    return {
        "department": period.department,
        "trust": period.trust,
        "start": format_date(period.start, "long"),
        "end": format_date(period.end, "long"),
    }


def _match_data(match: MatchFacts) -> dict:
    return {"match_id": match.id, "period_id": match.period.id}


def proposal_to_gp(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    with force_locale(locale):
        words = _period_words(match.period)
        return Message(
            "proposal",
            subject=_("You are proposed for a period at %(trust)s", **words),
            body=_(
                "You are proposed for %(department)s, %(trust)s, from %(start)s to %(end)s. "
                "The trust will contact you with an offer.",
                **words,
            ),
            link=link,
            data=_match_data(match),
        )


def proposal_to_trust(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """A confirmed proposal: the trust should send an offer."""
    with force_locale(locale):
        words = _period_words(match.period)
        return Message(
            "proposal_confirmed",
            subject=_("A candidate for %(department)s: make an offer", **words),
            body=_(
                "The matching has a confirmed candidate for %(department)s from %(start)s "
                "to %(end)s. Send the candidate an offer with an acceptance deadline.",
                **words,
            ),
            link=link,
            data=_match_data(match),
        )


def offer_to_gp(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    with force_locale(locale):
        words = _period_words(match.period) | {"deadline": format_date(match.accept_by, "long")}
        return Message(
            "offer",
            subject=_("Offer: %(department)s, %(trust)s", **words),
            body=_(
                "%(trust)s offers you %(department)s from %(start)s to %(end)s. "
                "Answer by %(deadline)s.",
                **words,
            ),
            link=link,
            data=_match_data(match),
        )


def offer_answered_to_trust(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """The GP accepted or declined, or the deadline passed (``match.status``)."""
    with force_locale(locale):
        words = _period_words(match.period) | {"gp": match.gp_name}
        subjects = {
            "accepted": _("%(gp)s accepted %(department)s", **words),
            "declined": _("%(gp)s declined %(department)s", **words),
            "expired": _("The offer for %(department)s expired", **words),
        }
        bodies = {
            "accepted": _(
                "%(gp)s accepted the period %(start)s–%(end)s. The period is filled.", **words
            ),
            "declined": _(
                "%(gp)s declined the period %(start)s–%(end)s. It is open again and the "
                "next matching run proposes another candidate.",
                **words,
            ),
            "expired": _(
                "%(gp)s did not answer in time. The period %(start)s–%(end)s is open again.",
                **words,
            ),
        }
        return Message(
            f"offer_{match.status}",
            subject=subjects[match.status],
            body=bodies[match.status],
            link=link,
            data=_match_data(match),
        )


def offer_expired_to_gp(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    with force_locale(locale):
        words = _period_words(match.period)
        return Message(
            "offer_expired",
            subject=_("Your offer for %(department)s expired", **words),
            body=_(
                "You did not answer the offer for %(department)s, %(trust)s in time. "
                "You keep your place in the queue for other periods.",
                **words,
            ),
            link=link,
            data=_match_data(match),
        )


def override(
    locale: str, match: MatchFacts, action: str, reason: str, *, link: str | None
) -> Message:
    """A coordinator's decision about a match (``action``: assigned or cancelled)."""
    with force_locale(locale):
        words = _period_words(match.period) | {"reason": reason}
        subjects = {
            "assigned": _("A coordinator assigned %(department)s", **words),
            "cancelled": _("A coordinator cancelled a match for %(department)s", **words),
        }
        return Message(
            f"override_{action}",
            subject=subjects[action],
            body=_("%(department)s, %(trust)s, %(start)s–%(end)s. Reason: %(reason)s", **words),
            link=link,
            data=_match_data(match),
        )


def gp_withdrew(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """The GP paused or withdrew their availability while proposed (to the trust)."""
    with force_locale(locale):
        words = _period_words(match.period)
        return Message(
            "proposal_withdrawn",
            subject=_("The candidate for %(department)s is no longer available", **words),
            body=_(
                "The proposed GP for %(department)s, %(start)s–%(end)s, is no longer "
                "available. The period is open again and the next matching run proposes "
                "another candidate.",
                **words,
            ),
            link=link,
            data=_match_data(match),
        )


def advertised(locale: str, period: PeriodFacts, advert: str, *, link: str | None) -> Message:
    """The period goes to ordinary advertising; ``advert`` is the text to paste."""
    with force_locale(locale):
        words = _period_words(period)
        return Message(
            "period_advertised",
            subject=_("%(department)s goes to ordinary advertising", **words),
            body=_(
                "No GP in specialist training matched the period %(start)s–%(end)s in time. "
                "Advertise it the ordinary way: the advert text is ready on the period's page.",
                **words,
            )
            + "\n\n"
            + _("The advert text (in Norwegian bokmål, ready to paste):")
            + "\n\n"
            + advert,
            link=link,
            data={"period_id": period.id},
        )


def run_finished(locale: str, summary: Mapping[str, Any], *, link: str | None) -> Message:
    """A matching run's summary (new_proposals, dropped_proposals, expired, advertised,
    as_of, run_id) for a coordinator."""
    with force_locale(locale):
        return Message(
            "run_finished",
            subject=_(
                "Matching run: %(proposals)d new proposals, %(advertised)d advertised",
                proposals=summary.get("new_proposals", 0),
                advertised=summary.get("advertised", 0),
            ),
            body=_(
                "The matching run for %(as_of)s finished: %(proposals)d new proposals, "
                "%(dropped)d dropped, %(expired)d offers expired, %(advertised)d periods "
                "advertised the ordinary way.",
                as_of=summary.get("as_of", ""),
                proposals=summary.get("new_proposals", 0),
                dropped=summary.get("dropped_proposals", 0),
                expired=summary.get("expired", 0),
                advertised=summary.get("advertised", 0),
            ),
            link=link,
            data={"run_id": summary["run_id"]},
        )


def period_alert(locale: str, period: PeriodFacts, *, link: str | None) -> Message:
    """A new period fits one of the recipient's subscriptions."""
    with force_locale(locale):
        words = _period_words(period) | {"specialty": period.specialty[locale]}
        body = _(
            "%(trust)s has published a period in %(specialty)s at %(department)s, from "
            "%(start)s to %(end)s.",
            **words,
        )
        if period.on_call:
            body += " " + _("The period includes on-call duty.")
        body += "\n\n" + _(
            "The matching runs every night and proposes periods to the GPs whose availability "
            "fits. Make sure your availability window and wishes cover this period."
        )
        return Message(
            "period_published",
            subject=_("New period: %(specialty)s, %(trust)s, from %(start)s", **words),
            body=body,
            link=link,
            data={"period_id": period.id},
        )


def availability_alert(locale: str, window: AvailabilityFacts, *, link: str | None) -> Message:
    """A GP registered availability that fits the recipient's subscription. The GP is not
    named: the matching, not the trust, decides who is proposed."""
    with force_locale(locale):
        specialties = ", ".join(names[locale] for names in window.specialties)
        words = {
            "start": format_date(window.earliest_start, "long"),
            "end": format_date(window.latest_end, "long"),
            "months": window.months,
            "specialties": specialties or _("any specialty"),
            "municipality": window.municipality,
        }
        body = _(
            "A GP in specialist training from %(municipality)s can serve in hospital between "
            "%(start)s and %(end)s.",
            **words,
        )
        body += " " + ngettext(
            "They need %(num)d month.", "They need %(num)d months.", window.months
        )
        body += " " + _("Wished specialties: %(specialties)s.", **words)
        if window.accept_other_specialty:
            body += " " + _("They also accept another specialty.")
        body += "\n\n" + _(
            "Publish the periods you have: the matching proposes a candidate every night."
        )
        return Message(
            "availability_registered",
            subject=_("A GP is available from %(start)s (%(specialties)s)", **words),
            body=body,
            link=link,
            data={"availability_id": window.id},
        )


def offer_reminder(locale: str, match: MatchFacts, *, link: str | None) -> Message:
    """The offer's deadline is near and the GP has not answered."""
    with force_locale(locale):
        words = _period_words(match.period) | {"deadline": format_date(match.accept_by, "long")}
        return Message(
            "offer_reminder",
            subject=_("Reminder: answer the offer for %(department)s by %(deadline)s", **words),
            body=_(
                "%(trust)s is waiting for your answer to the offer for %(department)s from "
                "%(start)s to %(end)s. Accept or decline by %(deadline)s; after that the offer "
                "expires.",
                **words,
            ),
            link=link,
            data=_match_data(match),
        )
