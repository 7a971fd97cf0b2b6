"""The words of each notification, in the recipient's language."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import force_locale, format_date, ngettext
from flask_babel import gettext as _

from app.links import absolute_url, path_for
from app.models import Availability, Match, Period, User

from .outbox import notify

__all__ = ["path_for"]


def _period_words(period: Period) -> dict:
    return {
        "department": period.department.name,
        "trust": period.department.trust.name,
        "start": format_date(period.start_date, "long"),
        "end": format_date(period.end_date, "long"),
    }


def trust_staff(period: Period) -> list[User]:
    return [u for u in period.department.trust.staff if u.active]


def proposal_to_gp(match: Match) -> None:
    user = match.gp.user
    with force_locale(user.locale):
        words = _period_words(match.period)
        notify(
            user,
            "proposal",
            subject=_("You are proposed for a period at %(trust)s", **words),
            body=_(
                "You are proposed for %(department)s, %(trust)s, from %(start)s to %(end)s. "
                "The trust will contact you with an offer.",
                **words,
            ),
            link=path_for("gp.matches"),
            data={"match_id": match.id, "period_id": match.period_id},
        )


def proposal_to_trust(match: Match) -> None:
    """A confirmed proposal: the trust should send an offer."""
    for user in trust_staff(match.period):
        with force_locale(user.locale):
            words = _period_words(match.period)
            notify(
                user,
                "proposal_confirmed",
                subject=_("A candidate for %(department)s: make an offer", **words),
                body=_(
                    "The matching has a confirmed candidate for %(department)s from %(start)s "
                    "to %(end)s. Send the candidate an offer with an acceptance deadline.",
                    **words,
                ),
                link=path_for("periods.detail", period_id=match.period_id),
                data={"match_id": match.id, "period_id": match.period_id},
            )


def offer_to_gp(match: Match) -> None:
    user = match.gp.user
    with force_locale(user.locale):
        words = _period_words(match.period) | {"deadline": format_date(match.accept_by, "long")}
        notify(
            user,
            "offer",
            subject=_("Offer: %(department)s, %(trust)s", **words),
            body=_(
                "%(trust)s offers you %(department)s from %(start)s to %(end)s. "
                "Answer by %(deadline)s.",
                **words,
            ),
            link=path_for("gp.matches"),
            data={"match_id": match.id, "period_id": match.period_id},
        )


def offer_answered(match: Match) -> None:
    """The GP accepted or declined, or the deadline passed: tell the trust (and the GP)."""
    kind = f"offer_{match.status}"
    for user in trust_staff(match.period):
        with force_locale(user.locale):
            words = _period_words(match.period) | {"gp": match.gp.name}
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
            notify(
                user,
                kind,
                subject=subjects[match.status],
                body=bodies[match.status],
                link=path_for("periods.detail", period_id=match.period_id),
                data={"match_id": match.id, "period_id": match.period_id},
            )
    if match.status == "expired":
        user = match.gp.user
        with force_locale(user.locale):
            words = _period_words(match.period)
            notify(
                user,
                kind,
                subject=_("Your offer for %(department)s expired", **words),
                body=_(
                    "You did not answer the offer for %(department)s, %(trust)s in time. "
                    "You keep your place in the queue for other periods.",
                    **words,
                ),
                link=path_for("gp.matches"),
                data={"match_id": match.id, "period_id": match.period_id},
            )


def override_to_people(match: Match, action: str, reason: str) -> None:
    """A coordinator's decision about a match: tell the GP and the trust."""
    recipients = [match.gp.user, *trust_staff(match.period)]
    for user in recipients:
        with force_locale(user.locale):
            words = _period_words(match.period) | {"reason": reason}
            subjects = {
                "assigned": _("A coordinator assigned %(department)s", **words),
                "cancelled": _("A coordinator cancelled a match for %(department)s", **words),
            }
            notify(
                user,
                f"override_{action}",
                subject=subjects[action],
                body=_("%(department)s, %(trust)s, %(start)s–%(end)s. Reason: %(reason)s", **words),
                link=path_for("gp.matches")
                if user.role == "gp"
                else path_for("periods.detail", period_id=match.period_id),
                data={"match_id": match.id, "period_id": match.period_id},
            )


def gp_withdrew(match: Match) -> None:
    """The GP paused or withdrew their availability while proposed: tell the trust."""
    for user in trust_staff(match.period):
        with force_locale(user.locale):
            words = _period_words(match.period)
            notify(
                user,
                "proposal_withdrawn",
                subject=_("The candidate for %(department)s is no longer available", **words),
                body=_(
                    "The proposed GP for %(department)s, %(start)s–%(end)s, is no longer "
                    "available. The period is open again and the next matching run proposes "
                    "another candidate.",
                    **words,
                ),
                link=path_for("periods.detail", period_id=match.period_id),
                data={"match_id": match.id, "period_id": match.period_id},
            )


def _advert(period: Period) -> str:
    """The advert text, its link on the site's public address (BASE_URL), as in every email."""
    from app.periods.advert import advert_text, vacancy_url

    public = absolute_url(path_for("public.vacancy", period_id=period.id))
    return advert_text(period).replace(vacancy_url(period), public)


def advertised_to_trust(period: Period) -> None:
    advert = _advert(period)
    for user in trust_staff(period):
        with force_locale(user.locale):
            words = _period_words(period)
            notify(
                user,
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
                link=path_for("periods.advert", period_id=period.id),
                data={"period_id": period.id},
            )


def run_finished(coordinators: Iterable[User], summary: dict) -> None:
    for user in coordinators:
        with force_locale(user.locale):
            notify(
                user,
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
                link=path_for("coordination.run_detail", run_id=summary["run_id"]),
                data={"run_id": summary["run_id"]},
            )


def period_alert(user: User, period: Period, *, channel: str, frequency: str) -> None:
    """A new period fits one of the GP's subscriptions."""
    with force_locale(user.locale):
        words = _period_words(period) | {
            "specialty": period.department.specialty.name_in(user.locale)
        }
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
        notify(
            user,
            "period_published",
            subject=_("New period: %(specialty)s, %(trust)s, from %(start)s", **words),
            body=body,
            link=path_for("gp.availability") if user.role == "gp" else None,
            data={"period_id": period.id},
            channel=channel,
            frequency=frequency,
        )


def availability_alert(user: User, window: Availability, *, channel: str, frequency: str) -> None:
    """A GP registered availability that fits the trust staff's subscription. The GP is not
    named: the matching, not the trust, decides who is proposed."""
    with force_locale(user.locale):
        specialties = ", ".join(s.name_in(user.locale) for s in window.specialties)
        words = {
            "start": format_date(window.earliest_start, "long"),
            "end": format_date(window.latest_end, "long"),
            "months": window.months,
            "specialties": specialties or _("any specialty"),
            "municipality": window.gp.municipality.name,
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
        notify(
            user,
            "availability_registered",
            subject=_("A GP is available from %(start)s (%(specialties)s)", **words),
            body=body,
            link=path_for("periods.index"),
            data={"availability_id": window.id},
            channel=channel,
            frequency=frequency,
        )


def offer_reminder(match: Match) -> None:
    """The offer's deadline is near and the GP has not answered (once per offer)."""
    user = match.gp.user
    with force_locale(user.locale):
        words = _period_words(match.period) | {"deadline": format_date(match.accept_by, "long")}
        notify(
            user,
            "offer_reminder",
            subject=_("Reminder: answer the offer for %(department)s by %(deadline)s", **words),
            body=_(
                "%(trust)s is waiting for your answer to the offer for %(department)s from "
                "%(start)s to %(end)s. Accept or decline by %(deadline)s; after that the offer "
                "expires.",
                **words,
            ),
            link=path_for("gp.matches"),
            data={"match_id": match.id, "period_id": match.period_id},
            dedupe_key=f"offer_reminder:{match.id}:{match.accept_by.isoformat()}",
        )
