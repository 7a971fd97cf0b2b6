"""Emails built from notifications: text and HTML in the recipient's language, with a link
back to the page and a one-click link to manage subscriptions."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import format_datetime

from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from app.links import absolute_url, manage_url, unsubscribe_url, url_for_absolute
from app.models import Notification, User
from app.models.notifications import EmailDigest
from app.models.types import utcnow

# Long URLs in List-Unsubscribe must not be folded into encoded words (RFC 2369 wants them
# plain): fold only past SMTP's own limit.
POLICY = default_policy.clone(max_line_length=998)


def _envelope(user: User, subject: str, message_id: str) -> EmailMessage:
    message = EmailMessage(policy=POLICY)
    message["Subject"] = subject
    message["From"] = current_app.config.get("MAIL_FROM") or "no-reply@alis.invalid"
    message["To"] = user.email
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = message_id
    message["Auto-Submitted"] = "auto-generated"
    message["List-Unsubscribe"] = f"<{unsubscribe_url(user)}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def _common(user: User) -> dict:
    return {
        "locale": user.locale,
        "inbox_url": url_for_absolute("alerts.inbox"),
        "manage_url": manage_url(user),
    }


def notification_email(notification: Notification) -> EmailMessage:
    """The email of one notification (its own Message-ID, stable across retries)."""
    user = notification.user
    with force_locale(user.locale):
        context = _common(user) | {
            "notification": notification,
            "title": notification.subject,
            "link": absolute_url(notification.link) if notification.link else None,
        }
        text = render_template("email/notification.txt", **context)
        html = render_template("email/notification.html", **context)
    message = _envelope(user, notification.subject, notification.message_id)
    message.set_content(text, cte="quoted-printable")  # 7-bit safe for any SMTP server
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = user.locale  # after the body: set_content drops Content-*
    return message


def digest_email(digest: EmailDigest) -> EmailMessage:
    """One email with every notification the digest gathered, oldest first."""
    user = digest.user
    items = [
        {"notification": n, "link": absolute_url(n.link) if n.link else None}
        for n in digest.notifications
    ]
    count = len(items)
    with force_locale(user.locale):
        if digest.frequency == "weekly":
            subject = ngettext(
                "Weekly summary from the ALIS portal: %(num)d new message",
                "Weekly summary from the ALIS portal: %(num)d new messages",
                count,
            )
            title = _("Your weekly summary")
            intro = _("What happened in the ALIS portal last week that concerns you.")
        else:
            subject = ngettext(
                "Daily summary from the ALIS portal: %(num)d new message",
                "Daily summary from the ALIS portal: %(num)d new messages",
                count,
            )
            title = _("Your daily summary")
            intro = _("What happened in the ALIS portal yesterday that concerns you.")
        context = _common(user) | {"title": title, "intro": intro, "items": items}
        text = render_template("email/digest.txt", **context)
        html = render_template("email/digest.html", **context)
    message = _envelope(user, subject, digest.message_id)
    message.set_content(text, cte="quoted-printable")  # 7-bit safe for any SMTP server
    message.add_alternative(html, subtype="html", cte="quoted-printable")
    message["Content-Language"] = user.locale  # after the body: set_content drops Content-*
    return message
